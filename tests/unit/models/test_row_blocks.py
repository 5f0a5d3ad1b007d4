"""A row part read a block at a time gives the rows orjson gives for the whole part."""

import orjson
import pytest

from fleetsim.models.result import canonical_json_text
from fleetsim.models.row_blocks import row_blocks

ROWS = [
    {
        "vehicle_id": f"v{i:03d}",
        "t": f"2025-01-0{1 + i % 7}T0{i % 10}:00:00+01:00",
        "soc": round(0.5 + i / 1000, 4),
        "note": None if i % 3 else "bus-12.m_x",
        "stranded": i % 5 == 0,
    }
    for i in range(257)
]
PART = canonical_json_text(ROWS).encode()


@pytest.mark.parametrize("block_bytes", [0, 1, 7, 64, 1000, len(PART), 10 * len(PART)])
def test_blocks_joined_are_the_parsed_part(block_bytes: int) -> None:
    blocks = list(row_blocks(memoryview(PART), block_bytes))

    assert [row for block in blocks for row in block] == orjson.loads(PART)
    assert all(blocks)


def test_tiny_blocks_hold_one_row_and_large_ones_about_their_size() -> None:
    assert [len(block) for block in row_blocks(PART, 1)] == [1] * len(ROWS)
    sizes = [len(orjson.dumps(block)) for block in row_blocks(PART, 2000)]
    assert len(sizes) > 5
    assert all(2000 <= size < 2000 + 200 for size in sizes[:-1])


def test_an_empty_part_has_no_blocks_and_one_row_is_one_block() -> None:
    assert list(row_blocks(b"[]")) == []
    assert list(row_blocks(b'[{"a":1}]', 1)) == [[{"a": 1}]]
    assert [row for block in row_blocks(PART, 100) for row in block] == ROWS


def test_text_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON list"):
        list(row_blocks(b'{"a":1}'))
