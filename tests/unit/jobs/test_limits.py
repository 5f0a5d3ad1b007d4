"""The work estimate against what runs really produce: never below the result's bytes or
its trips, and `optimal` counted as the several runs it is."""

from pathlib import Path
from typing import Any

import pytest

from fleetsim.config import load_catalogue, resolve_request
from fleetsim.jobs.limits import (
    OPTIMAL_WORK_FACTOR,
    WorkLimitError,
    WorkLimits,
    check_work,
    estimate_work,
)
from fleetsim.models import ResolvedRequest, SimulationRequest
from fleetsim.simulation import simulate

CONFIG = Path(__file__).resolve().parents[3] / "config"


def resolved(**body: Any) -> ResolvedRequest:
    return resolve_request(SimulationRequest.model_validate(body), load_catalogue(CONFIG), CONFIG)


@pytest.mark.parametrize(
    "body",
    [
        {"scenario": "default"},
        {"scenario": "smoke"},
        {"scenario": "default", "horizon": {"start": "2026-03-02T00:00:00+01:00", "days": 3}},
    ],
)
def test_the_estimate_is_not_below_the_result_it_bounds(body: dict[str, Any]) -> None:
    run = resolved(**body)
    estimate = estimate_work(run)
    result = simulate(run)

    assert estimate.trips >= result.row_counts["trips"]
    assert estimate.stays >= result.row_counts["charging_events"]
    plain_bytes = len(result.json_bytes())
    assert plain_bytes <= estimate.result_bytes < 3 * plain_bytes


def test_optimal_counts_the_greedy_run_and_its_programs() -> None:
    greedy = estimate_work(resolved(scenario="default"))
    optimal = estimate_work(resolved(scenario="default", strategy="optimal"))
    assert optimal.vehicle_steps == OPTIMAL_WORK_FACTOR * greedy.vehicle_steps
    limits = WorkLimits(
        vehicle_steps=(greedy.vehicle_steps, "FLEETSIM_MAX_VEHICLE_STEPS"),
        trace_s=(1e12, "FLEETSIM_MAX_TRACE_S"),
        result_bytes=(2**40, "FLEETSIM_MAX_RESULT_MB"),
    )
    check_work(greedy, limits)
    with pytest.raises(WorkLimitError, match="x10 for optimal"):
        check_work(optimal, limits)
