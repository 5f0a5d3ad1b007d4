"""The fleet model: a loop over time steps, vectorised over vehicles, ports and sites.

Times are quantised to `step_s`: a vehicle leaves its charger at the start of the step that
holds its departure and plugs in at the first step boundary after it arrives; a charge that
completes inside a step ends at its exact time.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import ResolvedRequest
from fleetsim.models.result import VehicleState
from fleetsim.simulation.places import site_within_reach
from fleetsim.simulation.ports import assign_ports
from fleetsim.simulation.schedule import expand_schedule, horizon_seconds, trip_steps
from fleetsim.simulation.tariffs import PriceTable, charger_price_rows
from fleetsim.simulation.trip_energy import (
    ComboEnergy,
    combine_trips,
    combo_energy,
    stranded_position_km,
)

FULL_TOLERANCE_KWH = 1e-6
"""A battery within this of its charge target counts as full."""

STATE_CODES: tuple[VehicleState, ...] = (
    "parked",
    "driving",
    "charging",
    "plugged",
    "waiting",
    "stranded",
)
PARKED, DRIVING, CHARGING, PLUGGED, WAITING, STRANDED = range(6)
NO_PLACE, ON_ROAD = -1, -2


@dataclass(frozen=True)
class FleetIndex:
    """Stable orderings (sorted ids) that every array of a run is indexed by."""

    vehicle_ids: list[str]
    vehicle_types: list[str]
    vehicle_depots: list[str]
    type_ids: list[str]
    route_ids: list[str]
    charger_ids: list[str]
    site_ids: list[str]


@dataclass
class EventLog:
    """Charging events gathered as arrays per step, concatenated at the end."""

    columns: dict[str, list[NDArray[np.float64]]] = field(default_factory=dict)

    def add(self, **values: NDArray[Any]) -> None:
        for name, array in values.items():
            self.columns.setdefault(name, []).append(np.asarray(array, dtype=np.float64))

    def table(self, names: tuple[str, ...]) -> dict[str, NDArray[np.float64]]:
        return {
            n: np.concatenate(self.columns[n]) if n in self.columns else np.zeros(0) for n in names
        }


EVENT_COLUMNS = (
    "vehicle",
    "charger",
    "plug_in_s",
    "start_s",
    "end_s",
    "grid_kwh",
    "stored_kwh",
    "soc_start",
    "soc_end",
    "cost",
)


@dataclass(frozen=True)
class FleetRun:
    """Everything a run produced, as arrays; the envelope is built from this."""

    index: FleetIndex
    step_s: int
    n_steps: int
    horizon_steps: int
    sample_every: int
    warnings: list[str]
    prices: PriceTable
    charger_price_row: NDArray[np.intp]
    trip_vehicle: NDArray[np.intp]
    trip_route: NDArray[np.intp]
    trip_departure_s: NDArray[np.float64]
    trip_duration_s: NDArray[np.float64]
    trip_distance_km: NDArray[np.float64]
    trip_energy_kwh: NDArray[np.float64]
    trip_wheel_kwh: NDArray[np.float64]
    trip_missed_s: NDArray[np.float64]
    trip_soc_start: NDArray[np.float64]
    trip_soc_end: NDArray[np.float64]
    trip_stranded: NDArray[np.bool_]
    trip_stranded_at_km: NDArray[np.float64]
    trip_shortfall_kwh: NDArray[np.float64]
    events: dict[str, NDArray[np.float64]]
    missed_wait_s: NDArray[np.float64]
    soc_start: NDArray[np.float64]
    soc_end: NDArray[np.float64]
    min_soc: NDArray[np.float64]
    charger_ports: NDArray[np.int64]
    site_limit_kw: NDArray[np.float64]
    site_load_kw: NDArray[np.float64]
    series_soc: NDArray[np.float64]
    series_odometer_km: NDArray[np.float64]
    series_state: NDArray[np.int8]
    series_power_kw: NDArray[np.float64]


def sample_interval_steps(resolved: ResolvedRequest) -> tuple[int, int, bool]:
    """Steps between time-series samples, sample count, and whether `max_points` coarsened it."""
    scenario = resolved.scenario
    steps = -(-horizon_seconds(scenario) // scenario.step_s)
    every = max(1, round(scenario.time_series_resolution_s / scenario.step_s))
    vehicles = max(1, len(scenario.fleet))
    coarsened = False
    while vehicles * -(-steps // every) > scenario.max_points and every < steps:
        every += 1
        coarsened = True
    return every, -(-steps // every), coarsened


def simulate_fleet(resolved: ResolvedRequest) -> FleetRun:
    """Run the fleet over the horizon. Never raises for an infeasible fleet."""
    scenario = resolved.scenario
    step_s = scenario.step_s
    step_h = step_s / 3600.0
    strategy = scenario.strategy
    fleet = sorted(scenario.fleet, key=lambda v: v.id)
    index = FleetIndex(
        vehicle_ids=[v.id for v in fleet],
        vehicle_types=[v.type for v in fleet],
        vehicle_depots=[v.depot for v in fleet],
        type_ids=sorted({v.type for v in fleet}),
        route_ids=sorted(resolved.routes),
        charger_ids=sorted(resolved.chargers),
        site_ids=sorted(resolved.sites),
    )
    warnings: list[str] = []
    types = [resolved.vehicles[t] for t in index.type_ids]
    routes = [resolved.routes[r] for r in index.route_ids]
    chargers = [resolved.chargers[c] for c in index.charger_ids]
    site_pos = {s: i for i, s in enumerate(index.site_ids)}
    n_vehicles, n_sites = len(fleet), len(index.site_ids)

    # Vehicles.
    type_of = np.array([index.type_ids.index(v.type) for v in fleet], dtype=np.intp)
    spec = [resolved.vehicles[v.type] for v in fleet]
    cap = np.array([s.battery_usable_kwh for s in spec])
    target = cap * np.array([s.soc_max for s in spec])
    reserve = cap * np.array([s.reserve_soc for s in spec])
    eta_battery = np.array([s.battery_efficiency for s in spec])
    ac_kw = np.array([s.max_ac_charge_kw for s in spec])
    dc_kw = np.array([s.max_dc_charge_kw for s in spec])
    depot = np.array([site_pos[v.depot] for v in fleet], dtype=np.intp)
    energy = cap * np.array(
        [
            v.initial_soc if v.initial_soc is not None else s.soc_max
            for v, s in zip(fleet, spec, strict=True)
        ]
    )
    soc_start = energy / cap if n_vehicles else np.zeros(0)
    curve_grid = np.linspace(0.0, 1.0, 1001)
    curve_kw = np.array(
        [
            np.interp(curve_grid, [p[0] for p in t.charge_curve], [p[1] for p in t.charge_curve])
            if t.charge_curve
            else np.full(len(curve_grid), np.inf)
            for t in types
        ]
    ).reshape(len(types), len(curve_grid))

    # Chargers and sites.
    charger_kw = np.array([c.power_kw for c in chargers])
    charger_dc = np.array([c.current == "DC" for c in chargers], dtype=bool)
    charger_ports = np.array([c.ports for c in chargers], dtype=np.int64)
    charger_site = np.array([site_pos[c.site] for c in chargers], dtype=np.intp)
    charger_eff = np.array([c.efficiency for c in chargers])
    charger_lonlat = np.array([c.location for c in chargers], dtype=np.float64).reshape(-1, 2)
    site_limit = np.array([resolved.sites[s].site_power_limit_kw or np.inf for s in index.site_ids])
    preference = np.lexsort((np.arange(len(chargers)), -charger_kw, charger_site))
    dc_order, ac_order = preference[charger_dc[preference]], preference[~charger_dc[preference]]
    site_has_dc = np.bincount(charger_site, weights=charger_dc, minlength=n_sites) > 0
    site_has_ac = np.bincount(charger_site, weights=~charger_dc, minlength=n_sites) > 0
    # can_charge_at[site, vehicle]: the site has a charger whose current the vehicle takes.
    can_charge_at = (site_has_dc[:, None] & (dc_kw > 0)[None, :]) | (
        site_has_ac[:, None] & (ac_kw > 0)[None, :]
    )
    route_end = np.array([r.end for r in routes], dtype=np.float64).reshape(-1, 2)
    route_end_site = site_within_reach(route_end, charger_lonlat, charger_site)
    site_lonlat = np.array([resolved.sites[s].location for s in index.site_ids]).reshape(-1, 2)
    depot_place = site_within_reach(site_lonlat, charger_lonlat, charger_site)[depot]

    # Trips and their energy.
    trips = expand_schedule(scenario, index.vehicle_ids, index.route_ids)
    combos, trip_combo = combine_trips(type_of[trips.vehicle], trips.route, trips.ambient_c)
    energy_table: ComboEnergy = combo_energy(combos, types, routes)
    duration_s = energy_table.duration_s[trip_combo]
    departure_s, dep_step, arr_step, n_delayed = trip_steps(
        trips.vehicle, trips.departure_s, duration_s, step_s
    )
    if n_delayed:
        warnings.append(f"{n_delayed} trips delayed: their vehicle was still on a previous trip")
    n_trip_steps = arr_step - dep_step
    horizon_steps = -(-horizon_seconds(scenario) // step_s)
    n_steps = int(max(horizon_steps, int(arr_step.max()) + 1 if len(arr_step) else 0))
    if len(arr_step) and int(arr_step.max()) > horizon_steps:
        warnings.append("some trips end after the horizon: the run continues until they arrive")
    n_trips = len(trips)

    drive_kwh = np.zeros((n_steps, n_vehicles))
    drive_km = np.zeros((n_steps, n_vehicles))
    driving = np.zeros((n_steps, n_vehicles), dtype=bool)
    trip_of_row = np.repeat(np.arange(n_trips), n_trip_steps)
    j = np.arange(len(trip_of_row)) - np.repeat(
        np.cumsum(n_trip_steps) - n_trip_steps, n_trip_steps
    )
    # Trip time at each step boundary it spans: the trip starts `phase` into its first step.
    phase = departure_s - dep_step * float(step_s)
    row_combo = trip_combo[trip_of_row]
    t_from = j * float(step_s) - phase[trip_of_row]
    t_to = t_from + step_s
    rows, cols = dep_step[trip_of_row] + j, trips.vehicle[trip_of_row]
    for values, matrix in ((energy_table.cum_kwh, drive_kwh), (energy_table.cum_km, drive_km)):
        matrix[rows, cols] = energy_table.at(values, row_combo, t_to) - energy_table.at(
            values, row_combo, t_from
        )
    driving[rows, cols] = True

    same_vehicle_next = np.zeros(n_trips, dtype=bool)
    same_vehicle_next[:-1] = trips.vehicle[1:] == trips.vehicle[:-1]
    next_dep_of_trip = np.where(same_vehicle_next, np.roll(dep_step, -1), n_steps)
    next_dep = np.full(n_vehicles, n_steps, dtype=np.intp)
    first_trip_vehicle, first_trip = np.unique(trips.vehicle, return_index=True)
    next_dep[first_trip_vehicle] = dep_step[first_trip]
    dep_order = np.argsort(dep_step, kind="stable")
    dep_bounds = np.searchsorted(dep_step[dep_order], np.arange(n_steps + 1))
    arr_order = np.argsort(arr_step, kind="stable")
    arr_bounds = np.searchsorted(arr_step[arr_order], np.arange(n_steps + 1))

    prices, price_row, price_warnings = charger_price_rows(
        chargers, resolved.sites, resolved.tariffs, scenario.horizon.start, step_s, n_steps
    )
    warnings += price_warnings

    # State.
    place = depot_place.copy()
    plugged = np.full(n_vehicles, -1, dtype=np.intp)
    arrival_step = np.zeros(n_vehicles, dtype=np.intp)
    stranded_now = np.zeros(n_vehicles, dtype=bool)
    waiting = np.zeros(n_vehicles, dtype=bool)
    current_trip = np.full(n_vehicles, -1, dtype=np.intp)
    odometer = np.zeros(n_vehicles)
    min_soc = soc_start.copy()
    inverse_cap = 1.0 / cap
    vehicle_index = np.arange(n_vehicles)
    charge_kw = np.zeros(n_vehicles)
    ev_start = np.zeros(n_vehicles)
    ev_plug_in = np.zeros(n_vehicles)
    ev_grid = np.zeros(n_vehicles)
    ev_stored = np.zeros(n_vehicles)
    ev_cost = np.zeros(n_vehicles)
    ev_soc = np.zeros(n_vehicles)
    trip_start_kwh = np.zeros(n_trips)
    trip_end_kwh = np.zeros(n_trips)
    trip_stranded = np.zeros(n_trips, dtype=bool)
    events = EventLog()
    missed_wait: list[NDArray[Any]] = []
    site_load = np.zeros((n_steps, n_sites))
    every, n_samples, coarsened = sample_interval_steps(resolved)
    if coarsened:
        warnings.append(f"time series sampled every {every * step_s} s to stay within max_points")
    series_soc = np.zeros((n_samples, n_vehicles))
    series_odo = np.zeros((n_samples, n_vehicles))
    series_state = np.zeros((n_samples, n_vehicles), dtype=np.int8)
    series_power = np.zeros((n_samples, n_vehicles))

    def close_events(who: NDArray[np.intp], end_s: NDArray[np.float64] | float) -> None:
        events.add(
            vehicle=who,
            charger=plugged[who],
            plug_in_s=ev_plug_in[who],
            start_s=ev_start[who],
            end_s=np.broadcast_to(end_s, who.shape),
            grid_kwh=ev_grid[who],
            stored_kwh=ev_stored[who],
            soc_start=ev_soc[who],
            soc_end=energy[who] / cap[who],
            cost=ev_cost[who],
        )
        plugged[who] = -1

    for k in range(n_steps):
        t_s = k * step_s
        # Arrivals: park at the route end, or at the depot after a recovery.
        arrived = arr_order[arr_bounds[k] : arr_bounds[k + 1]]
        if len(arrived):
            veh = trips.vehicle[arrived]
            trip_end_kwh[arrived] = energy[veh]
            place[veh] = np.where(
                stranded_now[veh], depot_place[veh], route_end_site[trips.route[arrived]]
            )
            arrival_step[veh] = k
            stranded_now[veh] = False
        # Departures: unplug, give up a queue place, start the trip.
        departing = dep_order[dep_bounds[k] : dep_bounds[k + 1]]
        if len(departing):
            veh = trips.vehicle[departing]
            on_charger = veh[plugged[veh] >= 0]
            if len(on_charger):
                close_events(on_charger, float(t_s))
            queued = veh[waiting[veh]]
            if len(queued):
                missed_wait.append(t_s - arrival_step[queued] * float(step_s))
                waiting[queued] = False
            place[veh] = ON_ROAD
            current_trip[veh] = departing
            trip_start_kwh[departing] = energy[veh]
            next_dep[veh] = next_dep_of_trip[departing]
        # Driving: draw energy; a vehicle reaching its reserve is stranded for this trip.
        energy -= drive_kwh[k]
        np.minimum(energy, cap, out=energy)  # regen into a full battery is lost
        odometer += drive_km[k]
        short = driving[k] & (energy < reserve - FULL_TOLERANCE_KWH)
        if short.any():
            who = np.flatnonzero(short)
            trip_stranded[current_trip[who]] = True
            energy[who] = reserve[who]
            stranded_now[who] = True
            # It stands still until the trip's scheduled end: clear the rest of its trip.
            span = arr_step[current_trip[who]] - k - 1
            offset = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
            rest = (k + 1 + offset, np.repeat(who, span))
            drive_kwh[rest] = 0.0
            drive_km[rest] = 0.0
        # Queue: FCFS by arrival then vehicle id; DC first for vehicles that take DC, the
        # best free charger of the site first; a vehicle never takes a port it cannot use.
        want = (place >= 0) & (plugged < 0) & (energy < target - FULL_TOLERANCE_KWH)
        want &= can_charge_at[np.maximum(place, 0), vehicle_index]
        if want.any():
            free = charger_ports - np.bincount(plugged[plugged >= 0], minlength=len(chargers))
            if free.any():
                queue = np.flatnonzero(want)
                queue = queue[np.lexsort((queue, arrival_step[queue], place[queue]))]
                for pool_order, takes in ((dc_order, dc_kw > 0), (ac_order, ac_kw > 0)):
                    line = queue[takes[queue] & (plugged[queue] < 0)]
                    served, charger = assign_ports(
                        line, place[line], free, pool_order, charger_site, n_sites
                    )
                    who = line[served]
                    plugged[who] = charger[served]
                    free -= np.bincount(charger[served], minlength=len(chargers))
                    ev_plug_in[who] = arrival_step[who] * float(step_s)
                    ev_start[who] = float(t_s)
                    ev_soc[who] = energy[who] / cap[who]
                    ev_grid[who] = ev_stored[who] = ev_cost[who] = 0.0
            waiting = want & (plugged < 0)
        else:
            waiting[:] = False
        # Charging power: limits, strategy, then each site's share of its limit.
        charge_kw.fill(0.0)
        on = np.flatnonzero(plugged >= 0)
        if len(on):
            ch = plugged[on]
            soc = energy[on] / cap[on]
            nominal_kw = np.minimum(charger_kw[ch], np.where(charger_dc[ch], dc_kw[on], ac_kw[on]))
            curve_at = curve_kw[type_of[on], np.minimum((soc * 1000).astype(np.intp), 1000)]
            max_kw = np.minimum(nominal_kw, curve_at)
            need_kwh = target[on] - energy[on]
            to_full_kw = need_kwh / (eta_battery[on] * step_h)
            if strategy == "balanced":
                steps_left = np.maximum(next_dep[on] - k - 1, 1)
                want_kw = np.minimum(max_kw, to_full_kw / steps_left)
            elif strategy == "time_of_use":
                row = price_row[ch]
                level = prices.level[row, k]
                cheaper = (
                    prices.cheaper_steps[row, level, np.minimum(next_dep[on], n_steps)]
                    - prices.cheaper_steps[row, level, k + 1]
                )
                later_kwh = np.maximum(cheaper, 0) * nominal_kw * eta_battery[on] * step_h
                must_kw = np.maximum(need_kwh - later_kwh, 0.0) / (eta_battery[on] * step_h)
                want_kw = np.minimum(max_kw, must_kw)
            else:
                want_kw = np.minimum(max_kw, to_full_kw)
            grid_kw = want_kw / charger_eff[ch]
            load = np.bincount(charger_site[ch], weights=grid_kw, minlength=n_sites)
            share = np.where(load > site_limit, site_limit / np.maximum(load, 1e-12), 1.0)
            grid_kw *= share[charger_site[ch]]
            site_load[k] = np.minimum(load, site_limit)
            inlet_kw = grid_kw * charger_eff[ch]
            stored_kwh = inlet_kw * eta_battery[on] * step_h
            energy[on] += stored_kwh
            charge_kw[on] = stored_kwh / step_h
            ev_grid[on] += grid_kw * step_h
            ev_stored[on] += stored_kwh
            ev_cost[on] += grid_kw * step_h * prices.price[price_row[ch], k]
            full = energy[on] >= target[on] - FULL_TOLERANCE_KWH
            if full.any():
                done = on[full]
                # The power it could have had at full demand sets how long the last bit took.
                site = charger_site[ch]
                full_load = np.bincount(site, weights=max_kw / charger_eff[ch], minlength=n_sites)
                full_share = np.minimum(site_limit / np.maximum(full_load, 1e-12), 1.0)
                rate = np.maximum(max_kw[full] * full_share[site[full]], 1e-12)
                fraction = 1.0 if strategy == "balanced" else np.minimum(inlet_kw[full] / rate, 1.0)
                close_events(done, t_s + step_s * fraction)
        np.minimum(min_soc, energy * inverse_cap, out=min_soc)
        if k % every == 0 and k < horizon_steps:
            s = k // every
            series_soc[s] = energy / cap
            series_odo[s] = odometer
            series_power[s] = np.where(driving[k], -drive_kwh[k] / step_h, charge_kw)
            state = np.full(n_vehicles, PARKED, dtype=np.int8)
            state[waiting] = WAITING
            state[plugged >= 0] = PLUGGED
            state[charge_kw > 0] = CHARGING
            state[driving[k]] = DRIVING
            state[stranded_now] = STRANDED
            series_state[s] = state

    still_on = np.flatnonzero(plugged >= 0)
    if len(still_on):
        close_events(still_on, float(n_steps * step_s))

    # Per-trip outcome.
    trip_energy = trip_start_kwh - trip_end_kwh
    distance = energy_table.distance_km[trip_combo].copy()
    at_km = np.full(n_trips, np.nan)
    shortfall = np.full(n_trips, np.nan)
    for i in np.flatnonzero(trip_stranded):  # stranded trips are few; each needs a 1 Hz search
        available = trip_start_kwh[i] - reserve[trips.vehicle[i]]
        at_km[i] = stranded_position_km(energy_table, int(trip_combo[i]), available)
        shortfall[i] = energy_table.net_kwh[trip_combo[i]] - available
        distance[i] = at_km[i]
    wheel = energy_table.wheel_kwh[trip_combo] * np.where(
        energy_table.distance_km[trip_combo] > 0,
        distance / np.maximum(energy_table.distance_km[trip_combo], 1e-12),
        0.0,
    )
    soc_of_trip_vehicle = cap[trips.vehicle] if n_trips else np.zeros(0)
    return FleetRun(
        index=index,
        step_s=step_s,
        n_steps=n_steps,
        horizon_steps=horizon_steps,
        sample_every=every,
        warnings=warnings,
        prices=prices,
        charger_price_row=price_row,
        trip_vehicle=trips.vehicle,
        trip_route=trips.route,
        trip_departure_s=departure_s,
        trip_duration_s=duration_s,
        trip_distance_km=distance,
        trip_energy_kwh=trip_energy,
        trip_wheel_kwh=wheel,
        trip_missed_s=energy_table.missed_s[trip_combo],
        trip_soc_start=trip_start_kwh / np.maximum(soc_of_trip_vehicle, 1e-12),
        trip_soc_end=trip_end_kwh / np.maximum(soc_of_trip_vehicle, 1e-12),
        trip_stranded=trip_stranded,
        trip_stranded_at_km=at_km,
        trip_shortfall_kwh=shortfall,
        events=events.table(EVENT_COLUMNS),
        missed_wait_s=np.concatenate(missed_wait) if missed_wait else np.zeros(0),
        soc_start=soc_start,
        soc_end=energy / np.maximum(cap, 1e-12),
        min_soc=min_soc,
        charger_ports=charger_ports,
        site_limit_kw=site_limit,
        site_load_kw=site_load,
        series_soc=series_soc,
        series_odometer_km=series_odo,
        series_state=series_state,
        series_power_kw=series_power,
    )
