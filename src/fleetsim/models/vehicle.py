"""Vehicle type specification: everything the road-load and battery model needs."""

import itertools
from typing import Annotated, Literal

from pydantic import Field, model_validator

from fleetsim.models.base import Strict

Efficiency = Annotated[float, Field(gt=0.0, le=1.0)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
MotorMapInterpolation = Literal["linear", "step"]
"""Between two motor map points: a straight line, or a step holding the lower point's value."""


class HvacSpec(Strict):
    """Cabin heating/cooling load: grows linearly with °C outside the comfort band."""

    comfort_low_c: float = Field(18.0, description="below this outside °C the cabin is heated")
    comfort_high_c: float = Field(24.0, description="above this outside °C the cabin is cooled")
    heating_kw_per_c: float = Field(0.0, ge=0.0, description="kW per °C below comfort_low_c")
    cooling_kw_per_c: float = Field(0.0, ge=0.0, description="kW per °C above comfort_high_c")
    max_kw: float = Field(0.0, ge=0.0, description="the HVAC's largest draw, kW")

    @model_validator(mode="after")
    def _band_ordered(self) -> "HvacSpec":
        if self.comfort_low_c > self.comfort_high_c:
            raise ValueError("comfort_low_c must not exceed comfort_high_c")
        if self.max_kw == 0 and (self.heating_kw_per_c > 0 or self.cooling_kw_per_c > 0):
            raise ValueError("max_kw must be above 0 when heating or cooling is set")
        return self


class VehicleSpec(Strict):
    """One vehicle type. Simulated mass is `mass_kg + payload_kg`."""

    id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="the type's id, as fleet vehicles name it",
    )
    name: str = Field("", description="a title for people")
    mass_kg: float = Field(gt=0.0, le=60_000.0, description="curb mass, kg")
    payload_kg: float = Field(0.0, ge=0.0, le=40_000.0, description="typical payload, kg")
    drag_coefficient: float = Field(gt=0.0, le=2.0, description="aerodynamic Cd, dimensionless")
    frontal_area_m2: float = Field(gt=0.0, le=15.0, description="frontal area A, m²")
    rolling_resistance: float = Field(
        gt=0.0, le=0.05, description="rolling resistance coefficient Crr, dimensionless"
    )
    rotational_inertia_factor: float = Field(
        0.03, ge=0.0, le=0.5, description="λ: rotating parts as a share of mass when accelerating"
    )
    drivetrain_efficiency: Efficiency | None = Field(
        None, description="motor x transmission, used when no motor_efficiency_map is given"
    )
    motor_efficiency_map: list[tuple[Fraction, Efficiency]] | None = Field(
        None, description="[[fraction_of_peak_power, efficiency], ...], fractions increasing"
    )
    motor_map_interpolation: MotorMapInterpolation = Field(
        "linear", description="between map points: linear, or step (FASTSim's `Step: Lower`)"
    )
    transmission_efficiency: Efficiency = Field(
        1.0, description="gearbox efficiency with a motor map, 0-1"
    )
    battery_efficiency: Efficiency = Field(0.95, description="one way: discharge and charge")
    regen_efficiency: Fraction = Field(0.6, description="share of braking energy at the motor")
    regen_motor_efficiency: Efficiency | None = Field(
        None,
        description="fixed motor efficiency when generating (FASTSim's convention); None: the"
        " motor map or drivetrain efficiency at the real load",
    )
    max_motor_power_kw: float = Field(gt=0.0, le=2_000.0, description="motor peak power, kW")
    max_regen_power_kw: float = Field(
        ge=0.0, le=2_000.0, description="largest power regenerative braking recovers, kW"
    )
    battery_usable_kwh: float = Field(gt=0.0, le=2_000.0, description="usable capacity, kWh")
    soc_max: Fraction = Field(1.0, description="highest state of charge charged to, 0-1")
    reserve_soc: Fraction = Field(0.1, description="below this SoC the vehicle is stranded")
    aux_power_kw: float = Field(
        0.0, ge=0.0, le=100.0, description="auxiliary load while driving (lights, pumps), kW"
    )
    hvac: HvacSpec = Field(HvacSpec(), description="cabin heating and cooling load")
    max_ac_charge_kw: float = Field(ge=0.0, le=100.0, description="on-board AC charger limit, kW")
    max_dc_charge_kw: float = Field(ge=0.0, le=1_500.0, description="DC charging limit, kW")
    charge_curve: list[tuple[Fraction, Annotated[float, Field(ge=0.0)]]] | None = Field(
        None, description="[[soc, max_kw], ...] piecewise-linear taper, soc increasing"
    )

    @property
    def total_mass_kg(self) -> float:
        """Mass the road-load model moves: curb plus typical payload."""
        return self.mass_kg + self.payload_kg

    @model_validator(mode="after")
    def _consistent(self) -> "VehicleSpec":
        if (self.drivetrain_efficiency is None) == (self.motor_efficiency_map is None):
            raise ValueError("give exactly one of drivetrain_efficiency or motor_efficiency_map")
        if self.motor_efficiency_map is not None:
            _check_increasing(self.motor_efficiency_map, "motor_efficiency_map")
        elif self.motor_map_interpolation != "linear":
            raise ValueError("motor_map_interpolation needs a motor_efficiency_map")
        if self.charge_curve is not None:
            _check_increasing(self.charge_curve, "charge_curve")
        if self.reserve_soc >= self.soc_max:
            raise ValueError("SoC bounds must satisfy reserve_soc < soc_max")
        return self


def _check_increasing(points: list[tuple[float, float]], field: str) -> None:
    if len(points) < 2:
        raise ValueError(f"{field} needs at least two points")
    xs = [p[0] for p in points]
    if any(b <= a for a, b in itertools.pairwise(xs)):
        raise ValueError(f"{field} x values must be strictly increasing")
