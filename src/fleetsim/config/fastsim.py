"""NREL FASTSim 3 vehicle files read as a VehicleSpec.

FASTSim (https://github.com/NREL/fastsim, Apache-2.0) describes a vehicle by its components:
chassis, electric machine with an efficiency map, transmission, battery. A battery-electric
file (``pt_type: BEV``, or ``BatteryElectricVehicle`` in older files) becomes a VehicleSpec
that reproduces FASTSim's energy with ``trace_energy(..., air_density_kg_m3=1.1728)``; its
cabin and HVAC models are not imported (they add no load at FASTSim's 22 °C default).
"""

import json
import math
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fleetsim.config.errors import ConfigErrors, ConfigProblem, Where, problems_from_validation
from fleetsim.config.files import read_text, read_yaml
from fleetsim.models import VehicleSpec
from fleetsim.models.vehicle import MotorMapInterpolation

DEFAULT_AC_CHARGE_KW = 11.0
"""FASTSim files carry no charging data: a three-phase 16 A on-board charger."""
DEFAULT_DC_CHARGE_KW = 50.0
"""FASTSim files carry no charging data: the common lowest CCS rating."""

_BEV_KEYS = ("BEV", "BatteryElectricVehicle")
_STRATEGIES: dict[str, MotorMapInterpolation] = {
    "Linear": "linear",
    "LeftNearest": "step",
    "Step: Lower": "step",
}
"""FASTSim (ninterp) interpolation strategies fleetsim reproduces; older files say LeftNearest."""
_J_PER_KWH = 3.6e6


def load_fastsim_vehicle(path: Path) -> VehicleSpec:
    """The VehicleSpec of a FASTSim 3 battery-electric vehicle file (.yaml, .yml or .json).

    Mass, drag, frontal area, rolling resistance and the wheels' inertia (as
    ``rotational_inertia_factor = I·n / (m·r²)``), peak motor power, efficiency map and its
    interpolation, transmission efficiency, usable battery energy
    ``capacity·(max_soc - min_soc)`` and base aux power come from the file. FASTSim's
    conventions come with them: the motor generates at the map's first value
    (``regen_motor_efficiency``), all braking goes through the motor up to its peak power
    (``regen_efficiency`` 1, ``max_regen_power_kw`` = peak) and energy is counted at the
    battery terminals (``battery_efficiency`` 1). Charging limits are
    ``DEFAULT_AC_CHARGE_KW`` and ``DEFAULT_DC_CHARGE_KW``.

    Raises
    ------
    ConfigErrors
        The file cannot be read, is not a battery-electric vehicle, or lacks a field; each
        problem names the field (``chassis.drag_coef``).
    """
    where = Where(str(path), "vehicle")
    data = _read(path, where)
    if not isinstance(data, dict):
        raise where.error(None, "is not a FASTSim vehicle: expected a mapping at the top")
    fields = _Fields(data, where)
    pt_type = data.get("pt_type")
    if not isinstance(pt_type, dict) or len(pt_type) != 1:
        raise where.error("pt_type", "missing: expected one powertrain type such as BEV")
    kind = next(iter(pt_type))
    if kind not in _BEV_KEYS:
        raise where.error("pt_type", f"{kind} is not a battery-electric vehicle (BEV)")
    bev = f"pt_type.{kind}"

    mass_kg = fields.number("mass_kilograms")
    inertia = fields.number("chassis.wheel_inertia_kilogram_square_meters", minimum=0.0)
    wheels = fields.number("chassis.num_wheels", minimum=0.0)
    radius_m = fields.number("chassis.wheel_radius_meters")
    capacity_j = fields.number(f"{bev}.res.energy_capacity_joules")
    min_soc = fields.number(f"{bev}.res.min_soc", minimum=0.0)
    max_soc = fields.number(f"{bev}.res.max_soc")
    motor_w = fields.number(f"{bev}.em.pwr_out_max_watts")
    motor_map = fields.motor_map(f"{bev}.em.eff_interp_achieved")
    spec: dict[str, Any] = {
        "drag_coefficient": fields.number("chassis.drag_coef"),
        "frontal_area_m2": fields.number("chassis.frontal_area_square_meters"),
        "rolling_resistance": fields.number("chassis.wheel_rr_coef"),
        "transmission_efficiency": fields.number(f"{bev}.transmission.eff_interp"),
        "aux_power_kw": fields.number("pwr_aux_base_watts", minimum=0.0) / 1000.0,
    }
    if fields.problems or motor_map is None:
        raise ConfigErrors(fields.problems)
    if max_soc <= min_soc:
        raise where.error(f"{bev}.res.max_soc", f"{max_soc} must be above min_soc {min_soc}")

    name = str(data.get("name") or path.stem)
    efficiency_map, interpolation = motor_map
    spec |= {
        "id": _identifier(name),
        "name": name,
        "mass_kg": mass_kg,
        "rotational_inertia_factor": inertia * wheels / (mass_kg * radius_m**2),
        "motor_efficiency_map": efficiency_map,
        "motor_map_interpolation": interpolation,
        "regen_motor_efficiency": efficiency_map[0][1],
        "regen_efficiency": 1.0,
        "battery_efficiency": 1.0,
        "max_motor_power_kw": motor_w / 1000.0,
        "max_regen_power_kw": motor_w / 1000.0,
        "battery_usable_kwh": capacity_j / _J_PER_KWH * (max_soc - min_soc),
        "max_ac_charge_kw": DEFAULT_AC_CHARGE_KW,
        "max_dc_charge_kw": DEFAULT_DC_CHARGE_KW,
    }
    try:
        return VehicleSpec.model_validate(spec)
    except ValidationError as exc:
        raise ConfigErrors(problems_from_validation(exc, where)) from exc


def _read(path: Path, where: Where) -> Any:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return read_yaml(path, where)
    if suffix != ".json":
        raise where.error(None, f"expected a .yaml, .yml or .json file, got {suffix!r}")
    text = read_text(path, where, None)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise where.error(None, reason) from exc


def _identifier(name: str) -> str:
    """A vehicle id from FASTSim's name: "2022 Tesla Model 3 RWD" -> "2022_tesla_model_3_rwd"."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:64] or "fastsim_vehicle"


class _Fields:
    """Values at dotted paths of a FASTSim file, collecting a problem for each bad one."""

    def __init__(self, data: dict[str, Any], where: Where) -> None:
        self.data = data
        self.where = where
        self.problems: list[ConfigProblem] = []

    def value(self, path: str) -> Any:
        node: Any = self.data
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            self.problems.append(self.where.problem(path, "missing"))
        return node

    def number(self, path: str, minimum: float | None = None) -> float:
        """A finite number (above 0, or at least ``minimum``); NaN after a problem."""
        value = self.value(path)
        if value is None:
            return math.nan
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.append(self.where.problem(path, f"{value!r} is not a number"))
            return math.nan
        bad = value < minimum if minimum is not None else value <= 0.0
        if not math.isfinite(value) or bad:
            limit = f"at least {minimum:g}" if minimum is not None else "above 0"
            self.problems.append(self.where.problem(path, f"{value} must be {limit}"))
            return math.nan
        return float(value)

    def motor_map(
        self, path: str
    ) -> tuple[list[tuple[float, float]], MotorMapInterpolation] | None:
        """A one-dimensional efficiency map by fraction of peak power and how it is read."""
        interpolator = self.value(path)
        if interpolator is None:
            return None
        grid = _axis(_get(interpolator, "data", "grid"))
        values = _axis(_get(interpolator, "data", "values"))
        if grid is None or values is None or len(grid) != len(values):
            reason = "expected a one-dimensional map: data.grid [[fractions]] and data.values"
            self.problems.append(self.where.problem(path, reason))
            return None
        strategy = interpolator.get("strategy")
        name = (
            ": ".join(f"{k}: {v}" for k, v in strategy.items())
            if isinstance(strategy, dict)
            else str(strategy)
        )
        if name not in _STRATEGIES:
            known = ", ".join(_STRATEGIES)
            reason = f"interpolation {name!r} is not supported ({known})"
            self.problems.append(self.where.problem(f"{path}.strategy", reason))
            return None
        return list(zip(grid, values, strict=True)), _STRATEGIES[name]


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _axis(node: Any) -> list[float] | None:
    """Numbers of a one-dimensional axis: a list, ``[list]``, or ndarray form ``{data: [...]}``."""
    if isinstance(node, list) and len(node) == 1 and isinstance(node[0], list | dict):
        node = node[0]
    if isinstance(node, dict):
        node = node.get("data")
    if not isinstance(node, list) or not node:
        return None
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in node):
        return None
    return [float(x) for x in node]
