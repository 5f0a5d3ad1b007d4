"""Job rows as the Pub/Sub tests look at them, and requests in the Next.js app's shape."""

import asyncio
import json
import uuid
from functools import cache
from typing import Any

import asyncpg

from fleetsim import runner
from fleetsim.config import Catalogue, load_catalogue, resolve_request
from fleetsim.db.schema import RESULT_PARTS
from fleetsim.models import SimulationRequest, SimulationResult, canonical_json_bytes

from .support import CONFIG_DIR


async def finished(db: asyncpg.Connection, job_id: uuid.UUID, timeout_s: float = 30) -> Any:
    """The job's row once it has succeeded or failed."""
    async with asyncio.timeout(timeout_s):
        while True:
            row = await db.fetchrow("SELECT * FROM simulations WHERE id = $1", job_id)
            if row is not None and row["status"] in ("succeeded", "failed"):
                return row
            await asyncio.sleep(0.05)


async def rows_of(db: asyncpg.Connection, fleet: str) -> list[Any]:
    return list(await db.fetch("SELECT * FROM simulations WHERE fleet_id = $1", uuid.UUID(fleet)))


def stored_bytes(row: Any) -> bytes:
    """The result envelope of a mode db row, as the API serves it."""
    envelope = {part: json.loads(row[part]) for part in RESULT_PARTS}
    return canonical_json_bytes(SimulationResult.model_validate(envelope))


def direct(body: dict[str, Any], mode: str = "db") -> bytes:
    """A request in the Next.js app's shape: its fields at the top level, plus `mode`."""
    return json.dumps({**body, "mode": mode}).encode()


@cache
def bundled_catalogue() -> Catalogue:
    """config/ without overrides, as the workers of these tests load it."""
    return load_catalogue(CONFIG_DIR)


def input_digest_of(body: dict[str, Any]) -> str:
    """The input digest of this request resolved against config/."""
    request = SimulationRequest.model_validate(body)
    return resolve_request(request, bundled_catalogue(), CONFIG_DIR).input_digest


def job_id_of(body: dict[str, Any]) -> uuid.UUID:
    """The id every door gives this request against config/: its fleet and input digest."""
    fleet_id = SimulationRequest.model_validate(body).effective_fleet_id
    return runner.job_id_for(fleet_id, input_digest_of(body))
