from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetsim.models import HvacSpec, VehicleSpec
from fleetsim.physics import TraceEnergy, trace_energy

UDDS_CSV = Path(__file__).resolve().parents[3] / "config" / "cycles" / "udds.csv"
MAP = [(0.0, 0.8), (0.2, 0.9), (1.0, 0.95)]
RHO = 1.2
"""Air density of the closed-form cases, kg/m³."""


def vehicle(**overrides: Any) -> VehicleSpec:
    """A 1500 kg car with efficiencies easy to reckon with and limits that do not bind."""
    fields: dict[str, Any] = {
        "id": "car",
        "mass_kg": 1500.0,
        "drag_coefficient": 0.3,
        "frontal_area_m2": 2.0,
        "rolling_resistance": 0.01,
        "rotational_inertia_factor": 0.05,
        "drivetrain_efficiency": 0.9,
        "battery_efficiency": 1.0,
        "regen_efficiency": 0.6,
        "max_motor_power_kw": 1000.0,
        "max_regen_power_kw": 1000.0,
        "battery_usable_kwh": 60.0,
        "max_ac_charge_kw": 11.0,
        "max_dc_charge_kw": 100.0,
    }
    return VehicleSpec.model_validate(fields | overrides)


def lossless(**overrides: Any) -> VehicleSpec:
    return vehicle(drivetrain_efficiency=1.0, regen_efficiency=1.0, **overrides)


def udds() -> tuple[np.ndarray, np.ndarray]:
    cycle = np.loadtxt(UDDS_CSV, delimiter=",", skiprows=1)
    return cycle[:, 1], cycle[:, 2]


def test_constant_speed_on_flat_ground_costs_rolling_and_drag() -> None:
    # 20 m/s for 1000 s = 20 km; F = 1500·9.81·0.01 + ½·1.2·0.3·2.0·20² = 147.15 + 144 N
    result = trace_energy(vehicle(), np.full(1000, 20.0), air_density_kg_m3=RHO)
    expected_kwh = 291.15 * 20_000.0 / 0.9 / 3.6e6  # 1.7972 kWh
    assert result.net_kwh.shape == (1,)
    assert result.net_kwh[0] == pytest.approx(expected_kwh, rel=1e-12)
    assert result.out_kwh[0] == pytest.approx(expected_kwh, rel=1e-12)
    assert result.regen_kwh[0] == 0.0
    assert result.wheel_kwh[0] == pytest.approx(291.15 * 20_000.0 / 3.6e6, rel=1e-12)
    assert result.distance_km[0] == pytest.approx(20.0)
    assert result.kwh_per_km[0] == pytest.approx(expected_kwh / 20.0, rel=1e-12)
    assert result.missed_s[0] == 0.0


def test_air_density_follows_ambient_temperature_and_elevation() -> None:
    # -10 °C at 500 m: p = 101325·(1 - 0.0065·500/288.15)^5.25588 = 95461 Pa, rho = 1.2638
    rho = 101_325.0 * (1.0 - 0.0065 * 500.0 / 288.15) ** 5.25588 / (287.05 * 263.15)
    result = trace_energy(vehicle(), np.full(1000, 20.0), ambient_c=-10.0, elevation_m=500.0)
    assert rho == pytest.approx(1.2638, abs=1e-4)
    force_n = 147.15 + 0.5 * rho * 0.3 * 2.0 * 20.0**2
    assert result.net_kwh[0] == pytest.approx(force_n * 20_000.0 / 0.9 / 3.6e6, rel=1e-12)


def test_sea_level_is_assumed_without_an_elevation() -> None:
    speed = np.full(100, 20.0)
    unknown = trace_energy(vehicle(), speed, ambient_c=5.0)
    sea_level = trace_energy(vehicle(), speed, ambient_c=5.0, elevation_m=np.zeros(100))
    assert unknown.net_kwh[0] == sea_level.net_kwh[0]


def test_cold_air_costs_more_drag() -> None:
    # no HVAC: only the density differs, 1.3414 at -10 °C against 1.1839 at 25 °C
    speed = np.full(600, 25.0)
    result = trace_energy([vehicle(), vehicle()], speed, ambient_c=np.array([-10.0, 25.0]))
    drag_kwh = 0.5 * 0.3 * 2.0 * 25.0**3 * 600.0 / 0.9 / 3.6e6
    assert result.net_kwh[0] - result.net_kwh[1] == pytest.approx(
        drag_kwh * 101_325.0 / 287.05 * (1.0 / 263.15 - 1.0 / 298.15), rel=1e-9
    )


def test_elevation_per_step_sets_the_density_of_each_step() -> None:
    speed = np.full(200, 20.0)
    elevation = np.concatenate((np.zeros(100), np.full(100, 2000.0)))
    both = trace_energy(vehicle(), speed, ambient_c=15.0, elevation_m=elevation)
    low = trace_energy(vehicle(), speed[:100], ambient_c=15.0, elevation_m=0.0)
    high = trace_energy(vehicle(), speed[:100], ambient_c=15.0, elevation_m=2000.0)
    assert both.net_kwh[0] == pytest.approx(low.net_kwh[0] + high.net_kwh[0], rel=1e-12)
    assert high.net_kwh[0] < low.net_kwh[0]


def test_given_air_density_replaces_the_weather() -> None:
    speed = np.full(100, 20.0)
    result = trace_energy(
        [vehicle(), vehicle()], speed, ambient_c=np.array([-10.0, 30.0]), air_density_kg_m3=RHO
    )
    assert result.net_kwh[0] == result.net_kwh[1]
    assert result.net_kwh[0] == pytest.approx(291.15 * 2000.0 / 0.9 / 3.6e6, rel=1e-12)


def test_speeding_up_and_braking_pass_through_the_drivetrain_both_ways() -> None:
    # 0 → 10 m/s → 0 in 1 s steps: ½·1575·10² J go out through η 0.9 and come back ·0.6·0.9
    kinetic_j = 0.5 * 1500.0 * 1.05 * 10.0**2
    road_j = (147.15 + 0.5 * 1.2 * 0.3 * 2.0 * 10.0**2) * 10.0
    result = trace_energy(vehicle(), [0.0, 10.0, 0.0], air_density_kg_m3=RHO)
    expected_kwh = ((kinetic_j + road_j) / 0.9 - kinetic_j * 0.6 * 0.9) / 3.6e6
    assert result.net_kwh[0] == pytest.approx(expected_kwh, rel=1e-12)
    assert result.regen_kwh[0] == pytest.approx(kinetic_j * 0.6 * 0.9 / 3.6e6, rel=1e-12)


def test_battery_efficiency_divides_the_energy_drawn() -> None:
    result = trace_energy(
        vehicle(battery_efficiency=0.95), np.full(1000, 20.0), air_density_kg_m3=RHO
    )
    assert result.net_kwh[0] == pytest.approx(291.15 * 20_000.0 / 0.9 / 0.95 / 3.6e6)


def test_payload_adds_to_the_mass() -> None:
    loaded = trace_energy(
        vehicle(mass_kg=1000.0, payload_kg=500.0), np.full(1000, 20.0), air_density_kg_m3=RHO
    )
    assert loaded.net_kwh[0] == pytest.approx(291.15 * 20_000.0 / 0.9 / 3.6e6)


def test_climb_adds_potential_energy() -> None:
    # 10 m/s for 600 s = 6 km at grade 0.05: Δh = 6000·sinθ = 299.63 m
    cos_theta = 1.0 / np.sqrt(1.0 + 0.05**2)
    rise_m = 6000.0 * 0.05 * cos_theta
    road_j = (1500.0 * 9.81 * 0.01 * cos_theta + 0.5 * 1.2 * 0.3 * 2.0 * 10.0**2) * 6000.0 / 0.9
    climb_j = 1500.0 * 9.81 * rise_m / 0.9  # 4.90 MJ
    result = trace_energy(
        vehicle(), np.full(600, 10.0), grade=np.full(600, 0.05), air_density_kg_m3=RHO
    )
    assert rise_m == pytest.approx(299.63, abs=0.01)
    assert result.net_kwh[0] == pytest.approx((road_j + climb_j) / 3.6e6, rel=1e-12)


def test_lossless_round_trip_nets_only_rolling_and_drag() -> None:
    # from rest to 15 m/s, up 0.04 for 300 s, down 0.04 for 300 s, back to rest
    ramp = np.arange(0.0, 15.0, 1.0)
    speed = np.concatenate((ramp, np.full(600, 15.0), ramp[::-1]))
    grade = np.zeros_like(speed)
    grade[15:315] = 0.04
    grade[315:615] = -0.04
    cos_theta = 1.0 / np.sqrt(1.0 + grade**2)
    losses_j = np.sum((1500.0 * 9.81 * 0.01 * cos_theta + 0.5 * 1.2 * 0.3 * 2.0 * speed**2) * speed)
    result = trace_energy(lossless(), speed, grade, air_density_kg_m3=RHO)
    assert result.regen_kwh[0] > 0.4  # ≈ 5.4 kW recovered for 300 s down the slope
    assert result.net_kwh[0] == pytest.approx(losses_j / 3.6e6, rel=1e-9)


def test_standstill_draws_auxiliary_power_only() -> None:
    # 2 kW for 1 h through a 95 % battery
    result = trace_energy(vehicle(aux_power_kw=2.0, battery_efficiency=0.95), np.zeros(3600))
    assert result.net_kwh[0] == pytest.approx(2.0 / 0.95)
    assert result.distance_km[0] == 0.0
    assert result.kwh_per_km[0] == 0.0
    assert result.wheel_kwh[0] == 0.0
    np.testing.assert_allclose(result.battery_power_kw, 2.0 / 0.95)


def test_hvac_heats_at_cold_ambient() -> None:
    hvac = HvacSpec(comfort_low_c=18.0, heating_kw_per_c=0.5, max_kw=6.0)
    car = vehicle(aux_power_kw=1.0, battery_efficiency=0.95, hvac=hvac)
    cool = trace_energy(car, np.zeros(1800), ambient_c=10.0)
    freezing = trace_energy(car, np.zeros(1800), ambient_c=-10.0)
    # ½ h of 1 kW aux + 0.5·(18 - 10) kW heating; at -10 °C heating caps at 6 kW
    assert cool.net_kwh[0] == pytest.approx((1.0 + 4.0) * 0.5 / 0.95)
    assert freezing.net_kwh[0] == pytest.approx((1.0 + 6.0) * 0.5 / 0.95)


def test_ambient_per_variant_matches_one_call_per_temperature() -> None:
    hvac = HvacSpec(heating_kw_per_c=0.4, cooling_kw_per_c=0.3, max_kw=5.0)
    car = vehicle(hvac=hvac, battery_efficiency=0.95)
    speed, grade = udds()
    temperatures = [-10.0, 20.0, 35.0]
    together = trace_energy([car] * 3, speed, grade, ambient_c=np.array(temperatures))
    for row, ambient in enumerate(temperatures):
        alone = trace_energy(car, speed, grade, ambient_c=ambient)
        assert together.net_kwh[row] == pytest.approx(alone.net_kwh[0], rel=1e-12)
    assert together.net_kwh[0] > together.net_kwh[2] > together.net_kwh[1]


def test_motor_limit_counts_the_missed_seconds() -> None:
    # 20 m/s in half-second steps; 7 steps at grade 0.2 need ≈ 63 kW > 30 kW
    grade = np.zeros(40)
    grade[10:17] = 0.2
    car = vehicle(max_motor_power_kw=30.0)
    result = trace_energy(car, np.full(40, 20.0), grade, dt_s=0.5, air_density_kg_m3=RHO)
    assert result.missed_s[0] == 3.5
    np.testing.assert_allclose(result.battery_power_kw[0, 10:17], 30.0 / 0.9)
    np.testing.assert_allclose(result.battery_power_kw[0, :10], 291.15 * 20.0 / 0.9 / 1000.0)


def test_regen_is_clipped_at_max_regen_power() -> None:
    # down 0.1 at 20 m/s: P = (147.15·cosθ + 144 - 14715·sinθ)·20 ≈ -23.5 kW
    cos_theta = 1.0 / np.sqrt(1.01)
    wheel_kw = (147.15 * cos_theta + 144.0 - 14_715.0 * 0.1 * cos_theta) * 20.0 / 1000.0
    speed, grade = np.full(100, 20.0), np.full(100, -0.1)
    free = trace_energy(vehicle(battery_efficiency=0.95), speed, grade, air_density_kg_m3=RHO)
    limited = trace_energy(
        vehicle(battery_efficiency=0.95, max_regen_power_kw=5.0),
        speed,
        grade,
        air_density_kg_m3=RHO,
    )
    # unclipped: |P|·0.6·0.9 = 12.7 kW reaches the battery terminals, ·0.95 is stored
    np.testing.assert_allclose(free.battery_power_kw, wheel_kw * 0.6 * 0.9 * 0.95)
    np.testing.assert_allclose(limited.battery_power_kw, -5.0 * 0.95)
    assert limited.regen_kwh[0] == pytest.approx(5.0 * 0.95 * 100.0 / 3600.0)
    assert limited.net_kwh[0] == pytest.approx(-limited.regen_kwh[0])


def test_motor_map_efficiency_at_a_known_load() -> None:
    # flat, 20 m/s: 5823 W at the wheels, /0.97 at the shaft = 0.10005 of 60 kW
    shaft_kw = 291.15 * 20.0 / 0.97 / 1000.0
    efficiency = 0.8 + (shaft_kw / 60.0) / 0.2 * 0.1  # 0.85002
    car = vehicle(
        drivetrain_efficiency=None,
        motor_efficiency_map=MAP,
        transmission_efficiency=0.97,
        max_motor_power_kw=60.0,
    )
    result = trace_energy(car, np.full(100, 20.0), air_density_kg_m3=RHO)
    np.testing.assert_allclose(result.battery_power_kw, shaft_kw / efficiency)
    assert efficiency == pytest.approx(0.85, abs=1e-4)


def test_step_interpolation_holds_the_lower_map_point() -> None:
    # flat, 20 m/s: 6.0 kW at the shaft = 0.10005 of 60 kW, between 0.0 (0.8) and 0.2 (0.9)
    shaft_kw = 291.15 * 20.0 / 0.97 / 1000.0
    car = vehicle(
        drivetrain_efficiency=None,
        motor_efficiency_map=MAP,
        motor_map_interpolation="step",
        transmission_efficiency=0.97,
        max_motor_power_kw=60.0,
    )
    result = trace_energy(car, np.full(100, 20.0), air_density_kg_m3=RHO)
    np.testing.assert_allclose(result.battery_power_kw, shaft_kw / 0.8)


def test_fixed_regen_motor_efficiency_replaces_the_map_when_braking() -> None:
    # down 0.1 at 20 m/s: |P| ≈ 23.5 kW at the wheels, ·0.6·0.97 at the shaft, ·0.84 electric
    cos_theta = 1.0 / np.sqrt(1.01)
    wheel_kw = (147.15 * cos_theta + 144.0 - 14_715.0 * 0.1 * cos_theta) * 20.0 / 1000.0
    motor = {
        "drivetrain_efficiency": None,
        "motor_efficiency_map": MAP,
        "transmission_efficiency": 0.97,
        "max_motor_power_kw": 100.0,
    }
    mapped, fixed = vehicle(**motor), vehicle(**motor, regen_motor_efficiency=0.84)
    speed, grade = np.full(100, 20.0), np.full(100, -0.1)
    result = trace_energy([mapped, fixed], speed, grade, air_density_kg_m3=RHO)
    np.testing.assert_allclose(result.battery_power_kw[1], wheel_kw * 0.6 * 0.97 * 0.84)
    # the map at 0.137 of the motor's 100 kW reads 0.8685, above the fixed 0.84
    assert result.regen_kwh[0] > result.regen_kwh[1]


def test_many_variants_equal_one_call_each() -> None:
    speed, _ = udds()
    grade = 0.03 * np.sin(np.arange(speed.size) / 60.0)
    fleet = [
        vehicle(),
        vehicle(id="heavy", mass_kg=9000.0, max_motor_power_kw=120.0, max_regen_power_kw=40.0),
        vehicle(id="mapped", drivetrain_efficiency=None, motor_efficiency_map=MAP),
        vehicle(id="mapped2", drivetrain_efficiency=None, motor_efficiency_map=MAP, mass_kg=2500),
        vehicle(id="other", drivetrain_efficiency=None, motor_efficiency_map=[(0, 0.7), (1, 0.9)]),
        vehicle(id="hvac", hvac=HvacSpec(heating_kw_per_c=0.5, max_kw=4.0), aux_power_kw=0.5),
        vehicle(
            id="fastsim",
            drivetrain_efficiency=None,
            motor_efficiency_map=MAP,
            motor_map_interpolation="step",
            regen_motor_efficiency=0.85,
        ),
        vehicle(id="fixed_regen", regen_motor_efficiency=0.8),
    ]
    ambient = np.array([5.0, 10.0, 15.0, 20.0, 25.0, -5.0, 0.0, 30.0])
    together = trace_energy(fleet, speed, grade, dt_s=1.0, ambient_c=ambient)
    assert together.battery_power_kw.shape == (8, speed.size)
    assert together.missed_s[1] > 0.0  # the heavy variant's limit binds
    for row, car in enumerate(fleet):
        alone = trace_energy(car, speed, grade, ambient_c=ambient[row])
        for field in ("net_kwh", "out_kwh", "regen_kwh", "wheel_kwh", "kwh_per_km", "missed_s"):
            np.testing.assert_allclose(
                getattr(together, field)[row], getattr(alone, field)[0], rtol=1e-12, err_msg=field
            )
        np.testing.assert_allclose(together.battery_power_kw[row], alone.battery_power_kw[0])


def test_net_energy_is_the_integral_of_battery_power() -> None:
    speed, grade = udds()
    result = trace_energy([vehicle(), vehicle(battery_efficiency=0.9)], speed, grade, dt_s=0.5)
    integral_kwh = result.battery_power_kw.sum(axis=1) * 0.5 / 3600.0
    np.testing.assert_allclose(result.net_kwh, integral_kwh, rtol=1e-12)
    np.testing.assert_allclose(result.net_kwh, result.out_kwh - result.regen_kwh)


def test_compact_car_on_udds_uses_a_plausible_energy() -> None:
    speed, grade = udds()
    result = trace_energy(vehicle(battery_efficiency=0.95, aux_power_kw=0.3), speed, grade)
    assert result.distance_km[0] == pytest.approx(11.99, abs=0.01)
    assert 0.08 < result.kwh_per_km[0] < 0.16
    assert 0.0 < result.regen_kwh[0] < result.out_kwh[0]


def test_empty_fleet_gives_empty_results() -> None:
    result = trace_energy([], np.full(10, 5.0))
    assert isinstance(result, TraceEnergy)
    assert result.net_kwh.shape == (0,)
    assert result.battery_power_kw.shape == (0, 10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speed_mps": [1.0, -1.0]}, "negative"),
        ({"speed_mps": [[1.0, 2.0]]}, "one-dimensional"),
        ({"speed_mps": [1.0, float("nan")]}, "finite"),
        ({"grade": [0.0]}, "grade has 1 steps"),
        ({"dt_s": 0.0}, "dt_s"),
        ({"ambient_c": [1.0, 2.0]}, "ambient_c"),
        ({"elevation_m": [1.0, 2.0, 3.0]}, "elevation_m"),
        ({"air_density_kg_m3": 0.0}, "air_density_kg_m3 must be positive"),
        ({"air_density_kg_m3": [1.2, 1.2]}, "air_density_kg_m3"),
    ],
)
def test_invalid_inputs_are_refused(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"speed_mps": [1.0, 2.0]} | kwargs
    with pytest.raises(ValueError, match=message):
        trace_energy(vehicle(), **arguments)


# From rest back to rest, changing speed by at most 3 m/s a second so that a 20 t vehicle
# stays within a 2 MW motor: the property holds only while the motor limit does not bind.
flat_loops = st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=60).map(
    lambda changes: np.array([0.0, *np.clip(np.cumsum(changes), 0.0, 30.0), 0.0])
)


@settings(max_examples=40, deadline=None)
@given(
    speed=flat_loops,
    masses=st.tuples(st.floats(500.0, 20_000.0), st.floats(500.0, 20_000.0)).map(sorted),
    regen=st.floats(0.0, 0.99),
)
def test_energy_grows_with_mass_and_stays_positive_on_a_flat_loop(
    speed: np.ndarray, masses: list[float], regen: float
) -> None:
    light, heavy = (
        vehicle(
            mass_kg=m, regen_efficiency=regen, max_motor_power_kw=2000.0, max_regen_power_kw=50.0
        )
        for m in masses
    )
    result = trace_energy([light, heavy], speed)
    assert not result.missed_s.any()
    assert result.net_kwh[1] >= result.net_kwh[0] - 1e-12
    assert np.all(result.net_kwh >= -1e-12)


@settings(max_examples=40, deadline=None)
@given(speed=flat_loops, regens=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)).map(sorted))
def test_more_regeneration_never_costs_energy(speed: np.ndarray, regens: list[float]) -> None:
    less, more = (vehicle(regen_efficiency=r) for r in regens)
    result = trace_energy([less, more], speed, grade=np.full(speed.size, -0.02))
    assert result.net_kwh[1] <= result.net_kwh[0] + 1e-12
