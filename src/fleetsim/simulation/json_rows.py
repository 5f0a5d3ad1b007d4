"""Row tables written as canonical JSON text straight from their columns.

The envelope's long parts (trips, series, site load, events) are lists of flat objects. They
are written column by column: each column becomes its values' JSON text once (numbers rounded
as `rounded_floats` rounds them but in one vectorised pass, then written by orjson; repeated
strings and times encoded once per distinct value), then one template per row joins the
columns, its keys in sorted order. No dict or model object is made per row, and the bytes
equal `canonical_json_text` of the rows.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
import orjson
from numpy.typing import NDArray
from pydantic import TypeAdapter

from fleetsim.models.result import rounded_array

Column = NDArray[np.object_]
"""One column: each row's value as JSON text (bytes)."""

_DATETIMES = TypeAdapter(list[datetime])


def _texts(values: list[Any]) -> Column:
    """Each value of a JSON-serialisable list as its own JSON text."""
    column = np.empty(len(values), dtype=object)
    if values:
        # orjson writes the list in one call; no value here holds a top-level comma (numbers,
        # null, booleans), so the list's text splits into its values' texts.
        column[:] = orjson.dumps(values)[1:-1].split(b",")
    return column


def numbers(values: NDArray[np.floating[Any]]) -> Column:
    """Floats rounded to the envelope's decimals, never -0.0."""
    return _texts(rounded_array(values).tolist())


def optional_numbers(values: NDArray[np.float64]) -> Column:
    """Rounded floats, null where NaN (not applicable)."""
    rounded: list[float | None] = rounded_array(np.nan_to_num(values)).tolist()
    for i in np.flatnonzero(np.isnan(values)).tolist():
        rounded[i] = None
    return _texts(rounded)


def booleans(values: NDArray[np.bool_]) -> Column:
    return np.array([b"false", b"true"], dtype=object)[values.astype(np.intp)]


def labels(names: list[str], index: NDArray[np.integer[Any]]) -> Column:
    """`names[index[i]]` as JSON strings, each name encoded once."""
    encoded = np.empty(len(names), dtype=object)
    encoded[:] = [orjson.dumps(name) for name in names]
    return cast(Column, encoded[np.asarray(index, dtype=np.intp)])


def times(start: datetime, seconds: NDArray[Any]) -> Column:
    """`start` + each offset as the envelope's JSON writes a datetime, each distinct time
    formatted once."""
    distinct, inverse = np.unique(seconds, return_inverse=True)
    moments = [start + timedelta(seconds=s) for s in distinct.tolist()]
    texts = cast(list[str], _DATETIMES.dump_python(moments, mode="json"))
    return labels(texts, inverse.reshape(-1))


def rows_json(columns: Mapping[str, Column]) -> bytes:
    """The rows of equal-length columns as a JSON list of objects with sorted keys."""
    names = sorted(columns)
    template = b"{" + b",".join(b'"%s":%%b' % name.encode() for name in names) + b"}"
    rows = zip(*(columns[name].tolist() for name in names), strict=True)
    return b"[" + b",".join(map(template.__mod__, rows)) + b"]"
