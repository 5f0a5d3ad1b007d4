"""A run's cost, estimated from its resolved input before any work, and the bounds a door
puts on it: a synchronous run's are smaller than a queued job's."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fleetsim.models import ResolvedRequest, RouteProfile, Trip
from fleetsim.settings import Settings
from fleetsim.simulation import horizon_steps, series_point_count, vehicle_steps
from fleetsim.simulation.trip_energy import TEMPERATURE_RESOLUTION_C

BYTES_PER_POINT = 120
"""Canonical JSON of one time-series row (time, vehicle id, SoC, odometer, state, power)."""
BYTES_PER_TRIP = 350
"""Canonical JSON of one trip row (ids, times, distance, energy, SoC, stranding): ~330."""
BYTES_PER_EVENT = 420
"""Canonical JSON of one charging event or session row: ~400."""
OPTIMAL_WORK_FACTOR = 10
"""`optimal` runs greedy first and then a linear program per window: measured 5-10 times a
greedy run's time on the default week, the ACN case and a contended depot."""


@dataclass(frozen=True)
class WorkEstimate:
    """What a run will do and produce."""

    vehicle_steps: int
    """Time steps times vehicles: the fleet loop's work."""
    trace_s: float
    """1 Hz trace seconds the physics evaluates: each route's drive time, once per vehicle
    type and ambient temperature that drive it."""
    output_points: int
    """Time-series rows (after coarsening to the scenario's max_points) plus site-load rows."""
    trips: int
    """Trips the schedule makes over the horizon (at most)."""
    stays: int
    """Charging events and sessions: one stay after each trip, one before each vehicle's
    first, and each session."""

    @property
    def result_bytes(self) -> int:
        return (
            self.output_points * BYTES_PER_POINT
            + self.trips * BYTES_PER_TRIP
            + self.stays * BYTES_PER_EVENT
        )


@dataclass(frozen=True)
class WorkLimits:
    """The bounds one door puts on a run; each names its setting in refusals."""

    vehicle_steps: tuple[int, str]
    trace_s: tuple[float, str]
    result_bytes: tuple[int, str]


class WorkLimitError(Exception):
    """A run whose estimate is above a bound: refused before any work."""


def estimate_work(resolved: ResolvedRequest) -> WorkEstimate:
    """The estimate of `resolved`; cheap (no trace is built)."""
    scenario = resolved.scenario
    types_of = {vehicle.id: vehicle.type for vehicle in scenario.fleet}
    ambient = scenario.weather.ambient_c
    values = ambient[: scenario.horizon.days * 24] if isinstance(ambient, list) else [ambient]
    temperatures = len(np.unique(np.round(np.asarray(values) / TEMPERATURE_RESOLUTION_C)))
    types_by_route: dict[str, set[str]] = {}
    for trip in scenario.schedule:
        types_by_route.setdefault(trip.route_id, set()).add(types_of.get(trip.vehicle_id, ""))
    trace_s = sum(
        _drive_s(resolved.routes[route_id]) * len(types) * temperatures
        for route_id, types in types_by_route.items()
        if route_id in resolved.routes
    )
    points = series_point_count(resolved)
    trips = _trips_over_horizon(scenario.schedule, scenario.horizon.days)
    factor = OPTIMAL_WORK_FACTOR if scenario.strategy == "optimal" else 1
    return WorkEstimate(
        vehicle_steps=vehicle_steps(resolved) * factor,
        trace_s=trace_s,
        output_points=min(
            points, scenario.max_points + horizon_steps(resolved) * len(resolved.sites)
        ),
        trips=trips,
        stays=trips + len(scenario.fleet) + len(scenario.sessions),
    )


def _trips_over_horizon(schedule: Sequence[Trip], days: int) -> int:
    """Each trip's departures within `days` days (its dates, or its weekdays' share of the
    days, rounded up): an upper bound, cheap to count."""
    return sum(
        min(len(trip.dates), days) if trip.dates is not None else -(-days * len(trip.weekdays) // 7)
        for trip in schedule
    )


def _drive_s(route: RouteProfile) -> float:
    """Seconds to drive the route once at its speeds, stops included."""
    if route.cycle is not None:
        return route.cycle.time_s[-1] - route.cycle.time_s[0]
    assert route.path is not None
    path = route.path
    segment_m = np.diff(np.asarray(path.distance_m))
    return float((segment_m / np.asarray(path.speed_mps)).sum() + sum(path.stop_dwell_s))


def check_work(estimate: WorkEstimate, limits: WorkLimits) -> None:
    """Raise WorkLimitError naming the first bound the estimate is above, and by how much."""
    checks = (
        (
            "vehicle-steps (time steps x vehicles; x10 for optimal)",
            estimate.vehicle_steps,
            limits.vehicle_steps,
        ),
        ("seconds of 1 Hz driving to simulate", estimate.trace_s, limits.trace_s),
        ("bytes of result", estimate.result_bytes, limits.result_bytes),
    )
    for what, value, (limit, setting) in checks:
        if value > limit:
            raise WorkLimitError(
                f"the run would take {value:,.0f} {what}, above the limit of {limit:,.0f} "
                f"({setting})"
            )


def sync_limits(settings: Settings) -> WorkLimits:
    """The bounds of `POST /v1/simulations:run`."""
    return WorkLimits(
        vehicle_steps=(settings.sync_max_vehicle_steps, "FLEETSIM_SYNC_MAX_VEHICLE_STEPS"),
        trace_s=(settings.sync_max_trace_s, "FLEETSIM_SYNC_MAX_TRACE_S"),
        result_bytes=(settings.sync_max_points * BYTES_PER_POINT, "FLEETSIM_SYNC_MAX_POINTS"),
    )


def job_limits(settings: Settings) -> WorkLimits:
    """The bounds of a queued job (any door) and of a CLI run."""
    return WorkLimits(
        vehicle_steps=(settings.max_vehicle_steps, "FLEETSIM_MAX_VEHICLE_STEPS"),
        trace_s=(settings.max_trace_s, "FLEETSIM_MAX_TRACE_S"),
        result_bytes=(settings.max_result_mb * 2**20, "FLEETSIM_MAX_RESULT_MB"),
    )
