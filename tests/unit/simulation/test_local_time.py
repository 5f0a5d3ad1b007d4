"""The local clock against Python's own datetime arithmetic and pydantic's serialisation."""

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import orjson
import pytest
from pydantic import TypeAdapter

from fleetsim.models import Horizon
from fleetsim.simulation.json_rows import time_texts
from fleetsim.simulation.local_time import LocalClock

DATETIMES = TypeAdapter(list[datetime])
HORIZONS = [
    Horizon(start=datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=1))), days=366),
    Horizon(start=datetime(2026, 3, 2, 6, 30, tzinfo=UTC), days=366),
    Horizon(
        start=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        days=366,
        timezone="Europe/Berlin",
    ),
    Horizon(
        start=datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=-5))),
        days=366,
        timezone="America/New_York",
    ),
]


def elapsed_samples() -> np.ndarray:
    rng = np.random.default_rng(3)
    year_s = 366 * 86_400
    return np.concatenate(
        [
            rng.uniform(0, year_s, 5_000),
            np.arange(0, year_s, 900.0),
            np.floor(rng.uniform(0, year_s, 2_000)) + 0.5e-6,  # half-microsecond ties
            np.floor(rng.uniform(0, year_s, 2_000)) + 1.5e-6,
            rng.integers(0, year_s, 2_000) / 7.0,
        ]
    )


@pytest.mark.parametrize("horizon", HORIZONS, ids=lambda h: h.timezone or str(h.start))
def test_time_texts_are_what_pydantic_writes_for_each_moment(horizon: Horizon) -> None:
    clock = LocalClock.of(horizon)
    t_s = elapsed_samples()
    expected = [
        orjson.dumps(t) for t in DATETIMES.dump_python(clock.moments(t_s.tolist()), mode="json")
    ]
    texts = time_texts(clock, t_s)  # NUL-padded: NUL where a moment has no fraction
    assert [text.replace(b"\0", b"") for text in texts.tolist()] == expected
    assert (texts.view(np.uint8) != 0).sum() == sum(map(len, expected))


def test_a_zone_clock_counts_real_seconds_and_shows_wall_time() -> None:
    clock = LocalClock.of(HORIZONS[2])  # Berlin from 1 January 2026
    spring = (datetime(2026, 3, 29, 1, tzinfo=UTC) - clock.start_utc).total_seconds()
    before, after = clock.moments([spring - 1, spring])
    assert (before.hour, after.hour) == (1, 3)  # 01:59:59 CET, then 03:00 CEST
    assert clock.offset_change_s(np.array([spring - 1, spring])).tolist() == [0, 3600]
    walls = clock.wall_s(np.array([spring - 1, spring])) % 86_400
    assert walls.tolist() == [2 * 3600 - 1, 3 * 3600]
    day = (datetime(2026, 3, 29).date() - clock.start.date()).days
    six_am = clock.elapsed_s(np.array([day - 1, day]), 6 * 3600)
    assert six_am[1] - six_am[0] == 23 * 3600
    assert clock.moments(six_am.tolist())[1].hour == 6


def test_a_fixed_offset_clock_is_plain_arithmetic() -> None:
    clock = LocalClock.of(HORIZONS[0])
    assert clock.fixed
    t_s = np.array([0.0, 3600.0, 200 * 86_400.0])
    assert clock.wall_s(t_s).tolist() == t_s.tolist()
    assert clock.elapsed_s(np.array([0, 200]), 3600).tolist() == [3600.0, 200 * 86_400 + 3600.0]
