"""sha256 digests of canonical JSON: request hashes (and so job ids) and input lineage."""

import hashlib
import json
from typing import Any

from fleetsim.models import SimulationRequest


def digest(data: Any) -> str:
    """sha256 hex of `data` as canonical JSON (sorted keys, compact separators, UTF-8)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_hash(request: SimulationRequest) -> str:
    """sha256 of the request's canonical JSON: the same request gives the same hash."""
    return digest(request.model_dump(mode="json", exclude_none=False))
