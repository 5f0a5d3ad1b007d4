"""Longitudinal road load: the force and power a vehicle needs to follow a speed trace.

Reference: L. Guzzella and A. Sciarretta, "Vehicle Propulsion Systems", 3rd ed., Springer
2013, ch. 2 (longitudinal vehicle dynamics). All functions broadcast: vehicle parameters
shaped ``[variants, 1]`` against trace arrays shaped ``[steps]`` give ``[variants, steps]``.
"""

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

GRAVITY_MPS2 = 9.81
AIR_DENSITY_KG_M3 = 1.2


def acceleration_mps2(speed_mps: npt.ArrayLike, dt_s: float) -> NDArray[np.float64]:
    """Acceleration of each step of a speed trace, m/s², by central difference.

    ``a[i] = (v[i+1] - v[i-1]) / (2·dt)`` with the trace held at its end values
    (``v[-1] = v[0]``, ``v[n] = v[n-1]``). With this choice ``Σ a[i]·v[i]·dt`` telescopes to
    exactly ``(v[n-1]² - v[0]²) / 2``, so a lossless vehicle neither gains nor loses kinetic
    energy to the discretisation.

    Parameters
    ----------
    speed_mps : array_like, shape [steps]
        Speed over each step, m/s.
    dt_s : float
        Step length, s.

    Returns
    -------
    numpy.ndarray, shape [steps]
        Acceleration, m/s²; zeros for a trace of one step.
    """
    speed = np.asarray(speed_mps, dtype=np.float64)
    if speed.size < 2:
        return np.zeros_like(speed)
    held = np.concatenate((speed[:1], speed, speed[-1:]))
    return (held[2:] - held[:-2]) / (2.0 * dt_s)


def road_load_force_n(
    mass_kg: npt.ArrayLike,
    rolling_resistance: npt.ArrayLike,
    drag_coefficient: npt.ArrayLike,
    frontal_area_m2: npt.ArrayLike,
    rotational_inertia_factor: npt.ArrayLike,
    speed_mps: npt.ArrayLike,
    accel_mps2: npt.ArrayLike,
    grade: npt.ArrayLike,
) -> NDArray[np.float64]:
    """Tractive force at the wheels, N (negative when the vehicle must brake).

    ``F = m·(1+λ)·a + m·g·Crr·cosθ + ½·rho·Cd·A·v² + m·g·sinθ`` with ``θ = arctan(grade)``,
    ``g = 9.81 m/s²`` and ``rho = 1.2 kg/m³`` (Guzzella & Sciarretta, ch. 2).

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
    rotational_inertia_factor : array_like
        λ: equivalent mass of rotating parts as a fraction of the vehicle mass.
    speed_mps : array_like
        Speed, m/s.
    accel_mps2 : array_like
        Acceleration, m/s².
    grade : array_like
        Road grade, rise over run (0.05 is 5 %).

    Returns
    -------
    numpy.ndarray
        Force, N, broadcast over all inputs.
    """
    mass = np.asarray(mass_kg, dtype=np.float64)
    speed = np.asarray(speed_mps, dtype=np.float64)
    theta = np.arctan(np.asarray(grade, dtype=np.float64))
    inertia = mass * (1.0 + np.asarray(rotational_inertia_factor, dtype=np.float64))
    rolling = mass * (GRAVITY_MPS2 * np.asarray(rolling_resistance, dtype=np.float64))
    drag_area = (0.5 * AIR_DENSITY_KG_M3) * np.asarray(drag_coefficient, dtype=np.float64)
    drag_area = drag_area * np.asarray(frontal_area_m2, dtype=np.float64)
    force = inertia * np.asarray(accel_mps2, dtype=np.float64)
    force = force + rolling * np.cos(theta)
    force = force + drag_area * (speed * speed)
    force = force + (mass * GRAVITY_MPS2) * np.sin(theta)
    return force


def wheel_power_w(
    mass_kg: npt.ArrayLike,
    rolling_resistance: npt.ArrayLike,
    drag_coefficient: npt.ArrayLike,
    frontal_area_m2: npt.ArrayLike,
    rotational_inertia_factor: npt.ArrayLike,
    speed_mps: npt.ArrayLike,
    accel_mps2: npt.ArrayLike,
    grade: npt.ArrayLike,
) -> NDArray[np.float64]:
    """Power at the wheels, W: ``P = F·v`` (Guzzella & Sciarretta, ch. 2).

    Positive when the vehicle drives, negative when it must brake. Parameters are those of
    :func:`road_load_force_n`.

    Returns
    -------
    numpy.ndarray
        Power, W, broadcast over all inputs.
    """
    force = road_load_force_n(
        mass_kg,
        rolling_resistance,
        drag_coefficient,
        frontal_area_m2,
        rotational_inertia_factor,
        speed_mps,
        accel_mps2,
        grade,
    )
    force *= np.asarray(speed_mps, dtype=np.float64)
    return force
