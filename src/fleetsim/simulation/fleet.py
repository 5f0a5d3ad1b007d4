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
from fleetsim.simulation.chargers import charger_arrays
from fleetsim.simulation.ports import assign_ports
from fleetsim.simulation.schedule import horizon_seconds
from fleetsim.simulation.strategies import STRATEGIES, ChargeDemand
from fleetsim.simulation.tariffs import PriceTable, charger_price_rows
from fleetsim.simulation.trip_energy import stranded_position_km
from fleetsim.simulation.trip_plan import TripPlan, plan_trips
from fleetsim.simulation.vehicles import VehicleArrays, vehicle_arrays

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
ON_ROAD = -2
"""`place` of a vehicle on a trip; -1 is a dwell place with no charger in reach."""


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
    "arrived_s",
    "plugged_in_s",
    "end_s",
    "energy_from_grid_kwh",
    "energy_to_battery_kwh",
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
    trip_energy_used_kwh: NDArray[np.float64]
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


def fleet_index(resolved: ResolvedRequest) -> FleetIndex:
    """The sorted ids every array of a run is indexed by."""
    fleet = sorted(resolved.scenario.fleet, key=lambda v: v.id)
    return FleetIndex(
        vehicle_ids=[v.id for v in fleet],
        vehicle_types=[v.type for v in fleet],
        vehicle_depots=[v.depot for v in fleet],
        type_ids=sorted({v.type for v in fleet}),
        route_ids=sorted(resolved.routes),
        charger_ids=sorted(resolved.chargers),
        site_ids=sorted(resolved.sites),
    )


def simulate_fleet(resolved: ResolvedRequest) -> FleetRun:
    """Run the fleet over the horizon. Never raises for an infeasible fleet."""
    scenario = resolved.scenario
    step_s = scenario.step_s
    step_h = step_s / 3600.0
    strategy_kw = STRATEGIES[scenario.strategy]
    index = fleet_index(resolved)
    fleet = sorted(scenario.fleet, key=lambda v: v.id)
    vehicles = vehicle_arrays(resolved, fleet, index.type_ids, index.site_ids)
    chargers = charger_arrays(
        resolved, index.charger_ids, index.site_ids, index.route_ids, vehicles
    )
    plan = plan_trips(resolved, index.vehicle_ids, index.route_ids, index.type_ids, vehicles)
    trips, n_steps = plan.trips, plan.n_steps
    n_vehicles, n_sites, n_chargers = len(fleet), len(index.site_ids), len(index.charger_ids)
    prices, price_row, price_warnings = charger_price_rows(
        [resolved.chargers[c] for c in index.charger_ids],
        resolved.sites,
        resolved.tariffs,
        scenario.horizon.start,
        step_s,
        n_steps,
    )
    every, n_samples, coarsened = sample_interval_steps(resolved)
    warnings = plan.warnings + price_warnings
    if coarsened:
        warnings.append(f"time series sampled every {every * step_s} s to stay within max_points")
    cap, target, reserve = vehicles.capacity_kwh, vehicles.target_kwh, vehicles.reserve_kwh
    drive_kwh, drive_km, driving = plan.drive_kwh, plan.drive_km, plan.driving

    # State of each vehicle; ev_* accumulate the charging event it is in.
    energy = vehicles.initial_kwh.copy()
    place = chargers.depot_place.copy()
    plugged = np.full(n_vehicles, -1, dtype=np.intp)
    arrival_step = np.zeros(n_vehicles, dtype=np.intp)
    stranded_now = np.zeros(n_vehicles, dtype=bool)
    waiting = np.zeros(n_vehicles, dtype=bool)
    current_trip = np.full(n_vehicles, -1, dtype=np.intp)
    next_departure = plan.first_departure_step.copy()
    odometer = np.zeros(n_vehicles)
    min_soc = energy / cap
    inverse_cap = 1.0 / cap
    stranded_below = reserve - FULL_TOLERANCE_KWH
    full_from = target - FULL_TOLERANCE_KWH
    # can_charge[v]: dwelling where a charger it can use is in reach (kept up to date on moves).
    can_charge = (place >= 0) & chargers.can_charge_at[np.maximum(place, 0), np.arange(n_vehicles)]
    anyone_driving: NDArray[np.bool_] = np.any(driving, axis=1)
    charge_kw = np.zeros(n_vehicles)
    ev_arrived, ev_plugged_in, ev_soc = (np.zeros(n_vehicles) for _ in range(3))
    ev_from_grid, ev_to_battery, ev_cost = (np.zeros(n_vehicles) for _ in range(3))
    trip_start_kwh = np.zeros(len(trips))
    trip_end_kwh = np.zeros(len(trips))
    trip_stranded = np.zeros(len(trips), dtype=bool)
    events = EventLog()
    missed_wait: list[NDArray[Any]] = []
    site_load = np.zeros((n_steps, n_sites))
    series_soc = np.zeros((n_samples, n_vehicles))
    series_odo = np.zeros((n_samples, n_vehicles))
    series_state = np.zeros((n_samples, n_vehicles), dtype=np.int8)
    series_power = np.zeros((n_samples, n_vehicles))

    def close_events(who: NDArray[np.intp], end_s: NDArray[np.float64] | float) -> None:
        events.add(
            vehicle=who,
            charger=plugged[who],
            arrived_s=ev_arrived[who],
            plugged_in_s=ev_plugged_in[who],
            end_s=np.broadcast_to(end_s, who.shape),
            energy_from_grid_kwh=ev_from_grid[who],
            energy_to_battery_kwh=ev_to_battery[who],
            soc_start=ev_soc[who],
            soc_end=energy[who] / cap[who],
            cost=ev_cost[who],
        )
        plugged[who] = -1

    k = 0
    while k < n_steps:
        t_s = k * step_s
        # Arrivals: park at the route end, or at the depot after a recovery.
        arriving = plan.arriving(k)
        if len(arriving):
            veh = trips.vehicle[arriving]
            trip_end_kwh[arriving] = energy[veh]
            place[veh] = np.where(
                stranded_now[veh],
                chargers.depot_place[veh],
                chargers.route_end_site[trips.route[arriving]],
            )
            can_charge[veh] = (place[veh] >= 0) & chargers.can_charge_at[
                np.maximum(place[veh], 0), veh
            ]
            arrival_step[veh] = k
            stranded_now[veh] = False
        # Departures: unplug, give up a queue place, start the trip.
        departing = plan.departing(k)
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
            can_charge[veh] = False
            current_trip[veh] = departing
            trip_start_kwh[departing] = energy[veh]
            next_departure[veh] = plan.next_departure_step[departing]
        # Driving: draw energy; a vehicle reaching its reserve is stranded for this trip.
        energy -= drive_kwh[k]
        np.minimum(energy, cap, out=energy)  # regen into a full battery is lost
        odometer += drive_km[k]
        short = driving[k] & (energy < stranded_below)
        if short.any():
            who = np.flatnonzero(short)
            trip_stranded[current_trip[who]] = True
            energy[who] = reserve[who]
            stranded_now[who] = True
            # It stands still until the trip's scheduled end: clear the rest of its trip.
            span = plan.end_step[current_trip[who]] - k - 1
            offset = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
            rest = (k + 1 + offset, np.repeat(who, span))
            drive_kwh[rest] = 0.0
            drive_km[rest] = 0.0
        # Queue: FCFS by arrival then vehicle id; DC first for vehicles that take DC, the
        # best free charger of the site first; a vehicle never takes a port it cannot use.
        want = can_charge & (plugged < 0) & (energy < full_from)
        if want.any():
            free = chargers.ports - np.bincount(plugged[plugged >= 0], minlength=n_chargers)
            if free.any():
                queue = np.flatnonzero(want)
                queue = queue[np.lexsort((queue, arrival_step[queue], place[queue]))]
                pools = (
                    (chargers.dc_order, vehicles.dc_kw > 0),
                    (chargers.ac_order, vehicles.ac_kw > 0),
                )
                for pool_order, takes in pools:
                    line = queue[takes[queue] & (plugged[queue] < 0)]
                    if not len(line) or not free[pool_order].any():
                        continue
                    served, charger = assign_ports(
                        line, place[line], free, pool_order, chargers.site, n_sites
                    )
                    who = line[served]
                    plugged[who] = charger[served]
                    free -= np.bincount(charger[served], minlength=n_chargers)
                    ev_arrived[who] = arrival_step[who] * float(step_s)
                    ev_plugged_in[who] = float(t_s)
                    ev_soc[who] = energy[who] / cap[who]
                    ev_from_grid[who] = ev_to_battery[who] = ev_cost[who] = 0.0
            waiting = want & (plugged < 0)
        else:
            waiting[:] = False
        # Charging power: limits, strategy, then each site's share of its limit.
        charge_kw.fill(0.0)
        on = np.flatnonzero(plugged >= 0)
        if len(on):
            ch = plugged[on]
            site = chargers.site[ch]
            eta = vehicles.battery_efficiency[on]
            inlet_limit_kw = chargers.inlet_limit_kw(ch, on, vehicles)
            max_kw = np.minimum(inlet_limit_kw, vehicles.curve_at_kw(on, energy[on] / cap[on]))
            want_kw = strategy_kw(
                ChargeDemand(
                    step=k,
                    step_h=step_h,
                    need_kwh=target[on] - energy[on],
                    max_kw=max_kw,
                    inlet_kw=inlet_limit_kw,
                    battery_efficiency=eta,
                    steps_to_departure=next_departure[on] - k,
                    price_row=price_row[ch],
                    prices=prices,
                )
            )
            grid_kw = want_kw / chargers.efficiency[ch]
            load = np.bincount(site, weights=grid_kw, minlength=n_sites)
            limit = chargers.site_limit_kw
            share = np.where(load > limit, limit / np.maximum(load, 1e-12), 1.0)
            grid_kw *= share[site]
            site_load[k] = np.minimum(load, limit)
            inlet_kw = grid_kw * chargers.efficiency[ch]
            to_battery_kwh = inlet_kw * eta * step_h
            energy[on] += to_battery_kwh
            charge_kw[on] = to_battery_kwh / step_h
            ev_from_grid[on] += grid_kw * step_h
            ev_to_battery[on] += to_battery_kwh
            ev_cost[on] += grid_kw * step_h * prices.price[price_row[ch], k]
            full = energy[on] >= full_from[on]
            if full.any():
                # The power it could have had at full demand sets how long the last bit took.
                full_load = np.bincount(
                    site, weights=max_kw / chargers.efficiency[ch], minlength=n_sites
                )
                full_share = np.minimum(limit / np.maximum(full_load, 1e-12), 1.0)
                rate = np.maximum(max_kw[full] * full_share[site[full]], 1e-12)
                spread = scenario.strategy == "balanced"
                fraction = 1.0 if spread else np.minimum(inlet_kw[full] / rate, 1.0)
                close_events(on[full], t_s + step_s * fraction)
        if anyone_driving[k]:  # only driving lowers a battery
            np.minimum(min_soc, energy * inverse_cap, out=min_soc)
        if k % every == 0 and k < plan.horizon_steps:
            s = k // every
            series_soc[s] = energy * inverse_cap
            series_odo[s] = odometer
            series_power[s] = np.where(driving[k], -drive_kwh[k] / step_h, charge_kw)
            state = np.full(n_vehicles, PARKED, dtype=np.int8)
            state[waiting] = WAITING
            state[plugged >= 0] = PLUGGED
            state[charge_kw > 0] = CHARGING
            state[driving[k]] = DRIVING
            state[stranded_now] = STRANDED
            series_state[s] = state
        k += 1
        if k < plan.next_busy_step[k] and not (plugged >= 0).any():
            np.minimum(energy, cap, out=energy)
            if not (can_charge & (energy < full_from)).any():
                # Idle until the next trip event: nobody drives, charges or waits meanwhile,
                # so the state stands; sample it and jump (a long night costs one step).
                idle_until = int(plan.next_busy_step[k])
                waiting[:] = False
                rows = slice(-(-k // every), -(-min(idle_until, plan.horizon_steps) // every))
                series_soc[rows] = energy * inverse_cap
                series_odo[rows] = odometer
                series_power[rows] = 0.0
                series_state[rows] = np.where(stranded_now, STRANDED, PARKED)
                k = idle_until

    still_on = np.flatnonzero(plugged >= 0)
    if len(still_on):
        close_events(still_on, float(n_steps * step_s))
    distance, at_km, shortfall, wheel = _trip_outcomes(
        plan, vehicles, trip_start_kwh, trip_stranded
    )
    trip_cap = cap[trips.vehicle]
    return FleetRun(
        index=index,
        step_s=step_s,
        n_steps=n_steps,
        horizon_steps=plan.horizon_steps,
        sample_every=every,
        warnings=warnings,
        prices=prices,
        charger_price_row=price_row,
        trip_vehicle=trips.vehicle,
        trip_route=trips.route,
        trip_departure_s=plan.departure_s,
        trip_duration_s=plan.duration_s,
        trip_distance_km=distance,
        trip_energy_used_kwh=trip_start_kwh - trip_end_kwh,
        trip_wheel_kwh=wheel,
        trip_missed_s=plan.energy.missed_s[plan.combo],
        trip_soc_start=trip_start_kwh / trip_cap,
        trip_soc_end=trip_end_kwh / trip_cap,
        trip_stranded=trip_stranded,
        trip_stranded_at_km=at_km,
        trip_shortfall_kwh=shortfall,
        events=events.table(EVENT_COLUMNS),
        missed_wait_s=np.concatenate(missed_wait) if missed_wait else np.zeros(0),
        soc_start=vehicles.initial_kwh / cap,
        soc_end=energy / cap,
        min_soc=min_soc,
        charger_ports=chargers.ports,
        site_limit_kw=chargers.site_limit_kw,
        site_load_kw=site_load,
        series_soc=series_soc,
        series_odometer_km=series_odo,
        series_state=series_state,
        series_power_kw=series_power,
    )


def _trip_outcomes(
    plan: TripPlan,
    vehicles: VehicleArrays,
    start_kwh: NDArray[np.float64],
    stranded: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Distance, where stranded (km, else NaN), shortfall (kWh, else NaN), wheel kWh per trip."""
    energy, combo = plan.energy, plan.combo
    full_km = energy.distance_km[combo]
    distance = full_km.copy()
    at_km = np.full(len(combo), np.nan)
    shortfall = np.full(len(combo), np.nan)
    for i in np.flatnonzero(stranded):  # stranded trips are few; each needs a 1 Hz search
        available = start_kwh[i] - vehicles.reserve_kwh[plan.trips.vehicle[i]]
        at_km[i] = distance[i] = stranded_position_km(energy, int(combo[i]), available)
        shortfall[i] = energy.net_kwh[combo[i]] - available
    driven_share = np.where(full_km > 0, distance / np.maximum(full_km, 1e-12), 0.0)
    return distance, at_km, shortfall, energy.wheel_kwh[combo] * driven_share
