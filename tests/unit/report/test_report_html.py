"""The report page: user text escaped, nothing fetched, the same page for the same result."""

import copy
import re

import pytest
from report_runs import Run

from fleetsim.models import CanonicalResult
from fleetsim.report.html import render_report
from fleetsim.report.inputs import figures_of

HOSTILE = "<img src=x onerror=alert(1)>"


def test_ids_and_warnings_from_the_input_are_escaped(stranding: Run) -> None:
    data = copy.deepcopy(dict(stranding.result.data))
    data["metadata"]["scenario"] = "<script>alert(1)</script>"
    data["metadata"]["warnings"] = [f"charger {HOSTILE} has no price"]
    stranded = next(trip for trip in data["trips"] if trip["stranded"])
    stranded["route_id"] = HOSTILE

    page = render_report(CanonicalResult.of_data(data), figures_of(stranding.resolved), job_id="j")

    assert "<script" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 2  # the trip and the warning


def test_the_page_loads_nothing_from_anywhere(smoke: Run) -> None:
    page = render_report(smoke.result, figures_of(smoke.resolved), job_id="j")

    sources = re.findall(r"""\b(?:src|href)=['"]([^'"]*)""", page)
    assert len(sources) == 3 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page


def test_the_same_result_gives_the_same_page(smoke: Run) -> None:
    figures = figures_of(smoke.resolved)

    first = render_report(smoke.result, figures, job_id="j")

    assert (
        render_report(CanonicalResult.of_data(dict(smoke.result.data)), figures, job_id="j")
        == first
    )


def test_stranded_trips_are_tabled_with_where_and_how_short(stranding: Run) -> None:
    page = render_report(stranding.result, figures_of(stranding.resolved), job_id="j")

    section = page.split("<h2>Stranded trips</h2>")[1].split("<h2>")[0]
    trips = [t for t in stranding.result.data["trips"] if t["stranded"]]
    assert section.count("<tr><td>") == len(trips)
    for trip in trips:
        assert f"<td class='n'>{trip['stranded_at_km']:,.1f}</td>" in section
    assert "bus_01 (2)" in section and "sedan_01 (2)" in section


def test_stranded_trips_beyond_the_table_are_counted_not_listed(
    stranding: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("fleetsim.report.html.STRANDED_ROWS_MAX", 1)
    total = stranding.result.metadata.kpis.stranded_trips
    assert total > 1

    page = render_report(stranding.result, figures_of(stranding.resolved), job_id="j")

    assert f"<p>{total} trips of 2 vehicles" in page
    assert f"… and {total - 1} more" in page
    table = re.search(r"<tbody>.*?</tbody>", page.split("<h2>Stranded trips</h2>")[1], re.S)
    assert table is not None and table.group().count("<tr>") == 1
