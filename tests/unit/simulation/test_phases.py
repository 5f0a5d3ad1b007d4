"""Each phase of a fleet step on its own: a small model, a state, one call, what changed."""

from collections.abc import Callable
from datetime import time

import numpy as np
import pytest
from builders import charger, loop_route, session, vehicle

from fleetsim.models import FleetVehicle, ResolvedRequest, Trip
from fleetsim.simulation.fleet import (
    AWAY,
    AWAY_PLACE,
    CHARGING,
    DRIVING,
    ON_ROAD,
    WAITING,
    FleetModel,
    FleetState,
    arrive_for_sessions,
    arrive_from_trips,
    assign_ports,
    charge,
    depart,
    drive,
    fleet_model,
    sample,
    skip_idle,
    start_state,
)

Make = Callable[..., ResolvedRequest]
STEP_S = 300


def van(vehicle_id: str, soc: float = 0.5) -> FleetVehicle:
    return FleetVehicle(id=vehicle_id, type="van", depot="depot", initial_soc=soc)


def prepared(request: ResolvedRequest) -> tuple[FleetModel, FleetState]:
    model = fleet_model(request)
    return model, start_state(model)


def test_arrive_from_trips_parks_at_the_route_end_and_a_stranded_one_at_its_depot(
    make: Make,
) -> None:
    trip = Trip(vehicle_id="a", route_id="loop", departure=time(8))
    model, state = prepared(
        make([van("a"), van("b")], [trip, trip.model_copy(update={"vehicle_id": "b"})])
    )
    end = int(model.plan.end_step[0])
    state.place[:] = ON_ROAD
    state.stranded[1] = True
    arrive_from_trips(model, state, end)
    assert state.place.tolist() == [0, int(model.chargers.depot_place[1])]
    assert state.arrival_step.tolist() == [end, end]
    assert state.can_charge.all() and not state.stranded.any()


def test_depart_closes_the_event_of_a_plugged_vehicle_and_misses_a_queued_one(make: Make) -> None:
    trips = [Trip(vehicle_id=v, route_id="loop", departure=time(8)) for v in "ab"]
    model, state = prepared(make([van("a"), van("b")], trips))
    state.plugged[0], state.waiting[1] = 0, True
    state.arrival_step[:] = 90
    k = 8 * 3600 // STEP_S
    depart(model, state, k)
    assert state.events.table()["end_s"].tolist() == [k * STEP_S]
    assert state.missed_wait_s[0].tolist() == [(k - 90) * STEP_S]
    assert state.place.tolist() == [ON_ROAD, ON_ROAD]
    assert state.plugged.tolist() == [-1, -1] and not state.waiting.any()


def test_depart_ends_a_session_and_the_vehicle_goes_away(make: Make) -> None:
    model, state = prepared(make([], sessions=[session(0, 1)]))
    arrive_for_sessions(model, state, 0)
    state.energy_kwh[0] = 80.0
    depart(model, state, 12)
    assert state.place.tolist() == [AWAY_PLACE] and not state.can_charge.any()
    assert state.session_departure_kwh.tolist() == [80.0]


def test_arrive_for_sessions_sets_energy_target_place_and_departure(make: Make) -> None:
    chargers = [charger(), charger("dc2")]
    model, state = prepared(
        make([], sessions=[session(1, 3, charger_id="dc2", site=None)], chargers=chargers)
    )
    assert state.place.tolist() == [AWAY_PLACE]
    arrive_for_sessions(model, state, 12)
    assert state.energy_kwh.tolist() == [50.0] and state.target_kwh.tolist() == [100.0]
    assert state.place.tolist() == [0] and state.pinned_charger.tolist() == [1]
    assert state.next_departure.tolist() == [36] and state.can_charge.tolist() == [True]


def test_drive_draws_energy_and_strands_below_the_reserve(make: Make) -> None:
    trip = Trip(vehicle_id="a", route_id="loop", departure=time(0))
    request = make([van("a", soc=0.12)], [trip], routes=[loop_route(length_m=60_000)], chargers=[])
    model, state = prepared(request)
    depart(model, state, 0)
    first_kwh, first_km = model.plan.step_energy(np.array([0]), 0, STEP_S)
    drive(model, state, 0)
    assert first_kwh[0] > 0 and state.drive_kwh.tolist() == [first_kwh[0]]
    assert state.energy_kwh[0] == pytest.approx(12.0 - first_kwh[0])
    assert state.odometer_km[0] == pytest.approx(first_km[0])
    k = 1
    while not state.stranded[0]:
        drive(model, state, k)
        k += 1
    assert state.energy_kwh[0] == pytest.approx(10.0)  # its reserve
    assert state.trip_stranded.tolist() == [True]
    stranded_km = float(state.odometer_km[0])
    assert k < model.plan.end_step[0], "stranded before the trip's scheduled end"
    drive(model, state, k)
    assert state.drive_kwh.tolist() == [0.0], "a stranded vehicle draws nothing more"
    assert state.energy_kwh[0] == pytest.approx(10.0) and state.odometer_km[0] == stranded_km


@pytest.mark.parametrize(("strategy", "served"), [("greedy", "a"), ("edf", "b")])
def test_assign_ports_first_come_or_nearest_departure(
    make: Make, strategy: str, served: str
) -> None:
    model, state = prepared(make([van("a"), van("b")], strategy=strategy))
    state.arrival_step[:] = [0, 1]
    state.next_departure[:] = [50, 20]
    assign_ports(model, state, 1)
    assert [model.index.vehicle_ids[v] for v in np.flatnonzero(state.plugged >= 0)] == [served]
    assert state.waiting.sum() == 1


def test_charge_grants_the_limit_and_ends_a_full_vehicle_at_its_exact_time(make: Make) -> None:
    # Behind 62 kW: "a" asks 12 kW (the 1 kWh it lacks, in one step), "b" 50 kW; both are
    # granted. Asking its maximum, "a" would have had 50 x 62 / 100 = 31 kW, so it filled up
    # 12/31 into the step.
    request = make([van("a", soc=0.99), van("b")], chargers=[charger(ports=2)], site_limit_kw=62.0)
    model, state = prepared(request)
    assign_ports(model, state, 0)
    charge(model, state, 0)
    assert state.site_load_kw[0].tolist() == pytest.approx([62.0])
    assert state.energy_kwh.tolist() == pytest.approx([100.0, 50.0 + 50.0 * STEP_S / 3600])
    event = state.events.table()
    assert event["vehicle"].tolist() == [0]
    assert event["end_s"].tolist() == pytest.approx([12 / 31 * STEP_S])
    assert state.plugged.tolist() == [-1, 0]


def test_sample_records_each_vehicle_state(make: Make) -> None:
    model, state = prepared(make([van("a"), van("b"), van("c")], sessions=[session(5, 6)]))
    state.waiting[1] = True
    state.plugged[0], state.battery_kw[0] = 0, 20.0
    state.driving[2] = True
    sample(model, state, 0)
    assert state.series_state[0].tolist() == [CHARGING, WAITING, DRIVING, AWAY]
    assert state.series_power_kw[0, 0] == 20.0


def test_skip_idle_jumps_to_the_next_trip_event_and_fills_the_samples(make: Make) -> None:
    trip = Trip(vehicle_id="a", route_id="loop", departure=time(8))
    model, state = prepared(make([van("a", soc=1.0)], [trip]))
    assert skip_idle(model, state, 1) == 8 * 3600 // STEP_S
    assert (state.series_soc[1 : 8 * 12, 0] == 1.0).all()
    state.energy_kwh[0] = 50.0  # wants a charge at its depot: nothing to skip
    assert skip_idle(model, state, 1) == 1


def test_a_vehicle_with_an_ac_only_inlet_never_takes_a_dc_port(make: Make) -> None:
    ac_only = vehicle(max_dc_charge_kw=0.0)
    model, state = prepared(make([van("a")], vehicles=[ac_only]))
    assert not state.can_charge[0]
    assign_ports(model, state, 0)
    assert state.plugged.tolist() == [-1]
