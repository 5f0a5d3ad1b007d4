"""Every trip of the horizon placed on the step grid; its energy per step is looked up as the
run reaches it, never laid out as a [step, vehicle] matrix."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import ResolvedRequest
from fleetsim.simulation.schedule import TripTable, expand_schedule, horizon_seconds, trip_steps
from fleetsim.simulation.trip_energy import ComboEnergy, combine_trips, combo_energy
from fleetsim.simulation.vehicles import VehicleArrays


@dataclass(frozen=True)
class TripPlan:
    """Trips sorted by (vehicle, departure) on the step grid; a trip owns every step it
    overlaps, and `step_energy` gives what it draws in one of them. Memory grows with trips
    and steps, never with vehicles x steps.
    """

    trips: TripTable
    combo: NDArray[np.intp]
    energy: ComboEnergy
    departure_s: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    first_step: NDArray[np.intp]
    end_step: NDArray[np.intp]
    """The first step after the trip, when its vehicle is parked again."""
    n_steps: int
    horizon_steps: int
    phase_s: NDArray[np.float64]
    """Per trip, seconds from the start of its first step to its departure."""
    anyone_driving: NDArray[np.bool_]
    """Per step: some trip holds it."""
    next_departure_step: NDArray[np.intp]
    """Per trip, the first step of its vehicle's next trip (n_steps if none)."""
    first_departure_step: NDArray[np.intp]
    """Per vehicle, the first step of its first trip (n_steps if none)."""
    next_busy_step: NDArray[np.intp]
    """Per step k (0..n_steps), the first step from k on in which a trip departs, drives or
    arrives (n_steps if none): between such steps only charging changes a vehicle."""
    warnings: list[str]

    def step_energy(
        self, trips: NDArray[np.intp], step: int, step_s: int
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Battery kWh (negative where regen wins) and km of `trips` in `step`, which each
        of them holds: its 1 Hz profile between the step's boundaries in trip time."""
        t_from = (step - self.first_step[trips]) * float(step_s) - self.phase_s[trips]
        # Both boundaries in one lookup: the step's start in the first half, its end in the second.
        n = len(trips)
        combo = np.concatenate([self.combo[trips]] * 2)
        cum_kwh, cum_km = self.energy.at(combo, np.concatenate([t_from, t_from + step_s]))
        kwh = cum_kwh[n:] - cum_kwh[:n]
        km = cum_km[n:] - cum_km[:n]
        return kwh, km

    def departing(self, step: int) -> NDArray[np.intp]:
        """Trips that start in `step`."""
        return self._departing_order[
            self._departing_bounds[step] : self._departing_bounds[step + 1]
        ]

    def arriving(self, step: int) -> NDArray[np.intp]:
        """Trips whose vehicle is parked again from `step` on."""
        return self._arriving_order[self._arriving_bounds[step] : self._arriving_bounds[step + 1]]

    _departing_order: NDArray[np.intp]
    _departing_bounds: NDArray[np.intp]
    _arriving_order: NDArray[np.intp]
    _arriving_bounds: NDArray[np.intp]


def plan_trips(
    resolved: ResolvedRequest,
    vehicle_ids: list[str],
    route_ids: list[str],
    types: list[str],
    fleet: VehicleArrays,
) -> TripPlan:
    """Expand the schedule, compute energy once per (type, route, temperature), grid it."""
    scenario = resolved.scenario
    step_s = scenario.step_s
    warnings: list[str] = []
    trips = expand_schedule(scenario, vehicle_ids, route_ids)
    combos, combo = combine_trips(fleet.type_of[trips.vehicle], trips.route, trips.ambient_c)
    energy = combo_energy(
        combos, [resolved.vehicles[t] for t in types], [resolved.routes[r] for r in route_ids]
    )
    duration_s = energy.duration_s[combo]
    departure_s, first, end, delayed = trip_steps(
        trips.vehicle, trips.departure_s, duration_s, step_s
    )
    if delayed:
        warnings.append(f"{delayed} trips delayed: their vehicle was still on a previous trip")
    horizon_steps = -(-horizon_seconds(scenario) // step_s)
    last_end = int(end.max()) if len(end) else 0
    n_steps = max(horizon_steps, last_end + 1)
    if last_end > horizon_steps:
        warnings.append("some trips end after the horizon: the run continues until they arrive")

    n_vehicles, n_trips = len(vehicle_ids), len(trips)
    # Steps some trip holds: +1 where a trip starts, -1 after it, summed along the steps.
    held = np.zeros(n_steps + 1, dtype=np.int64)
    np.add.at(held, first, 1)
    np.add.at(held, end, -1)
    anyone_driving = np.cumsum(held[:n_steps]) > 0

    same_vehicle_next = np.zeros(n_trips, dtype=bool)
    same_vehicle_next[:-1] = trips.vehicle[1:] == trips.vehicle[:-1]
    first_departure = np.full(n_vehicles, n_steps, dtype=np.intp)
    vehicles_with_trips, first_trip = np.unique(trips.vehicle, return_index=True)
    first_departure[vehicles_with_trips] = first[first_trip]
    by_departure = np.argsort(first, kind="stable")
    by_arrival = np.argsort(end, kind="stable")
    every_step = np.arange(n_steps + 1)
    busy = np.zeros(n_steps + 1, dtype=bool)
    busy[:n_steps] = anyone_driving
    busy[first] = busy[end] = busy[n_steps] = True
    next_busy = np.minimum.accumulate(np.where(busy, every_step, n_steps)[::-1])[::-1]
    return TripPlan(
        trips=trips,
        combo=combo,
        energy=energy,
        departure_s=departure_s,
        duration_s=duration_s,
        first_step=first,
        end_step=end,
        n_steps=n_steps,
        horizon_steps=horizon_steps,
        phase_s=departure_s - first * float(step_s),
        anyone_driving=anyone_driving,
        next_departure_step=np.where(same_vehicle_next, np.roll(first, -1), n_steps),
        first_departure_step=first_departure,
        next_busy_step=next_busy,
        warnings=warnings,
        _departing_order=by_departure,
        _departing_bounds=np.searchsorted(first[by_departure], every_step),
        _arriving_order=by_arrival,
        _arriving_bounds=np.searchsorted(end[by_arrival], every_step),
    )
