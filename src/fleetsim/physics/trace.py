"""Speed traces at a fixed time step: a resampled drive cycle or one synthesised from a path."""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import CycleProfile, PathProfile, RouteProfile

_GRID_M = 2.0
"""Spacing of the distance grid on which a path's speed envelope is built, m."""


@dataclass(frozen=True, eq=False)
class DriveTrace:
    """A speed trace: step ``i`` lasts ``dt_s`` at ``speed_mps[i]`` on ``grade[i]``."""

    speed_mps: NDArray[np.float64]
    """Mean speed over each step, m/s."""
    grade: NDArray[np.float64]
    """Rise over run of each step."""
    position_m: NDArray[np.float64]
    """Distance along the route at the start of each step, m."""
    dt_s: float
    elevation_m: NDArray[np.float64] | None = None
    """Height above sea level at the middle of each step, m; None where the route has none."""


def drive_trace(
    route: RouteProfile,
    dt_s: float = 1.0,
    accel_mps2: float = 1.2,
    decel_mps2: float = 1.5,
    grade_smoothing_m: float = 50.0,
) -> DriveTrace:
    """Speed trace of a route at ``dt_s``: its drive cycle resampled, or synthesised from its path.

    A cycle is resampled so that distance and climb are kept exactly: position and height,
    integrated over the cycle's own steps, are interpolated at the new step boundaries.
    A path is driven at each segment's speed limit with bounded acceleration and
    deceleration, from rest at the start to rest at the end, stopping at every stop for its
    dwell; grade is the slope of the elevation smoothed over ``grade_smoothing_m``, and
    the elevation itself is kept for the air density. A cycle has grade but no elevation.
    Each step's speed is its mean speed, so ``sum(speed_mps) * dt_s`` is the route length.

    Parameters
    ----------
    route : RouteProfile
        The route; its ``cycle`` is used when present, else its ``path``.
    dt_s : float
        Step length, s.
    accel_mps2, decel_mps2 : float
        Bounds of acceleration and deceleration on a path, m/s², > 0.
    grade_smoothing_m : float
        Width of the moving average applied to a path's elevation, m, ≥ 0.

    Returns
    -------
    DriveTrace
        Speed, grade and position per step.
    """
    for name, value in (("dt_s", dt_s), ("accel_mps2", accel_mps2), ("decel_mps2", decel_mps2)):
        if not (math.isfinite(value) and value > 0.0):
            raise ValueError(f"{name} must be a positive number, got {value}")
    if not (math.isfinite(grade_smoothing_m) and grade_smoothing_m >= 0.0):
        raise ValueError(f"grade_smoothing_m must be >= 0, got {grade_smoothing_m}")
    if route.cycle is not None:
        return _cycle_trace(route.cycle, dt_s, route.id)
    if route.path is not None:
        return _path_trace(route.path, dt_s, accel_mps2, decel_mps2, grade_smoothing_m, route.id)
    raise ValueError(f"route {route.id!r} has neither a path nor a cycle")


def _cycle_trace(cycle: CycleProfile, dt_s: float, route_id: str) -> DriveTrace:
    time_s = np.asarray(cycle.time_s, dtype=np.float64)
    speed = np.asarray(cycle.speed_mps, dtype=np.float64)
    slope = np.asarray(cycle.grade, dtype=np.float64)
    if not time_s.size == speed.size == slope.size:
        raise ValueError(
            f"route {route_id!r}: cycle has {time_s.size} times, {speed.size} speeds "
            f"and {slope.size} grades; they must match"
        )
    widths = np.diff(time_s)
    if np.any(widths <= 0.0):
        raise ValueError(f"route {route_id!r}: cycle time_s must be strictly increasing")
    # Sample i holds over [t_i, t_i+1); the last sample lasts as long as the one before it.
    widths = np.append(widths, widths[-1])
    edges_s = np.concatenate(([0.0], np.cumsum(widths)))
    run_m = speed * widths
    distance_m = np.concatenate(([0.0], np.cumsum(run_m)))
    height_m = np.concatenate(([0.0], np.cumsum(run_m * np.sin(np.arctan(slope)))))

    boundaries_s = _step_boundaries_s(float(edges_s[-1]), dt_s)
    position_m = np.interp(boundaries_s, edges_s, distance_m)
    step_m = np.diff(position_m)
    climb_m = np.diff(np.interp(boundaries_s, edges_s, height_m))
    # Standing steps keep the grade of the cycle sample they fall in (no climb to average).
    mid_s = boundaries_s[:-1] + 0.5 * dt_s
    sample = np.clip(np.searchsorted(edges_s, mid_s, side="right") - 1, 0, slope.size - 1)
    sin_theta = np.sin(np.arctan(slope[sample]))
    np.divide(climb_m, step_m, out=sin_theta, where=step_m > 0.0)
    return DriveTrace(
        speed_mps=step_m / dt_s,
        grade=np.tan(np.arcsin(np.clip(sin_theta, -1.0, 1.0))),
        position_m=position_m[:-1],
        dt_s=dt_s,
    )


def _step_boundaries_s(duration_s: float, dt_s: float) -> NDArray[np.float64]:
    """Times 0, dt, 2·dt, ... up to the first at or after ``duration_s`` (one step at least)."""
    steps = max(1, math.ceil(duration_s / dt_s - 1e-9))
    return np.arange(steps + 1, dtype=np.float64) * dt_s


def _path_trace(
    path: PathProfile,
    dt_s: float,
    accel_mps2: float,
    decel_mps2: float,
    grade_smoothing_m: float,
    route_id: str,
) -> DriveTrace:
    vertex_m = np.asarray(path.distance_m, dtype=np.float64)
    limit_mps = np.asarray(path.speed_mps, dtype=np.float64)
    if limit_mps.size != vertex_m.size - 1:
        raise ValueError(
            f"route {route_id!r}: path has {vertex_m.size} vertices and {limit_mps.size} "
            f"segment speeds; expected {vertex_m.size - 1}"
        )
    if np.any(np.diff(vertex_m) < 0.0):
        raise ValueError(f"route {route_id!r}: path distance_m must be non-decreasing")
    if path.elevation_m is not None and len(path.elevation_m) != vertex_m.size:
        raise ValueError(
            f"route {route_id!r}: path has {vertex_m.size} vertices and "
            f"{len(path.elevation_m)} elevations"
        )
    if len(path.stop_position_m) != len(path.stop_dwell_s):
        raise ValueError(
            f"route {route_id!r}: {len(path.stop_position_m)} stop positions but "
            f"{len(path.stop_dwell_s)} dwell times"
        )
    # Work from the start of the path: smaller numbers keep v² = 2a·x + c accurate.
    start_m = float(vertex_m[0])
    along_m = vertex_m - start_m
    stop_m = np.clip(np.asarray(path.stop_position_m) - start_m, 0.0, along_m[-1])
    dwell_s = np.asarray(path.stop_dwell_s, dtype=np.float64)

    elevation_m = None if path.elevation_m is None else np.asarray(path.elevation_m)
    if along_m[-1] == 0.0:
        boundaries_s = _step_boundaries_s(float(dwell_s.sum()), dt_s)
        steps = boundaries_s.size - 1
        height = None if elevation_m is None else np.full(steps, float(elevation_m[-1]))
        return DriveTrace(np.zeros(steps), np.zeros(steps), np.full(steps, start_m), dt_s, height)

    grid_m, target_mps, inside_mps = _target_speed(along_m, limit_mps, stop_m)
    grid_m, speed_mps = _speed_profile(grid_m, target_mps, inside_mps, accel_mps2, decel_mps2)
    knot_s, knot_m, knot_mps = _timed_knots(
        grid_m, speed_mps, stop_m, dwell_s, accel_mps2, decel_mps2
    )
    boundaries_s = _step_boundaries_s(float(knot_s[-1]), dt_s)
    position_m = _position_at(boundaries_s, knot_s, knot_m, knot_mps)
    middle_m = 0.5 * (position_m[:-1] + position_m[1:])
    grade = _smoothed_grade(along_m, elevation_m, grade_smoothing_m, middle_m)
    step_elevation_m = None
    if elevation_m is not None:
        keep = _last_of_repeats(along_m)
        step_elevation_m = np.interp(middle_m, along_m[keep], elevation_m[keep])
    return DriveTrace(
        speed_mps=np.diff(position_m) / dt_s,
        grade=grade,
        position_m=position_m[:-1] + start_m,
        dt_s=dt_s,
        elevation_m=step_elevation_m,
    )


def _target_speed(
    vertex_m: NDArray[np.float64], limit_mps: NDArray[np.float64], stop_m: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Distance grid (≤ 2 m apart, holding every vertex and stop) and the speed caps on it.

    Returns the grid, the cap at each point (the lower of two segments' limits at a vertex;
    zero at the start, the end and every stop) and the cap inside each interval. Between
    two zero points a midpoint is added so that the vehicle has somewhere to move.
    """
    start_m, end_m = vertex_m[0], vertex_m[-1]
    points = max(2, math.ceil((end_m - start_m) / _GRID_M) + 1)
    grid_m = np.unique(np.concatenate((np.linspace(start_m, end_m, points), vertex_m, stop_m)))
    at_rest = np.isin(grid_m, np.concatenate(([start_m, end_m], stop_m)))
    both = at_rest[:-1] & at_rest[1:]
    if np.any(both):
        middles = 0.5 * (grid_m[:-1][both] + grid_m[1:][both])
        grid_m = np.insert(grid_m, np.flatnonzero(both) + 1, middles)
        at_rest = np.insert(at_rest, np.flatnonzero(both) + 1, False)
    last = limit_mps.size - 1
    after = np.clip(np.searchsorted(vertex_m, grid_m, side="right") - 1, 0, last)
    before = np.clip(np.searchsorted(vertex_m, grid_m, side="left") - 1, 0, last)
    target = np.minimum(limit_mps[after], limit_mps[before])
    target[at_rest] = 0.0
    middle_m = 0.5 * (grid_m[:-1] + grid_m[1:])
    inside = limit_mps[np.clip(np.searchsorted(vertex_m, middle_m, side="right") - 1, 0, last)]
    return grid_m, target, inside


def _speed_profile(
    distance_m: NDArray[np.float64],
    target_mps: NDArray[np.float64],
    inside_mps: NDArray[np.float64],
    accel_mps2: float,
    decel_mps2: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fastest speed under the caps with bounded acceleration and braking, and its grid.

    Forward, ``v_i² ≤ v_j² + 2a·(x_i - x_j)`` for every ``j ≤ i``, whose tightest bound is
    ``2a·x_i + min_{j≤i}(cap_j² - 2a·x_j)``; backward the same with ``b`` for ``j ≥ i``.
    The smaller of the two satisfies both. Inside an interval ``v²`` is the minimum of the
    forward line, the backward line and the interval's cap; the points where these cross
    are added to the grid, so that ``v²`` is linear in distance between grid points and
    the motion between them has constant acceleration.
    """
    two_a, two_b = 2.0 * accel_mps2, 2.0 * decel_mps2
    forward_c = np.minimum.accumulate(target_mps**2 - two_a * distance_m)
    backward_c = np.minimum.accumulate((target_mps**2 + two_b * distance_m)[::-1])[::-1]
    cap2 = inside_mps**2
    reach_cap_m = (cap2 - forward_c[:-1]) / two_a
    leave_cap_m = (backward_c[1:] - cap2) / two_b
    meet_m = (backward_c[1:] - forward_c[:-1]) / (two_a + two_b)
    crossings = np.concatenate((reach_cap_m, leave_cap_m, meet_m))
    interval = np.tile(np.arange(cap2.size), 3)
    inner = (crossings > distance_m[interval]) & (crossings < distance_m[interval + 1])
    if np.any(inner):
        added_m, first = np.unique(crossings[inner], return_index=True)
        added_in = interval[inner][first]
        position = np.searchsorted(distance_m, added_m)
        distance_m = np.insert(distance_m, position, added_m)
        target_mps = np.insert(target_mps, position, inside_mps[added_in])
    forward = np.minimum.accumulate(target_mps**2 - two_a * distance_m) + two_a * distance_m
    backward = np.minimum.accumulate((target_mps**2 + two_b * distance_m)[::-1])[::-1]
    backward -= two_b * distance_m
    return distance_m, np.sqrt(np.maximum(np.minimum(forward, backward), 0.0))


def _timed_knots(
    grid_m: NDArray[np.float64],
    speed_mps: NDArray[np.float64],
    stop_m: NDArray[np.float64],
    dwell_s: NDArray[np.float64],
    accel_mps2: float,
    decel_mps2: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Time, position and speed at each grid point, each stop repeated at its departure.

    Between grid points the acceleration is constant, so an interval takes
    ``2·dx / (v_i + v_i+1)``.
    """
    step_m = np.diff(grid_m)
    pair_mps = speed_mps[:-1] + speed_mps[1:]
    # Both ends at rest only after rounding: accelerate and brake over the tiny interval.
    rest_to_rest_s = np.sqrt(2.0 * step_m * (accel_mps2 + decel_mps2) / (accel_mps2 * decel_mps2))
    interval_s = np.divide(2.0 * step_m, pair_mps, out=rest_to_rest_s, where=pair_mps > 0.0)
    dwell_at = np.zeros_like(grid_m)
    np.add.at(dwell_at, np.searchsorted(grid_m, stop_m), dwell_s)
    arrival_s = np.concatenate(([0.0], np.cumsum(interval_s + dwell_at[:-1])))
    repeats = np.where(dwell_at > 0.0, 2, 1)
    knot_s = np.repeat(arrival_s, repeats)
    knot_s[np.cumsum(repeats)[repeats == 2] - 1] = (arrival_s + dwell_at)[repeats == 2]
    return knot_s, np.repeat(grid_m, repeats), np.repeat(speed_mps, repeats)


def _position_at(
    time_s: NDArray[np.float64],
    knot_s: NDArray[np.float64],
    knot_m: NDArray[np.float64],
    knot_mps: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Position at each time, moving with constant acceleration between knots."""
    k = np.clip(np.searchsorted(knot_s, time_s, side="right") - 1, 0, knot_s.size - 2)
    span_s = np.diff(knot_s)
    accel = np.divide(np.diff(knot_mps), span_s, out=np.zeros_like(span_s), where=span_s > 0.0)
    tau = np.clip(time_s - knot_s[k], 0.0, span_s[k])
    position = knot_m[k] + knot_mps[k] * tau + 0.5 * accel[k] * tau * tau
    position = np.clip(position, knot_m[k], knot_m[k + 1])
    position[time_s >= knot_s[-1]] = knot_m[-1]
    return position


def _smoothed_grade(
    vertex_m: NDArray[np.float64],
    elevation_m: NDArray[np.float64] | None,
    smoothing_m: float,
    at_m: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Slope of the elevation after a moving average of width ≥ ``smoothing_m``, at ``at_m``.

    The profile is extended past both ends by odd reflection, which keeps a straight ramp
    straight up to the ends and the smoothed end heights equal to the given ones.
    """
    if elevation_m is None or np.all(elevation_m == elevation_m[0]):
        return np.zeros_like(at_m)
    start_m, end_m = vertex_m[0], vertex_m[-1]
    points = max(3, math.ceil((end_m - start_m) / _GRID_M) + 1)
    even_m, spacing_m = np.linspace(start_m, end_m, points, retstep=True)
    keep = _last_of_repeats(vertex_m)
    height = np.interp(even_m, vertex_m[keep], elevation_m[keep])
    half = math.ceil(smoothing_m / (2.0 * spacing_m))
    window = 2 * half + 1
    padded = np.pad(height, half, mode="reflect", reflect_type="odd")
    total = np.concatenate(([0.0], np.cumsum(padded)))
    smooth = (total[window:] - total[:-window]) / window
    slope: NDArray[np.float64] = np.gradient(smooth, spacing_m)
    return np.interp(at_m, even_m, slope)


def _last_of_repeats(vertex_m: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Mask of the last of each run of equal distances: np.interp needs increasing x."""
    return np.append(np.diff(vertex_m) > 0.0, True)
