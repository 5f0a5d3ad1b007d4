"""The bundled default week: invariants hold, contention binds, strategies compare sanely."""

from functools import cache
from pathlib import Path

import pytest
from invariants import check_invariants

from fleetsim.config import load_catalogue, resolve_request
from fleetsim.models import ResolvedRequest, SimulationRequest, canonical_json_bytes
from fleetsim.simulation import simulate, simulate_fleet

CONFIG = Path(__file__).resolve().parents[3] / "config"


@cache
def resolved(strategy: str) -> ResolvedRequest:
    catalogue = load_catalogue(CONFIG)
    return resolve_request(SimulationRequest(strategy=strategy), catalogue, CONFIG)


@pytest.mark.parametrize("strategy", ["greedy", "balanced", "time_of_use"])
def test_invariants_hold_on_the_default_week(strategy: str) -> None:
    request = resolved(strategy)
    capacity = {t: v.battery_usable_kwh for t, v in request.vehicles.items()}
    check_invariants(simulate_fleet(request), capacity)


@pytest.mark.parametrize("strategy", ["greedy", "balanced", "time_of_use"])
def test_envelope_data_is_the_canonical_form_of_its_model(strategy: str) -> None:
    result = simulate(resolved(strategy))
    assert result.json_bytes() == canonical_json_bytes(result.model())


def test_default_week_is_feasible_and_contended() -> None:
    kpis = simulate(resolved("greedy")).metadata.kpis
    limit = resolved("greedy").sites["neuperlach_depot"].site_power_limit_kw
    assert kpis.feasible
    assert kpis.max_wait_s > 0, "a port queue must form"
    assert kpis.peak_site_kw["neuperlach_depot"] == pytest.approx(limit), "the limit must bind"


def test_time_of_use_costs_less_than_greedy_on_the_default_week() -> None:
    greedy = simulate(resolved("greedy")).metadata.kpis
    tou = simulate(resolved("time_of_use")).metadata.kpis
    assert tou.charging_cost < greedy.charging_cost
    assert tou.feasible


def test_same_request_gives_identical_bytes() -> None:
    first = simulate(resolved("greedy")).json_bytes()
    second = simulate(resolved("greedy")).json_bytes()
    assert first == second
