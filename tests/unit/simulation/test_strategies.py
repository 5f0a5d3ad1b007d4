"""Strategies on hand-made sessions whose answers are known in closed form."""

import math
from collections.abc import Callable

import numpy as np
import pytest
from builders import charger, session, vehicle
from invariants import check_invariants

from fleetsim.models import ResolvedRequest
from fleetsim.models.scenario import ChargingSession
from fleetsim.simulation import simulate, simulate_fleet
from fleetsim.simulation.strategies import STRATEGIES, ChargeDemand, grant_site_power_kw
from fleetsim.simulation.tariffs import PriceTable

Make = Callable[..., ResolvedRequest]
STEP_H = 300 / 3600


def run_sessions(
    make: Make, strategy: str, sessions: list[ChargingSession], **changes: object
) -> ResolvedRequest:
    """Sessions only (no fleet), on 50 kW lossless DC ports of a depot."""
    return make([], sessions=sessions, strategy=strategy, **changes)


def delivered(request: ResolvedRequest) -> list[float]:
    run = simulate_fleet(request)
    check_invariants(run)
    return (run.session_departure_kwh - run.session_arrival_kwh).tolist()


@pytest.mark.parametrize("strategy", ["edf", "llf"])
def test_priority_meets_the_nearer_departure_that_proportional_sharing_misses(
    make: Make, strategy: str
) -> None:
    # 50 kW behind the meter; A must have 40 kWh within 1 h, B 50 kWh within 3 h. Shared in
    # proportion each gets 25 kW, so A leaves with 25 kWh; in order of urgency A comes first
    # and both are met.
    sessions = [session(0, 1, energy_kwh=40.0), session(0, 3, energy_kwh=50.0)]
    chargers = [charger(ports=2)]
    greedy = run_sessions(make, "greedy", sessions, chargers=chargers, site_limit_kw=50.0)
    ordered = run_sessions(make, strategy, sessions, chargers=chargers, site_limit_kw=50.0)
    assert delivered(greedy) == pytest.approx([25.0, 50.0])
    assert delivered(ordered) == pytest.approx([40.0, 50.0])
    assert simulate_fleet(ordered).site_load_kw.max() <= 50.0 + 1e-9


@pytest.mark.parametrize(("strategy", "first_kw"), [("edf", [50.0, 0.0]), ("llf", [0.0, 50.0])])
def test_edf_serves_the_earliest_departure_and_llf_the_least_laxity(
    make: Make, strategy: str, first_kw: list[float]
) -> None:
    # A leaves first (1 h) but needs 10 kWh: laxity 1 h - 0.2 h. B leaves at 3 h needing
    # 130 kWh at 50 kW: laxity 3 h - 2.6 h. EDF starts A, LLF starts B; both are met.
    big = vehicle(battery_usable_kwh=200)
    sessions = [session(0, 1, energy_kwh=10.0), session(0, 3, energy_kwh=130.0)]
    request = run_sessions(
        make, strategy, sessions, vehicles=[big], chargers=[charger(ports=2)], site_limit_kw=50.0
    )
    run = simulate_fleet(request)
    assert run.series_power_kw[0].tolist() == pytest.approx(first_kw)
    assert delivered(request) == pytest.approx([10.0, 130.0])


def test_uncontrolled_ignores_the_limit_and_reports_the_overshoot(make: Make) -> None:
    # Three 50 kWh sessions at 50 kW behind 100 kW: 150 kW for one hour, 50 kW too much.
    sessions = [session(0, 5) for _ in range(3)]
    chargers = [charger(ports=3)]
    result = simulate(
        run_sessions(make, "uncontrolled", sessions, chargers=chargers, site_limit_kw=100.0)
    )
    site = result.metadata.kpis.sites["depot"]
    assert site.peak_kw == pytest.approx(150.0)
    assert site.steps_above_limit == 12
    assert site.max_overshoot_kw == pytest.approx(50.0)
    assert site.energy_above_limit_kwh == pytest.approx(50.0)
    assert not result.metadata.kpis.site_limit_respected
    capped = simulate(
        run_sessions(make, "greedy", sessions, chargers=chargers, site_limit_kw=100.0)
    )
    assert capped.metadata.kpis.sites["depot"].steps_above_limit == 0
    assert capped.metadata.kpis.site_limit_respected


def test_balanced_spreads_to_be_full_one_step_before_departure(make: Make) -> None:
    # 50 kWh over 10 h with a port to spare: the same power every step, 50 kWh / 119 steps.
    request = run_sessions(make, "balanced", [session(0, 10)], chargers=[charger(ports=2)])
    run = simulate_fleet(request)
    expected_kw = 50.0 / (119 * STEP_H)
    assert run.series_power_kw[:119, 0] == pytest.approx(np.full(119, expected_kw))
    assert run.events["end_s"].tolist() == [119 * 300.0]


def test_balanced_charges_at_full_power_on_the_last_free_port(make: Make) -> None:
    # One port: whoever holds it is all the next arrival could use, so it fills up at once.
    request = run_sessions(make, "balanced", [session(0, 10)], chargers=[charger(ports=1)])
    assert simulate_fleet(request).events["end_s"].tolist() == pytest.approx([3600.0])


@pytest.mark.parametrize(("strategy", "order"), [("greedy", [0, 1, 2]), ("edf", [1, 2, 0])])
def test_under_edf_the_nearest_departure_takes_the_next_free_port(
    make: Make, strategy: str, order: list[int]
) -> None:
    # One port; three arrive together needing 30 minutes each, leaving at 5, 2 and 3 h.
    sessions = [session(0, 5, energy_kwh=25.0), session(0, 2, energy_kwh=25.0)]
    sessions.append(session(0, 3, energy_kwh=25.0))
    run = simulate_fleet(run_sessions(make, strategy, sessions))
    by_plug_in = np.argsort(run.events["plugged_in_s"])
    assert run.events["vehicle"][by_plug_in].astype(int).tolist() == order


def test_charge_ending_inside_a_step_ends_at_the_power_it_was_granted(make: Make) -> None:
    # EDF behind 45 kW: the first in line fills 10 kWh at 45 kW, in 800 s, two thirds into
    # its third step (where it took 30 kW and the other the remaining 15).
    sessions = [session(0, 1, energy_kwh=10.0), session(0, 2, energy_kwh=10.0)]
    request = run_sessions(make, "edf", sessions, chargers=[charger(ports=2)], site_limit_kw=45.0)
    ends = simulate_fleet(request).events["end_s"]
    assert math.isclose(ends.min(), 10 / 45 * 3600)


def demand(n: int) -> ChargeDemand:
    empty = np.zeros((1, 1))
    prices = PriceTable(["flat"], "EUR", empty, empty.astype(np.intp), np.zeros((1, 1, 2), int))
    return ChargeDemand(
        step=0,
        step_h=STEP_H,
        vehicle=np.arange(n),
        need_kwh=np.full(n, 100.0),
        max_kw=np.full(n, 30.0),
        inlet_kw=np.full(n, 30.0),
        battery_efficiency=np.ones(n),
        steps_to_departure=np.array([5, 1, 3, 2][:n]),
        price_row=np.zeros(n, dtype=np.intp),
        prices=prices,
        ports_scarce=lambda: np.zeros(n, dtype=bool),
    )


def test_priority_grants_each_site_its_limit_in_order() -> None:
    # Sites 0, 0, 0, 1; 30 kW asked each; 50 kW limit at site 0, 20 kW at site 1.
    asked = np.full(4, 30.0)
    site = np.array([0, 0, 0, 1])
    limit = np.array([50.0, 20.0])
    edf = grant_site_power_kw(STRATEGIES["edf"], demand(4), asked, site, limit)
    proportional = grant_site_power_kw(STRATEGIES["greedy"], demand(4), asked, site, limit)
    uncapped = grant_site_power_kw(STRATEGIES["uncontrolled"], demand(4), asked, site, limit)
    assert edf.tolist() == pytest.approx([0.0, 30.0, 20.0, 20.0])
    assert proportional.tolist() == pytest.approx([50 / 3, 50 / 3, 50 / 3, 20.0])
    assert uncapped.tolist() == asked.tolist()
