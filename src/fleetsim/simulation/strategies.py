"""Charging strategies: how much power each plugged vehicle asks for in this step."""

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

    def to_full_kw(self) -> NDArray[np.float64]:
        """Inlet power that would reach the target within this step."""
        power: NDArray[np.float64] = self.need_kwh / (self.battery_efficiency * self.step_h)
        return power


def greedy_kw(demand: ChargeDemand) -> NDArray[np.float64]:
    """Full available power as soon as plugged in."""
    return np.minimum(demand.max_kw, demand.to_full_kw())


def balanced_kw(demand: ChargeDemand) -> NDArray[np.float64]:
    """Spread the energy evenly to be full one step before the next departure."""
    steps = np.maximum(demand.steps_to_departure - 1, 1)
    return np.minimum(demand.max_kw, demand.to_full_kw() / steps)


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


STRATEGIES: dict[Strategy, Callable[[ChargeDemand], NDArray[np.float64]]] = {
    "greedy": greedy_kw,
    "balanced": balanced_kw,
    "time_of_use": time_of_use_kw,
}
