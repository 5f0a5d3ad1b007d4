"""FASTSim 3 vehicle files read as a VehicleSpec: fields, conventions, formats, refusals."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetsim.config import ConfigErrors
from fleetsim.config.fastsim import (
    DEFAULT_AC_CHARGE_KW,
    DEFAULT_DC_CHARGE_KW,
    load_fastsim_vehicle,
)

VEHICLES = Path(__file__).resolve().parents[3] / "validation" / "fastsim" / "vehicles"
TESLA = VEHICLES / "2022 Tesla Model 3 RWD thrml.yaml"
BOLT = VEHICLES / "2020 Chevrolet Bolt EV thrml.yaml"
SHIPPED = sorted(VEHICLES.glob("*.yaml"))


def test_model_3_fields_come_from_its_components() -> None:
    car = load_fastsim_vehicle(TESLA)
    assert (car.id, car.name) == ("2022_tesla_model_3_rwd", "2022 Tesla Model 3 RWD")
    assert (car.mass_kg, car.payload_kg) == (1752.0, 0.0)
    assert (car.drag_coefficient, car.frontal_area_m2, car.rolling_resistance) == (
        0.23,
        2.22,
        0.007,
    )
    # four wheels of 0.815 kg·m² at 0.33435 m: 4·0.815 / (1752·0.33435²)
    assert car.rotational_inertia_factor == pytest.approx(4 * 0.815 / (1752 * 0.33435**2))
    assert car.max_motor_power_kw == 239.0
    assert car.transmission_efficiency == 0.98
    # 194.4 MJ = 54 kWh between 5 % and 98 % SoC
    assert car.battery_usable_kwh == pytest.approx(54.0 * 0.93)
    assert car.aux_power_kw == 0.25
    assert car.motor_efficiency_map is not None
    assert car.motor_efficiency_map[:3] == [(0.0, 0.84), (0.02, 0.86), (0.04, 0.88)]
    assert car.motor_efficiency_map[-1] == (1.0, 0.93)
    assert car.drivetrain_efficiency is None


def test_fastsim_conventions_come_with_the_import() -> None:
    car = load_fastsim_vehicle(TESLA)
    assert car.motor_map_interpolation == "step"  # the file says LeftNearest
    assert car.regen_motor_efficiency == 0.84  # the map's first value
    assert car.max_regen_power_kw == car.max_motor_power_kw
    assert car.regen_efficiency == 1.0
    assert car.battery_efficiency == 1.0
    assert (car.max_ac_charge_kw, car.max_dc_charge_kw) == (
        DEFAULT_AC_CHARGE_KW,
        DEFAULT_DC_CHARGE_KW,
    )


def test_linear_maps_stay_linear() -> None:
    bolt = load_fastsim_vehicle(BOLT)
    assert bolt.motor_map_interpolation == "linear"
    assert bolt.regen_motor_efficiency == pytest.approx(0.8736113907685258)
    assert bolt.battery_usable_kwh == pytest.approx(66.0)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_fastsims_own_json_gives_the_same_vehicle(path: Path) -> None:
    assert load_fastsim_vehicle(path.with_suffix(".json")) == load_fastsim_vehicle(path)


def test_every_shipped_bev_is_stored() -> None:
    assert [p.stem for p in SHIPPED] == [
        "2016 Nissan Leaf 30 kWh thrml",
        "2020 Chevrolet Bolt EV thrml",
        "2022 Tesla Model 3 RWD thrml",
        "2022_Renault_Zoe_ZE50_R135",
    ]


def edited(tmp_path: Path, change: Any, suffix: str = ".yaml") -> Path:
    """The Model 3 file after ``change(data)``, written to tmp_path."""
    data = yaml.safe_load(TESLA.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / f"vehicle{suffix}"
    path.write_text(json.dumps(data) if suffix == ".json" else yaml.safe_dump(data))
    return path


def problems(path: Path) -> list[tuple[str | None, str]]:
    with pytest.raises(ConfigErrors) as raised:
        load_fastsim_vehicle(path)
    assert all(p.file == str(path) for p in raised.value.problems)
    return [(p.field, p.reason) for p in raised.value.problems]


def test_a_conventional_vehicle_is_refused(tmp_path: Path) -> None:
    def to_conventional(data: dict[str, Any]) -> None:
        data["pt_type"] = {"Conv": data["pt_type"].pop("BatteryElectricVehicle")}

    assert problems(edited(tmp_path, to_conventional)) == [
        ("pt_type", "Conv is not a battery-electric vehicle (BEV)")
    ]


def test_missing_fields_are_named_together(tmp_path: Path) -> None:
    def strip(data: dict[str, Any]) -> None:
        del data["chassis"]["drag_coef"]
        data["chassis"]["wheel_radius_meters"] = None
        del data["pt_type"]["BatteryElectricVehicle"]["res"]["energy_capacity_joules"]

    assert sorted(problems(edited(tmp_path, strip, ".json"))) == [
        ("chassis.drag_coef", "missing"),
        ("chassis.wheel_radius_meters", "missing"),
        ("pt_type.BatteryElectricVehicle.res.energy_capacity_joules", "missing"),
    ]


def test_a_bad_number_is_named(tmp_path: Path) -> None:
    def negative_mass(data: dict[str, Any]) -> None:
        data["mass_kilograms"] = -5.0

    assert problems(edited(tmp_path, negative_mass)) == [("mass_kilograms", "-5.0 must be above 0")]


def test_an_unsupported_interpolation_is_refused(tmp_path: Path) -> None:
    def nearest(data: dict[str, Any]) -> None:
        data["pt_type"]["BatteryElectricVehicle"]["em"]["eff_interp_achieved"]["strategy"] = (
            "Nearest"
        )

    [(field, reason)] = problems(edited(tmp_path, nearest))
    assert field == "pt_type.BatteryElectricVehicle.em.eff_interp_achieved.strategy"
    assert reason.startswith("interpolation 'Nearest' is not supported")


def test_a_two_dimensional_map_is_refused(tmp_path: Path) -> None:
    def two_axes(data: dict[str, Any]) -> None:
        interpolator = data["pt_type"]["BatteryElectricVehicle"]["em"]["eff_interp_achieved"]
        axis = interpolator["data"]["grid"][0]
        interpolator["data"]["grid"] = [axis, axis]

    [(field, reason)] = problems(edited(tmp_path, two_axes))
    assert field == "pt_type.BatteryElectricVehicle.em.eff_interp_achieved"
    assert "one-dimensional" in reason


def test_values_fleetsim_refuses_are_reported_by_field(tmp_path: Path) -> None:
    def overunity(data: dict[str, Any]) -> None:
        data["pt_type"]["BatteryElectricVehicle"]["transmission"]["eff_interp"] = 1.2

    [(field, reason)] = problems(edited(tmp_path, overunity))
    assert field == "transmission_efficiency"
    assert "less than or equal to 1" in reason


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("vehicle.toml", "", "expected a .yaml, .yml or .json file"),
        ("vehicle.json", "{", "invalid JSON at line 1"),
        ("vehicle.yaml", "- 1\n- 2\n", "expected a mapping at the top"),
    ],
)
def test_unreadable_files_are_refused(tmp_path: Path, name: str, text: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    [(field, found)] = problems(path)
    assert field is None
    assert reason in found
