"""A leap year of a small fleet in Munich local time: 366 days, both DST changes, twelve
billing months; the result is deterministic, keeps every invariant, follows local time, and
coarsening its series changes no KPI."""

import json
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from builders import DEPOT, build, charger, loop_route, vehicle
from invariants import check_invariants

from fleetsim.models import (
    CanonicalResult,
    FleetVehicle,
    Horizon,
    ResolvedRequest,
    SiteSpec,
    Tariff,
    TariffWindow,
    Trip,
    canonical_json_bytes,
)
from fleetsim.simulation import FleetRun, simulate_fleet
from fleetsim.simulation.envelope import build_result

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2028, 1, 1, tzinfo=BERLIN)  # 2028 is a leap year
SPRING, AUTUMN = date(2028, 3, 26), date(2028, 10, 29)  # DST starts, ends (EU rules)
STEP_S = 900


def tariff() -> Tariff:
    """Dear 17:00-20:00 local, with a demand charge billed per month."""
    return Tariff(
        id="tou",
        default_price_per_kwh=0.20,
        windows=[TariffWindow(start=time(17), end=time(20), price_per_kwh=0.60)],
        demand_charge_per_kw=10.0,
    )


@cache
def year_request(**sizing: int) -> ResolvedRequest:
    fleet = [FleetVehicle(id=f"v{i}", type="van", depot="depot") for i in range(3)]
    schedule = [
        Trip(vehicle_id=v.id, route_id="loop", departure=time(hour, 15 * i))
        for i, v in enumerate(fleet)
        for hour in (6, 17)
    ]
    request = build(
        fleet,
        schedule,
        vehicles=[vehicle(max_dc_charge_kw=30.0)],
        chargers=[charger(ports=2, price_per_kwh=None)],
        routes=[loop_route(length_m=40_000)],
        site_limit_kw=50.0,
        tariffs=[tariff()],
        horizon=Horizon(start=START, days=366, timezone="Europe/Berlin"),
        step_s=STEP_S,
        weather={"ambient_c": [-5.0 + 20.0 * np.sin(np.pi * h / 8784) for h in range(8784)]},
        **sizing,
    )
    sites = {"depot": SiteSpec(id="depot", location=DEPOT, site_power_limit_kw=50.0, tariff="tou")}
    return request.model_copy(update={"sites": sites})


@cache
def year(**sizing: int) -> tuple[FleetRun, CanonicalResult]:
    resolved = year_request(**sizing)
    run = simulate_fleet(resolved)
    return run, build_result(resolved, run)


def rows(result: CanonicalResult, part: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(bytes(result.part_view(part)))
    return data


def test_a_year_is_deterministic_and_canonical() -> None:
    _, result = year()
    again = build_result(year_request(), simulate_fleet(year_request()))
    assert again.json_bytes() == result.json_bytes()
    assert result.json_bytes() == canonical_json_bytes(result.model())


def test_invariants_hold_over_a_year() -> None:
    run, result = year()
    check_invariants(run)
    assert result.metadata.kpis.feasible
    assert len(run.trip_vehicle) == 366 * 6


def test_trips_leave_at_local_wall_time_through_both_dst_changes() -> None:
    _, result = year()
    first_vehicle = sorted(
        datetime.fromisoformat(t["departure"])
        for t in rows(result, "trips")
        if t["vehicle_id"] == "v0"
    )
    mornings = [d for d in first_vehicle if d.hour == 6]
    assert len(mornings) == 366
    assert {(d.hour, d.minute) for d in mornings} == {(6, 0)}
    offsets = {d.date(): d.utcoffset() for d in mornings}
    assert offsets[SPRING - timedelta(days=1)] == timedelta(hours=1)
    assert offsets[SPRING] == offsets[AUTUMN - timedelta(days=1)] == timedelta(hours=2)
    assert offsets[AUTUMN] == timedelta(hours=1)
    # The day of each change is 23 h and 25 h long in elapsed time.
    by_date = {d.date(): d for d in mornings}
    assert by_date[SPRING] - by_date[SPRING - timedelta(days=1)] == timedelta(hours=23)
    assert by_date[AUTUMN] - by_date[AUTUMN - timedelta(days=1)] == timedelta(hours=25)


def test_the_dear_window_is_local_evening_in_summer_too() -> None:
    _, result = year()
    priced: dict[float, int] = {}
    for event in rows(result, "charging_events"):
        plugged = datetime.fromisoformat(event["plugged_in"])
        end = datetime.fromisoformat(event["end"])
        if not (SPRING < plugged.date() < AUTUMN and event["energy_from_grid_kwh"] > 0.1):
            continue
        if plugged.date() != end.date():
            continue
        for window, price in (((17, 20), 0.60), ((6, 17), 0.20)):
            inside = window[0] <= plugged.hour and (end.hour, end.minute) <= (window[1], 0)
            if inside:
                assert event["cost"] == pytest.approx(price * event["energy_from_grid_kwh"], 1e-3)
                priced[price] = priced.get(price, 0) + 1
    assert priced.get(0.60, 0) > 10 and priced.get(0.20, 0) > 10, priced


def test_demand_charges_bill_twelve_months_of_the_year() -> None:
    _, result = year()
    site = result.metadata.kpis.sites["depot"]
    assert site.peak_15min_kw > 0
    # Each month's bill is its own peak in full (the year covers every month wholly), so the
    # year's charge lies between twelve times the lowest month and twelve times the highest.
    assert 10.0 * site.peak_15min_kw <= site.demand_charge <= 12 * 10.0 * site.peak_15min_kw
    assert site.demand_charge > 10.0 * site.peak_15min_kw  # more than one month billed


def test_result_times_carry_the_local_offset() -> None:
    _, result = year()
    horizon = result.metadata.horizon
    assert horizon.start == START and horizon.end == START + timedelta(days=366)
    series = rows(result, "site_load")
    july = next(p["t"] for p in series if p["t"].startswith("2028-07-01T12:00"))
    january = next(p["t"] for p in series if p["t"].startswith("2028-01-15T12:00"))
    assert july.endswith("+02:00") and january.endswith("+01:00")
    assert len(series) == 366 * 24 * 4  # every step, none lost or doubled by the changes


def test_coarsening_the_series_changes_no_kpi_and_keeps_its_energy() -> None:
    fine_run, fine = year()
    coarse_run, coarse = year(max_points=3 * 366)  # one sample a day per vehicle
    assert coarse.metadata.time_series_resolution_s == 86_400
    assert fine.metadata.time_series_resolution_s == 300 * 3  # step_s rounds it: 900
    assert coarse.metadata.kpis == fine.metadata.kpis
    assert coarse.part_view("trips") == fine.part_view("trips")
    assert coarse.part_view("charging_events") == fine.part_view("charging_events")
    assert coarse.part_view("site_load") == fine.part_view("site_load")
    per_day = fine_run.series_power_kw.reshape(-1, 96, 3)  # 96 samples of 900 s a day
    np.testing.assert_allclose(coarse_run.series_power_kw, per_day.mean(axis=1), atol=1e-9)
    np.testing.assert_array_equal(coarse_run.series_soc, fine_run.series_soc[::96])
