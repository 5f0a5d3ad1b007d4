"""Every stay of the run at a site where the vehicle can charge, known before the run: what a
plan needs (when each vehicle is there, with what, and what the trips after it take).

A scheduled vehicle stays at its depot until its first trip and, after each trip, where the
route ends until its next; a session vehicle stays for each session. Steps as the fleet loop
counts them: a stay holds steps `start` .. `end - 1` (it leaves at the start of `end`).
"""

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from fleetsim.simulation.chargers import ChargerArrays
from fleetsim.simulation.sessions import SessionPlan
from fleetsim.simulation.trip_plan import TripPlan
from fleetsim.simulation.vehicles import VehicleArrays

SPREAD_FACTOR = 4
"""A stay whose target is due when it leaves claims free port steps enough to fill it from
its reserve at a quarter of its power: room for a plan to spread its charge."""


@dataclass(frozen=True)
class Stays:
    """Stays in (vehicle, start) order; energies are battery kWh, powers inlet kW."""

    vehicle: NDArray[np.intp]
    site: NDArray[np.intp]
    start: NDArray[np.intp]
    end: NDArray[np.intp]
    charger: NDArray[np.intp]
    """The charger it holds a port of (`with_ports_of`), or -1 (none)."""
    inlet_kw: NDArray[np.float64]
    """That charger's rating and the vehicle's AC or DC limit (0: no port)."""
    port_steps: NDArray[np.intp]
    """The steps each stay holds its port in, ascending, stay after stay: stay s's are
    `port_steps[port_first[s] : port_first[s + 1]]`."""
    port_first: NDArray[np.intp]
    arrival_kwh: NDArray[np.float64]
    """Battery energy on arrival where known before the run (sessions, the first stay), else
    NaN: it follows from the vehicle's previous stay and the trips between."""
    target_kwh: NDArray[np.float64]
    target_due: NDArray[np.bool_]
    """The target is asked for by the time it leaves: a session's, or the stay the run ends
    in (a scheduled vehicle in between needs only what its trips take)."""
    trip_before: NDArray[np.intp]
    """The trip that brought the vehicle here, or -1."""
    trips_after_kwh: NDArray[np.float64]
    """Net battery energy of the trips from this stay to the vehicle's next (0 if none)."""
    trips_after_worst_kwh: NDArray[np.float64]
    """The most those trips draw below the energy the vehicle leaves with, at any moment
    (-inf if none): leaving with reserve + this strands nothing."""


def plan_stays(
    plan: TripPlan,
    sessions: SessionPlan,
    vehicles: VehicleArrays,
    chargers: ChargerArrays,
    session_vehicle: NDArray[np.bool_],
) -> Stays:
    """The stays of scheduled vehicles (at a site in reach whose chargers they take) and of
    sessions that hold a whole step."""
    trips, n_steps = plan.trips, plan.n_steps
    scheduled = np.flatnonzero(~session_vehicle)
    held = np.flatnonzero(sessions.leave_step > sessions.plug_step)
    n_trips = len(trips.vehicle)
    vehicle = np.concatenate([scheduled, trips.vehicle, sessions.vehicle[held]])
    site = np.concatenate(
        [
            chargers.depot_place[scheduled],
            chargers.route_end_site[trips.route],
            sessions.site[held],
        ]
    )
    start = np.concatenate(
        [np.zeros(len(scheduled), np.intp), plan.end_step, sessions.plug_step[held]]
    )
    end = np.concatenate(
        [
            plan.first_departure_step[scheduled],
            plan.next_departure_step,
            np.minimum(sessions.leave_step[held], n_steps),
        ]
    )
    pinned = np.concatenate([np.full(len(scheduled) + n_trips, -1), sessions.charger[held]])
    arrival = np.concatenate(
        [vehicles.initial_kwh[scheduled], np.full(n_trips, np.nan), sessions.arrival_kwh[held]]
    )
    target = np.concatenate(
        [
            vehicles.target_kwh[scheduled],
            vehicles.target_kwh[trips.vehicle],
            sessions.target_kwh[held],
        ]
    )
    trip_before = np.concatenate(
        [np.full(len(scheduled), -1), np.arange(n_trips), np.full(len(held), -1)]
    ).astype(np.intp)
    reach = (site >= 0) & ((pinned >= 0) | chargers.can_charge_at[np.maximum(site, 0), vehicle])
    keep = np.flatnonzero((end > start) & reach)
    keep = keep[np.lexsort((start[keep], vehicle[keep]))]
    vehicle = vehicle[keep]
    after_kwh, after_worst = _trips_after(plan, vehicle, trip_before[keep], session_vehicle)
    return Stays(
        vehicle=vehicle,
        site=site[keep],
        start=start[keep],
        end=end[keep],
        charger=np.full(len(keep), -1, dtype=np.intp),
        inlet_kw=np.zeros(len(keep)),
        port_steps=np.zeros(0, dtype=np.intp),
        port_first=np.zeros(len(keep) + 1, dtype=np.intp),
        arrival_kwh=arrival[keep],
        target_kwh=target[keep],
        target_due=(end[keep] >= n_steps) | session_vehicle[vehicle],
        trip_before=trip_before[keep],
        trips_after_kwh=after_kwh,
        trips_after_worst_kwh=after_worst,
    )


def with_ports_of(
    stays: Stays,
    events: dict[str, NDArray[np.float64]],
    step_s: int,
    n_steps: int,
    chargers: ChargerArrays,
    vehicles: VehicleArrays,
) -> Stays:
    """The stays with the ports a run's charging `events` gave them (by the port rules of the
    strategy that ran): each holds its port while it did in that run and then until the port
    is next needed or it leaves; one whose target is due when it leaves (a session's, the
    run's last stay) in as many of the last steps before it leaves in which a port of that
    charger stands free as fill it from its reserve at a quarter of its power (the first to
    finish claims first), so that the window which plans its departure holds them."""
    vehicle = events["vehicle"].astype(np.intp)
    charger = events["charger"].astype(np.intp)
    plug = np.floor(events["plugged_in_s"] / step_s + 1e-9).astype(np.intp)
    left = np.minimum(np.ceil(events["end_s"] / step_s - 1e-9).astype(np.intp), n_steps)
    key = stays.vehicle * (n_steps + 1) + stays.start
    stay = np.searchsorted(key, vehicle * (n_steps + 1) + plug, side="right") - 1
    safe = np.maximum(stay, 0)
    ok = (stay >= 0) & (stays.vehicle[safe] == vehicle) & (plug < stays.end[safe])
    stay, charger, plug, left = stay[ok], charger[ok], plug[ok], left[ok]
    in_use = np.zeros((len(chargers.ports), n_steps + 1), dtype=np.int64)
    for c, p, e in zip(charger.tolist(), plug.tolist(), left.tolist(), strict=True):
        in_use[c, p:e] += 1
    inlet = np.zeros(len(stays.vehicle))
    inlet[stay] = chargers.inlet_limit_kw(charger, stays.vehicle[stay], vehicles)
    stored_per_step_kwh = inlet[stay] * vehicles.battery_efficiency[vehicle] * step_s / 3600.0
    window_kwh = stays.target_kwh[stay] - vehicles.reserve_kwh[vehicle]
    enough_steps = np.ceil(
        SPREAD_FACTOR * window_kwh / np.maximum(stored_per_step_kwh, 1e-9)
    ).astype(np.intp)
    held: list[NDArray[np.intp]] = [np.zeros(0, dtype=np.intp)] * len(stays.vehicle)
    for i in np.argsort(left, kind="stable"):
        c, until = charger[i], stays.end[stay[i]]
        open_steps = in_use[c, left[i] : until] < chargers.ports[c]
        if stays.target_due[stay[i]]:  # the last free steps, to fill it from reserve slowly
            open_steps &= np.cumsum(open_steps[::-1])[::-1] <= enough_steps[i]
        else:  # one spell: until the port is next needed
            open_steps &= np.cumprod(open_steps).astype(bool)
        free = left[i] + np.flatnonzero(open_steps)
        in_use[c, free] += 1
        held[stay[i]] = np.concatenate([np.arange(plug[i], left[i]), free]).astype(np.intp)
    port_charger = np.full(len(stays.vehicle), -1, dtype=np.intp)
    port_charger[stay] = charger
    counts = np.array([len(h) for h in held], dtype=np.intp)
    return replace(
        stays,
        charger=port_charger,
        inlet_kw=inlet,
        port_steps=np.concatenate([np.zeros(0, dtype=np.intp), *held]),
        port_first=np.concatenate([[0], np.cumsum(counts)]).astype(np.intp),
    )


def _trips_after(
    plan: TripPlan,
    vehicle: NDArray[np.intp],
    trip_before: NDArray[np.intp],
    session_vehicle: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per stay, the net energy of the trips up to the vehicle's next stay and the deepest
    draw along them, both relative to the energy it leaves with."""
    trips, energy = plan.trips, plan.energy
    n_trips = len(trips.vehicle)
    net = energy.net_kwh[plan.combo] if n_trips else np.zeros(0)
    deepest = (
        np.maximum.reduceat(energy.cum_kwh, energy.offset)[plan.combo] if n_trips else np.zeros(0)
    )
    first_trip = np.searchsorted(trips.vehicle, vehicle)
    last_trip = np.searchsorted(trips.vehicle, vehicle, side="right")
    lo = np.where(trip_before >= 0, trip_before + 1, first_trip)
    same_next = np.zeros(len(vehicle), dtype=bool)
    same_next[:-1] = vehicle[1:] == vehicle[:-1]
    hi = np.where(same_next, np.roll(lo, -1), last_trip)
    hi = np.where(session_vehicle[vehicle], lo, np.maximum(hi, lo))
    cumulative = np.concatenate([[0.0], np.cumsum(net)])
    after = cumulative[hi] - cumulative[lo]
    worst = np.full(len(vehicle), -np.inf)
    for s in np.flatnonzero(hi > lo):  # a few trips per stay
        run = slice(lo[s], hi[s])
        worst[s] = float(np.max(cumulative[run] - cumulative[lo[s]] + deepest[run]))
    return after, worst
