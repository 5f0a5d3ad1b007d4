"""sha256 digests of canonical JSON: request hashes, input lineage and the input digest."""

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fleetsim.models import SimulationRequest
from fleetsim.models.versions import MODEL_VERSION, SCHEMA_VERSION


def digest(data: Any) -> str:
    """sha256 hex of `data` as canonical JSON (sorted keys, compact separators, UTF-8)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_hash(request: SimulationRequest) -> str:
    """sha256 of the request's canonical JSON as sent: kept on a job row for reference."""
    return digest(request.model_dump(mode="json", exclude_none=False))


def input_digest(lineage: Mapping[str, str]) -> str:
    """sha256 of everything that determines a result: each resolved input's digest, the
    model version and the schema version. Equivalent requests share it."""
    return digest(
        {"inputs": dict(lineage), "model_version": MODEL_VERSION, "schema_version": SCHEMA_VERSION}
    )
