"""The pure fleet simulation core: schedule, energy reuse, charging, strategies, KPIs."""

from fleetsim.models import ResolvedRequest, SimulationResult
from fleetsim.simulation.envelope import build_result
from fleetsim.simulation.fleet import FleetRun, simulate_fleet


def simulate(resolved: ResolvedRequest, version: str) -> SimulationResult:
    """Simulate the resolved request and build its result envelope."""
    return build_result(resolved, simulate_fleet(resolved), version)


def series_point_count(resolved: ResolvedRequest) -> int:
    """Time-series points the request asks for at its resolution, before any coarsening.

    Doors compare this with `max_points` to refuse synchronous runs that are too large.
    """
    scenario = resolved.scenario
    steps = -(-scenario.horizon.days * 86_400 // scenario.step_s)
    every = max(1, round(scenario.time_series_resolution_s / scenario.step_s))
    return -(-steps // every) * len(scenario.fleet)


__all__ = ["FleetRun", "series_point_count", "simulate", "simulate_fleet"]
