"""What the CLI table and the report read from a result: chargers, stranded trips and vehicles,
and which input figures are still known."""

from report_runs import Run

from fleetsim.config import Catalogue
from fleetsim.report.facts import charger_use, stranded_vehicles
from fleetsim.report.inputs import figures_from_catalogue, figures_of
from fleetsim.simulation.summary import stranded_trips


def test_every_charger_is_listed_with_its_ports_idle_ones_included(smoke: Run) -> None:
    rows = charger_use(smoke.result, figures_of(smoke.resolved))

    assert [row.charger_id for row in rows] == sorted(smoke.resolved.chargers)
    events = smoke.result.data["charging_events"]
    for row in rows:
        stays = [e for e in events if e["charger_id"] == row.charger_id]
        assert row.ports == smoke.resolved.chargers[row.charger_id].ports
        assert row.stays == len(stays)
        assert row.max_wait_s == max((e["wait_s"] for e in stays), default=0.0)
    idle = [row for row in rows if row.stays == 0]
    assert idle and all(row.utilisation == 0.0 for row in idle)


def test_stranded_trips_and_vehicles_match_the_kpis(stranding: Run) -> None:
    meta = stranding.result.metadata
    trips = stranded_trips(stranding.result)
    vehicles = stranded_vehicles(meta)

    assert len(trips) == meta.kpis.stranded_trips > 0
    assert sum(v.stranded_trips for v in vehicles) == len(trips)
    assert {t.vehicle_id for t in trips} == {v.vehicle_id for v in vehicles}
    counts = [(-v.stranded_trips, v.vehicle_id) for v in vehicles]
    assert counts == sorted(counts)
    assert all(t.shortfall_kwh is not None and t.shortfall_kwh > 0 for t in trips)


def test_a_feasible_run_strands_nobody(smoke: Run) -> None:
    assert stranded_trips(smoke.result) == []
    assert stranded_vehicles(smoke.result.metadata) == []


def test_catalogue_figures_leave_out_entries_the_request_patched(
    catalogue: Catalogue, stranding: Run
) -> None:
    figures = figures_from_catalogue(catalogue, stranding.resolved.lineage)

    assert figures.ports == figures_of(stranding.resolved).ports  # chargers unpatched
    assert "compact_sedan" not in figures.reserve_soc  # patched by the request
    assert "ebus_12m" not in figures.reserve_soc
    assert figures.reserve_soc["large_van"] == catalogue.vehicles["large_van"].reserve_soc
