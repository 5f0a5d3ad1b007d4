from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetsim.models import CycleProfile, PathProfile, RouteProfile, VehicleSpec
from fleetsim.physics import DriveTrace, drive_trace, trace_energy

UDDS_CSV = Path(__file__).resolve().parents[3] / "config" / "cycles" / "udds.csv"


def path_route(**path: Any) -> RouteProfile:
    profile = PathProfile.model_validate(path)
    length_km = max(profile.distance_m[-1] - profile.distance_m[0], 1.0) / 1000.0
    return RouteProfile(
        id="r1", start=(0.0, 0.0), end=(0.0, 0.0), length_km=length_km, path=profile
    )


def cycle_route(time_s: Any, speed_mps: Any, grade: Any) -> RouteProfile:
    cycle = CycleProfile(time_s=list(time_s), speed_mps=list(speed_mps), grade=list(grade))
    return RouteProfile(id="c1", start=(0.0, 0.0), end=(0.0, 0.0), length_km=1.0, cycle=cycle)


def town_route() -> RouteProfile:
    return path_route(
        distance_m=[0.0, 700.0, 1500.0],
        speed_mps=[13.9, 8.3],
        stop_position_m=[400.0, 1000.0],
        stop_dwell_s=[20.0, 45.0],
    )


def distance_m(trace: DriveTrace) -> float:
    return float(trace.speed_mps.sum() * trace.dt_s)


@pytest.mark.parametrize("dt_s", [0.5, 1.0, 2.0])
def test_distance_driven_equals_route_length(dt_s: float) -> None:
    trace = drive_trace(town_route(), dt_s=dt_s)
    assert distance_m(trace) == pytest.approx(1500.0, abs=1e-6)
    assert trace.position_m[0] == 0.0
    assert trace.speed_mps.shape == trace.grade.shape == trace.position_m.shape
    assert trace.dt_s == dt_s


@pytest.mark.parametrize("dt_s", [0.5, 1.0, 2.0])
def test_acceleration_and_braking_stay_within_bounds(dt_s: float) -> None:
    trace = drive_trace(town_route(), dt_s=dt_s, accel_mps2=1.2, decel_mps2=1.5)
    accel = np.diff(trace.speed_mps) / dt_s
    assert accel.max() <= 1.2 + 1e-9
    assert accel.min() >= -1.5 - 1e-9
    assert accel.max() > 1.1  # the bounds are reached, not merely respected
    assert accel.min() < -1.4


def test_speed_never_exceeds_the_limit_of_the_segments_driven() -> None:
    trace = drive_trace(town_route())
    vertex_m, limit = np.array([0.0, 700.0, 1500.0]), np.array([13.9, 8.3])
    step_start = trace.position_m
    step_end = step_start + trace.speed_mps * trace.dt_s
    for start, end, speed in zip(step_start, step_end, trace.speed_mps, strict=True):
        touched = (vertex_m[:-1] <= end) & (vertex_m[1:] >= start)
        assert speed <= limit[touched].max() + 1e-9
    assert np.isclose(trace.speed_mps, 13.9).any()  # each limit is reached on the way
    assert np.isclose(trace.speed_mps, 8.3).sum() > 10


def test_vehicle_rests_for_the_dwell_at_each_stop() -> None:
    trace = drive_trace(town_route())
    for stop_m, dwell_s in ((400.0, 20.0), (1000.0, 45.0)):
        resting = (trace.speed_mps == 0.0) & np.isclose(trace.position_m, stop_m)
        assert dwell_s - 1 <= resting.sum() <= dwell_s
    no_dwell = drive_trace(
        path_route(
            distance_m=[0.0, 700.0, 1500.0],
            speed_mps=[13.9, 8.3],
            stop_position_m=[400.0, 1000.0],
            stop_dwell_s=[0.0, 0.0],
        )
    )
    assert trace.speed_mps.size - no_dwell.speed_mps.size == pytest.approx(65, abs=1)


def test_single_segment_takes_the_trapezoidal_profile_time() -> None:
    # 1000 m at 15 m/s: 15/1.2 s up, 15/1.5 s down, (1000 - 93.75 - 75) / 15 s cruising
    duration_s = 15.0 / 1.2 + 15.0 / 1.5 + (1000.0 - 15.0**2 / 2.4 - 15.0**2 / 3.0) / 15.0
    trace = drive_trace(path_route(distance_m=[0.0, 1000.0], speed_mps=[15.0]))
    assert duration_s == pytest.approx(77.92, abs=0.01)
    assert trace.speed_mps.size == 78  # ceil(77.92)
    assert trace.speed_mps.max() == pytest.approx(15.0, abs=1e-9)
    assert trace.speed_mps.max() <= 15.0 + 1e-9


def test_route_too_short_to_reach_speed_still_reaches_the_end() -> None:
    # 3 m: peak v² = 2·1.2·1.5·3 / 2.7 = 4, i.e. 2 m/s, after 2/1.2 + 2/1.5 = 3 s
    trace = drive_trace(path_route(distance_m=[10.0, 13.0], speed_mps=[20.0]))
    assert distance_m(trace) == pytest.approx(3.0, abs=1e-9)
    assert trace.position_m[0] == 10.0
    assert trace.speed_mps.size == 3
    assert trace.speed_mps.max() < 2.0


def test_stops_at_the_ends_and_close_together_are_driven() -> None:
    trace = drive_trace(
        path_route(
            distance_m=[0.0, 0.5, 1.0],
            speed_mps=[10.0, 10.0],
            stop_position_m=[0.0, 0.3, 0.3, 1.0],
            stop_dwell_s=[5.0, 3.0, 4.0, 6.0],
        )
    )
    assert distance_m(trace) == pytest.approx(1.0, abs=1e-9)
    assert (trace.speed_mps == 0.0).sum() >= 5 + 7 + 6 - 3


def test_zero_length_route_is_only_its_dwell() -> None:
    trace = drive_trace(
        path_route(
            distance_m=[50.0, 50.0], speed_mps=[10.0], stop_position_m=[50.0], stop_dwell_s=[30.0]
        )
    )
    np.testing.assert_array_equal(trace.speed_mps, np.zeros(30))
    np.testing.assert_array_equal(trace.position_m, np.full(30, 50.0))


def test_elevation_ramp_gives_its_grade() -> None:
    # 50 m up over 1000 m between flat approaches: grade 0.05 away from the ramp's ends
    trace = drive_trace(
        path_route(
            distance_m=[0.0, 500.0, 1500.0, 2000.0],
            elevation_m=[0.0, 0.0, 50.0, 50.0],
            speed_mps=[10.0, 10.0, 10.0],
        ),
        grade_smoothing_m=50.0,
    )
    on_ramp = (trace.position_m > 560.0) & (trace.position_m < 1430.0)
    off_ramp = (trace.position_m < 440.0) | (trace.position_m > 1560.0)
    np.testing.assert_allclose(trace.grade[on_ramp], 0.05, atol=1e-9)
    np.testing.assert_allclose(trace.grade[off_ramp], 0.0, atol=1e-9)
    climb_m = np.sum(np.sin(np.arctan(trace.grade)) * trace.speed_mps * trace.dt_s)
    assert climb_m == pytest.approx(50.0 / np.sqrt(1 + 0.05**2), abs=0.2)


def test_path_elevation_is_kept_at_the_middle_of_each_step() -> None:
    # a 1 % ramp from 500 m: each step's elevation is 500 + 0.01 · its middle position
    trace = drive_trace(
        path_route(distance_m=[0.0, 1000.0], elevation_m=[500.0, 510.0], speed_mps=[10.0])
    )
    assert trace.elevation_m is not None
    middle_m = trace.position_m + 0.5 * trace.speed_mps * trace.dt_s
    np.testing.assert_allclose(trace.elevation_m, 500.0 + 0.01 * middle_m)


def test_routes_without_elevation_have_none() -> None:
    assert drive_trace(town_route()).elevation_m is None
    cycle = drive_trace(cycle_route([0.0, 1.0, 2.0], [0.0, 5.0, 0.0], [0.0, 0.1, 0.0]))
    assert cycle.elevation_m is None


def test_elevation_is_smoothed_over_the_smoothing_distance() -> None:
    # a 10 m step within 1 m becomes a ramp at least 50 m long: grade ≤ 10/50
    route = path_route(
        distance_m=[0.0, 1000.0, 1001.0, 2000.0],
        elevation_m=[0.0, 0.0, 10.0, 10.0],
        speed_mps=[10.0, 10.0, 10.0],
    )
    smoothed = drive_trace(route, grade_smoothing_m=50.0)
    raw = drive_trace(route, grade_smoothing_m=0.0)
    assert 0.1 < smoothed.grade.max() <= 10.0 / 50.0
    assert raw.grade.max() > 10.0 / 50.0


def test_cycle_at_its_own_step_is_returned_unchanged() -> None:
    cycle = np.loadtxt(UDDS_CSV, delimiter=",", skiprows=1)
    trace = drive_trace(cycle_route(cycle[:, 0], cycle[:, 1], cycle[:, 2]))
    np.testing.assert_allclose(trace.speed_mps, cycle[:, 1], atol=1e-9)
    np.testing.assert_array_equal(trace.grade, cycle[:, 2])
    np.testing.assert_allclose(trace.position_m[1:], np.cumsum(cycle[:-1, 1]), rtol=1e-12)


@pytest.mark.parametrize("dt_s", [0.5, 2.0, 3.0, 7.0])
def test_cycle_resampling_preserves_distance_and_climb(dt_s: float) -> None:
    cycle = np.loadtxt(UDDS_CSV, delimiter=",", skiprows=1)
    grade = 0.04 * np.sin(np.arange(cycle.shape[0]) / 40.0)
    trace = drive_trace(cycle_route(cycle[:, 0] + 100.0, cycle[:, 1], grade), dt_s=dt_s)
    assert distance_m(trace) == pytest.approx(cycle[:, 1].sum(), rel=1e-12)
    assert trace.speed_mps.size == int(np.ceil(1370 / dt_s))
    climb_m = np.sum(np.sin(np.arctan(trace.grade)) * trace.speed_mps * dt_s)
    assert climb_m == pytest.approx(np.sum(np.sin(np.arctan(grade)) * cycle[:, 1]), abs=1e-6)


def test_cycle_resampled_trace_feeds_trace_energy() -> None:
    cycle = np.loadtxt(UDDS_CSV, delimiter=",", skiprows=1)
    trace = drive_trace(cycle_route(cycle[:, 0], cycle[:, 1], cycle[:, 2]), dt_s=2.0)
    car = VehicleSpec(
        id="car",
        mass_kg=1500.0,
        drag_coefficient=0.3,
        frontal_area_m2=2.0,
        rolling_resistance=0.01,
        drivetrain_efficiency=0.9,
        max_motor_power_kw=100.0,
        max_regen_power_kw=50.0,
        battery_usable_kwh=60.0,
        max_ac_charge_kw=11.0,
        max_dc_charge_kw=100.0,
    )
    result = trace_energy(car, trace.speed_mps, trace.grade, dt_s=trace.dt_s)
    assert result.distance_km[0] == pytest.approx(cycle[:, 1].sum() / 1000.0)
    assert 0.05 < result.kwh_per_km[0] < 0.2


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (
            RouteProfile(id="bare", start=(0.0, 0.0), end=(0.0, 0.0), length_km=1.0),
            "'bare' has neither a path nor a cycle",
        ),
        (
            path_route(distance_m=[0.0, 10.0, 20.0], speed_mps=[5.0]),
            "'r1': path has 3 vertices and 1 segment speeds",
        ),
        (
            path_route(distance_m=[0.0, 10.0, 5.0], speed_mps=[5.0, 5.0]),
            "non-decreasing",
        ),
        (
            path_route(distance_m=[0.0, 10.0], speed_mps=[5.0], stop_position_m=[1.0]),
            "1 stop positions but 0 dwell times",
        ),
        (cycle_route([0.0, 1.0, 1.0], [0.0, 1.0, 0.0], [0.0] * 3), "strictly increasing"),
        (cycle_route([0.0, 1.0, 2.0], [0.0, 1.0], [0.0] * 3), "must match"),
    ],
)
def test_malformed_routes_are_refused(route: RouteProfile, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        drive_trace(route)


def test_non_positive_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="decel_mps2"):
        drive_trace(town_route(), decel_mps2=0.0)


paths = st.integers(1, 6).flatmap(
    lambda segments: st.tuples(
        st.lists(st.floats(0.0, 400.0), min_size=segments, max_size=segments),
        st.lists(st.floats(1.0, 30.0), min_size=segments, max_size=segments),
        st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 30.0)), max_size=4),
        st.sampled_from([0.5, 1.0, 2.0]),
    )
)


@settings(max_examples=60, deadline=None)
@given(paths)
def test_any_path_is_driven_to_its_end_within_the_bounds(
    path: tuple[list[float], list[float], list[tuple[float, float]], float],
) -> None:
    lengths, limits, stops, dt_s = path
    vertex_m = 1000.0 + np.concatenate(([0.0], np.cumsum(lengths)))
    length_m = vertex_m[-1] - vertex_m[0]
    route = path_route(
        distance_m=list(vertex_m),
        speed_mps=limits,
        stop_position_m=[vertex_m[0] + share * length_m for share, _ in stops],
        stop_dwell_s=[dwell for _, dwell in stops],
    )
    trace = drive_trace(route, dt_s=dt_s)
    accel = np.diff(trace.speed_mps) / dt_s
    assert distance_m(trace) == pytest.approx(length_m, abs=1e-6)
    assert np.all(accel <= 1.2 + 1e-9)
    assert np.all(accel >= -1.5 - 1e-9)
    assert np.all(trace.speed_mps >= 0.0)
    assert trace.speed_mps.max() <= max(limits) + 1e-9
    assert trace.speed_mps.size * dt_s >= sum(dwell for _, dwell in stops)
