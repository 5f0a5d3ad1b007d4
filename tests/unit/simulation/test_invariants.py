"""Invariants on generated fleets, and time-of-use against greedy on the same fleet."""

from datetime import time
from typing import Any

from builders import build, charger, loop_route, tou_tariff, vehicle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import check_invariants

from fleetsim.models import FleetVehicle, ResolvedRequest, Trip, canonical_json_bytes
from fleetsim.simulation import simulate, simulate_fleet

ROUTES = [loop_route("short", 15_000, 12.0), loop_route("long", 60_000, 22.0)]


@st.composite
def fleets(draw: st.DrawFn, contention: bool = True) -> ResolvedRequest:
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
    ports = draw(st.integers(1, 3)) if contention else n
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
        strategy=draw(st.sampled_from(["greedy", "balanced", "time_of_use"])),
        step_s=draw(st.sampled_from([300, 900])),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_invariants_hold_on_generated_fleets(request: ResolvedRequest) -> None:
    capacity = {t: v.battery_usable_kwh for t, v in request.vehicles.items()}
    check_invariants(simulate_fleet(request), capacity)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(contention=False))
def test_time_of_use_never_costs_more_than_greedy(request: ResolvedRequest) -> None:
    def cost(strategy: str) -> float:
        scenario = request.scenario.model_copy(update={"strategy": strategy})
        variant = request.model_copy(update={"scenario": scenario})
        return simulate(variant).metadata.kpis.charging_cost

    assert cost("time_of_use") <= cost("greedy") + 1e-6


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_envelope_data_is_the_canonical_form_of_its_model(request: ResolvedRequest) -> None:
    # The envelope is built straight from arrays; validating it into the model and
    # serialising that the slow, generic way must give the same bytes.
    result = simulate(request)
    assert result.json_bytes() == canonical_json_bytes(result.model())
