"""The pure fleet simulation core: schedule, energy reuse, charging, strategies, KPIs."""

from fleetsim.models import CanonicalResult, ResolvedRequest
from fleetsim.models.scenario import Strategy, session_vehicle_ids
from fleetsim.simulation import fleet
from fleetsim.simulation.envelope import build_result
from fleetsim.simulation.fleet import FleetRun
from fleetsim.simulation.optimal import OptimalPlanner
from fleetsim.simulation.summary import summarise


def simulate(resolved: ResolvedRequest) -> CanonicalResult:
    """Simulate the resolved request and build its result envelope; `optimal`'s result says
    what it saved on greedy, which it runs on the same input first (for the ports)."""
    if resolved.scenario.strategy != "optimal":
        return build_result(resolved, fleet.simulate_fleet(resolved))
    run, greedy = _optimal_and_greedy(resolved)
    return build_result(resolved, run, greedy=greedy)


def simulate_fleet(resolved: ResolvedRequest) -> FleetRun:
    """The fleet run of the scenario's strategy: `optimal` plans ahead (on the ports a greedy
    run of the same input gives), the rest are rules."""
    if resolved.scenario.strategy != "optimal":
        return fleet.simulate_fleet(resolved)
    return _optimal_and_greedy(resolved)[0]


def _optimal_and_greedy(resolved: ResolvedRequest) -> tuple[FleetRun, FleetRun]:
    """The planned run, and the greedy run of the same input whose ports it plans on."""
    greedy = fleet.simulate_fleet(with_strategy(resolved, "greedy"))
    return fleet.simulate_fleet(resolved, OptimalPlanner(resolved, greedy)), greedy


def with_strategy(resolved: ResolvedRequest, strategy: Strategy) -> ResolvedRequest:
    """The same input under another strategy."""
    scenario = resolved.scenario.model_copy(update={"strategy": strategy})
    return resolved.model_copy(update={"scenario": scenario})


def horizon_steps(resolved: ResolvedRequest) -> int:
    """Time steps of the horizon (the last one may be partial)."""
    scenario = resolved.scenario
    return -(-scenario.horizon.days * 86_400 // scenario.step_s)


def _vehicle_count(resolved: ResolvedRequest) -> int:
    """Fleet vehicles and session vehicles."""
    scenario = resolved.scenario
    return len(scenario.fleet) + len(set(session_vehicle_ids(scenario.sessions)))


def series_point_count(resolved: ResolvedRequest) -> int:
    """Rows of `time_series_data` (at the requested resolution, before any coarsening) plus
    `site_load`: what doors compare with `max_points` to refuse runs too large to return."""
    scenario = resolved.scenario
    steps = horizon_steps(resolved)
    every = max(1, round(scenario.time_series_resolution_s / scenario.step_s))
    return -(-steps // every) * _vehicle_count(resolved) + steps * len(resolved.sites)


def vehicle_steps(resolved: ResolvedRequest) -> int:
    """The simulation's work: time steps times vehicles (an empty fleet still steps)."""
    return horizon_steps(resolved) * max(1, _vehicle_count(resolved))


__all__ = [
    "FleetRun",
    "horizon_steps",
    "series_point_count",
    "simulate",
    "simulate_fleet",
    "summarise",
    "vehicle_steps",
    "with_strategy",
]
