"""The result summary: small, byte-stable, and agreeing with the envelope it summarises."""

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fleetsim.config import load_catalogue, resolve_request
from fleetsim.models import CanonicalResult, SimulationRequest, canonical_json_bytes
from fleetsim.models.summary import MAX_STRANDED_LISTED, ResultSummary, StrandedTrip
from fleetsim.simulation import simulate, summarise
from fleetsim.simulation.summary import stranded_trips

CONFIG = Path(__file__).resolve().parents[3] / "config"
# A 30 kWh bus strands most of its 362 trips: more than a summary lists.
SHORT_RANGE = {"vehicles.ebus_12m.battery_usable_kwh": 30}


@cache
def result_of(request_json: str) -> CanonicalResult:
    request = SimulationRequest.model_validate_json(request_json)
    return simulate(resolve_request(request, load_catalogue(CONFIG), CONFIG))


def default_week() -> CanonicalResult:
    return result_of('{"scenario": "default"}')


def short_range_week() -> CanonicalResult:
    return result_of(SimulationRequest(set=SHORT_RANGE).model_dump_json(exclude_defaults=True))


def test_default_week_summary_is_small_and_byte_stable() -> None:
    summary_bytes = canonical_json_bytes(summarise(default_week()))
    again = CanonicalResult.from_json(default_week().json_bytes())
    assert len(summary_bytes) < 20_000
    assert canonical_json_bytes(summarise(again)) == summary_bytes


def test_sites_carry_their_limit_peak_and_headroom() -> None:
    summary = summarise(default_week())
    kpis = default_week().metadata.kpis
    assert [site.site_id for site in summary.sites] == sorted(kpis.sites)
    for site in summary.sites:
        assert site.peak_kw == kpis.sites[site.site_id].peak_kw
        assert site.site_power_limit_kw is not None
        assert site.headroom_kw == pytest.approx(site.site_power_limit_kw - site.peak_kw)
    depot = next(site for site in summary.sites if site.site_id == "neuperlach_depot")
    assert depot.headroom_kw == pytest.approx(0.0), "the default week's depot limit binds"


def test_every_charger_is_listed_idle_ones_too() -> None:
    result = default_week()
    summary = summarise(result)
    events = result.data["charging_events"]
    assert [c.charger_id for c in summary.chargers] == sorted(
        result.metadata.kpis.charger_utilisation
    )
    assert sum(c.charging_events for c in summary.chargers) == len(events)
    idle = [c for c in summary.chargers if c.charging_events == 0]
    assert idle and all(c.utilisation == 0 and c.energy_from_grid_kwh == 0 for c in idle)
    grid = sum(c.energy_from_grid_kwh for c in summary.chargers)
    assert grid == pytest.approx(result.metadata.kpis.energy_from_grid_kwh, abs=0.01)


def test_vehicle_waits_add_up_to_the_events() -> None:
    result = default_week()
    summary = summarise(result)
    events = result.data["charging_events"]
    assert [v.vehicle_id for v in summary.vehicles] == [
        v.vehicle_id for v in result.metadata.vehicles
    ]
    assert sum(v.charging_events for v in summary.vehicles) == len(events)
    assert sum(v.total_wait_s for v in summary.vehicles) == pytest.approx(
        sum(event["wait_s"] for event in events)
    )
    assert max(v.max_wait_s for v in summary.vehicles) == result.metadata.kpis.max_wait_s


def test_stranded_trips_are_listed_with_where_and_by_how_much() -> None:
    result = short_range_week()
    summary = summarise(result)
    stranded = [trip for trip in result.data["trips"] if trip["stranded"]]
    assert stranded, "the short-range week must strand trips"
    assert summary.headline.stranded_trips == len(stranded) == result.metadata.kpis.stranded_trips
    assert not summary.headline.feasible
    assert summary.headline.stranded_vehicles == len({t["vehicle_id"] for t in stranded})
    listed = summary.stranded_trips
    assert len(stranded) > MAX_STRANDED_LISTED == len(listed)
    assert summary.stranded_trips_not_listed == len(stranded) - len(listed)
    assert [t.departure for t in listed] == sorted(t.departure for t in listed)
    assert all(t.shortfall_kwh is not None and t.shortfall_kwh > 0 for t in listed)
    per_vehicle = {v.vehicle_id: v.stranded_trips for v in summary.vehicles}
    assert sum(per_vehicle.values()) == len(stranded)


def summary_from_parsed_rows(result: CanonicalResult) -> dict[str, Any]:
    """The summary's row-derived fields computed from the whole parsed envelope, as plain
    list sums, filters and sorts (what `summarise` must equal, float for float)."""
    events = result.data["charging_events"]
    vehicles = []
    for vehicle in result.metadata.vehicles:
        waits = [e["wait_s"] for e in events if e["vehicle_id"] == vehicle.vehicle_id]
        vehicles.append(
            {
                **vehicle.model_dump(),
                "charging_events": len(waits),
                "total_wait_s": sum(waits),
                "max_wait_s": max(waits, default=0.0),
            }
        )
    chargers = []
    for charger_id, utilisation in sorted(result.metadata.kpis.charger_utilisation.items()):
        own = [e for e in events if e["charger_id"] == charger_id]
        waits = [e["wait_s"] for e in own]
        chargers.append(
            {
                "charger_id": charger_id,
                "utilisation": utilisation,
                "charging_events": len(own),
                "vehicles": len({e["vehicle_id"] for e in own}),
                "energy_from_grid_kwh": sum(e["energy_from_grid_kwh"] for e in own),
                "energy_to_battery_kwh": sum(e["energy_to_battery_kwh"] for e in own),
                "mean_wait_s": sum(waits) / len(waits) if waits else 0.0,
                "max_wait_s": max(waits, default=0.0),
            }
        )
    stranded = [trip for trip in result.data["trips"] if trip["stranded"]]
    stranded.sort(key=lambda trip: (trip["departure"], trip["vehicle_id"]))
    fields = StrandedTrip.model_fields
    return {
        "vehicles": vehicles,
        "chargers": chargers,
        "stranded_trips": [{f: t[f] for f in fields} for t in stranded[:MAX_STRANDED_LISTED]],
        "stranded_trips_not_listed": max(len(stranded) - MAX_STRANDED_LISTED, 0),
    }


@pytest.mark.parametrize("week", [default_week, short_range_week])
def test_summary_bytes_equal_those_of_the_parsed_rows(week: Callable[[], CanonicalResult]) -> None:
    result = CanonicalResult.from_json(week().json_bytes())
    summary = summarise(result)
    assert "data" not in result.__dict__, "summarise parsed the whole envelope"

    expected = ResultSummary.model_validate(
        {**summary.model_dump(), **summary_from_parsed_rows(result)}
    )
    assert summary.model_dump() == expected.model_dump()  # the same floats, before rounding
    assert canonical_json_bytes(summary) == canonical_json_bytes(expected)


def test_stranded_trips_lists_all_or_the_first_few_by_departure_then_vehicle() -> None:
    result = short_range_week()
    stranded = [trip for trip in result.data["trips"] if trip["stranded"]]
    stranded.sort(key=lambda trip: (trip["departure"], trip["vehicle_id"]))

    every = stranded_trips(result)

    assert len(every) == len(stranded) > MAX_STRANDED_LISTED
    fields = StrandedTrip.model_fields
    assert [t.model_dump(mode="json") for t in every] == [
        {f: t[f] for f in fields} for t in stranded
    ]
    assert stranded_trips(result, 7) == every[:7]
    assert stranded_trips(default_week()) == []
