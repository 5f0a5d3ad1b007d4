"""The vectorised rounding the envelope writes with equals `round(x, 4)` bit for bit."""

import numpy as np

from fleetsim.models.result import rounded_array, rounded_floats


def bits(values: np.ndarray) -> list[int]:
    return np.asarray(values, dtype=np.float64).view(np.int64).tolist()


def test_equal_to_round_on_every_scale_and_at_ties() -> None:
    rng = np.random.default_rng(1)
    samples = [rng.normal(size=20_000) * scale for scale in (1, 10, 1e3, 1e6, 1e9, 1e12, 1e15)]
    ties = (rng.integers(-(10**8), 10**8, size=20_000) + 0.5) / 1e4  # x.xxxx5 in decimal
    samples += [ties, np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf)]
    specials = [0.0, -0.0, np.inf, -np.inf, 1e300, -1e-300, 5e-5, -5e-5, 1.5e-4, 2.5e-7, 1e20]
    samples.append(np.array(specials))
    for values in samples:
        assert bits(rounded_array(values)) == bits(np.array(rounded_floats(values.tolist())))


def test_never_negative_zero_and_nan_stays_nan() -> None:
    result = rounded_array(np.array([-0.0, -0.00001, np.nan]))
    assert bits(result[:2]) == bits(np.zeros(2)) and np.isnan(result[2])
