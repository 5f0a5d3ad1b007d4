"""Row tables written as canonical JSON text straight from their columns, as byte arrays.

The envelope's long parts (trips, series, site load, events) are lists of flat objects. They
are written a block of rows at a time. Each column turns its block of values into `Texts`:
every value's JSON text in a fixed-width bytes array, NUL bytes wherever the text is shorter
than the width (numbers are laid out as sign, integer digits, point and four decimals, with
NUL for a missing sign, leading zeros and trailing decimal zeros; ids and times are padded).
A block's rows are then records of the key texts and the columns' texts side by side, and
the block's JSON is the records' bytes without their NULs: a few array operations, no Python
object per row or per value. No JSON text holds a NUL byte (numbers and times are digits and
punctuation; a string's control characters are escaped, `\u0000`), so the bytes equal
`canonical_json_text` of the rows (numbers as orjson writes the floats `rounded_floats`
gives, keys sorted).
"""

from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

import numpy as np
import orjson
from numpy.typing import NDArray

from fleetsim.models.result import FLOAT_DECIMALS, rounded_array
from fleetsim.simulation.local_time import LocalClock, offset_text

Texts = NDArray[np.bytes_]
"""Values as their JSON texts, one per row, NUL where a text is shorter than the width."""
Rows = slice | NDArray[np.intp]
"""Rows of a column's values: a slice of them, or their positions."""
Column = Callable[[Rows], Texts]
"""A column: the JSON texts of the given rows."""

BLOCK_ROWS = 16_384
"""Rows written per block: enough to amortise the per-block calls, small enough that a
block's records (rows x a few hundred bytes) stay a few MB."""


def _padded(texts: list[bytes]) -> Texts:
    """Byte strings as one NUL-padded array."""
    return np.array(texts, dtype=np.bytes_) if texts else np.zeros(0, dtype="S1")


GROUP = 10**4
"""Numbers are written four digits at a time, each group's text looked up in a table."""
if FLOAT_DECIMALS != 4:
    raise ImportError("number texts write the decimals as one group of four digits")


def _group_table(text: Callable[[int], bytes]) -> NDArray[np.uint32]:
    """Each group value's four-byte text (NUL-padded) as one 32-bit word, so a group is
    looked up and stored as one number."""
    return np.frombuffer(b"".join(text(g).ljust(4, b"\0") for g in range(GROUP)), dtype=np.uint32)


_DIGITS = _group_table(lambda g: b"%04d" % g)
"""A group right of a number's leading one: all four digits."""
_LEADING = _group_table(lambda g: (b"%d" % g).rjust(4, b"\0"))
"""A number's leading group: its digits without leading zeros (`0` itself for zero)."""
_DECIMALS = _group_table(lambda g: (b"%04d" % g).rstrip(b"0") or b"0")
"""The decimals: up to the last non-zero one, at least one."""

_PLAIN_LIMIT = 2.0**50 / GROUP
"""Below this magnitude a rounded float is its decimal digits exactly as orjson writes it:
fixed notation, and ten-thousandths coarser than the float's spacing, so the float times
10^4 rounds to its decimal's integer and no shorter decimal reads back as the same float.
Others (and NaN, written `null`) are written by orjson itself."""


def number_texts(values: NDArray[np.floating[Any]]) -> Texts:
    """Each float rounded to FLOAT_DECIMALS places (never -0.0) as orjson writes it: a sign
    where negative, its integer digits, a point and its decimals without trailing zeros."""
    rounded = rounded_array(values)
    with np.errstate(invalid="ignore"):
        plain = np.abs(rounded) < _PLAIN_LIMIT
    scaled = np.rint(np.where(plain, rounded, 0.0) * GROUP).astype(np.int64)
    whole, fraction = np.divmod(np.abs(scaled), GROUP)
    n_groups = max(len(str(int(whole.max()))) + 3, 4) // 4 if len(whole) else 1
    fields = [("sign", "u1")]
    fields += [(f"group{i}", "u4") for i in range(n_groups)]  # most significant first
    fields += [("point", "u1"), ("decimals", "u4")]
    record = np.empty(len(whole), dtype=np.dtype(fields))
    record["sign"] = np.where(scaled < 0, ord("-"), 0)
    for i in range(n_groups):
        place = GROUP ** (n_groups - 1 - i)
        group = whole // place % GROUP
        # Groups left of the leading one are not written, those right of it are written
        # whole; the units group is written (its units digit at least) even when zero.
        leads = (whole >= place) | (place == 1)
        record[f"group{i}"] = np.where(
            whole >= place * GROUP, _DIGITS[group], np.where(leads, _LEADING[group], 0)
        )
    record["point"] = ord(".")
    record["decimals"] = _DECIMALS[fraction]
    texts = record.view(f"S{record.dtype.itemsize}")
    if plain.all():
        return texts
    others = np.flatnonzero(~plain)
    written = _padded(orjson.dumps(rounded[others].tolist())[1:-1].split(b","))
    texts = texts.astype(f"S{max(texts.dtype.itemsize, written.dtype.itemsize)}")
    texts[others] = written
    return texts


def numbers(values: NDArray[np.floating[Any]]) -> Column:
    """Floats rounded to the envelope's decimals, never -0.0."""
    return lambda rows: number_texts(values[rows])


def optional_numbers(values: NDArray[np.float64]) -> Column:
    """Rounded floats, null where NaN (not applicable)."""

    def texts(rows: Rows) -> Texts:
        block = values[rows]
        written = number_texts(np.nan_to_num(block))
        written[np.isnan(block)] = b"null"
        return written

    return texts


_BOOLEANS = _padded([b"false", b"true"])


def booleans(values: NDArray[np.bool_]) -> Column:
    return lambda rows: _BOOLEANS[values[rows].astype(np.intp)]


def labels(names: list[str], index: NDArray[np.integer[Any]]) -> Column:
    """`names[index[i]]` as JSON strings, each name encoded once."""
    encoded = _padded([orjson.dumps(name) for name in names])
    positions = np.asarray(index, dtype=np.intp)
    return lambda rows: encoded[positions[rows]]


_TWO_DIGITS = np.frombuffer(b"".join(b"%02d" % v for v in range(100)), dtype=np.uint16)
"""0-99 as two digits, each pair one 16-bit word."""
_TIME_FIELDS = [
    ("open", "S1"), ("year", "u4"), ("dash1", "S1"), ("month", "u2"), ("dash2", "S1"),
    ("day", "u2"), ("t", "S1"), ("hour", "u2"), ("colon1", "S1"), ("minute", "u2"),
    ("colon2", "S1"), ("second", "u2"), ("point", "S1"), ("micro_high", "u2"),
    ("micro_low", "u4"),
]  # fmt: skip
"""A local time's JSON text up to its offset: `"YYYY-MM-DDTHH:MM:SS`, then `.ffffff` where
the microseconds are not zero (NUL otherwise)."""


def time_texts(clock: LocalClock, t_s: NDArray[np.float64]) -> Texts:
    """The moments `clock.moments(t_s)` as the result's JSON writes them (pydantic's ISO 8601:
    microseconds only where non-zero, the moment's offset or `Z` for UTC), quoted, each field
    a lookup in a digit table."""
    local, offset_s = clock.local_times(t_s)
    day = local.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year_start = month.astype("datetime64[Y]")
    year = year_start.astype(np.int64) + 1970
    if len(year) and not (year.min() >= 1 and year.max() < GROUP):
        raise ValueError("result times must fall in the years 1-9999")
    second_of_day, micro = np.divmod((local - day).astype(np.int64), 1_000_000)
    hour, second_of_hour = np.divmod(second_of_day, 3600)
    distinct, which = np.unique(offset_s, return_inverse=True)
    offsets = _padded([offset_text(int(o)).encode() for o in distinct.tolist()])
    record = np.empty(
        len(local), dtype=np.dtype([*_TIME_FIELDS, ("offset", offsets.dtype), ("close", "S1")])
    )
    record["open"] = record["close"] = b'"'
    record["year"] = _DIGITS[year]
    record["dash1"] = record["dash2"] = b"-"
    record["month"] = _TWO_DIGITS[(month - year_start).astype(np.int64) + 1]
    record["day"] = _TWO_DIGITS[(day - month).astype(np.int64) + 1]
    record["t"] = b"T"
    record["hour"] = _TWO_DIGITS[hour]
    record["colon1"] = record["colon2"] = b":"
    record["minute"] = _TWO_DIGITS[second_of_hour // 60]
    record["second"] = _TWO_DIGITS[second_of_hour % 60]
    fraction = micro > 0
    record["point"] = np.where(fraction, b".", b"")
    record["micro_high"] = np.where(fraction, _TWO_DIGITS[micro // GROUP], 0)
    record["micro_low"] = np.where(fraction, _DIGITS[micro % GROUP], 0)
    record["offset"] = offsets[which.reshape(-1)]
    return record.view(f"S{record.dtype.itemsize}")


def block_time_texts(clock: LocalClock, seconds: NDArray[Any]) -> Texts:
    """`time_texts` of a block of elapsed offsets, each distinct one formatted once (a block
    of trips shares a few departures)."""
    distinct, inverse = np.unique(seconds, return_inverse=True)
    return time_texts(clock, distinct.astype(np.float64))[inverse.reshape(-1)]


def times(clock: LocalClock, seconds: NDArray[Any]) -> Column:
    """The local time at each elapsed offset as the envelope's JSON writes a datetime."""
    return lambda rows: block_time_texts(clock, seconds[rows])


def write_rows_json(
    out: BinaryIO,
    n_rows: int,
    columns: Mapping[str, Column],
    order: NDArray[np.intp] | None = None,
) -> None:
    """Write `n_rows` rows of `columns` to `out` as a JSON list of objects with sorted keys,
    a block of rows at a time: only one block's bytes are held besides what `out` holds.
    With `order`, the rows are the columns' values at those positions, gathered a block at
    a time (no sorted copy of a whole column)."""
    names = sorted(columns)
    # Before each column its key (after `{` or `,`); after the last, the row's `},`.
    keys = [b'%s"%s":' % (b"," if j else b"{", name.encode()) for j, name in enumerate(names)]
    out.write(b"[")
    for first in range(0, n_rows, BLOCK_ROWS):
        span = slice(first, min(first + BLOCK_ROWS, n_rows))
        rows: Rows = span if order is None else order[span]
        values = [columns[name](rows) for name in names]
        fields: list[tuple[str, Any]] = []
        for j, (key, text) in enumerate(zip(keys, values, strict=True)):
            fields += [(f"key{j}", f"S{len(key)}"), (f"value{j}", text.dtype)]
        record = np.empty(span.stop - span.start, dtype=np.dtype([*fields, ("end", "S2")]))
        for j, (key, text) in enumerate(zip(keys, values, strict=True)):
            record[f"key{j}"] = key
            record[f"value{j}"] = text
        record["end"] = b"},"
        block_json = record.tobytes().translate(None, b"\0")  # NULs deleted
        # No comma after the last row.
        out.write(block_json if span.stop < n_rows else block_json[:-1])
    out.write(b"]")
