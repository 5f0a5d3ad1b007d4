import numpy as np
import pytest

from fleetsim.physics.road_load import (
    SEA_LEVEL_PRESSURE_PA,
    air_density_kg_m3,
    air_pressure_pa,
    kinetic_power_w,
    road_load_force_n,
    wheel_power_w,
)


def test_air_density_is_the_ideal_gas_law_for_dry_air() -> None:
    # rho = p / (R·T): 101325 / (287.05·263.15) and 101325 / (287.05·298.15)
    assert air_density_kg_m3(-10.0, 101_325.0) == pytest.approx(1.341_39, abs=1e-5)
    assert air_density_kg_m3(25.0, 101_325.0) == pytest.approx(1.183_93, abs=1e-5)
    assert air_density_kg_m3(15.0, 90_000.0) == pytest.approx(90_000.0 / (287.05 * 288.15))


def test_air_pressure_follows_the_standard_atmosphere() -> None:
    # ISA tables: 101325 Pa at 0 m, 89875 Pa at 1000 m, 79495 Pa at 2000 m
    pressure = air_pressure_pa([0.0, 1000.0, 2000.0])
    assert pressure[0] == SEA_LEVEL_PRESSURE_PA
    np.testing.assert_allclose(pressure[1:], [89_875.0, 79_495.0], rtol=2e-4)


def test_air_density_in_the_standard_atmosphere_matches_its_table() -> None:
    # ISA: 1.2250 kg/m³ at 0 m and 15 °C, 1.1117 kg/m³ at 1000 m and 8.5 °C
    assert air_density_kg_m3(15.0, air_pressure_pa(0.0)) == pytest.approx(1.2250, abs=1e-4)
    assert air_density_kg_m3(8.5, air_pressure_pa(1000.0)) == pytest.approx(1.1117, abs=1e-4)


def test_kinetic_power_is_the_backward_difference_of_kinetic_energy() -> None:
    # 1000 kg·1.05, dt = 2 s: (2² - 0)/4, (6² - 2²)/4, (6² - 6²)/4, (3² - 6²)/4 per kg
    power = kinetic_power_w(1000.0, 0.05, [0.0, 2.0, 6.0, 6.0, 3.0], 2.0)
    np.testing.assert_allclose(power, np.array([0.0, 1.0, 8.0, 0.0, -6.75]) * 1050.0)


def test_kinetic_energy_telescopes_over_any_trace() -> None:
    speed = np.random.default_rng(3).uniform(0.0, 30.0, 500)
    work_j = np.sum(kinetic_power_w(800.0, 0.1, speed, 0.5) * 0.5)
    assert work_j == pytest.approx(0.5 * 880.0 * (speed[-1] ** 2 - speed[0] ** 2), rel=1e-9)


def test_braking_to_a_stop_returns_the_kinetic_energy_in_its_last_step() -> None:
    # the standing step pays -½·m·v² / dt though it moves no distance
    power = kinetic_power_w(1500.0, 0.0, [10.0, 0.0], 1.0)
    np.testing.assert_allclose(power, [0.0, -75_000.0])


def test_single_step_has_no_kinetic_power() -> None:
    np.testing.assert_array_equal(kinetic_power_w(1000.0, 0.05, [12.0], 1.0), [0.0])


def test_flat_constant_speed_force_is_rolling_plus_drag() -> None:
    # 1500·9.81·0.01 = 147.15 N rolling; ½·1.2·0.3·2.0·20² = 144 N drag
    force = road_load_force_n(1500.0, 0.01, 0.3, 2.0, 20.0, 0.0, 1.2)
    assert force == pytest.approx(291.15)


def test_drag_grows_with_air_density() -> None:
    # ½·rho·0.3·2.0·20² = 120·rho N over 147.15 N rolling
    cold, warm = road_load_force_n(1500.0, 0.01, 0.3, 2.0, 20.0, 0.0, [1.34, 1.17])
    assert cold - warm == pytest.approx(120.0 * (1.34 - 1.17))


def test_grade_force_uses_the_angle_of_the_slope() -> None:
    # grade 0.1: cosθ = 1/√1.01, sinθ = 0.1/√1.01; F = 1000·9.81·(0.01 + 0.1)/√1.01 = 1073.74 N
    force = road_load_force_n(1000.0, 0.01, 0.3, 2.0, 0.0, 0.1, 1.2)
    assert force == pytest.approx(1000.0 * 9.81 * 0.11 / np.sqrt(1.01))
    assert force == pytest.approx(1073.74, abs=0.01)


def test_wheel_power_adds_kinetic_power_to_road_load_times_speed() -> None:
    # step 1: 147.15 + 36 N at 10 m/s, and 1575·(10² - 12²)/2 W of braking
    power = wheel_power_w(1500.0, 0.01, 0.3, 2.0, 0.05, [12.0, 10.0], [0.0, 0.0], 1.0, 1.2)
    assert power[1] == pytest.approx(183.15 * 10.0 - 1575.0 * 22.0)
    assert power[1] < 0.0


def test_wheel_power_broadcasts_variants_against_steps() -> None:
    mass = np.array([[1000.0], [2000.0]])
    density = np.array([[1.2], [1.3]])
    speed = np.array([0.0, 10.0, 20.0])
    power = wheel_power_w(mass, 0.01, 0.3, 2.0, 0.05, speed, 0.02, 1.0, density)
    assert power.shape == (2, 3)
    kinetic = kinetic_power_w(mass, 0.05, speed, 1.0)
    for row in range(2):
        for step in range(3):
            force = road_load_force_n(
                mass[row, 0], 0.01, 0.3, 2.0, speed[step], 0.02, density[row, 0]
            )
            expected = force * speed[step] + kinetic[row, step]
            assert power[row, step] == pytest.approx(expected)
