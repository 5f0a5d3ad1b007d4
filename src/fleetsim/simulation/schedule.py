"""Expand a scenario's weekly schedule into dated trip instances over the horizon."""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import Scenario
from fleetsim.models.charger import ALL_WEEKDAYS
from fleetsim.simulation.local_time import LocalClock

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class TripTable:
    """Trip instances, sorted by (vehicle, departure); times in seconds from horizon start."""

    vehicle: NDArray[np.intp]
    route: NDArray[np.intp]
    departure_s: NDArray[np.float64]
    ambient_c: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.vehicle)


def horizon_seconds(scenario: Scenario) -> int:
    """Length of the horizon in seconds."""
    return scenario.horizon.days * SECONDS_PER_DAY


def ambient_at_c(scenario: Scenario, t_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ambient °C at times `t_s`: profile[i] holds hour i after the start, repeated."""
    profile = scenario.weather.ambient_c
    if not isinstance(profile, list):
        return np.full(t_s.shape, float(profile))
    hours = np.floor_divide(t_s, 3600.0).astype(np.intp) % len(profile)
    return np.asarray(profile, dtype=np.float64)[hours]


def expand_schedule(scenario: Scenario, vehicle_ids: list[str], route_ids: list[str]) -> TripTable:
    """Trip instances of every schedule row on matching days; departures in local time."""
    clock = LocalClock.of(scenario.horizon)
    start: datetime = clock.start
    days = scenario.horizon.days
    day_index = np.arange(days + 1)  # one more: a start after midnight reaches into day `days`
    weekday = (start.weekday() + day_index) % 7
    vehicle_pos = {v: i for i, v in enumerate(vehicle_ids)}
    route_pos = {r: i for i, r in enumerate(route_ids)}
    limit_s = horizon_seconds(scenario)

    vehicles: list[NDArray[np.intp]] = []
    routes: list[NDArray[np.intp]] = []
    departures: list[NDArray[np.float64]] = []
    days_of: dict[tuple[object, ...], NDArray[np.intp]] = {}  # rows share a few day sets
    for trip in scenario.schedule:
        key = ("dates", *trip.dates) if trip.dates is not None else ("weekdays", *trip.weekdays)
        if key not in days_of:
            if trip.dates is not None:
                offsets = {(d - start.date()).days for d in trip.dates}
                on_day = np.isin(day_index, sorted(offsets))
            else:
                wanted = [ALL_WEEKDAYS.index(w) for w in trip.weekdays]
                on_day = np.isin(weekday, wanted)
            days_of[key] = day_index[on_day]
        tod_s = trip.departure.hour * 3600 + trip.departure.minute * 60 + trip.departure.second
        day_s = clock.elapsed_s(days_of[key], tod_s)
        dep = day_s[(day_s >= 0) & (day_s < limit_s)]
        vehicles.append(np.full(dep.shape, vehicle_pos[trip.vehicle_id], dtype=np.intp))
        routes.append(np.full(dep.shape, route_pos[trip.route_id], dtype=np.intp))
        departures.append(dep)

    if not departures:
        empty_i = np.zeros(0, dtype=np.intp)
        empty_f = np.zeros(0, dtype=np.float64)
        return TripTable(empty_i, empty_i, empty_f, empty_f)
    vehicle = np.concatenate(vehicles)
    route = np.concatenate(routes)
    departure_s = np.concatenate(departures)
    order = np.lexsort((route, departure_s, vehicle))
    departure_s = departure_s[order]
    return TripTable(
        vehicle=vehicle[order],
        route=route[order],
        departure_s=departure_s,
        ambient_c=ambient_at_c(scenario, departure_s),
    )


def trip_steps(
    vehicle: NDArray[np.intp],
    departure_s: NDArray[np.float64],
    duration_s: NDArray[np.float64],
    step_s: int,
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], int]:
    """Departures (delayed where needed), first and after-last step of each trip, delays.

    A trip holds every step it overlaps; one that would start in a step its vehicle still
    holds is delayed to the start of the vehicle's next free step. Trips must be sorted by
    (vehicle, departure).
    """
    dep = departure_s.copy()
    same_vehicle = np.zeros(len(dep), dtype=bool)
    same_vehicle[1:] = vehicle[1:] == vehicle[:-1]
    delayed = np.zeros(len(dep), dtype=bool)
    while True:
        first = np.floor(dep / step_s).astype(np.intp)
        after = np.ceil((dep + duration_s) / step_s - 1e-9).astype(np.intp)
        after = np.maximum(after, first + 1)
        previous_after = np.full(len(dep), np.iinfo(np.intp).min, dtype=np.intp)
        previous_after[1:] = after[:-1]
        late = same_vehicle & (first < previous_after)
        if not late.any():
            return dep, first, after, int(delayed.sum())
        dep[late] = previous_after[late] * float(step_s)
        delayed |= late
