"""A row part of a result envelope read a block of rows at a time.

A row part (`trips`, `charging_events`, ...) is canonical JSON `[{...},{...}]` of flat
objects whose strings are ids, times and labels, so no string holds a brace: `},{` only ever
separates two rows. Cutting the text there after about `block_bytes` and parsing each block
alone gives the rows with only one block's objects held, however long the part is.
"""

import re
from collections.abc import Iterator
from typing import Any

import orjson

BLOCK_BYTES = 1 << 20
"""Text parsed per block: a few thousand rows, a few MB of objects."""

ROW_SEPARATOR = b"},{"
"""Between two rows of a row part, and nowhere else in it."""
_SEPARATOR = re.compile(re.escape(ROW_SEPARATOR))


def row_blocks(
    part: bytes | memoryview, block_bytes: int = BLOCK_BYTES
) -> Iterator[list[dict[str, Any]]]:
    """The rows of a row part's canonical JSON, in order, as lists of about `block_bytes`
    of text each (at least one row). Raises ValueError for text that is not a JSON list."""
    view = memoryview(part)
    if bytes(view[:1]) != b"[" or bytes(view[-1:]) != b"]":
        raise ValueError(f"a row part is a JSON list, not {bytes(view[:16])!r}...")
    start, end = 1, len(view) - 1  # the first row's `{`, the closing `]`
    while start < end:
        # Searched in the view itself (re reads any buffer): no copy of the part.
        separator = _SEPARATOR.search(view, min(start + block_bytes, end), end)
        stop = end if separator is None else separator.start() + 1
        yield orjson.loads(b"[" + view[start:stop] + b"]")
        start = stop + 1
