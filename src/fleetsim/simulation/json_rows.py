"""Row tables written as canonical JSON text straight from their columns.

The envelope's long parts (trips, series, site load, events) are lists of flat objects. They
are written a block of rows at a time, column by column: each column's values become their
JSON text together (numbers rounded as `rounded_floats` rounds them but in one vectorised
pass, then written by orjson; ids encoded once; times once per distinct value in the column
or the block), then one template per row joins the columns, its keys in sorted order. No
dict or model object is made per row, the text of only one block of rows is held at a time
besides the stream it is written to, and the bytes equal `canonical_json_text` of the rows.
"""

from collections.abc import Callable, Mapping
from typing import Any, BinaryIO, cast

import numpy as np
import orjson
from numpy.typing import NDArray

from fleetsim.models.result import rounded_array
from fleetsim.simulation.local_time import LocalClock

Texts = NDArray[np.object_] | NDArray[np.bytes_]
"""Values as their JSON texts (bytes), one per row."""
Rows = slice | NDArray[np.intp]
"""Rows of a column's values: a slice of them, or their positions."""
Column = Callable[[Rows], Texts]
"""A column: the JSON texts of the given rows."""

BLOCK_ROWS = 16_384
"""Rows written per block: enough to amortise the per-block calls (larger blocks were no
faster), small enough that the block's per-value texts stay a few MB."""


def _texts(values: list[float | None]) -> Texts:
    """Each number (or None) of a list as its own JSON text."""
    column = np.empty(len(values), dtype=object)
    if values:
        # orjson writes the list in one call; a number's text holds no comma.
        column[:] = orjson.dumps(values)[1:-1].split(b",")
    return column


def _strings(names: list[str]) -> Texts:
    """Each string as its JSON text."""
    encoded = np.empty(len(names), dtype=object)
    if names:
        # One call for the whole list; its text splits into the strings' texts unless a
        # string holds a comma (ids and times never do), which is then encoded on its own.
        texts = orjson.dumps(names)[1:-1].split(b",")
        if len(texts) != len(names):
            texts = [orjson.dumps(name) for name in names]
        encoded[:] = texts
    return encoded


def numbers(values: NDArray[np.floating[Any]]) -> Column:
    """Floats rounded to the envelope's decimals, never -0.0."""
    return lambda rows: _texts(rounded_array(values[rows]).tolist())


def optional_numbers(values: NDArray[np.float64]) -> Column:
    """Rounded floats, null where NaN (not applicable)."""

    def texts(rows: Rows) -> Texts:
        block = values[rows]
        rounded: list[float | None] = rounded_array(np.nan_to_num(block)).tolist()
        for i in np.flatnonzero(np.isnan(block)).tolist():
            rounded[i] = None
        return _texts(rounded)

    return texts


def booleans(values: NDArray[np.bool_]) -> Column:
    encoded = np.array([b"false", b"true"], dtype=object)
    return lambda rows: cast(Texts, encoded[values[rows].astype(np.intp)])


def labels(names: list[str], index: NDArray[np.integer[Any]]) -> Column:
    """`names[index[i]]` as JSON strings, each name encoded once."""
    encoded = _strings(names)
    positions = np.asarray(index, dtype=np.intp)
    return lambda rows: encoded[positions[rows]]


SHARED_TIMES_SHARE = 4
"""A column whose distinct times are at most 1/this of its rows (on the step grid: arrivals,
plug-ins, departures) formats each of them once for the whole column; others (end times to
the microsecond) format each block's distinct times, so no column-long table is held."""


def times(clock: LocalClock, seconds: NDArray[Any]) -> Column:
    """The local time at each elapsed offset as the envelope's JSON writes a datetime, each
    distinct time formatted once (per column, or per block when nearly all differ), all of
    them in array operations."""
    shared: list[tuple[NDArray[np.bytes_], NDArray[np.intp]]] = []
    checked = False

    def texts(rows: Rows) -> Texts:
        nonlocal checked
        if not checked:  # on the first block: the whole column's distinct times
            checked = True
            distinct, inverse = np.unique(seconds, return_inverse=True)
            if len(distinct) * SHARED_TIMES_SHARE <= len(seconds):
                formatted = clock.iso_texts(distinct.astype(np.float64))
                shared.append((formatted, inverse.reshape(-1).astype(np.intp)))
        if shared:
            formatted, inverse = shared[0]
            return formatted[inverse[rows]]
        distinct, inverse = np.unique(seconds[rows], return_inverse=True)
        return clock.iso_texts(distinct.astype(np.float64))[inverse.reshape(-1)]

    return texts


def write_rows_json(
    out: BinaryIO,
    n_rows: int,
    columns: Mapping[str, Column],
    order: NDArray[np.intp] | None = None,
) -> None:
    """Write `n_rows` rows of `columns` to `out` as a JSON list of objects with sorted keys,
    a block of rows at a time: only one block's text is held besides what `out` holds.
    With `order`, the rows are the columns' values at those positions, gathered a block at
    a time (no sorted copy of a whole column)."""
    names = sorted(columns)
    template = b"{" + b",".join(b'"%s":%%b' % name.encode() for name in names) + b"}"
    full_block = b",".join([template] * BLOCK_ROWS)  # the template of every whole block
    out.write(b"[")
    for first in range(0, n_rows, BLOCK_ROWS):
        span = slice(first, min(first + BLOCK_ROWS, n_rows))
        rows: Rows = span if order is None else order[span]
        n_block = span.stop - span.start
        table = np.empty((n_block, len(names)), dtype=object)
        for j, name in enumerate(names):
            table[:, j] = columns[name](rows)
        # One formatting call for the block: its rows' template, the values row after row.
        block_template = full_block if n_block == BLOCK_ROWS else b",".join([template] * n_block)
        if first:
            out.write(b",")
        out.write(block_template % tuple(table.ravel().tolist()))
    out.write(b"]")
