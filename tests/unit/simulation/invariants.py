"""Invariants every fleet run must satisfy, checked on hand-made and generated fleets."""

import numpy as np

from fleetsim.simulation import FleetRun
from fleetsim.simulation.fleet import AWAY


def check_invariants(run: FleetRun) -> None:
    """Energy balance, SoC bounds, ports, site limits (for strategies that keep them), event
    order, no charging on the road or while away, sessions within what they asked."""
    events = run.events
    vehicle = events["vehicle"].astype(int)
    cap = run.capacity_kwh
    n = len(run.index.vehicle_ids)
    to_battery = np.bincount(vehicle, weights=events["energy_to_battery_kwh"], minlength=n)
    driven = np.bincount(run.trip_vehicle, weights=run.trip_energy_used_kwh, minlength=n)
    # A session vehicle's battery is set on each arrival: what it did away is not modelled, so
    # its balance is per session (stored between arrival and departure = charged).
    in_sessions = np.bincount(
        run.session_vehicle,
        weights=run.session_departure_kwh - run.session_arrival_kwh,
        minlength=n,
    )
    session_vehicle = np.isin(np.arange(n), run.session_vehicle)
    stored_change = (run.soc_end - run.soc_start) * cap
    fleet = ~session_vehicle
    np.testing.assert_allclose(to_battery[fleet] - driven[fleet], stored_change[fleet], atol=1e-6)
    np.testing.assert_allclose(to_battery[session_vehicle], in_sessions[session_vehicle], atol=1e-6)
    assert not driven[session_vehicle].any()

    assert (run.series_soc >= -1e-9).all() and (run.series_soc <= 1 + 1e-9).all()
    assert (run.min_soc >= -1e-9).all()
    if run.site_capped:
        assert (run.site_load_kw <= run.site_limit_kw + 1e-6).all()
    assert (events["energy_from_grid_kwh"] >= events["energy_to_battery_kwh"] - 1e-9).all()
    assert (events["energy_to_battery_kwh"] <= events["energy_requested_kwh"] + 1e-6).all()
    assert (run.session_departure_kwh <= run.session_target_kwh + 1e-6).all()
    assert (run.session_departure_kwh >= run.session_arrival_kwh - 1e-9).all()

    for c, ports in enumerate(run.charger_ports):
        on = events["charger"] == c
        starts, ends = events["plugged_in_s"][on], events["end_s"][on]
        moments = np.concatenate([starts, ends])
        change = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
        order = np.lexsort((change, moments))  # a port freed and taken at t: free it first
        assert np.cumsum(change[order]).max(initial=0) <= ports

    trip_end = run.trip_departure_s + run.trip_duration_s
    for v in range(n):
        mine = np.flatnonzero(vehicle == v)
        order = mine[np.argsort(events["plugged_in_s"][mine])]
        starts, ends = events["plugged_in_s"][order], events["end_s"][order]
        assert (events["arrived_s"][order] <= starts + 1e-9).all()
        assert (starts <= ends + 1e-9).all()
        assert (ends[:-1] <= starts[1:] + 1e-9).all()
        trips = run.trip_vehicle == v
        for leave, back in zip(run.trip_departure_s[trips], trip_end[trips], strict=True):
            # Departures are quantised down to the step that holds them.
            leave_step = np.floor(leave / run.step_s) * run.step_s
            assert ((ends <= leave_step + 1e-6) | (starts >= back - 1e-6)).all()
        sessions = run.session_vehicle == v
        if sessions.any():  # every charge lies inside one of its sessions
            arrive = run.session_arrival_s[sessions][:, None]
            leave = run.session_departure_s[sessions][:, None]
            inside = (starts[None, :] >= arrive - 1e-6) & (ends[None, :] <= leave + 1e-6)
            assert inside.any(axis=0).all()

    if run.sample_every > 1:
        return  # a coarse sample's power is its interval's mean; its state, an instant's
    charging_state = np.isin(run.series_state, (2, 3))
    assert (run.series_power_kw[run.series_state == 0] == 0).all()
    assert (run.series_power_kw[run.series_state == AWAY] == 0).all()
    assert (run.series_power_kw[charging_state] >= 0).all()
