"""Per-vehicle parameters as arrays, in fleet order (sorted vehicle ids)."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import FleetVehicle, ResolvedRequest

CURVE_POINTS = 1001
"""Charge curves are tabulated on this many SoC points, 0 to 1, for one-index lookups."""


@dataclass(frozen=True)
class VehicleArrays:
    """Battery, charging limits and depot of each vehicle; energies in kWh, powers in kW."""

    type_of: NDArray[np.intp]
    capacity_kwh: NDArray[np.float64]
    target_kwh: NDArray[np.float64]
    """Where charging stops: the vehicle's target_soc, else its type's soc_max."""
    reserve_kwh: NDArray[np.float64]
    initial_kwh: NDArray[np.float64]
    battery_efficiency: NDArray[np.float64]
    ac_kw: NDArray[np.float64]
    dc_kw: NDArray[np.float64]
    depot_site: NDArray[np.intp]
    curve_kw: NDArray[np.float64]
    """[type, CURVE_POINTS]: the most a type takes at SoC i / (CURVE_POINTS - 1)."""

    def curve_at_kw(
        self, vehicles: NDArray[np.intp], soc: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Charge-curve limit of `vehicles` at `soc` (taken at the grid point below)."""
        column = np.minimum((soc * (CURVE_POINTS - 1)).astype(np.intp), CURVE_POINTS - 1)
        limit: NDArray[np.float64] = self.curve_kw[self.type_of[vehicles], column]
        return limit


def vehicle_arrays(
    resolved: ResolvedRequest, fleet: list[FleetVehicle], type_ids: list[str], site_ids: list[str]
) -> VehicleArrays:
    """Arrays for `fleet`, whose types index into `type_ids` and depots into `site_ids`."""
    spec = [resolved.vehicles[v.type] for v in fleet]
    capacity = np.array([s.battery_usable_kwh for s in spec])
    target_soc = [
        v.target_soc if v.target_soc is not None else s.soc_max
        for v, s in zip(fleet, spec, strict=True)
    ]
    initial_soc = [
        v.initial_soc if v.initial_soc is not None else target
        for v, target in zip(fleet, target_soc, strict=True)
    ]
    grid = np.linspace(0.0, 1.0, CURVE_POINTS)
    curves = [resolved.vehicles[t].charge_curve for t in type_ids]
    return VehicleArrays(
        type_of=np.array([type_ids.index(v.type) for v in fleet], dtype=np.intp),
        capacity_kwh=capacity,
        target_kwh=capacity * np.array(target_soc),
        reserve_kwh=capacity * np.array([s.reserve_soc for s in spec]),
        initial_kwh=capacity * np.array(initial_soc),
        battery_efficiency=np.array([s.battery_efficiency for s in spec]),
        ac_kw=np.array([s.max_ac_charge_kw for s in spec]),
        dc_kw=np.array([s.max_dc_charge_kw for s in spec]),
        depot_site=np.array([site_ids.index(v.depot) for v in fleet], dtype=np.intp),
        curve_kw=np.array(
            [
                np.interp(grid, [p[0] for p in c], [p[1] for p in c])
                if c
                else np.full(CURVE_POINTS, np.inf)
                for c in curves
            ]
        ).reshape(len(type_ids), CURVE_POINTS),
    )
