"""A result's row list as CSV for spreadsheets: one header line of the row model's fields,
one line per row, RFC 4180 quoting."""

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

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


def csv_text(model: type[BaseModel], rows: Sequence[Mapping[str, Any]]) -> str:
    """`rows` (canonical JSON data of `model`) as CSV, columns in the model's field order."""
    columns = list(model.model_fields)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(row[column]) for column in columns] for row in rows)
    return out.getvalue()


def wants_csv(accept: str | None) -> bool:
    """The Accept header names text/csv (with a q above 0)."""
    for media_range in (accept or "").split(","):
        media_type, *params = (part.strip().lower() for part in media_range.split(";"))
        if media_type == "text/csv":
            return not any(
                param.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for param in params
            )
    return False
