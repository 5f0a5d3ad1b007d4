"""VehicleSpec: the FASTSim conventions are options with today's behaviour as default."""

from typing import Any

import pytest
from pydantic import ValidationError

from fleetsim.models import VehicleSpec

CAR: dict[str, Any] = {
    "id": "car",
    "mass_kg": 1500.0,
    "drag_coefficient": 0.3,
    "frontal_area_m2": 2.0,
    "rolling_resistance": 0.01,
    "max_motor_power_kw": 100.0,
    "max_regen_power_kw": 50.0,
    "battery_usable_kwh": 60.0,
    "max_ac_charge_kw": 11.0,
    "max_dc_charge_kw": 100.0,
}
MAP = [(0.0, 0.8), (1.0, 0.95)]


def test_defaults_read_the_map_linearly_and_regenerate_at_the_real_load() -> None:
    car = VehicleSpec.model_validate(CAR | {"motor_efficiency_map": MAP})
    assert car.motor_map_interpolation == "linear"
    assert car.regen_motor_efficiency is None


def test_step_interpolation_needs_a_map() -> None:
    with pytest.raises(
        ValidationError, match="motor_map_interpolation needs a motor_efficiency_map"
    ):
        VehicleSpec.model_validate(
            CAR | {"drivetrain_efficiency": 0.9, "motor_map_interpolation": "step"}
        )


@pytest.mark.parametrize(
    ("field", "value"), [("regen_motor_efficiency", 0.0), ("motor_map_interpolation", "cubic")]
)
def test_invalid_conventions_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        VehicleSpec.model_validate(CAR | {"motor_efficiency_map": MAP, field: value})
