"""fleetsim against NREL FASTSim 3.1.0: every battery-electric vehicle FASTSim ships, on UDDS,
HWFET, US06 and cycles of our own with grades and motorway speeds.

The reference figures (battery terminal energy per case) are stored in
validation/fastsim/reference.json by validation/fastsim/generate.py, run with FASTSim
installed outside fleetsim's dependencies; these tests need neither FASTSim nor a network.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fleetsim.config.fastsim import load_fastsim_vehicle
from fleetsim.models import VehicleSpec
from fleetsim.physics import trace_energy

VALIDATION = Path(__file__).resolve().parents[2] / "validation" / "fastsim"
REFERENCE: dict[str, Any] = json.loads((VALIDATION / "reference.json").read_text("utf-8"))
CASES = REFERENCE["cases"]
FASTSIM_AMBIENT_C = 22.0
"""FASTSim's default air temperature."""

DEFAULT_MODEL_DIFFERENCE_PCT = {
    ("2016 Nissan Leaf 30 kWh thrml", "udds"): -5.20,
    ("2016 Nissan Leaf 30 kWh thrml", "hwfet"): -0.48,
    ("2016 Nissan Leaf 30 kWh thrml", "us06"): -2.27,
    ("2016 Nissan Leaf 30 kWh thrml", "udds_hills"): -6.06,
    ("2016 Nissan Leaf 30 kWh thrml", "us06_hills"): -2.18,
    ("2016 Nissan Leaf 30 kWh thrml", "motorway"): +0.22,
    ("2020 Chevrolet Bolt EV thrml", "udds"): -3.77,
    ("2020 Chevrolet Bolt EV thrml", "hwfet"): +0.31,
    ("2020 Chevrolet Bolt EV thrml", "us06"): -2.40,
    ("2020 Chevrolet Bolt EV thrml", "udds_hills"): -4.53,
    ("2020 Chevrolet Bolt EV thrml", "us06_hills"): -2.30,
    ("2020 Chevrolet Bolt EV thrml", "motorway"): +0.64,
    ("2022 Tesla Model 3 RWD thrml", "udds"): -4.65,
    ("2022 Tesla Model 3 RWD thrml", "hwfet"): -1.04,
    ("2022 Tesla Model 3 RWD thrml", "us06"): -4.26,
    ("2022 Tesla Model 3 RWD thrml", "udds_hills"): -5.19,
    ("2022 Tesla Model 3 RWD thrml", "us06_hills"): -4.59,
    ("2022 Tesla Model 3 RWD thrml", "motorway"): -1.03,
    ("2022_Renault_Zoe_ZE50_R135", "udds"): -2.71,
    ("2022_Renault_Zoe_ZE50_R135", "hwfet"): +0.54,
    ("2022_Renault_Zoe_ZE50_R135", "us06"): -1.30,
    ("2022_Renault_Zoe_ZE50_R135", "udds_hills"): -3.25,
    ("2022_Renault_Zoe_ZE50_R135", "us06_hills"): -1.29,
    ("2022_Renault_Zoe_ZE50_R135", "motorway"): +0.91,
}
"""fleetsim's default model against FASTSim, %: the same vehicle parameters, but the motor
generates at its real load on a linearly read map and the air density is that of 22 °C at
sea level (1.196 against FASTSim's 1.1728 kg/m³). Mostly lower on stop-and-go cycles, where
FASTSim's regeneration at the map's zero-load efficiency recovers less."""


@cache
def vehicle(file: str) -> VehicleSpec:
    return load_fastsim_vehicle(VALIDATION / "vehicles" / file)


@cache
def trace(file: str) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(VALIDATION / file, delimiter=",", skiprows=1)
    return table[:, 1], table[:, 2]


def case_id(case: dict[str, Any]) -> str:
    return f"{Path(case['vehicle']).stem}-{case['cycle']}"


def test_reference_covers_every_bev_on_every_cycle() -> None:
    assert REFERENCE["fastsim_version"] == "3.1.0"
    vehicles = {v["yaml"] for v in REFERENCE["vehicles"]}
    cycles = {c["name"] for c in REFERENCE["cycles"]}
    assert {"udds", "hwfet", "us06"} <= cycles
    assert len(vehicles) == 4
    assert {(c["vehicle"], c["cycle"]) for c in CASES} == {(v, c) for v in vehicles for c in cycles}
    assert {(Path(v).stem, c) for v in vehicles for c in cycles} == set(
        DEFAULT_MODEL_DIFFERENCE_PCT
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fleetsim_configured_as_fastsim_agrees_within_one_percent(case: dict[str, Any]) -> None:
    speed, grade = trace(case["trace"])
    result = trace_energy(
        vehicle(case["vehicle"]), speed, grade, air_density_kg_m3=REFERENCE["air_density_kg_m3"]
    )
    assert result.distance_km[0] == pytest.approx(case["distance_km"], rel=1e-9)
    assert case["friction_brake_kwh"] == 0.0  # all braking through the motor, as imported
    assert result.net_kwh[0] == pytest.approx(case["terminal_kwh"], rel=0.01)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_default_model_differs_from_fastsim_as_stated(case: dict[str, Any]) -> None:
    imported = vehicle(case["vehicle"])
    default = VehicleSpec.model_validate(
        imported.model_dump()
        | {"regen_motor_efficiency": None, "motor_map_interpolation": "linear"}
    )
    speed, grade = trace(case["trace"])
    result = trace_energy(default, speed, grade, ambient_c=FASTSIM_AMBIENT_C)
    difference_pct = 100.0 * (result.net_kwh[0] / case["terminal_kwh"] - 1.0)
    stated = DEFAULT_MODEL_DIFFERENCE_PCT[(Path(case["vehicle"]).stem, case["cycle"])]
    assert difference_pct == pytest.approx(stated, abs=0.01)
