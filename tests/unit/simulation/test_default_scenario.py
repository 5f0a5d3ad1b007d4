"""The bundled default week: invariants hold, contention binds, strategies compare sanely."""

from functools import cache
from pathlib import Path
from typing import get_args

import pytest
from invariants import check_invariants

from fleetsim import runner
from fleetsim.config import load_catalogue, resolve_request
from fleetsim.models import (
    CanonicalResult,
    ResolvedRequest,
    SimulationRequest,
    canonical_json_bytes,
)
from fleetsim.models.scenario import Strategy
from fleetsim.simulation import FleetRun, simulate, simulate_fleet
from fleetsim.simulation.envelope import build_result

CONFIG = Path(__file__).resolve().parents[3] / "config"
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)
DEPOT = "neuperlach_depot"


@cache
def resolved(strategy: str, scenario: str = "default") -> ResolvedRequest:
    catalogue = load_catalogue(CONFIG)
    request = SimulationRequest(scenario=scenario, strategy=strategy)  # type: ignore[arg-type]
    return resolve_request(request, catalogue, CONFIG)


@cache
def run_of(strategy: str) -> tuple[FleetRun, CanonicalResult]:
    run = simulate_fleet(resolved(strategy))
    return run, build_result(resolved(strategy), run)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_invariants_hold_on_the_default_week(strategy: str) -> None:
    check_invariants(run_of(strategy)[0])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_serves_the_default_week(strategy: str) -> None:
    kpis = run_of(strategy)[1].metadata.kpis
    assert kpis.feasible, f"{strategy} strands {kpis.stranded_trips} trips"


@pytest.mark.parametrize("strategy", ["greedy", "balanced", "time_of_use", "edf"])
def test_envelope_data_is_the_canonical_form_of_its_model(strategy: str) -> None:
    result = run_of(strategy)[1]
    assert result.json_bytes() == canonical_json_bytes(result.model())


def test_default_week_is_feasible_and_contended() -> None:
    kpis = run_of("greedy")[1].metadata.kpis
    limit = resolved("greedy").sites[DEPOT].site_power_limit_kw
    assert kpis.feasible
    assert kpis.max_wait_s > 0, "a port queue must form"
    assert kpis.peak_site_kw[DEPOT] == pytest.approx(limit), "the limit must bind"
    assert kpis.site_limit_respected


def test_uncontrolled_shows_the_peak_the_limit_hides() -> None:
    kpis = run_of("uncontrolled")[1].metadata.kpis
    depot = kpis.sites[DEPOT]
    limit = resolved("uncontrolled").sites[DEPOT].site_power_limit_kw
    assert limit is not None and depot.peak_kw > limit
    assert depot.max_overshoot_kw == pytest.approx(depot.peak_kw - limit)
    assert depot.steps_above_limit > 0 and depot.energy_above_limit_kwh > 0
    assert not kpis.site_limit_respected
    assert kpis.peak_site_kw[DEPOT] == depot.peak_kw


def test_balanced_strands_nothing_where_greedy_strands_nothing() -> None:
    # Before the queue fallback a spreading vehicle held its port until departure and a
    # truck waited 40 h at -10 °C: 32 stranded trips where greedy had none.
    request = SimulationRequest(strategy="balanced", weather={"ambient_c": -10.0})
    cold = resolve_request(request, load_catalogue(CONFIG), CONFIG)
    greedy = cold.model_copy(
        update={"scenario": cold.scenario.model_copy(update={"strategy": "greedy"})}
    )
    balanced_kpis = simulate(cold).metadata.kpis
    assert balanced_kpis.stranded_trips <= simulate(greedy).metadata.kpis.stranded_trips
    assert balanced_kpis.max_wait_s < 6 * 3600


def test_time_of_use_costs_less_than_greedy_on_the_default_week() -> None:
    greedy = run_of("greedy")[1].metadata.kpis
    tou = run_of("time_of_use")[1].metadata.kpis
    assert tou.energy_cost < greedy.energy_cost
    assert tou.feasible


def test_the_depot_bill_splits_energy_and_demand_charge() -> None:
    kpis = run_of("greedy")[1].metadata.kpis
    depot = kpis.sites[DEPOT]
    tariff = resolved("greedy").tariffs["depot_tou"]
    # One week of March 2026 (7 of 31 days) carries 7/31 of the month's demand charge.
    expected = depot.peak_15min_kw * tariff.demand_charge_per_kw * 7 / 31
    assert tariff.demand_charge_per_kw > 0
    assert depot.demand_charge == pytest.approx(expected, rel=1e-4)
    assert kpis.charging_cost == pytest.approx(kpis.energy_cost + kpis.demand_charge, rel=1e-6)
    assert kpis.energy_cost == pytest.approx(sum(s.energy_cost for s in kpis.sites.values()))


def test_same_request_gives_identical_bytes() -> None:
    first = simulate(resolved("greedy")).json_bytes()
    second = simulate(resolved("greedy")).json_bytes()
    assert first == second


@pytest.mark.parametrize("scenario", ["time_of_use", "depot_week_csv", "smoke"])
def test_bundled_scenarios_are_feasible_under_their_own_strategy(scenario: str) -> None:
    catalogue = load_catalogue(CONFIG)
    kpis = runner.run_request(SimulationRequest(scenario=scenario), catalogue, CONFIG)
    assert kpis.metadata.kpis.feasible
