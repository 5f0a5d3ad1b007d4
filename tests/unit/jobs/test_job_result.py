"""A stored result's bytes: its plain size from the gzip trailer, its plain bytes in chunks."""

import gzip
import os

import pytest

from fleetsim.jobs import service
from fleetsim.jobs.service import JobResult


def stored(plain: bytes) -> JobResult:
    return JobResult("succeeded", gzip.compress(plain, mtime=0), gzipped=True)


@pytest.mark.parametrize("size", [0, 1, 1_000, 300_000])
def test_plain_chunks_join_to_the_plain_bytes_each_no_larger_than_a_chunk(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "COMPRESSED_CHUNK_BYTES", 97)
    monkeypatch.setattr(service, "PLAIN_CHUNK_BYTES", 1_000)
    # Half random (compresses little), half repeated (compresses a lot).
    plain = os.urandom(size // 2) + b'{"soc":0.5}' * (size // 22)
    result = stored(plain)

    chunks = list(result.plain_chunks())

    assert b"".join(chunks) == plain == result.plain()
    assert all(0 < len(chunk) <= 1_000 for chunk in chunks)
    assert result.plain_size() == len(plain)


def test_an_uncompressed_or_missing_result_is_given_as_it_is() -> None:
    assert list(JobResult("succeeded", b"[1]").plain_chunks()) == [b"[1]"]
    assert list(JobResult("running", None).plain_chunks()) == []
