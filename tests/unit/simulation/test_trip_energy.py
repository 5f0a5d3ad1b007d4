"""Trip energy per (type, route, temperature): the route's elevation sets the air density."""

import numpy as np
import pytest
from builders import vehicle

from fleetsim.models import PathProfile, RouteProfile
from fleetsim.physics import drive_trace, trace_energy
from fleetsim.simulation.trip_energy import combine_trips, combo_energy


def flat_route(route_id: str, elevation_m: float | None) -> RouteProfile:
    heights = None if elevation_m is None else [elevation_m] * 3
    path = PathProfile(
        distance_m=[0.0, 5000.0, 10_000.0], elevation_m=heights, speed_mps=[25.0] * 2
    )
    return RouteProfile(
        id=route_id, start=(11.5, 48.1), end=(11.5, 48.1), length_km=10.0, path=path
    )


def test_trip_energy_uses_the_route_elevation_and_the_temperature() -> None:
    routes = [flat_route("sea", None), flat_route("alps", 1500.0)]
    # rows: (type, route, temperature in 0.1 °C bins)
    combos = np.array([[0, 0, 200], [0, 1, 200], [0, 1, -100]])
    energy = combo_energy(combos, [vehicle()], routes)
    trace = drive_trace(routes[1])
    at_altitude = trace_energy(
        vehicle(), trace.speed_mps, trace.grade, ambient_c=20.0, elevation_m=1500.0
    )
    assert energy.net_kwh[1] == pytest.approx(at_altitude.net_kwh[0], rel=1e-12)
    assert energy.net_kwh[1] < energy.net_kwh[0]  # thinner air at 1500 m
    assert energy.net_kwh[2] > energy.net_kwh[1]  # denser air at -10 °C


def test_combined_trips_are_the_distinct_rows_in_order_and_each_trip_finds_its_own() -> None:
    rng = np.random.default_rng(3)
    vehicle_type = rng.integers(0, 4, 2_000)
    route = rng.integers(0, 7, 2_000)
    ambient_c = rng.choice([-12.34, -0.05, 0.0, 3.1, 21.7], 2_000)
    combos, combo = combine_trips(vehicle_type, route, ambient_c)
    rows = np.stack([vehicle_type, route, np.round(ambient_c / 0.1).astype(np.intp)], axis=1)
    assert [tuple(c) for c in combos.tolist()] == sorted({tuple(r) for r in rows.tolist()})
    assert (combos[combo] == rows).all()
