"""The optimal strategy: closed-form answers on hand-made sessions, and against every
heuristic on generated fleets whose horizon fits in one planning window."""

from collections.abc import Callable
from datetime import time

import numpy as np
import pytest
from builders import START, build, charger, loop_route, session, tou_tariff, vehicle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import check_invariants

from fleetsim.models import FleetVehicle, Horizon, ResolvedRequest, Tariff, TariffWindow, Trip
from fleetsim.models.scenario import ChargingSession, OptimalOptions, Strategy
from fleetsim.simulation import FleetRun, simulate, simulate_fleet, with_strategy
from fleetsim.simulation.linear_program import LinearProgram, solve

Make = Callable[..., ResolvedRequest]
STEP_H = 300 / 3600
HEURISTICS: tuple[Strategy, ...] = ("greedy", "balanced", "time_of_use", "edf", "llf")
"""Every strategy that keeps the site limit (`uncontrolled` ignores it, so any bill it runs
up is not one a controller could reach)."""
COST_TOLERANCE = 1e-3
DEAREST_PER_STORED_KWH = 0.45 / (0.95 * 0.92)
"""The generated fleets' dearest price over their least charger and battery efficiency."""


def two_prices() -> Tariff:
    """0.10 from 00:00 to 06:00, else 0.30."""
    return Tariff(
        id="night",
        default_price_per_kwh=0.30,
        windows=[TariffWindow(start=time(0), end=time(6), price_per_kwh=0.10)],
    )


def sessions_request(
    make: Make, sessions: list[ChargingSession], **changes: object
) -> ResolvedRequest:
    horizon = Horizon(start=START, days=2)
    return make([], sessions=sessions, strategy="optimal", horizon=horizon, **changes)


def test_two_vehicles_take_all_their_energy_in_the_cheap_window(make: Make) -> None:
    # Both arrive at 20:00 asking 30 kWh and leave at 07:00; 50 kW each, no site limit. The
    # night price (00:00-06:00) is a third of the day's: all 60 kWh come then, for 6.00.
    sessions = [session(20, 31, energy_kwh=30.0), session(20, 31, energy_kwh=30.0)]
    plug = charger(ports=2, tariff="night", price_per_kwh=None)
    request = sessions_request(make, sessions, chargers=[plug], tariffs=[two_prices()])
    run = simulate_fleet(request)
    check_invariants(run)
    load = run.site_load_kw[:, 0]
    night = (np.arange(len(load)) >= 24 * 12) & (np.arange(len(load)) < 30 * 12)
    assert load[~night].max() == pytest.approx(0.0, abs=1e-6)
    assert load[night].sum() * STEP_H == pytest.approx(60.0)
    kpis = simulate(request).metadata.kpis
    assert kpis.energy_cost == pytest.approx(6.0)
    assert kpis.charging_sessions_fully_served == 2


def test_one_vehicle_below_a_site_limit_charges_at_the_limit(make: Make) -> None:
    # 50 kWh on a 50 kW port behind a 20 kW connection, flat price: 20 kW from plug-in (the
    # earliest of equal prices) for 2.5 h, then nothing.
    request = sessions_request(make, [session(0, 5, energy_kwh=50.0)], site_limit_kw=20.0)
    run = simulate_fleet(request)
    check_invariants(run)
    load = run.site_load_kw[:, 0]
    assert load[:30] == pytest.approx(
        np.full(30, 20.0), abs=1e-3
    )  # the last 4 Wh: see LEAVE_BELOW_PLAN_KWH
    assert load[30:].max() == pytest.approx(0.0, abs=1e-6)
    assert (run.session_departure_kwh - run.session_arrival_kwh)[0] == pytest.approx(50.0)


def test_peak_objective_finds_the_least_connection(make: Make) -> None:
    # Two 20 kWh sessions over the same 4 h: 40 kWh in 4 h needs 10 kW and no less.
    sessions = [session(0, 4, energy_kwh=20.0), session(0, 4, energy_kwh=20.0)]
    request = sessions_request(
        make, sessions, chargers=[charger(ports=2)], optimal=OptimalOptions(objective="peak")
    )
    result = simulate(request)
    kpis = result.metadata.kpis
    assert kpis.peak_site_kw["depot"] == pytest.approx(10.0, rel=1e-6)
    assert kpis.charging_sessions_fully_served == 2
    savings = kpis.savings_vs_greedy
    assert savings is not None
    assert savings.greedy_peak_site_kw["depot"] == pytest.approx(100.0)
    assert savings.peak_site_kw_saved["depot"] == pytest.approx(90.0, rel=1e-6)


def test_savings_vs_greedy_is_greedy_less_optimal(make: Make) -> None:
    sessions = [session(20, 31, energy_kwh=30.0)]
    plug = charger(tariff="night", price_per_kwh=None)
    request = sessions_request(make, sessions, chargers=[plug], tariffs=[two_prices()])
    kpis = simulate(request).metadata.kpis
    greedy = simulate(with_strategy(request, "greedy")).metadata.kpis
    assert kpis.savings_vs_greedy is not None
    assert kpis.savings_vs_greedy.greedy_charging_cost == pytest.approx(greedy.charging_cost)
    assert kpis.savings_vs_greedy.charging_cost_saved == pytest.approx(
        greedy.charging_cost - kpis.charging_cost
    )
    assert greedy.savings_vs_greedy is None


def test_the_same_input_gives_the_same_bytes(make: Make) -> None:
    sessions = [session(20, 31, energy_kwh=30.0), session(21, 30, energy_kwh=25.0)]
    plug = charger(ports=2, tariff="night", price_per_kwh=None)
    request = sessions_request(
        make, sessions, chargers=[plug], tariffs=[two_prices()], site_limit_kw=40.0
    )
    assert simulate(request).json_bytes() == simulate(request).json_bytes()


def test_linear_program_solves_a_textbook_case() -> None:
    # min -x - y s.t. x + 2y <= 4, 3x + y <= 6, x, y >= 0: x = 1.6, y = 1.2.
    program = LinearProgram(
        cost=np.array([-1.0, -1.0]),
        lower=np.zeros(2),
        upper=np.full(2, np.inf),
        row_lower=np.full(2, -np.inf),
        row_upper=np.array([4.0, 6.0]),
        rows=np.array([0, 0, 1, 1]),
        columns=np.array([0, 1, 0, 1]),
        values=np.array([1.0, 2.0, 3.0, 1.0]),
    )
    assert solve(program) == pytest.approx([1.6, 1.2])


@st.composite
def small_fleets(draw: st.DrawFn, ports_short: bool = False) -> ResolvedRequest:
    """One day (within one 48 h window) of 1-4 vans with 0-3 trips each and 0-2 sessions, a
    port each (or, `ports_short`, one or two for all), a site limit or none."""
    n = draw(st.integers(1, 4))
    battery = draw(st.sampled_from([40.0, 80.0]))
    spec = vehicle(
        battery_usable_kwh=battery,
        battery_efficiency=draw(st.sampled_from([0.92, 1.0])),
        charge_curve=draw(st.sampled_from([None, [(0.0, 50.0), (0.8, 50.0), (1.0, 10.0)]])),
    )
    fleet = [
        FleetVehicle(
            id=f"v{i}",
            type="van",
            depot="depot",
            initial_soc=draw(st.sampled_from([0.4, 0.7, 1.0])),
        )
        for i in range(n)
    ]
    schedule = [
        Trip(
            vehicle_id=f"v{i}",
            route_id=draw(st.sampled_from(["short", "long"])),
            departure=time(draw(st.integers(6, 20)), draw(st.sampled_from([0, 30]))),
        )
        for i in range(n)
        for _ in range(draw(st.integers(0, 3)))
    ]
    sessions = [
        session(arrive, arrive + draw(st.sampled_from([1.0, 4.0, 9.0])), energy_kwh=20.0)
        for arrive in draw(st.lists(st.sampled_from([1.0, 8.0, 17.0]), max_size=2))
    ]
    plug = charger(
        ports=draw(st.integers(1, 2)) if ports_short else n + len(sessions),
        tariff="tou",
        price_per_kwh=None,
        efficiency=draw(st.sampled_from([0.95, 1.0])),
    )
    return build(
        fleet,
        schedule,
        vehicles=[spec],
        chargers=[plug],
        routes=[loop_route("short", 15_000, 12.0), loop_route("long", 60_000, 22.0)],
        site_limit_kw=draw(st.sampled_from([None, 30.0, 60.0])),
        tariffs=[tou_tariff()],
        sessions=sessions,
        strategy="optimal",
    )


def stored_at_end_kwh(run: FleetRun) -> float:
    """Energy in scheduled vehicles at the end plus what sessions took away."""
    scheduled = ~np.isin(np.arange(len(run.capacity_kwh)), run.session_vehicle)
    at_end = float((run.soc_end * run.capacity_kwh)[scheduled].sum())
    return at_end + float((run.session_departure_kwh - run.session_arrival_kwh).sum())


@settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_fleets())
def test_optimal_costs_no_more_than_any_heuristic(request: ResolvedRequest) -> None:
    optimal_run = simulate_fleet(request)
    check_invariants(optimal_run)
    optimal = simulate(request).metadata.kpis
    optimal_stored = stored_at_end_kwh(optimal_run)
    assert optimal.site_limit_respected
    for strategy in HEURISTICS:
        other_request = with_strategy(request, strategy)
        other = simulate(other_request).metadata.kpis
        if other.feasible:
            assert optimal.feasible, f"{strategy} strands nothing, optimal strands"
        other_stored = stored_at_end_kwh(simulate_fleet(other_request))
        assert optimal_stored >= other_stored - 1e-3, f"{strategy} stores more"
        # A kWh more stored costs at most the dearest price over the least efficiency.
        extra = (optimal_stored - other_stored) * DEAREST_PER_STORED_KWH
        bound = other.charging_cost * (1 + COST_TOLERANCE) + extra + 1e-6
        assert optimal.charging_cost <= bound, f"{strategy} is cheaper"


def test_a_window_step_longer_than_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="window_step_h must not exceed window_h"):
        OptimalOptions(window_h=24, window_step_h=48)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_fleets(ports_short=True))
def test_optimal_strands_nothing_greedy_serves_on_scarce_ports(request: ResolvedRequest) -> None:
    # The plan counts on greedy's ports; the loop hands them out first come, first served.
    optimal_run = simulate_fleet(request)
    check_invariants(optimal_run)
    greedy_run = simulate_fleet(with_strategy(request, "greedy"))
    if not greedy_run.trip_stranded.any():
        assert not optimal_run.trip_stranded.any()
