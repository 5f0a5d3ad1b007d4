"""The ACN-style case (bench/acn_case.py) against ACN-Sim's stored figures.

validation/acnsim/reference.py ran acnportal's EDF, LLF and uncontrolled charging on the
same 1,000 sessions and stored what each session got; these tests never run ACN-Sim.
"""

import json
from functools import cache
from typing import get_args

import numpy as np
import pytest
from invariants import check_invariants

from bench.acn_case import LIMITS_KW, acn_sessions
from bench.acn_sessions import FIGURES, MET_TOLERANCE_KWH, acn_request, delivered_kwh, requested_kwh
from fleetsim.models.scenario import Strategy
from fleetsim.simulation import FleetRun, simulate_fleet

STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)


@cache
def figures() -> dict[str, object]:
    stored: dict[str, object] = json.loads(FIGURES.read_text())
    return stored


@cache
def run(strategy: Strategy, limit_kw: float) -> FleetRun:
    return simulate_fleet(acn_request(limit_kw, strategy))


def met(run: FleetRun) -> np.ndarray:
    return delivered_kwh(run) >= requested_kwh(run) - MET_TOLERANCE_KWH


def test_the_stored_figures_are_of_this_case_and_say_where_they_came_from() -> None:
    stored = figures()
    provenance = stored["provenance"]
    assert isinstance(provenance, dict)
    assert provenance["acnportal_version"] and provenance["date"]
    sessions = acn_sessions()
    assert stored["session_ids"] == [s.session_id for s in sessions]
    assert stored["requested_kwh"] == [s.energy_kwh for s in sessions]


@pytest.mark.parametrize("limit_kw", LIMITS_KW)
@pytest.mark.parametrize("strategy", ["edf", "llf"])
def test_edf_and_llf_meet_every_session_acn_sim_meets_within_the_limit(
    strategy: Strategy, limit_kw: float
) -> None:
    ours = run(strategy, limit_kw)
    delivered = figures()["delivered_kwh"]
    assert isinstance(delivered, dict)
    for algorithm in ("edf", "llf"):
        acn_met = np.array(delivered[f"{algorithm}@{limit_kw:g}"]) >= (
            requested_kwh(ours) - MET_TOLERANCE_KWH
        )
        assert not (acn_met & ~met(ours)).any(), f"ACN-Sim's {algorithm} meets sessions we miss"
    assert met(ours).all(), "every session of the case is met"
    assert ours.site_load_kw.max() <= limit_kw + 1e-6


@pytest.mark.parametrize("limit_kw", LIMITS_KW)
def test_uncontrolled_draws_the_peak_acn_sim_draws_and_reports_the_overshoot(
    limit_kw: float,
) -> None:
    ours = run("uncontrolled", limit_kw)
    peaks = figures()["peak_kw"]
    assert isinstance(peaks, dict)
    assert ours.site_load_kw.max() == pytest.approx(peaks[f"uncontrolled@{limit_kw:g}"], abs=0.1)
    assert ours.site_load_kw.max() > limit_kw and not ours.site_capped


def test_proportional_sharing_leaves_sessions_short_at_the_tight_limit() -> None:
    # The gap EDF and LLF close: greedy scales everyone down alike, ignoring who leaves first.
    assert not met(run("greedy", 144.0)).all()
    assert met(run("edf", 144.0)).all()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_invariants_hold_on_the_case_at_the_tight_limit(strategy: Strategy) -> None:
    check_invariants(run(strategy, 144.0))
