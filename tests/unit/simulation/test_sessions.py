"""Charging sessions as input: away outside them, on the step grid inside, what each got."""

from collections.abc import Callable
from datetime import time, timedelta

import numpy as np
import pytest
from builders import START, charger, loop_route, session, vehicle
from invariants import check_invariants

from fleetsim.models import FleetVehicle, Horizon, ResolvedRequest, Trip
from fleetsim.simulation import simulate, simulate_fleet
from fleetsim.simulation.fleet import AWAY, CHARGING, PARKED

Make = Callable[..., ResolvedRequest]


def test_a_session_vehicle_is_away_outside_its_session_and_charges_inside(make: Make) -> None:
    # Arrives 10:02, leaves 12:58: plugs in at 10:05, 50 kWh at 50 kW fill it by 11:05, it
    # stands parked until the 12:55 step and is away again from then on.
    request = make([], sessions=[session(10 + 2 / 60, 12 + 58 / 60)])
    run = simulate_fleet(request)
    check_invariants(run)
    state = run.series_state[:, 0]
    assert set(state[: 10 * 12 + 1].tolist()) == {AWAY}
    assert set(state[121:133].tolist()) == {CHARGING}
    assert set(state[133:155].tolist()) == {PARKED}
    assert set(state[155:].tolist()) == {AWAY}
    result = simulate(request).model()
    [got] = result.metadata.sessions
    assert got.plugged_in == START + timedelta(hours=10, minutes=5)
    assert (got.energy_requested_kwh, got.energy_delivered_kwh, got.energy_unmet_kwh) == (
        50.0,
        50.0,
        0.0,
    )
    assert got.charger_id == "dc" and got.site == "depot" and got.vehicle_id == "session_1"
    assert got.soc_arrival == 0.5 and got.soc_departure == 1.0


def test_a_session_without_a_port_is_missed_and_unmet(make: Make) -> None:
    # One port: the first session holds it for an hour; the second leaves after 30 minutes.
    request = make([], sessions=[session(0, 3), session(0, 0.5)])
    result = simulate(request).model()
    first, second = result.metadata.sessions
    assert first.energy_delivered_kwh == 50.0
    assert second.plugged_in is None and second.charger_id is None
    assert second.energy_unmet_kwh == 50.0
    kpis = result.metadata.kpis
    assert kpis.missed_charging_sessions == 1
    assert (kpis.charging_sessions, kpis.charging_sessions_fully_served) == (2, 1)
    assert (kpis.energy_requested_kwh, kpis.energy_unmet_kwh) == (100.0, 50.0)


def test_sessions_of_one_vehicle_each_set_its_battery_on_arrival(make: Make) -> None:
    sessions = [
        session(1, 5, "guest", target_soc=0.9, initial_soc=0.2, energy_kwh=None),
        session(20, 23, "guest", target_soc=0.9, initial_soc=0.4, energy_kwh=None),
    ]
    run = simulate_fleet(make([], sessions=sessions))
    check_invariants(run)
    assert run.index.vehicle_ids == ["guest"]
    assert (run.session_departure_kwh - run.session_arrival_kwh).tolist() == pytest.approx(
        [70.0, 50.0]
    )
    assert run.events["soc_start"].tolist() == pytest.approx([0.2, 0.4])


def test_target_soc_session_arrives_at_the_reserve_unless_told(make: Make) -> None:
    request = make([], sessions=[session(0, 5, target_soc=0.6, energy_kwh=None)])
    run = simulate_fleet(request)
    assert run.session_arrival_kwh.tolist() == [10.0]  # reserve_soc 0.1 of 100 kWh
    assert run.session_departure_kwh.tolist() == pytest.approx([60.0])


def test_a_session_on_a_named_charger_waits_for_it(make: Make) -> None:
    # Two single-port chargers: both sessions name "dc", so the second waits an hour while
    # "dc2" stands free; a third, for the site, takes "dc2" at once.
    chargers = [charger(), charger("dc2")]
    sessions = [
        session(0, 5, charger_id="dc", site=None),
        session(0, 5, charger_id="dc", site=None),
        session(0, 5),
    ]
    run = simulate_fleet(make([], sessions=sessions, chargers=chargers))
    check_invariants(run)
    assert [run.index.charger_ids[c] for c in run.session_charger] == ["dc", "dc", "dc2"]
    assert run.session_plugged_in_s.tolist() == [0.0, 3600.0, 0.0]


def test_sessions_and_trips_share_the_ports(make: Make) -> None:
    # A fleet van back from a loop at about 08:36 queues behind a session that took the only
    # port at 08:30 and needs an hour.
    van = FleetVehicle(id="van_1", type="van", depot="depot", initial_soc=0.6)
    trip = Trip(vehicle_id="van_1", route_id="loop", departure=time(8))
    request = make(
        [van],
        [trip],
        routes=[loop_route(length_m=30_000)],
        sessions=[session(8.5, 12)],
    )
    run = simulate_fleet(request)
    check_invariants(run)
    plugs = dict(
        zip(run.events["vehicle"].astype(int).tolist(), run.events["plugged_in_s"], strict=True)
    )
    session_vehicle, van_index = run.index.vehicle_ids.index("session_1"), 1
    assert run.index.vehicle_ids[van_index] == "van_1"
    assert plugs[session_vehicle] == 8.5 * 3600
    assert plugs[van_index] == pytest.approx(9.5 * 3600)


def test_sessions_outside_the_horizon_are_left_out_and_short_ones_get_nothing(
    make: Make,
) -> None:
    sessions = [session(-5, -1), session(30, 31), session(2 + 1 / 60, 2 + 4 / 60), session(3, 4)]
    result = simulate(make([], sessions=sessions)).model()
    assert [s.session_index for s in result.metadata.sessions] == [2, 3]
    assert [s.energy_delivered_kwh for s in result.metadata.sessions] == [0.0, 50.0]
    assert any("2 sessions lie outside the horizon" in w for w in result.metadata.warnings)
    assert any("1 sessions hold no whole step" in w for w in result.metadata.warnings)


def test_a_session_open_at_the_end_counts_what_it_got_by_then(make: Make) -> None:
    # Arrives 23:30 on the last day, asks 50 kWh: half an hour at 50 kW gives it 25 kWh.
    result = simulate(make([], sessions=[session(23.5, 30)])).model()
    [got] = result.metadata.sessions
    assert got.energy_delivered_kwh == pytest.approx(25.0)
    assert got.energy_unmet_kwh == pytest.approx(25.0)


def test_a_sessions_only_run_needs_no_route(make: Make) -> None:
    request = make(
        [],
        sessions=[session(h, h + 8) for h in np.arange(0.0, 48.0, 6.0).tolist()],
        routes=[],
        chargers=[charger(current="AC", power_kw=11.0, ports=4)],
        vehicles=[vehicle(max_ac_charge_kw=11.0)],
        horizon=Horizon(start=START, days=3),
    )
    result = simulate(request).model()
    assert result.trips == [] and result.metadata.counts.routes == 0
    assert all(s.energy_unmet_kwh == 0 for s in result.metadata.sessions)
