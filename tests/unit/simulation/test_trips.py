"""Trips: schedule expansion, energy drawn, overlaps, stranding as a result."""

import math
from collections.abc import Callable
from datetime import date, time

import numpy as np
import pytest
from builders import START, loop_route, vehicle

from fleetsim.models import FleetVehicle, Horizon, ResolvedRequest, Trip, canonical_json_bytes
from fleetsim.models.result import FLOAT_DECIMALS
from fleetsim.physics import drive_trace, trace_energy
from fleetsim.simulation import simulate, simulate_fleet
from fleetsim.simulation.schedule import expand_schedule

Make = Callable[..., ResolvedRequest]
VAN = FleetVehicle(id="v1", type="van", depot="depot")


def test_weekdays_select_days_in_local_time(make: Make) -> None:
    trip = Trip(
        vehicle_id="v1",
        route_id="loop",
        departure=time(7, 30),
        weekdays=["mon", "tue", "wed", "thu", "fri"],
    )
    request = make([VAN], [trip], horizon=Horizon(start=START, days=7))
    table = expand_schedule(request.scenario, ["v1"], ["loop"])
    assert table.departure_s.tolist() == [d * 86_400 + 7.5 * 3600 for d in range(5)]


def test_dates_restrict_a_trip_to_those_days(make: Make) -> None:
    trip = Trip(
        vehicle_id="v1",
        route_id="loop",
        departure=time(8),
        dates=[date(2026, 3, 4), date(2026, 4, 1)],
    )
    request = make([VAN], [trip], horizon=Horizon(start=START, days=7))
    table = expand_schedule(request.scenario, ["v1"], ["loop"])
    assert table.departure_s.tolist() == [2 * 86_400 + 8 * 3600]


def test_trip_draws_the_energy_the_physics_gives(make: Make) -> None:
    route = loop_route(length_m=20_000)
    request = make(
        [VAN],
        [Trip(vehicle_id="v1", route_id="loop", departure=time(8))],
        routes=[route],
        chargers=[],
    )
    run = simulate_fleet(request)
    trace = drive_trace(route)
    expected = float(trace_energy(vehicle(), trace.speed_mps, trace.grade, trace.dt_s).net_kwh[0])
    assert run.trip_energy_used_kwh[0] == pytest.approx(expected, rel=1e-9)
    assert run.trip_distance_km[0] == pytest.approx(20.0, abs=0.05)
    assert run.trip_soc_end[0] == pytest.approx(1.0 - expected / 100.0, rel=1e-9)
    assert not run.trip_stranded[0]
    # The envelope reports the same trip, rounded to FLOAT_DECIMALS.
    result = simulate(request)
    assert result.model().trips[0].energy_used_kwh == round(expected, FLOAT_DECIMALS)
    assert result.metadata.kpis.feasible


def test_overlapping_trip_is_delayed_to_the_step_after_the_previous_arrival(make: Make) -> None:
    schedule = [
        Trip(vehicle_id="v1", route_id="loop", departure=time(8, 0)),
        Trip(vehicle_id="v1", route_id="loop", departure=time(8, 5)),
    ]
    request = make([VAN], schedule, routes=[loop_route(length_m=30_000)], chargers=[])
    run = simulate_fleet(request)
    first_end = run.trip_departure_s[0] + run.trip_duration_s[0]
    assert run.trip_departure_s[1] == math.ceil(first_end / 300) * 300
    assert any("delayed" in w for w in run.warnings)


def test_too_small_battery_is_stranded_and_the_run_goes_on(make: Make) -> None:
    # 5 kWh usable, reserve 10 %: 4.5 kWh available on a 100 km trip that needs far more.
    small = vehicle(battery_usable_kwh=5.0)
    route = loop_route(length_m=100_000, speed_mps=20.0)
    schedule = [Trip(vehicle_id="v1", route_id="loop", departure=time(6))]
    request = make(
        [VAN],
        schedule,
        vehicles=[small],
        routes=[route],
        chargers=[],
        horizon=Horizon(start=make([VAN]).scenario.horizon.start, days=2),
    )
    run = simulate_fleet(request)
    assert run.trip_stranded.tolist() == [True, True]
    trace = drive_trace(route)
    need = float(trace_energy(small, trace.speed_mps, trace.grade, trace.dt_s).net_kwh[0])
    assert run.trip_shortfall_kwh[0] == pytest.approx(need - 4.5, rel=1e-9)
    # Nearly constant speed: the energy per km is nearly uniform along the route.
    assert run.trip_stranded_at_km[0] == pytest.approx(4.5 / need * 100.0, rel=0.05)
    assert run.trip_soc_end[0] == pytest.approx(0.1)
    assert run.min_soc[0] == pytest.approx(0.1)
    kpis = simulate(request).metadata.kpis
    assert not kpis.feasible and kpis.stranded_trips == 2


def test_no_charging_while_driving(make: Make) -> None:
    schedule = [Trip(vehicle_id="v1", route_id="loop", departure=time(h)) for h in (6, 12, 18)]
    request = make(
        [FleetVehicle(id="v1", type="van", depot="depot", initial_soc=0.6)],
        schedule,
        routes=[loop_route(length_m=40_000)],
    )
    run = simulate_fleet(request)
    trips = np.stack([run.trip_departure_s, run.trip_departure_s + run.trip_duration_s], 1)
    for start, end in zip(run.events["plugged_in_s"], run.events["end_s"], strict=True):
        for leave, back in trips:
            assert end <= leave + 1e-6 or start >= back - 1e-6
    assert math.isclose(run.soc_end[0], 1.0)


def test_stranded_envelope_is_the_canonical_form_of_its_model(make: Make) -> None:
    # A stranded trip carries the only optional numbers of the envelope.
    request = make(
        [VAN],
        [Trip(vehicle_id="v1", route_id="loop", departure=time(8))],
        vehicles=[vehicle(battery_usable_kwh=2.0)],
        routes=[loop_route(length_m=40_000)],
        chargers=[],
    )
    result = simulate(request)
    trip = result.model().trips[0]
    assert trip.stranded and trip.stranded_at_km is not None and trip.shortfall_kwh is not None
    assert result.json_bytes() == canonical_json_bytes(result.model())
