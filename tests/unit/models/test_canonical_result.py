"""CanonicalResult holds the envelope once: its parts are spans of it, written in order."""

import json

import pytest

from fleetsim.models.result import ENVELOPE_PARTS, CanonicalResult, EnvelopeWriter

PARTS = {
    "charging_events": b'[{"cost":1.5}]',
    "metadata": b'{"scenario":"x"}',
    "site_load": b"[]",
    "time_series_data": b'[{"soc":0.5},{"soc":0.25}]',
    "trips": b'[{"vehicle_id":"v\\u00e9"}]',
}


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
