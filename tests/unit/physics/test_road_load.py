import numpy as np
import pytest

from fleetsim.physics.road_load import acceleration_mps2, road_load_force_n, wheel_power_w


def test_acceleration_is_central_difference_held_at_the_ends() -> None:
    # dt = 2 s: ends (2-0)/4 and (6-6)/4, interior (6-0)/4 and (6-2)/4
    accel = acceleration_mps2([0.0, 2.0, 6.0, 6.0], 2.0)
    np.testing.assert_allclose(accel, [0.5, 1.5, 1.0, 0.0])


def test_acceleration_work_telescopes_to_kinetic_energy() -> None:
    speed = np.random.default_rng(3).uniform(0.0, 30.0, 500)
    work_per_kg = np.sum(acceleration_mps2(speed, 0.5) * speed * 0.5)
    assert work_per_kg == pytest.approx((speed[-1] ** 2 - speed[0] ** 2) / 2, rel=1e-9)


def test_single_step_has_no_acceleration() -> None:
    np.testing.assert_array_equal(acceleration_mps2([12.0], 1.0), [0.0])


def test_flat_constant_speed_force_is_rolling_plus_drag() -> None:
    # 1500·9.81·0.01 = 147.15 N rolling; ½·1.2·0.3·2.0·20² = 144 N drag
    force = road_load_force_n(1500.0, 0.01, 0.3, 2.0, 0.05, 20.0, 0.0, 0.0)
    assert force == pytest.approx(291.15)


def test_acceleration_force_includes_rotating_mass() -> None:
    # at rest: 1500·1.05·1.2 = 1890 N inertia + 147.15 N rolling
    force = road_load_force_n(1500.0, 0.01, 0.3, 2.0, 0.05, 0.0, 1.2, 0.0)
    assert force == pytest.approx(2037.15)


def test_grade_force_uses_the_angle_of_the_slope() -> None:
    # grade 0.1: cosθ = 1/√1.01, sinθ = 0.1/√1.01; F = 1000·9.81·(0.01 + 0.1)/√1.01 = 1073.74 N
    force = road_load_force_n(1000.0, 0.01, 0.3, 2.0, 0.0, 0.0, 0.0, 0.1)
    assert force == pytest.approx(1000.0 * 9.81 * 0.11 / np.sqrt(1.01))
    assert force == pytest.approx(1073.74, abs=0.01)


def test_braking_force_is_negative() -> None:
    force = road_load_force_n(1500.0, 0.01, 0.3, 2.0, 0.05, 10.0, -2.0, 0.0)
    # -1500·1.05·2 + 147.15 + ½·1.2·0.3·2·100 = -3150 + 147.15 + 36
    assert force == pytest.approx(-2966.85)


def test_wheel_power_broadcasts_variants_against_steps() -> None:
    mass = np.array([[1000.0], [2000.0]])
    speed = np.array([0.0, 10.0, 20.0])
    accel = np.array([1.0, 0.0, -0.5])
    power = wheel_power_w(mass, 0.01, 0.3, 2.0, 0.05, speed, accel, 0.02)
    assert power.shape == (2, 3)
    for row, m in enumerate((1000.0, 2000.0)):
        for step in range(3):
            force = road_load_force_n(m, 0.01, 0.3, 2.0, 0.05, speed[step], accel[step], 0.02)
            assert power[row, step] == pytest.approx(force * speed[step])
