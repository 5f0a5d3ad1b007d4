"""CanonicalResult holds the envelope once: its parts are spans of it, written in order."""

import json
from functools import cache
from pathlib import Path

import pytest

from fleetsim.config import load_catalogue, resolve_request
from fleetsim.models import SimulationRequest
from fleetsim.models.result import (
    ENVELOPE_PARTS,
    CanonicalResult,
    EnvelopeWriter,
    NotAnEnvelopeError,
)
from fleetsim.simulation import simulate

CONFIG = Path(__file__).resolve().parents[3] / "config"

PARTS = {
    "charging_events": b'[{"cost":1.5}]',
    "metadata": b'{"scenario":"x"}',
    "site_load": b"[]",
    "time_series_data": b'[{"soc":0.5},{"soc":0.25}]',
    "trips": b'[{"vehicle_id":"v\\u00e9"}]',
}


@cache
def simulated_week() -> CanonicalResult:
    """The bundled default scenario's result, as the simulation wrote it."""
    request = SimulationRequest(scenario="default")
    return simulate(resolve_request(request, load_catalogue(CONFIG), CONFIG))


def test_parts_are_spans_of_one_envelope_equal_to_the_canonical_json() -> None:
    result = CanonicalResult(PARTS, {"trips": 1})
    expected = json.dumps(
        {part: json.loads(PARTS[part]) for part in PARTS}, sort_keys=True, separators=(",", ":")
    ).encode()
    assert result.json_bytes() == expected
    for part in ENVELOPE_PARTS:
        assert result.part_view(part) == PARTS[part]
        assert result.part_size(part) == len(PARTS[part])
        assert result.part_json(part) == PARTS[part].decode()
    assert result.data["time_series_data"] == [{"soc": 0.5}, {"soc": 0.25}]


def test_a_writer_in_pieces_gives_the_same_bytes_and_hands_over_its_buffer() -> None:
    writer = EnvelopeWriter()
    for part in ENVELOPE_PARTS:
        out = writer.start(part)
        for i in range(0, len(PARTS[part]), 3):  # written a few bytes at a time
            out.write(PARTS[part][i : i + 3])
    envelope, spans = writer.finished()
    result = CanonicalResult.of_envelope(envelope, spans, {})
    assert result.json_bytes() is envelope
    assert envelope == CanonicalResult(PARTS, {}).json_bytes()


def test_parts_out_of_order_or_missing_are_refused() -> None:
    writer = EnvelopeWriter()
    with pytest.raises(ValueError, match="'metadata' written out of order: 'charging_events'"):
        writer.start("metadata")
    writer.start("charging_events").write(b"[]")
    with pytest.raises(ValueError, match="missing"):
        writer.finished()


def test_from_json_keeps_the_bytes_and_finds_the_same_spans_and_row_counts() -> None:
    written = CanonicalResult(PARTS, {})
    envelope = written.json_bytes()

    read = CanonicalResult.from_json(envelope)

    assert read.json_bytes() is envelope
    assert read.spans == written.spans
    assert read.row_counts == {
        "charging_events": 1,
        "site_load": 0,
        "time_series_data": 2,
        "trips": 1,
    }
    assert read.data == written.data


def test_from_json_of_a_simulated_result_equals_the_simulation_s() -> None:
    simulated = simulated_week()
    envelope = simulated.json_bytes()

    read = CanonicalResult.from_json(envelope)

    assert read.json_bytes() == envelope
    assert read.spans == simulated.spans
    assert read.row_counts == simulated.row_counts
    assert all(read.row_counts[part] > 0 for part in read.row_counts)


GOOD = CanonicalResult(PARTS, {}).json_bytes()


@pytest.mark.parametrize(
    ("envelope", "expected"),
    [
        (json.dumps(json.loads(GOOD)).encode(), "charging_events"),  # not compact
        (b'{"metadata":{},' + GOOD[1:], "charging_events"),
        (GOOD.replace(b'"metadata":', b'"meta":'), "metadata"),
        (GOOD.replace(b'"site_load":', b'"load":'), "site_load"),
        (GOOD.replace(b'"trips":', b'"trip":'), "trips"),
        (GOOD[:-1] + b',"extra":[]}', "extra|trips"),
        (GOOD.replace(b'{"scenario":"x"}', b'["x"]'), "metadata"),
        (GOOD.replace(b'{"scenario":"x"}', b'{"scenario":x}'), "metadata"),
        (b"", "charging_events"),
    ],
)
def test_from_json_refuses_bytes_that_are_not_an_envelope(envelope: bytes, expected: str) -> None:
    with pytest.raises(NotAnEnvelopeError, match="not a canonical result envelope: expected"):
        CanonicalResult.from_json(envelope)
    with pytest.raises(ValueError, match=expected):
        CanonicalResult.from_json(envelope)


@pytest.mark.parametrize("cut", [1, 20, 30, 40, len(GOOD) // 2, len(GOOD) - 2, len(GOOD) - 1])
def test_from_json_refuses_a_truncated_envelope(cut: int) -> None:
    with pytest.raises(NotAnEnvelopeError):
        CanonicalResult.from_json(GOOD[:cut])
