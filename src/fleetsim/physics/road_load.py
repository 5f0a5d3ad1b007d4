"""Longitudinal road load: the force and power a vehicle needs to follow a speed trace.

Reference: L. Guzzella and A. Sciarretta, "Vehicle Propulsion Systems", 3rd ed., Springer
2013, ch. 2 (longitudinal vehicle dynamics). All functions broadcast: vehicle parameters
shaped ``[variants, 1]`` against trace arrays shaped ``[steps]`` give ``[variants, steps]``.
"""

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

GRAVITY_MPS2 = 9.81
SEA_LEVEL_PRESSURE_PA = 101_325.0
DRY_AIR_GAS_CONSTANT_J_KGK = 287.05
_LAPSE_RATE_K_M = 0.0065
_SEA_LEVEL_TEMPERATURE_K = 288.15
_BAROMETRIC_EXPONENT = 5.25588
"""g·M / (R·L) of the standard troposphere."""


def air_pressure_pa(elevation_m: npt.ArrayLike) -> NDArray[np.float64]:
    """Standard-atmosphere air pressure at a height above sea level, Pa.

    ``p = 101325·(1 - 0.0065·h / 288.15)^5.25588``: the barometric formula of the
    troposphere (ISO 2533:1975, Standard Atmosphere; U.S. Standard Atmosphere 1976).

    Parameters
    ----------
    elevation_m : array_like
        Height above mean sea level h, m (valid below 11 km).

    Returns
    -------
    numpy.ndarray
        Pressure, Pa, shaped like ``elevation_m``.

    Examples
    --------
    >>> round(float(air_pressure_pa(500.0)))
    95461
    """
    height = np.asarray(elevation_m, dtype=np.float64)
    ratio = 1.0 - (_LAPSE_RATE_K_M / _SEA_LEVEL_TEMPERATURE_K) * height
    return np.asarray(SEA_LEVEL_PRESSURE_PA * ratio**_BAROMETRIC_EXPONENT, dtype=np.float64)


def air_density_kg_m3(ambient_c: npt.ArrayLike, pressure_pa: npt.ArrayLike) -> NDArray[np.float64]:
    """Density of dry air, kg/m³, from the ideal gas law ``rho = p / (287.05·(T + 273.15))``.

    Parameters
    ----------
    ambient_c : array_like
        Air temperature T, °C.
    pressure_pa : array_like
        Air pressure p, Pa (:func:`air_pressure_pa` for a height).

    Returns
    -------
    numpy.ndarray
        Density, kg/m³, broadcast over both inputs.

    Examples
    --------
    >>> round(float(air_density_kg_m3(-10.0, SEA_LEVEL_PRESSURE_PA)), 4)
    1.3414
    """
    kelvin = np.asarray(ambient_c, dtype=np.float64) + 273.15
    pressure = np.asarray(pressure_pa, dtype=np.float64)
    return np.asarray(pressure / (DRY_AIR_GAS_CONSTANT_J_KGK * kelvin), dtype=np.float64)


def kinetic_power_w(
    mass_kg: npt.ArrayLike,
    rotational_inertia_factor: npt.ArrayLike,
    speed_mps: npt.ArrayLike,
    dt_s: float,
) -> NDArray[np.float64]:
    """Power that changes the kinetic energy of each step, W, by backward difference.

    ``P[i] = m·(1+λ)·(v[i]² - v[i-1]²) / (2·dt)`` with ``v[-1] = v[0]``: step ``i`` pays for
    the change from the step before it, all at once, so ``Σ P·dt`` telescopes to exactly
    ``½·m·(1+λ)·(v[n-1]² - v[0]²)`` and no acceleration is averaged against a braking one.

    Parameters
    ----------
    mass_kg : array_like
        Vehicle mass m, kg.
    rotational_inertia_factor : array_like
        λ: equivalent mass of rotating parts as a fraction of the vehicle mass.
    speed_mps : array_like, shape [steps]
        Speed over each step, m/s.
    dt_s : float
        Step length, s.

    Returns
    -------
    numpy.ndarray
        Power, W, broadcast over all inputs; positive while speeding up.

    Examples
    --------
    >>> kinetic_power_w(1000.0, 0.05, [0.0, 2.0, 2.0], 1.0).tolist()
    [0.0, 2100.0, 0.0]
    """
    speed = np.asarray(speed_mps, dtype=np.float64)
    squared = speed * speed
    rate = np.zeros_like(speed)
    rate[1:] = np.diff(squared) / (2.0 * dt_s)
    inertia = np.asarray(mass_kg, dtype=np.float64)
    inertia = inertia * (1.0 + np.asarray(rotational_inertia_factor, dtype=np.float64))
    return np.asarray(inertia * rate, dtype=np.float64)


def road_load_force_n(
    mass_kg: npt.ArrayLike,
    rolling_resistance: npt.ArrayLike,
    drag_coefficient: npt.ArrayLike,
    frontal_area_m2: npt.ArrayLike,
    speed_mps: npt.ArrayLike,
    grade: npt.ArrayLike,
    air_density_kg_m3: npt.ArrayLike,
) -> NDArray[np.float64]:
    """Force the road and the air oppose to a vehicle at steady speed, N.

    ``F = m·g·Crr·cosθ + ½·rho·Cd·A·v² + m·g·sinθ`` with ``θ = arctan(grade)`` and
    ``g = 9.81 m/s²`` (Guzzella & Sciarretta, ch. 2); negative downhill when gravity
    exceeds rolling and drag.

    Parameters
    ----------
    mass_kg : array_like
        Vehicle mass including payload, kg.
    rolling_resistance : array_like
        Rolling resistance coefficient Crr, dimensionless.
    drag_coefficient : array_like
        Aerodynamic drag coefficient Cd, dimensionless.
    frontal_area_m2 : array_like
        Frontal area A, m².
    speed_mps : array_like
        Speed, m/s.
    grade : array_like
        Road grade, rise over run (0.05 is 5 %).
    air_density_kg_m3 : array_like
        Air density rho, kg/m³ (:func:`air_density_kg_m3`).

    Returns
    -------
    numpy.ndarray
        Force, N, broadcast over all inputs.

    Examples
    --------
    >>> round(float(road_load_force_n(1500.0, 0.01, 0.3, 2.0, 20.0, 0.0, 1.2)), 2)
    291.15
    """
    mass = np.asarray(mass_kg, dtype=np.float64)
    speed = np.asarray(speed_mps, dtype=np.float64)
    theta = np.arctan(np.asarray(grade, dtype=np.float64))
    rolling = mass * (GRAVITY_MPS2 * np.asarray(rolling_resistance, dtype=np.float64))
    drag_area = 0.5 * np.asarray(drag_coefficient, dtype=np.float64)
    drag_area = drag_area * np.asarray(frontal_area_m2, dtype=np.float64)
    drag_area = drag_area * np.asarray(air_density_kg_m3, dtype=np.float64)
    # The first sum holds every input's shape, so the last term can be added in place.
    force = rolling * np.cos(theta) + drag_area * (speed * speed)
    force += (mass * GRAVITY_MPS2) * np.sin(theta)
    return force


def wheel_power_w(
    mass_kg: npt.ArrayLike,
    rolling_resistance: npt.ArrayLike,
    drag_coefficient: npt.ArrayLike,
    frontal_area_m2: npt.ArrayLike,
    rotational_inertia_factor: npt.ArrayLike,
    speed_mps: npt.ArrayLike,
    grade: npt.ArrayLike,
    dt_s: float,
    air_density_kg_m3: npt.ArrayLike,
) -> NDArray[np.float64]:
    """Power at the wheels over each step of a speed trace, W.

    ``P = F·v + P_kin``: the road load of :func:`road_load_force_n` at the step's speed plus
    the change of kinetic energy of :func:`kinetic_power_w` (Guzzella & Sciarretta, ch. 2).
    Positive when the vehicle drives, negative when it must brake. Parameters are those of
    the two functions; ``speed_mps`` and ``grade`` are shaped [steps].

    Returns
    -------
    numpy.ndarray
        Power, W, broadcast over all inputs.
    """
    power = road_load_force_n(
        mass_kg,
        rolling_resistance,
        drag_coefficient,
        frontal_area_m2,
        speed_mps,
        grade,
        air_density_kg_m3,
    )
    power *= np.asarray(speed_mps, dtype=np.float64)
    return power + kinetic_power_w(mass_kg, rotational_inertia_factor, speed_mps, dt_s)
