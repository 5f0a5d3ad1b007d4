import numpy as np
import pytest

from fleetsim.physics.powertrain import (
    battery_power_kw,
    hvac_power_kw,
    motor_efficiency,
    regen_power_kw,
    traction_power_kw,
)

MAP = [(0.0, 0.8), (0.5, 0.9), (1.0, 0.95)]


@pytest.mark.parametrize(
    ("ambient_c", "expected_kw"),
    [
        (10.0, 4.0),  # heating: 0.5·(18 - 10)
        (-2.0, 6.0),  # 0.5·20 = 10, capped at 6
        (20.0, 0.0),  # inside the band
        (30.0, 1.8),  # cooling: 0.3·(30 - 24)
    ],
)
def test_hvac_grows_linearly_outside_the_comfort_band(ambient_c: float, expected_kw: float) -> None:
    assert hvac_power_kw(ambient_c, 18.0, 24.0, 0.5, 0.3, 6.0) == pytest.approx(expected_kw)


def test_motor_map_interpolates_and_holds_its_ends() -> None:
    # 0.25 → 0.8 + 0.5·0.1; 0.75 → 0.9 + 0.5·0.05; beyond the ends: held
    efficiency = motor_efficiency([[-0.1, 0.25], [0.75, 1.3]], MAP)
    np.testing.assert_allclose(efficiency, [[0.8, 0.85], [0.925, 0.95]])


def test_traction_with_a_map_uses_efficiency_at_the_motor_load() -> None:
    # 24 kW at the wheels / 0.96 = 25 kW at the shaft = 0.25 of 100 kW → η 0.85
    traction = traction_power_kw(24_000.0, 100.0, 0.96, motor_efficiency_map=MAP)
    assert traction.electric_kw == pytest.approx(25.0 / 0.85)
    assert traction.wheel_kw == pytest.approx(24.0)
    assert not traction.clipped


def test_traction_with_constant_efficiency_includes_the_transmission() -> None:
    traction = traction_power_kw(18_000.0, 100.0, 0.95, drivetrain_efficiency=0.9)
    assert traction.electric_kw == pytest.approx(20.0)


def test_traction_is_clipped_at_motor_power() -> None:
    # 120 kW / 0.95 = 126.3 kW at the shaft > 100 kW: the wheels get 95 kW
    traction = traction_power_kw([120_000.0, 50_000.0], 100.0, 0.95, drivetrain_efficiency=0.9)
    np.testing.assert_array_equal(traction.clipped, [True, False])
    np.testing.assert_allclose(traction.wheel_kw, [95.0, 50.0])
    np.testing.assert_allclose(traction.electric_kw, [95.0 / 0.9, 50.0 / 0.9])


def test_braking_draws_no_traction_and_driving_recovers_nothing() -> None:
    traction = traction_power_kw(-30_000.0, 100.0, drivetrain_efficiency=0.9)
    assert traction.electric_kw == 0.0
    assert regen_power_kw(30_000.0, 0.6, 50.0, 100.0, drivetrain_efficiency=0.9) == 0.0


def test_regen_recovers_its_share_through_the_drivetrain() -> None:
    # 30 kW braking · 0.6 · 0.9
    assert regen_power_kw(-30_000.0, 0.6, 50.0, 100.0, drivetrain_efficiency=0.9) == pytest.approx(
        16.2
    )


def test_regen_is_clipped_at_max_regen_power() -> None:
    # 100 kW · 0.8 · 0.9 = 72 kW > 50 kW
    assert regen_power_kw(-100_000.0, 0.8, 50.0, 100.0, drivetrain_efficiency=0.9) == 50.0


def test_regen_with_a_map_uses_efficiency_at_the_generating_load() -> None:
    # 50 kW · 0.8 = 40 kW at the shaft = 0.4 of 100 kW → η = 0.8 + 0.8·0.1 = 0.88
    regen = regen_power_kw(-50_000.0, 0.8, 100.0, 100.0, 1.0, motor_efficiency_map=MAP)
    assert regen == pytest.approx(40.0 * 0.88)


def test_battery_divides_the_draw_and_multiplies_the_regen() -> None:
    # (20 + 2) / 0.95 - 10 · 0.95
    assert battery_power_kw(20.0, 10.0, 2.0, 0.95) == pytest.approx(22.0 / 0.95 - 9.5)


def test_exactly_one_efficiency_model_is_required() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        traction_power_kw(1000.0, 100.0)
    with pytest.raises(ValueError, match="exactly one"):
        regen_power_kw(-1000.0, 0.5, 50.0, 100.0, 1.0, 0.9, MAP)


def test_step_interpolation_holds_each_point_up_to_the_next() -> None:
    # 0.25 and 0.49 hold 0.8, 0.5 and 0.75 hold 0.9; beyond the ends: the end values
    efficiency = motor_efficiency([-0.1, 0.25, 0.49, 0.5, 0.75, 1.0, 1.3], MAP, "step")
    np.testing.assert_allclose(efficiency, [0.8, 0.8, 0.8, 0.9, 0.9, 0.95, 0.95])


def test_traction_with_a_stepped_map_uses_the_lower_point() -> None:
    # 25 kW at the shaft = 0.25 of 100 kW → 0.8 (linear would read 0.85)
    traction = traction_power_kw(24_000.0, 100.0, 0.96, None, MAP, "step")
    assert traction.electric_kw == pytest.approx(25.0 / 0.8)


def test_fixed_generating_efficiency_replaces_map_and_drivetrain() -> None:
    # 50 kW · 0.8 · 0.96 = 38.4 kW at the shaft, · 0.84 whatever the map or drivetrain says
    with_map = regen_power_kw(-50_000.0, 0.8, 100.0, 100.0, 0.96, None, MAP, "linear", 0.84)
    with_drive = regen_power_kw(-50_000.0, 0.8, 100.0, 100.0, 0.96, 0.9, None, "linear", 0.84)
    assert with_map == pytest.approx(38.4 * 0.84)
    assert with_drive == pytest.approx(38.4 * 0.84)


def test_regen_with_a_stepped_map_uses_the_lower_point() -> None:
    # 40 kW at the shaft = 0.4 of 100 kW → 0.8 (linear: 0.88)
    regen = regen_power_kw(-50_000.0, 0.8, 100.0, 100.0, 1.0, None, MAP, "step")
    assert regen == pytest.approx(40.0 * 0.8)
