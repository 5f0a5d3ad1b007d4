"""Every stay of the run at a site where the vehicle can charge, known before the run: what a
plan needs (when each vehicle is there, with what, and what the trips after it take).

A scheduled vehicle stays at its depot until its first trip and, after each trip, where the
route ends until its next; a session vehicle stays for each session. Steps as the fleet loop
counts them: a stay holds steps `start` .. `end - 1` (it leaves at the start of `end`).
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetsim.simulation.chargers import ChargerArrays
from fleetsim.simulation.sessions import SessionPlan
from fleetsim.simulation.trip_plan import TripPlan
from fleetsim.simulation.vehicles import VehicleArrays


@dataclass(frozen=True)
class Stays:
    """Stays in (vehicle, start) order; energies are battery kWh, powers inlet kW."""

    vehicle: NDArray[np.intp]
    site: NDArray[np.intp]
    start: NDArray[np.intp]
    end: NDArray[np.intp]
    charger: NDArray[np.intp]
    """The charger a plan counts on: a session's own, else the site's best its vehicle takes
    (DC first for vehicles that take DC, as ports are handed out)."""
    inlet_kw: NDArray[np.float64]
    """That charger's rating and the vehicle's AC or DC limit."""
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
    vehicle, site, pinned = vehicle[keep], site[keep], pinned[keep]
    charger = np.where(pinned >= 0, pinned, _best_charger(chargers, vehicles, vehicle, site))
    after_kwh, after_worst = _trips_after(plan, vehicle, trip_before[keep], session_vehicle)
    return Stays(
        vehicle=vehicle,
        site=site,
        start=start[keep],
        end=end[keep],
        charger=charger,
        inlet_kw=chargers.inlet_limit_kw(charger, vehicle, vehicles),
        arrival_kwh=arrival[keep],
        target_kwh=target[keep],
        target_due=(end[keep] >= n_steps) | session_vehicle[vehicle],
        trip_before=trip_before[keep],
        trips_after_kwh=after_kwh,
        trips_after_worst_kwh=after_worst,
    )


def _best_charger(
    chargers: ChargerArrays,
    vehicles: VehicleArrays,
    vehicle: NDArray[np.intp],
    site: NDArray[np.intp],
) -> NDArray[np.intp]:
    """Per stay, the most powerful charger of its site it would be given first: DC where the
    vehicle takes DC and the site has DC, else AC."""
    best = np.full(len(vehicle), -1, dtype=np.intp)
    pools = ((chargers.ac_order, vehicles.ac_kw > 0), (chargers.dc_order, vehicles.dc_kw > 0))
    for order, takes in pools:  # DC last: it wins where the vehicle takes it
        first_of_site = np.full(len(chargers.site_limit_kw), -1, dtype=np.intp)
        sites, first = np.unique(chargers.site[order], return_index=True)
        first_of_site[sites] = order[first]  # the pool lists each site's best first
        candidate = first_of_site[site]
        usable = takes[vehicle] & (candidate >= 0)
        best[usable] = candidate[usable]
    return best


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
