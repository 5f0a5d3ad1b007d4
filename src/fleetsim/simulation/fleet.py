"""The fleet model: a loop over time steps, vectorised over vehicles, ports and sites.

A step (`run_step`) is a short list of named phases over one `FleetState`: vehicles back from
trips park, trips and sessions leave, sessions arrive, vehicles drive, queued vehicles take
free ports, plugged vehicles charge, the state is sampled. After it, a stretch in which
nothing can change is jumped in one go (`skip_idle`). The strategy's rules come from
`STRATEGIES`; no phase knows a strategy by name.

Times are quantised to `step_s`: a vehicle leaves its charger at the start of the step that
holds its departure and plugs in at the first step boundary after it arrives; a charge that
completes inside a step ends at its exact time.
"""

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import FleetVehicle, ResolvedRequest
from fleetsim.models.result import VehicleState
from fleetsim.simulation.chargers import ChargerArrays, charger_arrays
from fleetsim.simulation.local_time import LocalClock
from fleetsim.simulation.ports import assign_ports as match_ports
from fleetsim.simulation.schedule import horizon_seconds
from fleetsim.simulation.sessions import SessionPlan, plan_sessions, session_fleet
from fleetsim.simulation.strategies import (
    STRATEGIES,
    ChargeDemand,
    ChargingRule,
    grant_site_power_kw,
)
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
    "away",
)
PARKED, DRIVING, CHARGING, PLUGGED, WAITING, STRANDED, AWAY = range(7)
ON_ROAD = -2
"""`place` of a vehicle on a trip; -1 is a dwell place with no charger in reach."""
AWAY_PLACE = -3
"""`place` of a session vehicle outside its sessions."""


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


EVENT_COLUMNS = (
    "vehicle",
    "charger",
    "arrived_s",
    "plugged_in_s",
    "end_s",
    "energy_requested_kwh",
    "energy_from_grid_kwh",
    "energy_to_battery_kwh",
    "soc_start",
    "soc_end",
    "cost",
)


@dataclass
class EventLog:
    """Charging events as they close, one row per `EVENT_COLUMNS` column in one buffer that
    doubles when full. A run's events are thus a few large arrays, each freed whole when
    outgrown (the allocator hands large blocks back), not one small array per step whose
    scattered remains it would keep after joining them: a year of 1,000 vehicles closes a
    million events."""

    buffer: NDArray[np.float64] = field(
        default_factory=lambda: np.empty((len(EVENT_COLUMNS), 1024))
    )
    filled: int = 0
    """Events written: the first `filled` entries of each row."""

    def add(self, columns: list[NDArray[Any]]) -> None:
        """The events closed in a step: one array per column, in `EVENT_COLUMNS` order."""
        n_events = len(columns[0])
        if self.filled + n_events > self.buffer.shape[1]:
            grown = np.empty((len(EVENT_COLUMNS), 2 * (self.filled + n_events)))
            grown[:, : self.filled] = self.buffer[:, : self.filled]
            self.buffer = grown
        self.buffer[:, self.filled : self.filled + n_events] = columns
        self.filled += n_events

    def table(self) -> dict[str, NDArray[np.float64]]:
        """Each column's events, in the order they closed (views of the buffer)."""
        return dict(zip(EVENT_COLUMNS, self.buffer[:, : self.filled], strict=True))


@dataclass(frozen=True)
class FleetModel:
    """What a run reads, never changes: the fleet's arrays, the trip and session plans,
    prices, the strategy's rule and the sampling grid."""

    index: FleetIndex
    step_s: int
    rule: ChargingRule
    vehicles: VehicleArrays
    chargers: ChargerArrays
    plan: TripPlan
    sessions: SessionPlan
    prices: PriceTable
    price_row: NDArray[np.intp]
    """Per charger, its row in `prices`."""
    sample_every: int
    n_samples: int
    sample_weight: NDArray[np.float64]
    """Per sample, 1 / the horizon steps it covers: its power is their mean."""
    next_busy_step: NDArray[np.intp]
    """Per step k (0..n_steps), the first step from k on in which a trip departs, drives or
    arrives or a session starts or ends: between such steps only charging changes anything."""
    session_vehicle: NDArray[np.bool_]
    """Per vehicle: it comes only for sessions, and is away outside them."""
    stranded_below_kwh: NDArray[np.float64]
    """Per vehicle: driving below this strands it (its reserve, less rounding)."""
    takes_dc: NDArray[np.bool_]
    takes_ac: NDArray[np.bool_]
    warnings: list[str]

    @property
    def step_h(self) -> float:
        return self.step_s / 3600.0


@dataclass
class FleetState:
    """Everything the phases change. Per-vehicle arrays are in fleet order; `event_*` hold the
    charging event each plugged vehicle is in; the rest gathers the run's outputs."""

    energy_kwh: NDArray[np.float64]
    target_kwh: NDArray[np.float64]
    place: NDArray[np.intp]
    """Site it dwells at (-1: no charger in reach), ON_ROAD or AWAY_PLACE."""
    plugged: NDArray[np.intp]
    """Charger it holds a port of, or -1."""
    pinned_charger: NDArray[np.intp]
    """The only charger its session may use, or -1."""
    arrival_step: NDArray[np.intp]
    stranded: NDArray[np.bool_]
    waiting: NDArray[np.bool_]
    can_charge: NDArray[np.bool_]
    """Dwelling where a charger it can use is in reach."""
    current_trip: NDArray[np.intp]
    driving: NDArray[np.bool_]
    """On its current trip (stranded ones too) until the trip's scheduled end."""
    drive_kwh: NDArray[np.float64]
    """Battery energy drawn driving in the current step (0 when not driving or stranded)."""
    current_session: NDArray[np.intp]
    next_departure: NDArray[np.intp]
    odometer_km: NDArray[np.float64]
    min_soc: NDArray[np.float64]
    battery_kw: NDArray[np.float64]
    """Battery power from charging in the current step."""
    event_arrived_s: NDArray[np.float64]
    event_plugged_in_s: NDArray[np.float64]
    event_soc: NDArray[np.float64]
    event_requested_kwh: NDArray[np.float64]
    event_from_grid_kwh: NDArray[np.float64]
    event_to_battery_kwh: NDArray[np.float64]
    event_cost: NDArray[np.float64]
    trip_start_kwh: NDArray[np.float64]
    trip_end_kwh: NDArray[np.float64]
    trip_stranded: NDArray[np.bool_]
    session_departure_kwh: NDArray[np.float64]
    session_plugged_in_s: NDArray[np.float64]
    """NaN until the session gets a port."""
    session_charger: NDArray[np.intp]
    site_load_kw: NDArray[np.float64]
    series_soc: NDArray[np.float64]
    series_odometer_km: NDArray[np.float64]
    series_state: NDArray[np.int8]
    series_power_kw: NDArray[np.float64]
    events: EventLog = field(default_factory=EventLog)
    missed_wait_s: list[NDArray[np.float64]] = field(default_factory=list)
    missed_requested_kwh: list[NDArray[np.float64]] = field(default_factory=list)


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
    charger_site: NDArray[np.intp]
    site_capped: bool
    """The strategy keeps every site within its limit."""
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
    missed_requested_kwh: NDArray[np.float64]
    session_source: NDArray[np.intp]
    session_vehicle: NDArray[np.intp]
    session_site: NDArray[np.intp]
    session_charger: NDArray[np.intp]
    """The charger it plugged into, or -1."""
    session_arrival_s: NDArray[np.float64]
    session_departure_s: NDArray[np.float64]
    session_plugged_in_s: NDArray[np.float64]
    session_arrival_kwh: NDArray[np.float64]
    session_target_kwh: NDArray[np.float64]
    session_departure_kwh: NDArray[np.float64]
    capacity_kwh: NDArray[np.float64]
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


READABLE_INTERVALS_S = (
    60, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 14_400, 21_600, 43_200, 86_400,
    172_800, 604_800,
)  # fmt: skip
"""Sample intervals a coarsened time series snaps up to (when a multiple of the step): a
reader compares hours and days, not 43.75-hour strides."""


def sample_interval_steps(resolved: ResolvedRequest, n_vehicles: int) -> tuple[int, int, bool]:
    """Steps between time-series samples, sample count, and whether `max_points` coarsened it:
    the requested resolution, else the shortest readable interval (else the shortest
    interval) whose samples of every vehicle fit in `max_points`."""
    scenario = resolved.scenario
    step_s = scenario.step_s
    steps = -(-horizon_seconds(scenario) // step_s)
    every = max(1, round(scenario.time_series_resolution_s / step_s))
    samples_allowed = max(1, scenario.max_points // max(1, n_vehicles))
    shortest = min(steps, -(-steps // samples_allowed))
    if every >= shortest:
        return every, -(-steps // every), False
    readable = [s // step_s for s in READABLE_INTERVALS_S if s % step_s == 0]
    every = next((r for r in readable if shortest <= r <= steps), shortest)
    return every, -(-steps // every), True


def fleet_index(resolved: ResolvedRequest, fleet: list[FleetVehicle]) -> FleetIndex:
    """The sorted ids every array of a run is indexed by; `fleet` is sorted by id."""
    return FleetIndex(
        vehicle_ids=[v.id for v in fleet],
        vehicle_types=[v.type for v in fleet],
        vehicle_depots=[v.depot for v in fleet],
        type_ids=sorted({v.type for v in fleet}),
        route_ids=sorted(resolved.routes),
        charger_ids=sorted(resolved.chargers),
        site_ids=sorted(resolved.sites),
    )


def fleet_model(resolved: ResolvedRequest, rule: ChargingRule | None = None) -> FleetModel:
    """Everything a run of `resolved` reads: arrays, plans, prices, rule (the scenario's
    strategy unless given) and sampling grid."""
    scenario = resolved.scenario
    session_vehicles = session_fleet(resolved)
    fleet = sorted([*scenario.fleet, *session_vehicles], key=lambda v: v.id)
    index = fleet_index(resolved, fleet)
    vehicles = vehicle_arrays(resolved, fleet, index.type_ids, index.site_ids)
    chargers = charger_arrays(
        resolved, index.charger_ids, index.site_ids, index.route_ids, vehicles
    )
    plan = plan_trips(resolved, index.vehicle_ids, index.route_ids, index.type_ids, vehicles)
    sessions = plan_sessions(
        resolved, index.vehicle_ids, index.site_ids, index.charger_ids, plan.n_steps
    )
    prices, price_row, price_warnings = charger_price_rows(
        [resolved.chargers[c] for c in index.charger_ids],
        resolved.sites,
        resolved.tariffs,
        LocalClock.of(scenario.horizon),
        scenario.step_s,
        plan.n_steps,
    )
    every, n_samples, coarsened = sample_interval_steps(resolved, len(fleet))
    steps_per_sample = np.minimum(every, plan.horizon_steps - np.arange(n_samples) * every)
    warnings = plan.warnings + sessions.warnings + price_warnings
    if coarsened:
        warnings.append(
            f"time series sampled every {every * scenario.step_s} s to stay within max_points"
        )
    busy = np.zeros(plan.n_steps + 1, dtype=bool)
    busy[np.minimum(sessions.busy_steps(), plan.n_steps)] = True
    every_step = np.arange(plan.n_steps + 1)
    next_session_step = np.minimum.accumulate(np.where(busy, every_step, plan.n_steps)[::-1])[::-1]
    return FleetModel(
        index=index,
        step_s=scenario.step_s,
        rule=rule or STRATEGIES[scenario.strategy],
        vehicles=vehicles,
        chargers=chargers,
        plan=plan,
        sessions=sessions,
        prices=prices,
        price_row=price_row,
        sample_every=every,
        n_samples=n_samples,
        sample_weight=1.0 / steps_per_sample,
        next_busy_step=np.minimum(plan.next_busy_step, next_session_step),
        session_vehicle=np.isin(index.vehicle_ids, [v.id for v in session_vehicles]),
        stranded_below_kwh=vehicles.reserve_kwh - FULL_TOLERANCE_KWH,
        takes_dc=vehicles.dc_kw > 0,
        takes_ac=vehicles.ac_kw > 0,
        warnings=warnings,
    )


def start_state(model: FleetModel) -> FleetState:
    """Every vehicle at its depot (session vehicles away) with its initial energy."""
    vehicles, plan, sessions = model.vehicles, model.plan, model.sessions
    n_vehicles = len(model.index.vehicle_ids)
    n_sites, n_trips = len(model.index.site_ids), len(plan.trips)
    energy = vehicles.initial_kwh.copy()
    place = model.chargers.depot_place.copy()
    place[model.session_vehicle] = AWAY_PLACE
    can_charge = (place >= 0) & model.chargers.can_charge_at[
        np.maximum(place, 0), np.arange(n_vehicles)
    ]

    def zeros() -> NDArray[np.float64]:
        return np.zeros(n_vehicles)

    def none() -> NDArray[np.intp]:
        return np.full(n_vehicles, -1, dtype=np.intp)

    return FleetState(
        energy_kwh=energy,
        target_kwh=vehicles.target_kwh.copy(),
        place=place,
        plugged=none(),
        pinned_charger=none(),
        arrival_step=np.zeros(n_vehicles, dtype=np.intp),
        stranded=np.zeros(n_vehicles, dtype=bool),
        waiting=np.zeros(n_vehicles, dtype=bool),
        can_charge=can_charge,
        current_trip=none(),
        driving=np.zeros(n_vehicles, dtype=bool),
        drive_kwh=zeros(),
        current_session=none(),
        next_departure=plan.first_departure_step.copy(),
        odometer_km=zeros(),
        min_soc=energy / vehicles.capacity_kwh,
        battery_kw=zeros(),
        event_arrived_s=zeros(),
        event_plugged_in_s=zeros(),
        event_soc=zeros(),
        event_requested_kwh=zeros(),
        event_from_grid_kwh=zeros(),
        event_to_battery_kwh=zeros(),
        event_cost=zeros(),
        trip_start_kwh=np.zeros(n_trips),
        trip_end_kwh=np.zeros(n_trips),
        trip_stranded=np.zeros(n_trips, dtype=bool),
        session_departure_kwh=sessions.arrival_kwh.copy(),
        session_plugged_in_s=np.full(len(sessions.vehicle), np.nan),
        session_charger=np.full(len(sessions.vehicle), -1, dtype=np.intp),
        site_load_kw=np.zeros((plan.n_steps, n_sites)),
        series_soc=np.zeros((model.n_samples, n_vehicles)),
        series_odometer_km=np.zeros((model.n_samples, n_vehicles)),
        series_state=np.zeros((model.n_samples, n_vehicles), dtype=np.int8),
        series_power_kw=np.zeros((model.n_samples, n_vehicles)),
    )


class Planner(Protocol):
    """A strategy that plans ahead (`optimal`): it sees the state before each step that runs
    and gives the power through its `rule`, like any other strategy."""

    rule: ChargingRule

    def before_step(self, model: FleetModel, state: FleetState, k: int) -> None: ...

    def charges_from(self, k: int) -> bool:
        """Its plan charges someone at step `k` or later: no idle stretch to skip."""
        ...


def simulate_fleet(resolved: ResolvedRequest, planner: Planner | None = None) -> FleetRun:
    """Run the fleet over the horizon, under the scenario's strategy or `planner`. Never
    raises for an infeasible fleet."""
    model = fleet_model(resolved, None if planner is None else planner.rule)
    state = start_state(model)
    k = 0
    while k < model.plan.n_steps:
        if planner is not None:
            planner.before_step(model, state, k)
        run_step(model, state, k)
        k += 1
        if planner is None or not planner.charges_from(k):
            k = skip_idle(model, state, k)
    return finish(model, state)


def run_step(model: FleetModel, state: FleetState, k: int) -> None:
    """One step, phase by phase. Sessions start after departures, so a session vehicle may
    end one session and start its next in the same step."""
    arrive_from_trips(model, state, k)
    depart(model, state, k)
    arrive_for_sessions(model, state, k)
    drive(model, state, k)
    assign_ports(model, state, k)
    charge(model, state, k)
    sample(model, state, k)


def arrive_from_trips(model: FleetModel, state: FleetState, k: int) -> None:
    """Vehicles whose trip ended park at the route's end, or at their depot after a recovery."""
    arriving = model.plan.arriving(k)
    if not len(arriving):
        return
    trips, chargers = model.plan.trips, model.chargers
    veh = trips.vehicle[arriving]
    state.trip_end_kwh[arriving] = state.energy_kwh[veh]
    state.place[veh] = np.where(
        state.stranded[veh],
        chargers.depot_place[veh],
        chargers.route_end_site[trips.route[arriving]],
    )
    _update_reach(model, state, veh)
    state.arrival_step[veh] = k
    state.stranded[veh] = False
    state.driving[veh] = False


def depart(model: FleetModel, state: FleetState, k: int) -> None:
    """Trips start (their vehicles unplug or give up their queue place) and sessions end
    (their vehicles go away)."""
    plan, sessions = model.plan, model.sessions
    departing = plan.departing(k)
    if len(departing):
        veh = plan.trips.vehicle[departing]
        _leave_charger(model, state, veh, k)
        state.place[veh] = ON_ROAD
        state.can_charge[veh] = False
        state.current_trip[veh] = departing
        state.driving[veh] = True
        state.trip_start_kwh[departing] = state.energy_kwh[veh]
        state.next_departure[veh] = plan.next_departure_step[departing]
    leaving = sessions.leaving(k)
    if len(leaving):
        veh = sessions.vehicle[leaving]
        _leave_charger(model, state, veh, k)
        state.session_departure_kwh[leaving] = state.energy_kwh[veh]
        state.place[veh] = AWAY_PLACE
        state.can_charge[veh] = False
        state.pinned_charger[veh] = -1
        state.current_session[veh] = -1
        state.next_departure[veh] = plan.n_steps


def arrive_for_sessions(model: FleetModel, state: FleetState, k: int) -> None:
    """Session vehicles arrive at their site with their session's energy and target."""
    sessions = model.sessions
    arriving = sessions.arriving(k)
    if not len(arriving):
        return
    veh = sessions.vehicle[arriving]
    state.energy_kwh[veh] = sessions.arrival_kwh[arriving]
    state.target_kwh[veh] = sessions.target_kwh[arriving]
    state.place[veh] = sessions.site[arriving]
    state.pinned_charger[veh] = sessions.charger[arriving]
    _update_reach(model, state, veh)
    state.arrival_step[veh] = k
    state.current_session[veh] = arriving
    state.next_departure[veh] = np.minimum(sessions.leave_step[arriving], model.plan.n_steps)
    state.min_soc[veh] = np.minimum(
        state.min_soc[veh], state.energy_kwh[veh] / model.vehicles.capacity_kwh[veh]
    )


def drive(model: FleetModel, state: FleetState, k: int) -> None:
    """Vehicles on a trip draw this step's energy, looked up per trip; one reaching its
    reserve is stranded: it stands still, at its reserve, until the trip's scheduled end."""
    energy, vehicles = state.energy_kwh, model.vehicles
    state.drive_kwh.fill(0.0)
    if not model.plan.anyone_driving[k]:
        np.minimum(energy, vehicles.capacity_kwh, out=energy)  # as below, for session arrivals
        return
    on_trip = state.driving & ~state.stranded
    moving = on_trip.nonzero()[0]
    kwh, km = model.plan.step_energy(state.current_trip[moving], k, model.step_s)
    state.drive_kwh[moving] = kwh
    energy[moving] -= kwh
    state.odometer_km[moving] += km
    np.minimum(energy, vehicles.capacity_kwh, out=energy)  # regen into a full battery is lost
    short = on_trip & (energy < model.stranded_below_kwh)
    if short.any():
        who = np.flatnonzero(short)
        state.trip_stranded[state.current_trip[who]] = True
        energy[who] = vehicles.reserve_kwh[who]
        state.stranded[who] = True
    # only driving lowers a battery
    np.minimum(state.min_soc, energy / vehicles.capacity_kwh, out=state.min_soc)


def assign_ports(model: FleetModel, state: FleetState, k: int) -> None:
    """Vehicles that want a charge take free ports: a session's own charger if it names one,
    else DC first for vehicles that take DC, the best free charger of the site first, a
    vehicle never taking a port it cannot use. The queue is first come, first served (ties by
    vehicle id), or nearest departure first where the rule says so; the rest wait."""
    want = (
        state.can_charge
        & (state.plugged < 0)
        & (state.energy_kwh < state.target_kwh - FULL_TOLERANCE_KWH)
    )
    if not want.any():
        state.waiting[:] = False
        return
    chargers = model.chargers
    plugged = state.plugged
    free = chargers.ports - np.bincount(plugged[plugged >= 0], minlength=len(chargers.ports))
    if free.any():
        queue = want.nonzero()[0]
        keys = [queue, state.arrival_step[queue]]
        if model.rule.queue_by_departure:
            keys.append(state.next_departure[queue])
        queue = queue[np.lexsort((*keys, state.place[queue]))]
        # Sessions may name their charger; a planned strategy names each vehicle's (`optimal`).
        pins = model.sessions.pins_chargers or bool((state.pinned_charger >= 0).any())
        if pins:
            free -= _plug_pinned(model, state, queue, free, k)
        pools = (
            (chargers.dc_order, model.takes_dc),
            (chargers.ac_order, model.takes_ac),
        )
        if pins:
            queue = queue[state.pinned_charger[queue] < 0]
        for pool_order, takes in pools:
            if not free[pool_order].any():
                continue
            line = queue[takes[queue] & (plugged[queue] < 0)]
            if not len(line):
                continue
            served, charger = match_ports(
                line, state.place[line], free, pool_order, chargers.site, len(model.index.site_ids)
            )
            free -= _plug(model, state, line[served], charger, k)
    state.waiting = want & (plugged < 0)


def _plug_pinned(
    model: FleetModel,
    state: FleetState,
    queue: NDArray[np.intp],
    free: NDArray[np.int64],
    k: int,
) -> NDArray[np.int64]:
    """Queued session vehicles that name a charger take its free ports, in queue order; returns
    the ports taken per charger."""
    line = queue[state.pinned_charger[queue] >= 0]
    if not len(line):
        return np.zeros_like(free)
    line = line[np.argsort(state.pinned_charger[line], kind="stable")]
    every_charger = np.arange(len(free), dtype=np.intp)  # each charger a "site" of its own
    served, charger = match_ports(
        line, state.pinned_charger[line], free, every_charger, every_charger, len(free)
    )
    return _plug(model, state, line[served], charger, k)


def charge(model: FleetModel, state: FleetState, k: int) -> None:
    """Plugged vehicles charge: the least of charger, vehicle limit and charge curve, what the
    strategy asks, then each site's limit granted the strategy's way. A vehicle that reaches
    its target leaves its port, at the exact time within the step unless the rule spreads.
    Each per-vehicle value is gathered once (a step's cost is mostly its count of calls)."""
    state.battery_kw.fill(0.0)
    on = (state.plugged >= 0).nonzero()[0]  # flatnonzero's wrapper costs a call per step
    if not len(on):
        return
    chargers, vehicles, rule = model.chargers, model.vehicles, model.rule
    step_h, t_s = model.step_h, k * model.step_s
    energy_kwh, target_kwh = state.energy_kwh[on], state.target_kwh[on]
    ch = state.plugged[on]
    site, efficiency, price_row = chargers.site[ch], chargers.efficiency[ch], model.price_row[ch]
    eta = vehicles.battery_efficiency[on]
    inlet_limit_kw = chargers.inlet_limit_kw(ch, on, vehicles)
    max_kw = np.minimum(
        inlet_limit_kw, vehicles.curve_at_kw(on, energy_kwh / vehicles.capacity_kwh[on])
    )
    demand = ChargeDemand(
        step=k,
        step_h=step_h,
        vehicle=on,
        need_kwh=target_kwh - energy_kwh,
        max_kw=max_kw,
        inlet_kw=inlet_limit_kw,
        battery_efficiency=eta,
        steps_to_departure=state.next_departure[on] - k,
        price_row=price_row,
        prices=model.prices,
        ports_scarce=lambda: _ports_scarce(model, state, ch),
    )
    asked_kw = rule.power_kw(demand) / efficiency
    grid_kw = grant_site_power_kw(rule, demand, asked_kw, site, chargers.site_limit_kw)
    state.site_load_kw[k] = np.bincount(site, weights=grid_kw, minlength=len(model.index.site_ids))
    grid_kwh = grid_kw * step_h
    to_battery_kwh = grid_kw * efficiency * eta * step_h
    energy_kwh += to_battery_kwh
    state.energy_kwh[on] = energy_kwh
    state.battery_kw[on] = to_battery_kwh / step_h
    state.event_from_grid_kwh[on] += grid_kwh
    state.event_to_battery_kwh[on] += to_battery_kwh
    state.event_cost[on] += grid_kwh * model.prices.price[price_row, k]
    full = energy_kwh >= target_kwh - FULL_TOLERANCE_KWH
    if not full.any():
        return
    if rule.spreads:
        fraction: NDArray[np.float64] | float = 1.0
    else:
        # What it would have been granted asking its maximum sets how long the last bit took.
        could_kw = grant_site_power_kw(
            rule,
            demand,
            np.where(full, max_kw / efficiency, asked_kw),
            site,
            chargers.site_limit_kw,
        )
        fraction = np.minimum(grid_kw[full] / np.maximum(could_kw[full], 1e-12), 1.0)
    _close_events(model, state, on[full], t_s + model.step_s * fraction)


def _ports_scarce(model: FleetModel, state: FleetState, ch: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Per plugged vehicle (on charger `ch`): a vehicle waits at its site, or no port of its
    charger's current is free there."""
    chargers, n_sites = model.chargers, len(model.index.site_ids)
    queued = np.bincount(state.place[state.waiting], minlength=n_sites) > 0
    free = chargers.ports - np.bincount(ch, minlength=len(chargers.ports))
    pool = chargers.site * 2 + chargers.is_dc  # (site, current)
    pool_free = np.bincount(pool, weights=free, minlength=2 * n_sites)
    scarce: NDArray[np.bool_] = queued[chargers.site[ch]] | (pool_free[pool[ch]] == 0)
    return scarce


def sample(model: FleetModel, state: FleetState, k: int) -> None:
    """Within the horizon, every step adds its battery power to its sample's mean (so a
    coarse series keeps the energy); every `sample_every` steps SoC, odometer and state are
    taken as they stand."""
    if k >= model.plan.horizon_steps:
        return
    s = k // model.sample_every
    driving = state.driving
    power_kw = np.where(driving, -state.drive_kwh / model.step_h, state.battery_kw)
    state.series_power_kw[s] += power_kw * model.sample_weight[s]
    if k % model.sample_every:
        return
    state.series_soc[s] = state.energy_kwh / model.vehicles.capacity_kwh
    state.series_odometer_km[s] = state.odometer_km
    code = np.where(state.place == AWAY_PLACE, AWAY, PARKED).astype(np.int8)
    code[state.waiting] = WAITING
    code[state.plugged >= 0] = PLUGGED
    code[state.battery_kw > 0] = CHARGING
    code[driving] = DRIVING
    code[state.stranded] = STRANDED
    state.series_state[s] = code


def skip_idle(model: FleetModel, state: FleetState, k: int) -> int:
    """The next step to run from `k`: past a stretch before the next trip or session event in
    which nobody is plugged in or wants a charge, the standing state sampled all along (a
    night parked full costs one step)."""
    plan = model.plan
    if k >= model.next_busy_step[k] or (state.plugged >= 0).any():
        return k
    if (state.can_charge & (state.energy_kwh < state.target_kwh - FULL_TOLERANCE_KWH)).any():
        return k
    idle_until = int(model.next_busy_step[k])
    state.waiting[:] = False
    every = model.sample_every
    rows = slice(-(-k // every), -(-min(idle_until, plan.horizon_steps) // every))
    state.series_soc[rows] = state.energy_kwh / model.vehicles.capacity_kwh
    state.series_odometer_km[rows] = state.odometer_km
    standing = np.where(state.place == AWAY_PLACE, AWAY, PARKED)
    state.series_state[rows] = np.where(state.stranded, STRANDED, standing)
    return idle_until


def finish(model: FleetModel, state: FleetState) -> FleetRun:
    """Close what is still open at the end of the run and gather the outputs."""
    plan, vehicles, sessions = model.plan, model.vehicles, model.sessions
    still_on = np.flatnonzero(state.plugged >= 0)
    if len(still_on):
        _close_events(model, state, still_on, float(plan.n_steps * model.step_s))
    open_sessions = state.current_session[state.current_session >= 0]
    state.session_departure_kwh[open_sessions] = state.energy_kwh[sessions.vehicle[open_sessions]]
    distance, at_km, shortfall, wheel = _trip_outcomes(
        plan, vehicles, state.trip_start_kwh, state.trip_stranded
    )
    cap = vehicles.capacity_kwh
    trip_cap = cap[plan.trips.vehicle]
    return FleetRun(
        index=model.index,
        step_s=model.step_s,
        n_steps=plan.n_steps,
        horizon_steps=plan.horizon_steps,
        sample_every=model.sample_every,
        warnings=model.warnings,
        prices=model.prices,
        charger_price_row=model.price_row,
        charger_site=model.chargers.site,
        site_capped=model.rule.caps_site,
        trip_vehicle=plan.trips.vehicle,
        trip_route=plan.trips.route,
        trip_departure_s=plan.departure_s,
        trip_duration_s=plan.duration_s,
        trip_distance_km=distance,
        trip_energy_used_kwh=state.trip_start_kwh - state.trip_end_kwh,
        trip_wheel_kwh=wheel,
        trip_missed_s=plan.energy.missed_s[plan.combo],
        trip_soc_start=state.trip_start_kwh / trip_cap,
        trip_soc_end=state.trip_end_kwh / trip_cap,
        trip_stranded=state.trip_stranded,
        trip_stranded_at_km=at_km,
        trip_shortfall_kwh=shortfall,
        events=state.events.table(),
        missed_wait_s=_joined(state.missed_wait_s),
        missed_requested_kwh=_joined(state.missed_requested_kwh),
        session_source=sessions.source,
        session_vehicle=sessions.vehicle,
        session_site=sessions.site,
        session_charger=state.session_charger,
        session_arrival_s=sessions.arrival_s,
        session_departure_s=sessions.departure_s,
        session_plugged_in_s=state.session_plugged_in_s,
        session_arrival_kwh=sessions.arrival_kwh,
        session_target_kwh=sessions.target_kwh,
        session_departure_kwh=state.session_departure_kwh,
        capacity_kwh=cap,
        soc_start=vehicles.initial_kwh / cap,
        soc_end=state.energy_kwh / cap,
        min_soc=state.min_soc,
        charger_ports=model.chargers.ports,
        site_limit_kw=model.chargers.site_limit_kw,
        site_load_kw=state.site_load_kw,
        series_soc=state.series_soc,
        series_odometer_km=state.series_odometer_km,
        series_state=state.series_state,
        series_power_kw=state.series_power_kw,
    )


def _update_reach(model: FleetModel, state: FleetState, veh: NDArray[np.intp]) -> None:
    """`can_charge` of vehicles that just moved: a charger they can use is in reach (a
    session's own charger was checked when the request was resolved)."""
    place = state.place[veh]
    in_reach = (place >= 0) & model.chargers.can_charge_at[np.maximum(place, 0), veh]
    state.can_charge[veh] = in_reach | (state.pinned_charger[veh] >= 0)


def _plug(
    model: FleetModel,
    state: FleetState,
    who: NDArray[np.intp],
    charger: NDArray[np.intp],
    k: int,
) -> NDArray[np.int64]:
    """Plug `who` into `charger` and open their events; returns the ports taken per charger."""
    state.plugged[who] = charger
    state.event_arrived_s[who] = state.arrival_step[who] * float(model.step_s)
    state.event_plugged_in_s[who] = float(k * model.step_s)
    energy_kwh = state.energy_kwh[who]
    state.event_soc[who] = energy_kwh / model.vehicles.capacity_kwh[who]
    state.event_requested_kwh[who] = state.target_kwh[who] - energy_kwh
    state.event_from_grid_kwh[who] = state.event_to_battery_kwh[who] = state.event_cost[who] = 0.0
    if model.sessions.source.size:
        session = state.current_session[who]
        first_port = (session >= 0) & np.isnan(state.session_plugged_in_s[np.maximum(session, 0)])
        state.session_plugged_in_s[session[first_port]] = float(k * model.step_s)
        state.session_charger[session[first_port]] = charger[first_port]
    taken: NDArray[np.int64] = np.bincount(charger, minlength=len(model.chargers.ports))
    return taken


def _leave_charger(model: FleetModel, state: FleetState, veh: NDArray[np.intp], k: int) -> None:
    """Vehicles leaving where they dwell: plugged ones close their event, queued ones miss
    their session."""
    t_s = float(k * model.step_s)
    on_charger = veh[state.plugged[veh] >= 0]
    if len(on_charger):
        _close_events(model, state, on_charger, t_s)
    queued = veh[state.waiting[veh]]
    if len(queued):
        arrived_s = state.arrival_step[queued].astype(np.float64) * model.step_s
        state.missed_wait_s.append(t_s - arrived_s)
        state.missed_requested_kwh.append(state.target_kwh[queued] - state.energy_kwh[queued])
        state.waiting[queued] = False


def _close_events(
    model: FleetModel,
    state: FleetState,
    who: NDArray[np.intp],
    end_s: NDArray[np.float64] | float,
) -> None:
    state.events.add(  # in EVENT_COLUMNS order
        [
            who,
            state.plugged[who],
            state.event_arrived_s[who],
            state.event_plugged_in_s[who],
            np.zeros(len(who)) + end_s,
            state.event_requested_kwh[who],
            state.event_from_grid_kwh[who],
            state.event_to_battery_kwh[who],
            state.event_soc[who],
            state.energy_kwh[who] / model.vehicles.capacity_kwh[who],
            state.event_cost[who],
        ]
    )
    state.plugged[who] = -1


def _joined(parts: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    return np.concatenate(parts) if parts else np.zeros(0)


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
