"""Energy of each distinct (vehicle type, route, temperature) trip, computed once and reused."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import RouteProfile, VehicleSpec
from fleetsim.physics import drive_trace, trace_energy

TEMPERATURE_RESOLUTION_C = 0.1
"""Trips whose ambient differs by less than this share one energy computation."""


@dataclass(frozen=True)
class ComboEnergy:
    """Per combination: totals, and cumulative net kWh / km at each simulation step boundary.

    `cum_kwh[offset[c] + j]` is the battery energy used after j steps of combination c,
    for j = 0..n_steps[c]; the 1 Hz arrays serve to locate where a stranded trip stopped.
    """

    duration_s: NDArray[np.float64]
    n_steps: NDArray[np.intp]
    offset: NDArray[np.intp]
    cum_kwh: NDArray[np.float64]
    cum_km: NDArray[np.float64]
    net_kwh: NDArray[np.float64]
    wheel_kwh: NDArray[np.float64]
    distance_km: NDArray[np.float64]
    missed_s: NDArray[np.float64]
    cum_kwh_1hz: list[NDArray[np.float64]]
    position_km_1hz: list[NDArray[np.float64]]


def combine_trips(
    vehicle_type: NDArray[np.intp], route: NDArray[np.intp], ambient_c: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Distinct (type, route, temperature bin) rows, and each trip's row index."""
    temp_bin = np.round(ambient_c / TEMPERATURE_RESOLUTION_C).astype(np.intp)
    keys = np.stack([vehicle_type, route, temp_bin], axis=1)
    if len(keys) == 0:
        return np.zeros((0, 3), dtype=np.intp), np.zeros(0, dtype=np.intp)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)


def combo_energy(
    combos: NDArray[np.intp],
    types: list[VehicleSpec],
    routes: list[RouteProfile],
    step_s: float,
) -> ComboEnergy:
    """Run the vectorised physics once per route over every type/temperature that drives it."""
    count = len(combos)
    duration_s = np.zeros(count)
    net_kwh = np.zeros(count)
    wheel_kwh = np.zeros(count)
    distance_km = np.zeros(count)
    missed_s = np.zeros(count)
    cum_1hz: list[NDArray[np.float64]] = [np.zeros(1)] * count
    pos_1hz: list[NDArray[np.float64]] = [np.zeros(1)] * count
    step_cum_kwh: list[NDArray[np.float64]] = [np.zeros(1)] * count
    step_cum_km: list[NDArray[np.float64]] = [np.zeros(1)] * count

    for route_index in np.unique(combos[:, 1]) if count else []:
        rows = np.flatnonzero(combos[:, 1] == route_index)
        trace = drive_trace(routes[int(route_index)])
        specs = [types[int(t)] for t in combos[rows, 0]]
        ambient = combos[rows, 2] * TEMPERATURE_RESOLUTION_C
        energy = trace_energy(specs, trace.speed_mps, trace.grade, trace.dt_s, ambient)
        steps = len(trace.speed_mps)
        t_grid = np.arange(steps + 1) * trace.dt_s
        cum = np.zeros((len(rows), steps + 1))
        np.cumsum(energy.battery_power_kw * (trace.dt_s / 3600.0), axis=1, out=cum[:, 1:])
        position_km = np.concatenate([[0.0], np.cumsum(trace.speed_mps * trace.dt_s)]) / 1000.0
        total_s = steps * trace.dt_s
        n = int(np.ceil(total_s / step_s - 1e-9))
        step_times = np.minimum(np.arange(n + 1) * step_s, total_s)
        km_at_steps = np.interp(step_times, t_grid, position_km)
        for i, row in enumerate(rows):
            duration_s[row] = total_s
            net_kwh[row] = energy.net_kwh[i]
            wheel_kwh[row] = energy.wheel_kwh[i]
            distance_km[row] = energy.distance_km[i]
            missed_s[row] = energy.missed_s[i]
            cum_1hz[row] = cum[i]
            pos_1hz[row] = position_km
            step_cum_kwh[row] = np.interp(step_times, t_grid, cum[i])
            step_cum_km[row] = km_at_steps

    n_steps = np.array([len(c) - 1 for c in step_cum_kwh], dtype=np.intp)
    offset = np.zeros(count, dtype=np.intp)
    if count:
        offset[1:] = np.cumsum(n_steps + 1)[:-1]
    return ComboEnergy(
        duration_s=duration_s,
        n_steps=n_steps,
        offset=offset,
        cum_kwh=np.concatenate(step_cum_kwh) if count else np.zeros(0),
        cum_km=np.concatenate(step_cum_km) if count else np.zeros(0),
        net_kwh=net_kwh,
        wheel_kwh=wheel_kwh,
        distance_km=distance_km,
        missed_s=missed_s,
        cum_kwh_1hz=cum_1hz,
        position_km_1hz=pos_1hz,
    )


def stranded_position_km(energy: ComboEnergy, combo: int, available_kwh: float) -> float:
    """Distance along the route at which `available_kwh` is used up."""
    cum = energy.cum_kwh_1hz[combo]
    beyond = np.flatnonzero(cum > available_kwh)
    index = int(beyond[0]) if len(beyond) else len(cum) - 1
    return float(energy.position_km_1hz[combo][index])
