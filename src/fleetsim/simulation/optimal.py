"""The `optimal` strategy: a linear program plans every plugged vehicle's power over a rolling
window, and the fleet loop follows the plan.

The whole schedule is known (it is a plan), so at the start of each window (`window_h`, every
`window_step_h`, the scenario's `optimal` options) one program over all sites, from the state
the run has reached, chooses grid power per vehicle and step: within charger, vehicle and
charge-curve limits and each site's limit, so that every vehicle leaves with what its next
trips need plus its reserve, and sessions and the run's last stays with their charge target
(both soft, with penalties far above any price, so an infeasible fleet still gets the
schedule that strands least), at the least bill (energy at each step's price plus the demand
charge on the window's 15-minute peak) or the least peak per site.

Ports are decided first, by the port rules every strategy shares: a greedy run of the same
input hands them out (`stays.with_ports_of`), and the plan charges each stay only in the
steps it holds its port. The fleet loop then runs as for every other strategy, each
vehicle's charge target set from the plan, so the envelope, KPIs and invariants come from
the same code.
"""

import itertools
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import ResolvedRequest
from fleetsim.simulation.fleet import (
    FULL_TOLERANCE_KWH,
    ON_ROAD,
    FleetModel,
    FleetRun,
    FleetState,
)
from fleetsim.simulation.linear_program import solve
from fleetsim.simulation.local_time import LocalClock
from fleetsim.simulation.optimal_program import Layout, Objective, WindowStays, window_program
from fleetsim.simulation.stays import Stays, plan_stays, with_ports_of
from fleetsim.simulation.strategies import ChargeDemand, ChargingRule, full_power_kw
from fleetsim.simulation.tariffs import demand_charges, month_share
from fleetsim.simulation.trip_plan import TripPlan

LEAVE_BELOW_PLAN_KWH = 4e-6
"""A vehicle counts as charged (and leaves its port) this close below the plan's energy, so
the solver's rounding never keeps a port it no longer needs."""


PLAN_MARGIN_SOC = 0.05
"""The plan has a vehicle leave with this share of its battery above what its next trips
need, so that a port taken a step late (the loop hands ports out first come, first served)
strands nobody."""


@dataclass(frozen=True)
class CurveCuts:
    """Per vehicle type, the lines of its charge curve's segments that can bind:
    inlet kW <= intercept + slope * SoC (inf intercept: no line)."""

    intercept_kw: NDArray[np.float64]
    slope_kw: NDArray[np.float64]


def curve_cuts(resolved: ResolvedRequest, type_ids: list[str]) -> CurveCuts:
    """The segments of each type's charge curve as lines, leaving out those that stay above
    everything the type can take at any SoC (a concave curve is the least of its lines; a
    curve that is not is underestimated between its points)."""
    lines: list[list[tuple[float, float]]] = []
    for type_id in type_ids:
        spec = resolved.vehicles[type_id]
        most_kw = max(spec.max_ac_charge_kw, spec.max_dc_charge_kw)
        points = spec.charge_curve or []
        mine = []
        for (soc0, kw0), (soc1, kw1) in itertools.pairwise(points):
            rise = (kw1 - kw0) / (soc1 - soc0)
            at_zero = kw0 - rise * soc0
            if min(at_zero, at_zero + rise) < most_kw:
                mine.append((at_zero, rise))
        lines.append(mine)
    width = max((len(m) for m in lines), default=0)
    intercept = np.full((len(type_ids), width), np.inf)
    slope = np.zeros((len(type_ids), width))
    for t, mine in enumerate(lines):
        for c, (a, b) in enumerate(mine):
            intercept[t, c], slope[t, c] = a, b
    return CurveCuts(intercept, slope)


class OptimalPlanner:
    """Plans a run's charging window by window; `rule` gives the fleet loop the plan's power.

    Each vehicle follows the plan. In a step the plan has it on a port (a spell), it may take
    only the plan's charger and its charge target is what it holds plus what the plan still
    stores in that spell, so it leaves the port when the spell ends even if it came with
    less than planned. Off its spells its target is what it holds (it takes no port, or
    leaves the one it has), unless that is less than its next trips need: then it queues for
    any port and charges up to that within what the plan leaves below its own peak, more
    only where its departure leaves no later step (the plan fell short; a fallback).
    """

    def __init__(self, resolved: ResolvedRequest, ports_from: FleetRun) -> None:
        """`ports_from`: a run of the same input (greedy's) whose charging events say which
        port each stay gets, by the port rules every strategy shares."""
        self.resolved = resolved
        self._ports_from = ports_from
        options = resolved.scenario.optimal
        step_s = resolved.scenario.step_s
        self.window_steps = max(1, options.window_h * 3600 // step_s)
        self.advance_steps = max(1, options.window_step_h * 3600 // step_s)
        self.rule = ChargingRule(self.power_kw)
        self._stays: Stays | None = None
        self._cuts = CurveCuts(np.zeros((0, 0)), np.zeros((0, 0)))
        self._next_plan = 0
        self._plan_start = 0
        self._planned_kw = np.zeros((0, 0))
        """[vehicle, step of the window]: planned inlet kW."""
        self._planned_rest_kwh = np.zeros((0, 0))
        """[vehicle, step of the window]: on a port, the energy the plan still stores in it
        from this step to the end of the spell; NaN off a port."""
        self._energy_kwh = np.zeros(0)
        self._floor_kwh = np.zeros(0)
        """Per vehicle: what its trips until its next stay need, reserve included."""
        self._last_charging_step = -1
        self._off_plan = np.zeros(0, dtype=bool)
        self._place = np.zeros(0, dtype=np.intp)
        self._headroom_kw = np.zeros((0, 0))
        """[site, step of the window]: the plan's peak less its planned load, grid kW."""

    def before_step(self, model: FleetModel, state: FleetState, k: int) -> None:
        """Plan the next window when it is due; set each present vehicle's charge target and
        charger from the plan."""
        stays = self._stays or self._set_up(model)
        if k >= self._next_plan:
            self._plan(model, state, k, stays)
            self._next_plan = k + self.advance_steps
        here = np.flatnonzero((stays.start <= k) & (k < stays.end))
        vehicle = stays.vehicle[here]
        rest = self._planned_rest_kwh[vehicle, k - self._plan_start]
        in_spell = np.isfinite(rest)
        self._floor_kwh = np.zeros(len(state.energy_kwh))
        self._floor_kwh[vehicle] = (
            model.vehicles.reserve_kwh[vehicle] + stays.trips_after_worst_kwh[here]
        )
        self._off_plan = np.zeros(len(state.energy_kwh), dtype=bool)
        self._off_plan[vehicle] = ~in_spell
        self._energy_kwh = state.energy_kwh
        self._place = state.place
        # On another charger than its spell's, it leaves (to take its own the next step).
        elsewhere = in_spell & (state.plugged[vehicle] >= 0)
        elsewhere &= state.plugged[vehicle] != stays.charger[here]
        rest = np.where(elsewhere, 0.0, rest)
        self._set_targets(state, vehicle, rest, stays.target_kwh[here], k)
        self._pin_to_plan(model, state, vehicle, stays.charger[here], in_spell)

    def _set_targets(
        self,
        state: FleetState,
        vehicle: NDArray[np.intp],
        rest_kwh: NDArray[np.float64],
        own_target_kwh: NDArray[np.float64],
        k: int,
    ) -> None:
        """In a spell: what it holds plus what the plan still stores; off one: what it holds,
        or what its next trips need if that is more; never above its own target."""
        energy = state.energy_kwh[vehicle]
        in_spell = np.isfinite(rest_kwh)
        planned = energy + np.nan_to_num(rest_kwh - LEAVE_BELOW_PLAN_KWH, nan=0.0)
        needed = np.maximum(energy, self._floor_kwh[vehicle])
        target = np.minimum(np.where(in_spell, planned, needed), own_target_kwh)
        plugged = state.plugged[vehicle] >= 0
        # A plugged vehicle asked to store more (a new plan) asked that of its charging event.
        raised_kwh = np.maximum(target - state.target_kwh[vehicle], 0.0)
        state.event_requested_kwh[vehicle] += raised_kwh * plugged
        # One that starts wanting a port joins the queue now: it waited for its plan, not a port.
        wanted = state.target_kwh[vehicle] > energy + FULL_TOLERANCE_KWH
        wants = target > energy + FULL_TOLERANCE_KWH
        state.arrival_step[vehicle[wants & ~wanted & ~plugged]] = k
        state.target_kwh[vehicle] = target

    def _pin_to_plan(
        self,
        model: FleetModel,
        state: FleetState,
        vehicle: NDArray[np.intp],
        charger: NDArray[np.intp],
        in_spell: NDArray[np.bool_],
    ) -> None:
        """In a spell a vehicle may take only its plan's charger (whose port the plan keeps
        free for it); off one, only its session's own charger, if it names one."""
        session = state.current_session[vehicle]
        own = np.full(len(vehicle), -1, dtype=np.intp)
        if len(model.sessions.charger):
            own = np.where(session >= 0, model.sessions.charger[np.maximum(session, 0)], -1)
        state.pinned_charger[vehicle] = np.where(in_spell, charger, own)

    def charges_from(self, k: int) -> bool:
        """The plan charges someone at step `k` or later (a vehicle waiting for its spell on
        a port neither holds one nor asks for one, so the loop would skip the wait)."""
        return k <= self._last_charging_step

    def power_kw(self, demand: ChargeDemand) -> NDArray[np.float64]:
        """Inlet power: the plan's; for a vehicle off its spells holding less than its next
        trips need, a share of the plan's headroom at its site, or what its departure
        leaves no later step for."""
        full = full_power_kw(demand)
        column = demand.step - self._plan_start
        planned = self._planned_kw[demand.vehicle, column]
        short = self._off_plan[demand.vehicle] & (
            self._energy_kwh[demand.vehicle] < self._floor_kwh[demand.vehicle]
        )
        fallback = np.zeros(len(demand.vehicle))
        if short.any():
            # Short vehicles share what the plan leaves below its own peak at their site.
            site = self._place[demand.vehicle]
            per_site = np.bincount(site[short], minlength=len(self._headroom_kw))
            share = self._headroom_kw[site, column] / np.maximum(per_site[site], 1)
            # ... and never less than departure leaves no other step for (at full power).
            per_step_kwh = demand.battery_efficiency * demand.step_h
            later_kwh = (demand.steps_to_departure - 1) * demand.inlet_kw * per_step_kwh
            missing_kwh = self._floor_kwh[demand.vehicle] - self._energy_kwh[demand.vehicle]
            must = np.maximum(missing_kwh - later_kwh, 0.0) / per_step_kwh
            fallback = np.minimum(full, np.maximum(share, must))
        # Past its target (the plan gave it less than it has) a vehicle asks nothing.
        power: NDArray[np.float64] = np.maximum(
            np.where(short, fallback, np.minimum(planned, full)), 0.0
        )
        return power

    def _set_up(self, model: FleetModel) -> Stays:
        """The run's stays with their ports, and the charge curves' cuts."""
        stays = plan_stays(
            model.plan, model.sessions, model.vehicles, model.chargers, model.session_vehicle
        )
        self._stays = with_ports_of(
            stays,
            self._ports_from.events,
            model.step_s,
            model.plan.n_steps,
            model.chargers,
            model.vehicles,
        )
        self._cuts = curve_cuts(self.resolved, model.index.type_ids)
        return self._stays

    def _plan(self, model: FleetModel, state: FleetState, first: int, stays: Stays) -> None:
        """Solve the window from step `first`; keep its power and charge targets per vehicle
        and step."""
        end = min(first + self.window_steps, model.plan.n_steps)
        window, inside = self._window_stays(model, state, stays, first, end)
        n_vehicles = len(model.index.vehicle_ids)
        planned_kw = np.zeros((n_vehicles, end - first))
        targets = np.full((n_vehicles, end - first), np.nan)
        if len(window.count):
            program, at = window_program(window, self._objective(model, state, first))
            solution = solve(program)
            x = np.maximum(solution[: len(at.x_stay)], 0.0)
            vehicle = stays.vehicle[inside]
            planned_kw[vehicle[at.x_stay], at.x_step - first] = (
                x * window.charger_efficiency[at.x_stay]
            )
            stored_kwh = x * window.stored_per_grid_kwh[at.x_stay] * model.step_h
            targets[vehicle[at.x_stay], at.x_step - first] = spell_rest_kwh(window, at, stored_kwh)
            load = np.zeros((len(model.index.site_ids), end - first))
            np.add.at(load, (window.site[at.x_stay], at.x_step - first), x)
            peak = np.maximum(load.max(axis=1), solution[at.peak :])
            headroom = np.maximum(peak[:, None] - load, 0.0)
        else:
            headroom = np.full((len(model.index.site_ids), end - first), np.inf)
        self._headroom_kw = headroom
        self._plan_start, self._planned_kw, self._planned_rest_kwh = first, planned_kw, targets
        charging = np.flatnonzero(planned_kw.any(axis=0))
        self._last_charging_step = first + int(charging[-1]) if len(charging) else -1

    def _window_stays(
        self, model: FleetModel, state: FleetState, stays: Stays, first: int, end: int
    ) -> tuple[WindowStays, NDArray[np.intp]]:
        """The stays within [first, end), with what the program needs of each, and their
        places in `stays`."""
        inside = np.flatnonzero(np.maximum(stays.start, first) < np.minimum(stays.end, end))
        lo, hi = stays.port_first[inside], stays.port_first[inside + 1]
        owner = np.repeat(np.arange(len(inside)), hi - lo)
        steps = stays.port_steps[_ranges(lo, hi)]
        in_window = (steps >= first) & (steps < end)
        owner, steps = owner[in_window], steps[in_window]
        vehicles, chargers = model.vehicles, model.chargers
        vehicle, charger = stays.vehicle[inside], stays.charger[inside]
        previous = np.full(len(inside), -1, dtype=np.intp)
        if len(inside) > 1:
            follows = (inside[1:] == inside[:-1] + 1) & (vehicle[1:] == vehicle[:-1])
            previous[1:][follows] = np.flatnonzero(follows)
        start_kwh = self._start_energy(model, state, stays, inside, first)
        start_kwh[previous >= 0] = np.where(
            np.isnan(stays.arrival_kwh[inside[previous >= 0]]),
            np.nan,
            stays.arrival_kwh[inside[previous >= 0]],
        )
        trips_before = np.zeros(len(inside))
        trips_before[previous >= 0] = stays.trips_after_kwh[inside[previous[previous >= 0]]]
        has_port = charger >= 0
        efficiency = np.where(has_port, chargers.efficiency[charger], 1.0)
        price_rows = model.prices.price[model.price_row[charger]]
        window = WindowStays(
            first_step=first,
            end_step=end,
            step_s=model.step_s,
            count=np.bincount(owner, minlength=len(inside)).astype(np.intp),
            x_step=steps,
            site=stays.site[inside],
            grid_max_kw=stays.inlet_kw[inside] / efficiency,
            charger_efficiency=efficiency,
            stored_per_grid_kwh=efficiency * vehicles.battery_efficiency[vehicle],
            capacity_kwh=vehicles.capacity_kwh[vehicle],
            start_kwh=start_kwh,
            previous=previous,
            trips_before_kwh=trips_before,
            target_kwh=stays.target_kwh[inside],
            departs=stays.end[inside] <= end,
            target_due=stays.target_due[inside],
            leave_floor_kwh=vehicles.reserve_kwh[vehicle]
            + stays.trips_after_worst_kwh[inside]
            + PLAN_MARGIN_SOC * vehicles.capacity_kwh[vehicle],
            price=price_rows[:, first:end].reshape(len(inside), end - first),
            cut_intercept_kw=self._cuts.intercept_kw[vehicles.type_of[vehicle]],
            cut_slope_kw=self._cuts.slope_kw[vehicles.type_of[vehicle]],
        )
        return window, inside

    def _start_energy(
        self,
        model: FleetModel,
        state: FleetState,
        stays: Stays,
        inside: NDArray[np.intp],
        first: int,
    ) -> NDArray[np.float64]:
        """Battery energy at each stay's first plugged step in the window, as far as the state
        at step `first` tells: a known arrival (a session, the first stay) from `first` on,
        the present energy for a stay already begun, else the present energy less the trips
        still to drive before it."""
        vehicle = stays.vehicle[inside]
        energy = state.energy_kwh[vehicle]
        known = stays.arrival_kwh[inside]
        known_ahead = ~np.isnan(known) & (stays.start[inside] >= first)
        begun = stays.start[inside] <= first
        ahead = _trips_ahead_kwh(model.plan, state, vehicle, stays.trip_before[inside])
        projected = np.clip(energy - ahead, 0.0, model.vehicles.capacity_kwh[vehicle])
        result: NDArray[np.float64] = np.where(
            known_ahead, known, np.where(begun, energy, projected)
        )
        return result

    def _objective(self, model: FleetModel, state: FleetState, first: int) -> Objective:
        """The window's objective: demand charges of the window's month, the peaks so far."""
        scenario = self.resolved.scenario
        clock = LocalClock.of(scenario.horizon)
        start = clock.start
        site_ids = model.index.site_ids
        tariffs = [self.resolved.sites[s].tariff for s in site_ids]
        per_kw = np.array(
            [self.resolved.tariffs[t].demand_charge_per_kw if t else 0.0 for t in tariffs]
        )
        local, horizon_end = clock.moments(
            [float(first * model.step_s), float(scenario.horizon.days * 86_400)]
        )
        share = month_share(date(local.year, local.month, 1), start, horizon_end)
        by_peak = scenario.optimal.objective == "peak"
        done = state.site_load_kw[:first]
        if by_peak:
            floor = done.max(axis=0) if first else np.zeros(len(site_ids))
        else:
            floor = demand_charges(
                done, clock, model.step_s, scenario.horizon.days, per_kw
            ).peak_15min_kw
        return Objective(
            by_peak=by_peak,
            demand_charge_per_kw=per_kw * share,
            peak_floor_kw=floor,
            site_limit_kw=model.chargers.site_limit_kw,
            start_of_day_s=start.hour * 3600 + start.minute * 60 + start.second,
        )


def _ranges(lo: NDArray[np.intp], hi: NDArray[np.intp]) -> NDArray[np.intp]:
    """lo[0]..hi[0]-1, lo[1]..hi[1]-1, ... as one array."""
    length = hi - lo
    offset = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
    ranges: NDArray[np.intp] = np.repeat(lo, length) + offset
    return ranges


def spell_rest_kwh(
    window: WindowStays, at: Layout, stored_kwh: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per x column, the energy the plan stores from its step to the end of its spell."""
    steps = window.x_step
    new_spell = np.ones(len(steps), dtype=bool)
    new_spell[1:] = (at.x_stay[1:] != at.x_stay[:-1]) | (steps[1:] != steps[:-1] + 1)
    spell = np.cumsum(new_spell) - 1
    total = np.bincount(spell, weights=stored_kwh, minlength=int(spell.max(initial=-1)) + 1)
    before = np.cumsum(stored_kwh) - stored_kwh
    spell_start = np.flatnonzero(new_spell)
    rest: NDArray[np.float64] = total[spell] - (before - before[spell_start][spell])
    return rest


def _trips_ahead_kwh(
    plan: TripPlan, state: FleetState, vehicle: NDArray[np.intp], arrival_trip: NDArray[np.intp]
) -> NDArray[np.float64]:
    """Net energy each vehicle still drives, from the state's moment, until the end of
    `arrival_trip` (its trip to a later stay): the rest of the trip it is on (none if
    stranded: it is recovered) and the trips after it."""
    if not len(plan.combo):
        return np.zeros(len(vehicle))
    net = plan.energy.net_kwh[plan.combo]
    driven_to = np.concatenate([[0.0], np.cumsum(net)])  # [i]: trips 0..i-1, by vehicle
    trip = state.current_trip[vehicle]
    safe_trip = np.maximum(trip, 0)
    on_road = (state.place[vehicle] == ON_ROAD) & ~state.stranded[vehicle]
    used = state.trip_start_kwh[safe_trip] - state.energy_kwh[vehicle]
    still_to_drive = np.where(on_road, net[safe_trip] - used, 0.0)
    first_trip = np.searchsorted(plan.trips.vehicle, vehicle)
    driven_now = np.where(
        trip >= 0, driven_to[safe_trip + 1] - still_to_drive, driven_to[first_trip]
    )
    ahead: NDArray[np.float64] = driven_to[np.maximum(arrival_trip, 0) + 1] - driven_now
    return ahead
