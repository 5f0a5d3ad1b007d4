"""Charging sessions on the step grid: who arrives where, when, with what, and asking for what.

A session vehicle is away outside its sessions; each session sets its battery on arrival (what
it did while away is not modelled). It plugs in at the first step boundary at or after its
arrival and leaves at the start of the step that holds its departure, as trips do.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import FleetVehicle, ResolvedRequest
from fleetsim.models.scenario import ChargingSession, session_vehicle_ids
from fleetsim.simulation.local_time import LocalClock
from fleetsim.simulation.schedule import horizon_seconds


def session_site(resolved: ResolvedRequest, session: ChargingSession) -> str:
    """The site a session charges at: its own, or its charger's."""
    if session.site is not None:
        return session.site
    return resolved.chargers[str(session.charger_id)].site


def session_fleet(resolved: ResolvedRequest) -> list[FleetVehicle]:
    """One vehicle per distinct session vehicle, homed at its first session's site, with
    that session's arrival SoC and target."""
    vehicles: dict[str, FleetVehicle] = {}
    sessions = resolved.scenario.sessions
    for vehicle_id, session in zip(session_vehicle_ids(sessions), sessions, strict=True):
        if vehicle_id in vehicles:
            continue
        spec = resolved.vehicles[session.vehicle_type]
        arrival_kwh, target_kwh = session.energy_window_kwh(spec)
        vehicles[vehicle_id] = FleetVehicle(
            id=vehicle_id,
            type=session.vehicle_type,
            depot=session_site(resolved, session),
            initial_soc=arrival_kwh / spec.battery_usable_kwh,
            target_soc=target_kwh / spec.battery_usable_kwh,
        )
    return list(vehicles.values())


@dataclass(frozen=True)
class SessionPlan:
    """The sessions that fall inside the horizon, in request order; times in seconds from the
    horizon start, energies in kWh of battery content."""

    source: NDArray[np.intp]
    """Each session's index in the scenario's `sessions`."""
    vehicle: NDArray[np.intp]
    site: NDArray[np.intp]
    charger: NDArray[np.intp]
    """The only charger it may use, or -1 for any charger of its site."""
    arrival_s: NDArray[np.float64]
    departure_s: NDArray[np.float64]
    plug_step: NDArray[np.intp]
    """The first step it can charge in."""
    leave_step: NDArray[np.intp]
    """The step it leaves at the start of; a session with leave_step <= plug_step never plugs."""
    arrival_kwh: NDArray[np.float64]
    target_kwh: NDArray[np.float64]
    warnings: list[str]
    pins_chargers: bool
    """Some session names its charger."""
    _arrival_order: NDArray[np.intp]
    _arrival_bounds: NDArray[np.intp]
    _leave_order: NDArray[np.intp]
    _leave_bounds: NDArray[np.intp]

    def arriving(self, step: int) -> NDArray[np.intp]:
        """Sessions that start in `step` (of those that hold a whole step)."""
        return self._arrival_order[self._arrival_bounds[step] : self._arrival_bounds[step + 1]]

    def leaving(self, step: int) -> NDArray[np.intp]:
        """Sessions that end at the start of `step` (of those that hold a whole step)."""
        return self._leave_order[self._leave_bounds[step] : self._leave_bounds[step + 1]]

    def busy_steps(self) -> NDArray[np.intp]:
        """Every step in which a session starts or ends."""
        return np.concatenate(
            [self.plug_step[self._arrival_order], self.leave_step[self._leave_order]]
        )


def _by_step(
    steps: NDArray[np.intp], which: NDArray[np.intp], n_steps: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """`which` ordered by its `steps`, and where each step 0..n_steps begins in that order."""
    order = which[np.argsort(steps[which], kind="stable")]
    return order, np.searchsorted(steps[order], np.arange(n_steps + 2)).astype(np.intp)


def plan_sessions(
    resolved: ResolvedRequest,
    vehicle_ids: list[str],
    site_ids: list[str],
    charger_ids: list[str],
    n_steps: int,
) -> SessionPlan:
    """The scenario's sessions on the step grid; those wholly outside the horizon are left
    out with a warning."""
    scenario = resolved.scenario
    start, step_s = LocalClock.of(scenario.horizon).start_utc, scenario.step_s
    end_s = horizon_seconds(scenario)
    vehicle_pos = {v: i for i, v in enumerate(vehicle_ids)}
    site_pos = {s: i for i, s in enumerate(site_ids)}
    charger_pos = {c: i for i, c in enumerate(charger_ids)}
    sessions = scenario.sessions
    kept: list[int] = []
    ints: list[tuple[int, int, int]] = []  # vehicle, site, charger
    floats: list[tuple[float, float, float, float]] = []  # arrival, departure s; kWh
    for n, (vehicle_id, session) in enumerate(
        zip(session_vehicle_ids(sessions), sessions, strict=True)
    ):
        arrival_s = (session.arrival - start).total_seconds()
        departure_s = (session.departure - start).total_seconds()
        if departure_s <= 0 or arrival_s >= end_s:
            continue
        spec = resolved.vehicles[session.vehicle_type]
        charger = -1 if session.charger_id is None else charger_pos[session.charger_id]
        kept.append(n)
        ints.append((vehicle_pos[vehicle_id], site_pos[session_site(resolved, session)], charger))
        floats.append((arrival_s, departure_s, *session.energy_window_kwh(spec)))
    int_columns = np.array(ints, dtype=np.intp).reshape(-1, 3).T
    float_columns = np.array(floats, dtype=np.float64).reshape(-1, 4).T
    arrival_s, departure_s = float_columns[0], float_columns[1]
    plug_step = np.maximum(np.ceil(arrival_s / step_s - 1e-9), 0).astype(np.intp)
    leave_step = np.floor(departure_s / step_s + 1e-9).astype(np.intp)
    warnings = []
    if dropped := len(sessions) - len(kept):
        warnings.append(f"{dropped} sessions lie outside the horizon: they were left out")
    if short := int((leave_step <= plug_step).sum()):
        warnings.append(f"{short} sessions hold no whole step: nothing could be delivered")
    held = np.flatnonzero(leave_step > plug_step)
    arrival_order, arrival_bounds = _by_step(plug_step, held, n_steps)
    leave_order, leave_bounds = _by_step(leave_step, held, n_steps)
    return SessionPlan(
        source=np.array(kept, dtype=np.intp),
        vehicle=int_columns[0],
        site=int_columns[1],
        charger=int_columns[2],
        arrival_s=arrival_s,
        departure_s=departure_s,
        plug_step=plug_step,
        leave_step=leave_step,
        arrival_kwh=float_columns[2],
        target_kwh=float_columns[3],
        warnings=warnings,
        pins_chargers=bool((int_columns[2] >= 0).any()),
        _arrival_order=arrival_order,
        _arrival_bounds=arrival_bounds,
        _leave_order=leave_order,
        _leave_bounds=leave_bounds,
    )
