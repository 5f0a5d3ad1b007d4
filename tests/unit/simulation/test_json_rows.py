"""Row tables written from byte arrays against orjson writing the same rows as objects."""

import io
from datetime import datetime, timedelta, timezone

import numpy as np
import orjson
import pytest

from fleetsim.models import Horizon
from fleetsim.models.result import canonical_json_text, rounded_floats
from fleetsim.simulation import json_rows
from fleetsim.simulation.json_rows import (
    Texts,
    booleans,
    labels,
    number_texts,
    numbers,
    optional_numbers,
    times,
    write_rows_json,
)
from fleetsim.simulation.local_time import LocalClock


def unpadded(texts: Texts) -> list[bytes]:
    """Each text without its NUL padding (NULs may sit inside, where nothing is written)."""
    return [text.replace(b"\0", b"") for text in texts.tolist()]


def awkward_floats() -> np.ndarray:
    """Every magnitude from 1e-6 to 1e13 of both signs, halves of the last decimal, the
    edges of the written-as-digits range and what orjson writes otherwise."""
    rng = np.random.default_rng(11)
    magnitudes = 10.0 ** rng.integers(-6, 14, 50_000)
    return np.concatenate(
        [
            rng.random(50_000) * magnitudes * rng.choice([-1.0, 1.0], 50_000),
            np.arange(-20_000, 20_000) / 1e4 + 0.5e-4,  # ties at the fifth decimal
            [0.0, -0.0, 1e-5, -4e-5, 5e-5, -5e-5, 0.00015, 9999.99995, 10_000.0, 1e8],
            [2.0**50 / 1e4 * k for k in (0.999, 1.0, 1.001)],  # the digit range's edge
            [4.5e11, 1e15, 1e16, 1.2345678901234567e17, 1e300, -1e20],
            [np.nan, np.inf, -np.inf],
        ]
    )


def test_number_texts_are_what_orjson_writes_for_each_rounded_float() -> None:
    values = awkward_floats()
    expected = orjson.dumps(rounded_floats(values.tolist()))[1:-1].split(b",")
    assert unpadded(number_texts(values)) == expected


def test_optional_numbers_write_null_for_nan() -> None:
    values = np.array([0.25, np.nan, -3.0, np.nan, 123456.78901])
    assert unpadded(optional_numbers(values)(slice(None))) == [
        b"0.25",
        b"null",
        b"-3.0",
        b"null",
        b"123456.789",
    ]


def rows_and_columns(n_rows: int) -> tuple[list[dict[str, object]], dict[str, json_rows.Column]]:
    """`n_rows` rows of every column kind, as objects and as columns."""
    rng = np.random.default_rng(n_rows)
    names = ["bus_01", "car.2", "v-3"]
    index = rng.integers(0, len(names), n_rows)
    amount = rng.random(n_rows) * 10.0 ** rng.integers(-3, 7, n_rows)
    maybe = np.where(rng.random(n_rows) < 0.3, np.nan, rng.random(n_rows))
    flag = rng.random(n_rows) < 0.5
    # Whole minutes (shared per column) and microsecond times (formatted per block).
    horizon = Horizon(
        start=datetime(2026, 10, 24, tzinfo=timezone(timedelta(hours=2))),
        days=3,
        timezone="Europe/Berlin",
    )
    clock = LocalClock.of(horizon)
    minute_s = rng.integers(0, 3 * 1440, n_rows) * 60.0
    exact_s = rng.random(n_rows) * 3 * 86_400
    moments = (clock.moments(minute_s.tolist()), clock.moments(exact_s.tolist()))
    rows = [
        {
            "id": names[index[i]],
            "amount_kwh": float(amount[i]),
            "maybe": None if np.isnan(maybe[i]) else float(maybe[i]),
            "flag": bool(flag[i]),
            "at": moments[0][i],
            "end": moments[1][i],
        }
        for i in range(n_rows)
    ]
    columns = {
        "id": labels(names, index),
        "amount_kwh": numbers(amount),
        "maybe": optional_numbers(maybe),
        "flag": booleans(flag),
        "at": times(clock, minute_s),
        "end": times(clock, exact_s),
    }
    return rows, columns


def canonical(rows: list[dict[str, object]]) -> bytes:
    """The rows as the envelope's canonical JSON writes objects (floats rounded)."""
    data = orjson.loads(orjson.dumps(rows))
    for row in data:
        for key, value in row.items():
            if isinstance(value, float):
                row[key] = rounded_floats([value])[0]
    return canonical_json_text(data).encode()


@pytest.mark.parametrize("n_rows", [0, 1, 2, 7, 100])
@pytest.mark.parametrize("block_rows", [1, 3, 64])
def test_rows_written_in_blocks_equal_the_canonical_json_of_the_objects(
    n_rows: int, block_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_rows, "BLOCK_ROWS", block_rows)
    rows, columns = rows_and_columns(n_rows)
    out = io.BytesIO()
    write_rows_json(out, n_rows, columns)
    assert out.getvalue() == canonical(rows)


def test_rows_in_a_given_order_are_gathered_block_by_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_rows, "BLOCK_ROWS", 5)
    rows, columns = rows_and_columns(23)
    order = np.random.default_rng(5).permutation(23)
    out = io.BytesIO()
    write_rows_json(out, 23, columns, order=order)
    assert out.getvalue() == canonical([rows[i] for i in order])


def test_labels_holding_a_nul_a_comma_or_non_ascii_text_are_written_as_orjson_writes_them() -> None:
    names = ["a\x00b", "c,d", "é", ""]  # NUL is escaped, so padding never meets a NUL of text
    out = io.BytesIO()
    write_rows_json(out, 4, {"id": labels(names, np.arange(4))})
    assert out.getvalue() == canonical_json_text([{"id": name} for name in names]).encode()
