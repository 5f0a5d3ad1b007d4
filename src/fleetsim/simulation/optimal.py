"""The `optimal` strategy: a linear program plans every plugged vehicle's power over a rolling
window, and the fleet loop follows the plan.

The whole schedule is known (it is a plan), so at the start of each window (`window_h`, every
`window_step_h`, the scenario's `optimal` options) one program over all sites, from the state
the run has reached, chooses grid power per vehicle and step: within charger, vehicle and
charge-curve limits, each site's limit and its ports, so that every vehicle leaves with what
its next trips need plus its reserve and, after that, with its charge target (both soft, with
penalties far above any price, so an infeasible fleet still gets the schedule that strands
least), at the least bill (energy at each step's price plus the demand charge on the
window's 15-minute peak) or the least peak per site. The fleet loop then runs as for every
other strategy, so the envelope, KPIs and invariants come from the same code; the power a
vehicle asks is its planned power, or full power while a vehicle queues at its site (the
program counts ports fractionally; the loop hands out whole ones, first come first served).
"""

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import ResolvedRequest
from fleetsim.simulation.fleet import ON_ROAD, FleetModel, FleetState
from fleetsim.simulation.linear_program import solve
from fleetsim.simulation.optimal_program import Objective, WindowStays, window_program
from fleetsim.simulation.stays import Stays, plan_stays
from fleetsim.simulation.strategies import ChargeDemand, ChargingRule, full_power_kw
from fleetsim.simulation.tariffs import demand_charges, month_share


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
    """Plans a run's charging window by window; `rule` gives the fleet loop the plan's power."""

    def __init__(self, resolved: ResolvedRequest) -> None:
        self.resolved = resolved
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
        self._hurry = np.zeros(0, dtype=bool)
        """Per vehicle: a vehicle queues for a port where it charges."""

    def before_step(self, model: FleetModel, state: FleetState, k: int) -> None:
        """Note where vehicles queue; plan the next window when it is due."""
        if self._stays is None:
            self._stays = plan_stays(
                model.plan, model.sessions, model.vehicles, model.chargers, model.session_vehicle
            )
            self._cuts = curve_cuts(self.resolved, model.index.type_ids)
        queued = np.bincount(state.place[state.waiting], minlength=len(model.index.site_ids)) > 0
        self._hurry = (state.place >= 0) & queued[np.maximum(state.place, 0)]
        if k >= self._next_plan:
            self._plan(model, state, k, self._stays)
            self._next_plan = k + self.advance_steps

    def power_kw(self, demand: ChargeDemand) -> NDArray[np.float64]:
        """Inlet power: the plan's, or full power while someone queues at the site."""
        full = full_power_kw(demand)
        column = demand.step - self._plan_start
        if 0 <= column < self._planned_kw.shape[1]:
            planned = self._planned_kw[demand.vehicle, column]
        else:
            planned = np.zeros(len(demand.vehicle))
        power: NDArray[np.float64] = np.where(
            self._hurry[demand.vehicle], full, np.minimum(planned, full)
        )
        return power

    def _plan(self, model: FleetModel, state: FleetState, first: int, stays: Stays) -> None:
        """Solve the window from step `first` and keep its power per vehicle and step."""
        end = min(first + self.window_steps, model.plan.n_steps)
        window, inside = self._window_stays(model, state, stays, first, end)
        n_vehicles = len(model.index.vehicle_ids)
        planned = np.zeros((n_vehicles, end - first))
        if len(window.count):
            program, at = window_program(window, self._objective(model, state, first))
            x = np.maximum(solve(program)[: len(at.x_stay)], 0.0)
            vehicle = stays.vehicle[inside][at.x_stay]
            planned[vehicle, at.x_step - first] = x * window.charger_efficiency[at.x_stay]
        self._plan_start, self._planned_kw = first, planned

    def _window_stays(
        self, model: FleetModel, state: FleetState, stays: Stays, first: int, end: int
    ) -> tuple[WindowStays, NDArray[np.intp]]:
        """The stays plugged within [first, end), with what the program needs of each, and
        their places in `stays`."""
        start = np.maximum(stays.start, first)
        stop = np.minimum(stays.end, end)
        inside = np.flatnonzero(start < stop)
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
        efficiency = chargers.efficiency[charger]
        step_s = model.step_s
        price_rows = model.prices.price[model.price_row[charger]]
        window = WindowStays(
            first_step=first,
            end_step=end,
            step_s=step_s,
            start=start[inside],
            count=stop[inside] - start[inside],
            site=stays.site[inside],
            pool=stays.site[inside] * 2 + chargers.is_dc[charger],
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
            leave_floor_kwh=vehicles.reserve_kwh[vehicle] + stays.trips_after_worst_kwh[inside],
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
        plan = model.plan
        vehicle = stays.vehicle[inside]
        energy = state.energy_kwh[vehicle]
        known = stays.arrival_kwh[inside]
        known_ahead = ~np.isnan(known) & (stays.start[inside] >= first)
        begun = stays.start[inside] <= first
        net = plan.energy.net_kwh[plan.combo] if len(plan.combo) else np.zeros(0)
        driven_to = np.concatenate([[0.0], np.cumsum(net)])
        """driven_to[i]: net energy of trips 0..i-1 (sorted by vehicle, then departure)."""
        trip = state.current_trip[vehicle]
        on_road = (state.place[vehicle] == ON_ROAD) & ~state.stranded[vehicle]
        safe_trip = np.maximum(trip, 0)
        used = state.trip_start_kwh[safe_trip] - energy if len(net) else np.zeros(len(vehicle))
        still_to_drive = np.where(on_road, net[safe_trip] - used, 0.0) if len(net) else used
        first_trip = np.searchsorted(plan.trips.vehicle, vehicle)
        driven_now = np.where(
            trip >= 0, driven_to[safe_trip + 1] - still_to_drive, driven_to[first_trip]
        )
        arrival_trip = np.maximum(stays.trip_before[inside], 0)
        ahead = driven_to[arrival_trip + 1] - driven_now if len(net) else np.zeros(len(vehicle))
        projected = np.clip(energy - ahead, 0.0, model.vehicles.capacity_kwh[vehicle])
        result: NDArray[np.float64] = np.where(
            known_ahead, known, np.where(begun, energy, projected)
        )
        return result

    def _objective(self, model: FleetModel, state: FleetState, first: int) -> Objective:
        """The window's objective: demand charges of the window's month, the peaks so far."""
        scenario = self.resolved.scenario
        start = scenario.horizon.start
        site_ids = model.index.site_ids
        tariffs = [self.resolved.sites[s].tariff for s in site_ids]
        per_kw = np.array(
            [self.resolved.tariffs[t].demand_charge_per_kw if t else 0.0 for t in tariffs]
        )
        local = start + timedelta(seconds=first * model.step_s)
        share = month_share(
            date(local.year, local.month, 1), start, start + timedelta(days=scenario.horizon.days)
        )
        by_peak = scenario.optimal.objective == "peak"
        done = state.site_load_kw[:first]
        if by_peak:
            floor = done.max(axis=0) if first else np.zeros(len(site_ids))
        else:
            floor = demand_charges(
                done, start, model.step_s, scenario.horizon.days, per_kw
            ).peak_15min_kw
        chargers = model.chargers
        return Objective(
            by_peak=by_peak,
            demand_charge_per_kw=per_kw * share,
            peak_floor_kw=floor,
            site_limit_kw=chargers.site_limit_kw,
            site_ports=np.bincount(
                chargers.site * 2 + chargers.is_dc,
                weights=chargers.ports,
                minlength=2 * len(site_ids),
            ).astype(np.float64),
            start_of_day_s=start.hour * 3600 + start.minute * 60 + start.second,
        )
