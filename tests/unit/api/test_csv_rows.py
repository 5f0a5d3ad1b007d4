"""Result rows as CSV: the model's columns, empty cells for null, no formula a spreadsheet runs."""

import csv
import io

from fleetsim.api.csv_rows import csv_chunks, wants_csv
from fleetsim.models.result import TripResult, canonical_json_text
from fleetsim.models.row_blocks import BLOCK_BYTES

TRIP = {
    "vehicle_id": '=HYPERLINK("http://evil")',
    "route_id": "-2+3",
    "departure": "2026-03-02T08:00:00+01:00",
    "arrival": "2026-03-02T09:00:00+01:00",
    "distance_km": 12.5,
    "energy_used_kwh": -0.25,
    "kwh_per_km": -0.02,
    "soc_start": 0.9,
    "soc_end": 0.8,
    "missed_s": 0.0,
    "stranded": False,
    "stranded_at_km": None,
    "shortfall_kwh": None,
}


def csv_text(rows: list[dict[str, object]]) -> str:
    """The CSV of trip rows, as the API sends it."""
    return b"".join(csv_chunks(TripResult, canonical_json_text(rows).encode())).decode()


def test_columns_follow_the_model_and_null_is_an_empty_cell() -> None:
    rows = list(csv.reader(io.StringIO(csv_text([TRIP]))))
    assert rows[0] == list(TripResult.model_fields)
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["stranded_at_km"] == "" and cells["shortfall_kwh"] == ""
    assert cells["distance_km"] == "12.5"
    assert cells["energy_used_kwh"] == "-0.25", "a negative number stays a number"


def test_text_a_spreadsheet_would_run_as_a_formula_is_quoted() -> None:
    rows = list(csv.DictReader(io.StringIO(csv_text([TRIP]))))
    assert rows[0]["vehicle_id"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["route_id"] == "'-2+3"


def test_csv_is_chosen_only_when_accept_names_it() -> None:
    assert wants_csv("text/csv")
    assert wants_csv("application/json;q=0.5, text/csv; charset=utf-8")
    assert not wants_csv(None)
    assert not wants_csv("application/json")
    assert not wants_csv("*/*")
    assert not wants_csv("text/csv;q=0")


def test_rows_written_in_blocks_are_the_csv_of_all_of_them_at_once() -> None:
    trips = [
        {**TRIP, "vehicle_id": f"v{i}", "route_id": "r1", "soc_end": i / 7} for i in range(9000)
    ]
    assert len(canonical_json_text(trips)) > 2 * BLOCK_BYTES
    chunks = list(csv_chunks(TripResult, canonical_json_text(trips).encode()))

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(TripResult.model_fields))
    for trip in trips:
        writer.writerow(["" if value is None else value for value in trip.values()])
    assert len(chunks) > 3
    assert b"".join(chunks).decode() == out.getvalue()
