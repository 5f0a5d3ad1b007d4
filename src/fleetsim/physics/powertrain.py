"""From wheel power to battery power: motor, transmission, regeneration, battery and HVAC.

Reference: L. Guzzella and A. Sciarretta, "Vehicle Propulsion Systems", 3rd ed., Springer
2013, ch. 4 (electric motors and their efficiency maps, recuperation, batteries). The
stepped map and the fixed generating efficiency reproduce NREL FASTSim 3 (A. Brooker et al.,
"FASTSim: A Model to Estimate Vehicle Efficiency, Cost and Performance", SAE 2015-01-0973).
Vehicle parameters broadcast as ``[variants, 1]`` against wheel power ``[variants, steps]``.
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from fleetsim.models.vehicle import MotorMapInterpolation

EfficiencyMap = Sequence[tuple[float, float]]
"""[(fraction of peak motor power, efficiency), ...], fractions strictly increasing."""


class Traction(NamedTuple):
    """Traction demand once the motor power limit is applied."""

    electric_kw: NDArray[np.float64]
    """Power into the motor from the DC bus, kW, ≥ 0."""
    wheel_kw: NDArray[np.float64]
    """Power delivered at the wheels, kW, ≥ 0 (the demand, or less where clipped)."""
    clipped: NDArray[np.bool_]
    """Where the demand exceeded the motor power limit."""


def hvac_power_kw(
    ambient_c: npt.ArrayLike,
    comfort_low_c: npt.ArrayLike,
    comfort_high_c: npt.ArrayLike,
    heating_kw_per_c: npt.ArrayLike,
    cooling_kw_per_c: npt.ArrayLike,
    max_kw: npt.ArrayLike,
) -> NDArray[np.float64]:
    """Cabin heating or cooling power, kW, growing linearly outside a comfort band.

    ``min(max_kw, heating·max(0, low - T) + cooling·max(0, T - high))``: a first-order
    steady-state cabin heat balance, in which the load is proportional to the temperature
    gap, capped by the HVAC unit's rating (fleetsim DESIGN §3).

    Parameters
    ----------
    ambient_c : array_like
        Ambient temperature T, °C.
    comfort_low_c, comfort_high_c : array_like
        Comfort band, °C: no HVAC load between them.
    heating_kw_per_c, cooling_kw_per_c : array_like
        Electrical load per °C below / above the band, kW/°C.
    max_kw : array_like
        HVAC power limit, kW.

    Returns
    -------
    numpy.ndarray
        HVAC electrical power, kW, broadcast over all inputs.
    """
    ambient = np.asarray(ambient_c, dtype=np.float64)
    below = np.maximum(0.0, np.asarray(comfort_low_c, dtype=np.float64) - ambient)
    above = np.maximum(0.0, ambient - np.asarray(comfort_high_c, dtype=np.float64))
    demand = np.asarray(heating_kw_per_c, dtype=np.float64) * below
    demand = demand + np.asarray(cooling_kw_per_c, dtype=np.float64) * above
    return np.minimum(np.asarray(max_kw, dtype=np.float64), demand)


def _linear(
    load: NDArray[np.float64], fractions: NDArray[np.float64], values: NDArray[np.float64]
) -> NDArray[np.float64]:
    return np.interp(load, fractions, values)


def _step(
    load: NDArray[np.float64], fractions: NDArray[np.float64], values: NDArray[np.float64]
) -> NDArray[np.float64]:
    below = np.searchsorted(fractions, load, side="right") - 1
    return values[np.clip(below, 0, values.size - 1)]


_INTERPOLATIONS: dict[
    MotorMapInterpolation,
    Callable[[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]],
] = {"linear": _linear, "step": _step}


def motor_efficiency(
    load_fraction: npt.ArrayLike,
    efficiency_map: EfficiencyMap,
    interpolation: MotorMapInterpolation = "linear",
) -> NDArray[np.float64]:
    """Motor efficiency at a load, read from a map and held beyond its ends.

    ``linear`` draws a straight line between neighbouring points; ``step`` holds each
    point's value up to the next point, as FASTSim 3's ``Step: Lower`` (``LeftNearest``)
    interpolation does.

    Parameters
    ----------
    load_fraction : array_like
        Motor shaft power as a fraction of peak motor power, dimensionless.
    efficiency_map : sequence of (fraction, efficiency)
        Map points, fractions strictly increasing (Guzzella & Sciarretta, ch. 4).
    interpolation : {"linear", "step"}
        How values between points are read.

    Returns
    -------
    numpy.ndarray
        Efficiency, 0-1, shaped like ``load_fraction``.

    Examples
    --------
    >>> points = [(0.0, 0.8), (0.5, 0.9), (1.0, 0.95)]
    >>> motor_efficiency([0.25, 0.75], points).round(3).tolist()
    [0.85, 0.925]
    >>> motor_efficiency([0.25, 0.75], points, "step").tolist()
    [0.8, 0.9]
    """
    points = np.asarray(efficiency_map, dtype=np.float64)
    load = np.asarray(load_fraction, dtype=np.float64)
    read = _INTERPOLATIONS[interpolation]
    return read(load.ravel(), points[:, 0], points[:, 1]).reshape(load.shape)


def _check_one_efficiency(
    drivetrain_efficiency: npt.ArrayLike | None, motor_efficiency_map: EfficiencyMap | None
) -> None:
    if (drivetrain_efficiency is None) == (motor_efficiency_map is None):
        raise ValueError("give exactly one of drivetrain_efficiency or motor_efficiency_map")


def traction_power_kw(
    wheel_power_w: npt.ArrayLike,
    max_motor_power_kw: npt.ArrayLike,
    transmission_efficiency: npt.ArrayLike = 1.0,
    drivetrain_efficiency: npt.ArrayLike | None = None,
    motor_efficiency_map: EfficiencyMap | None = None,
    motor_map_interpolation: MotorMapInterpolation = "linear",
) -> Traction:
    """Electric power the motor draws to drive the wheels, kW, with the motor power limit.

    Shaft power ``P⁺/η_trans`` is clipped at ``max_motor_power_kw``; the electric power is
    ``shaft·η_trans/η_drive`` with a constant drivetrain efficiency (η_drive includes the
    transmission) or ``shaft/η_motor(shaft/max_motor_power_kw)`` with a motor map
    (Guzzella & Sciarretta, ch. 4).

    Parameters
    ----------
    wheel_power_w : array_like
        Power at the wheels, W; negative values (braking) draw nothing.
    max_motor_power_kw : array_like
        Peak motor shaft power, kW.
    transmission_efficiency : array_like
        Gearbox and final drive efficiency, 0-1.
    drivetrain_efficiency : array_like, optional
        Motor x transmission efficiency, 0-1. Give this or ``motor_efficiency_map``.
    motor_efficiency_map : sequence of (fraction, efficiency), optional
        Motor efficiency by fraction of peak power.
    motor_map_interpolation : {"linear", "step"}
        How the map is read between points (:func:`motor_efficiency`).

    Returns
    -------
    Traction
        Electric power, delivered wheel power (both kW) and where the limit clipped.
    """
    _check_one_efficiency(drivetrain_efficiency, motor_efficiency_map)
    max_kw = np.asarray(max_motor_power_kw, dtype=np.float64)
    transmission = np.asarray(transmission_efficiency, dtype=np.float64)
    shaft_kw = np.maximum(np.asarray(wheel_power_w, dtype=np.float64), 0.0)
    shaft_kw *= 1e-3 / transmission
    clipped = shaft_kw > max_kw
    shaft_kw = np.minimum(shaft_kw, max_kw)
    wheel_kw = shaft_kw * transmission
    if motor_efficiency_map is not None:
        efficiency = motor_efficiency(
            shaft_kw / max_kw, motor_efficiency_map, motor_map_interpolation
        )
        electric_kw = shaft_kw / efficiency
    else:
        electric_kw = wheel_kw / np.asarray(drivetrain_efficiency, dtype=np.float64)
    return Traction(electric_kw, wheel_kw, clipped)


def regen_power_kw(
    wheel_power_w: npt.ArrayLike,
    regen_efficiency: npt.ArrayLike,
    max_regen_power_kw: npt.ArrayLike,
    max_motor_power_kw: npt.ArrayLike,
    transmission_efficiency: npt.ArrayLike = 1.0,
    drivetrain_efficiency: npt.ArrayLike | None = None,
    motor_efficiency_map: EfficiencyMap | None = None,
    motor_map_interpolation: MotorMapInterpolation = "linear",
    regen_motor_efficiency: npt.ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Electric power recovered by braking, kW, at the motor terminals (before the battery).

    The share ``regen_efficiency`` of the braking power ``|P⁻|`` reaches the drivetrain;
    it leaves the motor as ``|P⁻|·η_regen·η_drive`` (constant efficiency),
    ``|P⁻|·η_regen·η_trans·η_motor(shaft/max_motor_power_kw)`` (map) or
    ``|P⁻|·η_regen·η_trans·η_gen`` (fixed generating efficiency), clipped at
    ``max_regen_power_kw``; friction brakes take the rest (Guzzella & Sciarretta, ch. 4).
    FASTSim 3 reads its map at zero load whenever the motor generates, which is a fixed
    ``η_gen`` equal to the map's first value.

    Parameters
    ----------
    wheel_power_w : array_like
        Power at the wheels, W; positive values (traction) recover nothing.
    regen_efficiency : array_like
        Share of the braking power that reaches the drivetrain, 0-1.
    max_regen_power_kw : array_like
        Limit of the recovered electric power, kW.
    max_motor_power_kw : array_like
        Peak motor power, kW: the reference of the map's load fraction.
    transmission_efficiency, drivetrain_efficiency, motor_efficiency_map, motor_map_interpolation
        As in :func:`traction_power_kw`, applied in the generating direction.
    regen_motor_efficiency : array_like, optional
        Fixed motor efficiency η_gen when generating, 0-1; given, it replaces
        ``drivetrain_efficiency`` and the map for braking.

    Returns
    -------
    numpy.ndarray
        Recovered electric power, kW, ≥ 0.
    """
    shaft_kw = np.maximum(np.negative(np.asarray(wheel_power_w, dtype=np.float64)), 0.0)
    transmission = np.asarray(transmission_efficiency, dtype=np.float64)
    shaft_kw *= np.asarray(regen_efficiency, dtype=np.float64) * transmission * 1e-3
    if regen_motor_efficiency is not None:
        electric_kw = shaft_kw * np.asarray(regen_motor_efficiency, dtype=np.float64)
    elif motor_efficiency_map is not None and drivetrain_efficiency is None:
        load = shaft_kw / np.asarray(max_motor_power_kw, dtype=np.float64)
        efficiency = motor_efficiency(load, motor_efficiency_map, motor_map_interpolation)
        electric_kw = shaft_kw * efficiency
    else:
        _check_one_efficiency(drivetrain_efficiency, motor_efficiency_map)
        electric_kw = shaft_kw * (
            np.asarray(drivetrain_efficiency, dtype=np.float64) / transmission
        )
    limited = np.minimum(electric_kw, np.asarray(max_regen_power_kw, dtype=np.float64))
    return np.asarray(limited, dtype=np.float64)


def battery_power_kw(
    traction_electric_kw: npt.ArrayLike,
    regen_electric_kw: npt.ArrayLike,
    accessory_kw: npt.ArrayLike,
    battery_efficiency: npt.ArrayLike,
) -> NDArray[np.float64]:
    """Battery terminal power, kW, positive when discharging.

    ``(P_traction + P_aux) / η_batt - P_regen · η_batt`` with a one-way battery efficiency
    applied on discharge and charge alike (Guzzella & Sciarretta, ch. 4, battery as a
    lumped efficiency).

    Parameters
    ----------
    traction_electric_kw : array_like
        Power drawn by the motor, kW (:func:`traction_power_kw`).
    regen_electric_kw : array_like
        Power returned by the motor, kW (:func:`regen_power_kw`).
    accessory_kw : array_like
        Auxiliary and HVAC load, kW, drawn also at standstill.
    battery_efficiency : array_like
        One-way battery efficiency, 0-1.

    Returns
    -------
    numpy.ndarray
        Battery power, kW.
    """
    efficiency = np.asarray(battery_efficiency, dtype=np.float64)
    drawn = np.asarray(traction_electric_kw, dtype=np.float64) + np.asarray(accessory_kw)
    stored = np.asarray(regen_electric_kw, dtype=np.float64) * efficiency
    return np.asarray(drawn / efficiency - stored, dtype=np.float64)
