"""Charging strategies: the power each plugged vehicle asks for, who is served first when the
site limit binds, and who takes a free port first.

Each strategy is a `ChargingRule` of small functions over one step's `ChargeDemand`; the fleet
loop applies whichever the scenario names and knows no strategy by name.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetsim.models.scenario import Strategy
from fleetsim.simulation.tariffs import PriceTable


@dataclass(frozen=True)
class ChargeDemand:
    """Plugged vehicles in one step; arrays over those vehicles, powers at the inlet in kW."""

    step: int
    step_h: float
    vehicle: NDArray[np.intp]
    """Each plugged vehicle's place in the fleet (what a planned strategy looks it up by)."""
    need_kwh: NDArray[np.float64]
    """Energy still to store to reach the target."""
    max_kw: NDArray[np.float64]
    """Charger rating, vehicle AC/DC limit and charge curve at the current SoC."""
    inlet_kw: NDArray[np.float64]
    """Charger rating and vehicle AC/DC limit, without the curve."""
    battery_efficiency: NDArray[np.float64]
    steps_to_departure: NDArray[np.intp]
    price_row: NDArray[np.intp]
    prices: PriceTable
    ports_scarce: Callable[[], NDArray[np.bool_]]
    """Per vehicle: one waits for a port at its site, or no port of its current is free there,
    so the next to arrive would wait (worked out only for the rules that ask)."""

    def to_full_kw(self) -> NDArray[np.float64]:
        """Inlet power that would reach the target within this step."""
        power: NDArray[np.float64] = self.need_kwh / (self.battery_efficiency * self.step_h)
        return power


PowerRule = Callable[[ChargeDemand], NDArray[np.float64]]
PriorityKey = Callable[[ChargeDemand], NDArray[np.float64]]


@dataclass(frozen=True)
class ChargingRule:
    """One strategy: what each plugged vehicle asks for, and how the site limit and free ports
    are shared when they bind."""

    power_kw: PowerRule
    """Inlet power each plugged vehicle asks for in this step, before the site limit."""
    priority: PriorityKey | None = None
    """Sort key (lowest first) the site limit is granted in, each vehicle up to what it asks;
    None shares the limit in proportion to what each asks."""
    caps_site: bool = True
    """False: the site limit is not enforced (the result reports the overshoot)."""
    queue_by_departure: bool = False
    """Waiting vehicles take free ports nearest departure first; else first come, first served."""
    spreads: bool = False
    """Asks for a planned rate over whole steps, so a charge it completes ends with its step."""


def full_power_kw(demand: ChargeDemand) -> NDArray[np.float64]:
    """Full available power until the target is reached."""
    return np.minimum(demand.max_kw, demand.to_full_kw())


def balanced_kw(demand: ChargeDemand) -> NDArray[np.float64]:
    """Spread the energy evenly to be full one step before the next departure, while ports
    are to spare; where they are scarce, charge at full power so the port frees up (a spread
    charge holds its port until departure and would strand whoever queues behind it)."""
    steps = np.maximum(demand.steps_to_departure - 1, 1)
    spread = np.minimum(demand.max_kw, demand.to_full_kw() / steps)
    return np.where(demand.ports_scarce(), full_power_kw(demand), spread)


def time_of_use_kw(demand: ChargeDemand) -> NDArray[np.float64]:
    """Charge now only what cheaper steps before departure could not deliver at full power."""
    row, step = demand.price_row, demand.step
    level = demand.prices.level[row, step]
    departure = step + demand.steps_to_departure
    cheaper_steps = (
        demand.prices.cheaper_steps[row, level, departure]
        - demand.prices.cheaper_steps[row, level, step + 1]
    )
    per_step_kwh = demand.inlet_kw * demand.battery_efficiency * demand.step_h
    later_kwh = np.maximum(cheaper_steps, 0) * per_step_kwh
    must_kwh = np.maximum(demand.need_kwh - later_kwh, 0.0)
    power: NDArray[np.float64] = np.minimum(
        demand.max_kw, must_kwh / (demand.battery_efficiency * demand.step_h)
    )
    return power


def earliest_departure(demand: ChargeDemand) -> NDArray[np.float64]:
    """Steps until departure: the earliest deadline goes first (EDF; Liu and Layland, J. ACM
    20(1), 1973; for EV charging as in ACN-Sim, Lee, Johansson and Low, IEEE SmartGridComm
    2019, acnportal's `earliest_deadline_first`)."""
    return demand.steps_to_departure.astype(np.float64)


def least_laxity(demand: ChargeDemand) -> NDArray[np.float64]:
    """Laxity in steps: steps until departure less the steps the remaining energy takes at the
    inlet limit; the least goes first (LLF, as acnportal's `least_laxity_first`, which divides
    by the port's maximum rate)."""
    steps_needed = demand.need_kwh / (demand.inlet_kw * demand.battery_efficiency * demand.step_h)
    laxity: NDArray[np.float64] = demand.steps_to_departure - steps_needed
    return laxity


STRATEGIES: dict[Strategy, ChargingRule] = {
    "greedy": ChargingRule(full_power_kw),
    "balanced": ChargingRule(balanced_kw, priority=earliest_departure, spreads=True),
    "time_of_use": ChargingRule(time_of_use_kw),
    "edf": ChargingRule(full_power_kw, priority=earliest_departure, queue_by_departure=True),
    "llf": ChargingRule(full_power_kw, priority=least_laxity, queue_by_departure=True),
    "uncontrolled": ChargingRule(full_power_kw, caps_site=False),
}
"""Every strategy by name. greedy: full power at once, the site limit shared in proportion to
demand. balanced: spread to be full one step before departure (full power while a queue
waits), the limit granted nearest departure first. time_of_use: defer to cheaper steps while
the energy still fits before departure. edf / llf: full power, the limit and free ports granted
in order of departure / laxity, each vehicle up to its own limits. uncontrolled: full power and
no site limit, to see the peak an unmanaged site would draw."""


def grant_site_power_kw(
    rule: ChargingRule,
    demand: ChargeDemand,
    asked_kw: NDArray[np.float64],
    site: NDArray[np.intp],
    limit_kw: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Grid power granted to each plugged vehicle: what it asks (`asked_kw`, grid side), cut
    so that no site's total exceeds its limit, in the rule's way."""
    if not rule.caps_site:
        return asked_kw
    if rule.priority is None:
        load = np.bincount(site, weights=asked_kw, minlength=len(limit_kw))
        share = np.where(load > limit_kw, limit_kw / np.maximum(load, 1e-12), 1.0)
        granted: NDArray[np.float64] = asked_kw * share[site]
        return granted
    order = np.lexsort((rule.priority(demand), site))  # stable: ties in fleet order
    asked, at = asked_kw[order], site[order]
    before = np.cumsum(asked) - asked
    before -= before[np.searchsorted(at, at)]  # only vehicles of the same site count
    granted = np.empty_like(asked_kw)
    granted[order] = np.clip(limit_kw[at] - before, 0.0, asked)
    return granted
