"""A result's row list as CSV for spreadsheets: one header line of the row model's fields,
one line per row, RFC 4180 quoting, written a block of rows at a time."""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel

from fleetsim.models.row_blocks import row_blocks

FORMULA_STARTS = ("=", "+", "-", "@")
"""A text cell starting with one of these would be run as a formula by a spreadsheet."""


def _cell(value: Any) -> Any:
    """Null as an empty cell; text that a spreadsheet would run as a formula quoted with `'`
    (OWASP's advice against CSV injection); numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(model: type[BaseModel], rows_json: bytes | memoryview) -> Iterator[bytes]:
    """A row list's canonical JSON (rows of `model`) as UTF-8 CSV, columns in the model's
    field order: the header line, then the rows a block at a time (see `row_blocks`), so
    a long list is never held as objects all at once."""
    columns = list(model.model_fields)
    yield _lines([columns])
    for block in row_blocks(rows_json):
        yield _lines([_cell(row[column]) for column in columns] for row in block)


def _lines(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows as CSV lines (RFC 4180 quoting, CRLF), UTF-8."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def wants_csv(accept: str | None) -> bool:
    """The Accept header names text/csv (with a q above 0)."""
    for media_range in (accept or "").split(","):
        media_type, *params = (part.strip().lower() for part in media_range.split(";"))
        if media_type == "text/csv":
            return not any(
                param.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for param in params
            )
    return False
