"""Invariants on generated fleets under every strategy, and strategies against each other."""

from datetime import time
from typing import Any, get_args

from builders import build, charger, loop_route, session, tou_tariff, vehicle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import check_invariants

from fleetsim.models import FleetVehicle, ResolvedRequest, Trip, canonical_json_bytes
from fleetsim.models.scenario import Strategy
from fleetsim.simulation import simulate, simulate_fleet

ROUTES = [loop_route("short", 15_000, 12.0), loop_route("long", 60_000, 22.0)]
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)


@st.composite
def fleets(
    draw: st.DrawFn, contention: bool = True, strategies: tuple[Strategy, ...] = STRATEGIES
) -> ResolvedRequest:
    n = draw(st.integers(1, 5))
    battery = draw(st.sampled_from([30.0, 60.0, 120.0]))
    curve = draw(st.sampled_from([None, [(0.0, 150.0), (0.7, 150.0), (1.0, 20.0)]]))
    spec = vehicle(
        battery_usable_kwh=battery,
        charge_curve=curve,
        battery_efficiency=draw(st.sampled_from([0.9, 1.0])),
    )
    fleet = [
        FleetVehicle(
            id=f"v{i}",
            type="van",
            depot="depot",
            initial_soc=draw(st.sampled_from([0.3, 0.6, 1.0])),
            target_soc=draw(st.sampled_from([None, 0.8])),
        )
        for i in range(n)
    ]
    schedule = [
        Trip(
            vehicle_id=f"v{i}",
            route_id=draw(st.sampled_from(["short", "long"])),
            departure=time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 10, 30]))),
        )
        for i in range(n)
        for _ in range(draw(st.integers(0, 3)))
    ]
    sessions = [
        session(
            arrive,
            arrive + draw(st.sampled_from([0.05, 1.0, 3.5, 30.0])),
            vehicle_id=draw(st.sampled_from([None, "guest"])) if k == 0 else None,
            energy_kwh=draw(st.sampled_from([5.0, 0.5 * battery])),
        )
        for k, arrive in enumerate(
            draw(st.lists(st.sampled_from([-2.0, 0.0, 6.1, 17.0, 23.5]), max_size=3))
        )
    ]
    ports = draw(st.integers(1, 3)) if contention else n + len(sessions)
    kind: dict[str, Any] = draw(
        st.sampled_from(
            [
                {"current": "DC", "power_kw": 50.0},
                {"current": "AC", "power_kw": 22.0},
            ]
        )
    )
    plug = charger(
        ports=ports,
        tariff="tou",
        price_per_kwh=None,
        efficiency=draw(st.sampled_from([0.9, 1.0])),
        **kind,
    )
    limit = draw(st.sampled_from([None, 40.0, 80.0])) if contention else None
    return build(
        fleet,
        schedule,
        vehicles=[spec],
        chargers=[plug],
        routes=ROUTES,
        site_limit_kw=limit,
        tariffs=[tou_tariff()],
        sessions=sessions,
        strategy=draw(st.sampled_from(strategies)),
        step_s=draw(st.sampled_from([300, 900])),
    )


def with_strategy(request: ResolvedRequest, strategy: Strategy) -> ResolvedRequest:
    scenario = request.scenario.model_copy(update={"strategy": strategy})
    return request.model_copy(update={"scenario": scenario})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_invariants_hold_on_generated_fleets(request: ResolvedRequest) -> None:
    check_invariants(simulate_fleet(request))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(contention=False))
def test_time_of_use_never_costs_more_than_greedy(request: ResolvedRequest) -> None:
    def cost(strategy: Strategy) -> float:
        return simulate(with_strategy(request, strategy)).metadata.kpis.energy_cost

    assert cost("time_of_use") <= cost("greedy") + 1e-6


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(strategies=("greedy",)))
def test_balanced_strands_no_more_trips_than_greedy(request: ResolvedRequest) -> None:
    greedy = simulate_fleet(request).trip_stranded.sum()
    balanced = simulate_fleet(with_strategy(request, "balanced")).trip_stranded.sum()
    assert balanced <= greedy


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_envelope_data_is_the_canonical_form_of_its_model(request: ResolvedRequest) -> None:
    # The envelope is built straight from arrays; validating it into the model and
    # serialising that the slow, generic way must give the same bytes.
    result = simulate(request)
    assert result.json_bytes() == canonical_json_bytes(result.model())
