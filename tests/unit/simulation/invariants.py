"""Invariants every fleet run must satisfy, checked on hand-made and generated fleets."""

import numpy as np

from fleetsim.simulation import FleetRun


def check_invariants(run: FleetRun, capacity_kwh: dict[str, float]) -> None:
    """Energy balance, SoC bounds, ports, site limits, event order, no charging on the road."""
    events = run.events
    vehicle = events["vehicle"].astype(int)
    cap = np.array([capacity_kwh[t] for t in run.index.vehicle_types])
    n = len(run.index.vehicle_ids)
    to_battery = np.bincount(vehicle, weights=events["energy_to_battery_kwh"], minlength=n)
    driven = np.bincount(run.trip_vehicle, weights=run.trip_energy_used_kwh, minlength=n)
    stored_change = (run.soc_end - run.soc_start) * cap
    np.testing.assert_allclose(to_battery - driven, stored_change, atol=1e-6)

    assert (run.series_soc >= -1e-9).all() and (run.series_soc <= 1 + 1e-9).all()
    assert (run.min_soc >= -1e-9).all()
    assert (run.site_load_kw <= run.site_limit_kw + 1e-6).all()
    assert (events["energy_from_grid_kwh"] >= events["energy_to_battery_kwh"] - 1e-9).all()

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

    charging_state = np.isin(run.series_state, (2, 3))
    assert (run.series_power_kw[run.series_state == 0] == 0).all()
    assert (run.series_power_kw[charging_state] >= 0).all()
