"""Battery energy of many vehicles (or parameter variants) over one speed trace."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from fleetsim.models import VehicleSpec
from fleetsim.models.vehicle import MotorMapInterpolation
from fleetsim.physics.powertrain import (
    battery_power_kw,
    hvac_power_kw,
    regen_power_kw,
    traction_power_kw,
)
from fleetsim.physics.road_load import air_density_kg_m3 as density_of_air
from fleetsim.physics.road_load import air_pressure_pa, wheel_power_w

_CHUNK_ELEMENTS = 1 << 18
"""Variants are processed in blocks of about this many [variants, steps] cells (2 MB)."""

_S_PER_H = 3600.0

_VEHICLE_FIELDS = (
    "rolling_resistance",
    "drag_coefficient",
    "frontal_area_m2",
    "rotational_inertia_factor",
    "transmission_efficiency",
    "battery_efficiency",
    "regen_efficiency",
    "max_motor_power_kw",
    "max_regen_power_kw",
    "aux_power_kw",
)
_HVAC_FIELDS = ("comfort_low_c", "comfort_high_c", "heating_kw_per_c", "cooling_kw_per_c", "max_kw")


@dataclass(frozen=True, eq=False)
class TraceEnergy:
    """Energy of each variant over one trace; every array is indexed by variant first."""

    net_kwh: NDArray[np.float64]
    """Battery side, discharge minus regen, including aux and HVAC, kWh."""
    out_kwh: NDArray[np.float64]
    """Energy drawn from the battery, kWh."""
    regen_kwh: NDArray[np.float64]
    """Energy returned to the battery by braking, kWh."""
    wheel_kwh: NDArray[np.float64]
    """Positive tractive energy delivered at the wheels (after the motor limit), kWh."""
    distance_km: NDArray[np.float64]
    """Distance of the trace, km (the same for every variant)."""
    kwh_per_km: NDArray[np.float64]
    """``net_kwh / distance_km``; 0 when the trace covers no distance."""
    missed_s: NDArray[np.float64]
    """Seconds in which the motor power limit kept the vehicle from following the trace."""
    battery_power_kw: NDArray[np.float64]
    """[variants, steps] battery power, kW, positive when discharging."""


def trace_energy(
    vehicle_or_list: VehicleSpec | Sequence[VehicleSpec],
    speed_mps: npt.ArrayLike,
    grade: npt.ArrayLike | None = None,
    dt_s: float = 1.0,
    ambient_c: float | npt.ArrayLike = 20.0,
    elevation_m: float | npt.ArrayLike | None = None,
    air_density_kg_m3: float | npt.ArrayLike | None = None,
) -> TraceEnergy:
    """Battery energy of each vehicle following a speed trace, vectorised over vehicles.

    Step ``i`` is driven at ``speed_mps[i]`` for ``dt_s`` on ``grade[i]``; it pays for the
    change of kinetic energy from step ``i-1`` (:func:`~fleetsim.physics.road_load.wheel_power_w`).
    Air density follows the weather: the standard-atmosphere pressure at ``elevation_m``
    over ``ambient_c`` (:func:`~fleetsim.physics.road_load.air_density_kg_m3`).
    The trace is prescribed: where the motor limit clips traction the step still counts
    as driven, and its duration goes to ``missed_s``.

    Parameters
    ----------
    vehicle_or_list : VehicleSpec or sequence of VehicleSpec
        One vehicle (results have shape [1]) or many variants.
    speed_mps : array_like, shape [steps]
        Speed over each step, m/s, ≥ 0.
    grade : array_like, shape [steps], optional
        Rise over run of each step; flat when omitted.
    dt_s : float
        Step length, s.
    ambient_c : float or array_like, shape [variants]
        Ambient temperature for the HVAC load and the air density, °C, one for all or one
        per variant.
    elevation_m : float or array_like, shape [steps], optional
        Height above sea level, m, one for all steps or one per step; sea level when omitted.
    air_density_kg_m3 : float or array_like, shape [variants], optional
        Air density, kg/m³, one for all or one per variant; replaces the one from
        ``ambient_c`` and ``elevation_m`` (1.1728 reproduces FASTSim 3).

    Returns
    -------
    TraceEnergy
        Per-variant energies and the [variants, steps] battery power.
    """
    vehicles = (
        [vehicle_or_list] if isinstance(vehicle_or_list, VehicleSpec) else list(vehicle_or_list)
    )
    speed = _trace_array(speed_mps, "speed_mps")
    if np.any(speed < 0.0):
        raise ValueError("speed_mps must not be negative")
    slope = np.zeros_like(speed) if grade is None else _trace_array(grade, "grade")
    if slope.shape != speed.shape:
        raise ValueError(f"grade has {slope.size} steps, speed_mps has {speed.size}")
    if not (np.isfinite(dt_s) and dt_s > 0.0):
        raise ValueError(f"dt_s must be a positive number, got {dt_s}")
    count, steps = len(vehicles), speed.size
    ambient = _number_or_array(ambient_c, "ambient_c", count)
    height = _number_or_array(0.0 if elevation_m is None else elevation_m, "elevation_m", steps)
    pressure_pa = air_pressure_pa(height)
    density = None
    if air_density_kg_m3 is not None:
        density = _number_or_array(air_density_kg_m3, "air_density_kg_m3", count)
        if np.any(density <= 0.0):
            raise ValueError("air_density_kg_m3 must be positive")
        density = np.broadcast_to(density, (count,))

    columns = {
        name: np.fromiter((getattr(v, name) for v in vehicles), np.float64, count)
        for name in _VEHICLE_FIELDS
    }
    columns["mass_kg"] = np.fromiter((v.total_mass_kg for v in vehicles), np.float64, count)
    columns["drivetrain_efficiency"] = np.fromiter(
        (v.drivetrain_efficiency or 1.0 for v in vehicles), np.float64, count
    )
    columns["regen_motor_efficiency"] = np.fromiter(
        (v.regen_motor_efficiency or 1.0 for v in vehicles), np.float64, count
    )
    hvac = {
        name: np.fromiter((getattr(v.hvac, name) for v in vehicles), np.float64, count)
        for name in _HVAC_FIELDS
    }
    accessory_kw = columns["aux_power_kw"] + hvac_power_kw(ambient, **hvac)
    ambient_column = np.broadcast_to(ambient, (count,))

    battery = np.empty((count, steps), dtype=np.float64)
    traction_sum = np.zeros(count)
    regen_sum = np.zeros(count)
    wheel_sum = np.zeros(count)
    clipped_steps = np.zeros(count)
    chunk = max(1, _CHUNK_ELEMENTS // max(steps, 1))
    for (efficiency_map, interpolation, fixed_regen), rows in _group_by_motor(vehicles).items():
        for start in range(0, rows.size, chunk):
            idx = rows[start : start + chunk]
            column = {name: values[idx, None] for name, values in columns.items()}
            if density is None:
                rho = density_of_air(ambient_column[idx, None], pressure_pa)
            else:
                rho = density[idx, None]
            wheel_w = wheel_power_w(
                column["mass_kg"],
                column["rolling_resistance"],
                column["drag_coefficient"],
                column["frontal_area_m2"],
                column["rotational_inertia_factor"],
                speed,
                slope,
                dt_s,
                rho,
            )
            drive = column["drivetrain_efficiency"] if efficiency_map is None else None
            traction = traction_power_kw(
                wheel_w,
                column["max_motor_power_kw"],
                column["transmission_efficiency"],
                drive,
                efficiency_map,
                interpolation,
            )
            regen_kw = regen_power_kw(
                wheel_w,
                column["regen_efficiency"],
                column["max_regen_power_kw"],
                column["max_motor_power_kw"],
                column["transmission_efficiency"],
                drive,
                efficiency_map,
                interpolation,
                column["regen_motor_efficiency"] if fixed_regen else None,
            )
            battery[idx] = battery_power_kw(
                traction.electric_kw,
                regen_kw,
                accessory_kw[idx, None],
                column["battery_efficiency"],
            )
            traction_sum[idx] = traction.electric_kw.sum(axis=1)
            regen_sum[idx] = regen_kw.sum(axis=1)
            wheel_sum[idx] = traction.wheel_kw.sum(axis=1)
            clipped_steps[idx] = np.count_nonzero(traction.clipped, axis=1)

    to_kwh = dt_s / _S_PER_H
    battery_efficiency = columns["battery_efficiency"]
    out_kwh = (traction_sum + accessory_kw * steps) / battery_efficiency * to_kwh
    regen_kwh = regen_sum * battery_efficiency * to_kwh
    net_kwh = out_kwh - regen_kwh
    distance_km = np.full(count, float(speed.sum()) * dt_s / 1000.0)
    kwh_per_km = np.divide(net_kwh, distance_km, out=np.zeros(count), where=distance_km > 0.0)
    return TraceEnergy(
        net_kwh=net_kwh,
        out_kwh=out_kwh,
        regen_kwh=regen_kwh,
        wheel_kwh=wheel_sum * to_kwh,
        distance_km=distance_km,
        kwh_per_km=kwh_per_km,
        missed_s=clipped_steps * dt_s,
        battery_power_kw=battery,
    )


def _number_or_array(values: float | npt.ArrayLike, name: str, size: int) -> NDArray[np.float64]:
    """A finite number, or ``size`` finite values (one per variant or per step)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim > 1 or (array.ndim == 1 and array.shape != (size,)):
        raise ValueError(f"{name} must be a number or have shape ({size},), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


def _trace_array(values: npt.ArrayLike, name: str) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


_MotorKey = tuple[tuple[tuple[float, float], ...] | None, MotorMapInterpolation, bool]
"""Motor map (None: constant drivetrain efficiency), its interpolation, fixed regen efficiency."""


def _group_by_motor(vehicles: Sequence[VehicleSpec]) -> dict[_MotorKey, NDArray[np.intp]]:
    """Row indices of vehicles whose motors are evaluated by the same calls."""
    groups: dict[_MotorKey, list[int]] = {}
    for row, vehicle in enumerate(vehicles):
        efficiency_map = vehicle.motor_efficiency_map
        key = (
            None if efficiency_map is None else tuple(efficiency_map),
            vehicle.motor_map_interpolation,
            vehicle.regen_motor_efficiency is not None,
        )
        groups.setdefault(key, []).append(row)
    return {key: np.asarray(rows, dtype=np.intp) for key, rows in groups.items()}
