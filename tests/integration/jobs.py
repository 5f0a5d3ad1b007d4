"""Job rows as the Pub/Sub tests look at them, and requests in the Next.js app's shape."""

import asyncio
import json
import uuid
from typing import Any

import asyncpg

from fleetsim import runner
from fleetsim.config import request_hash
from fleetsim.db.schema import RESULT_PARTS
from fleetsim.models import SimulationRequest, SimulationResult, canonical_json_bytes


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


def job_id_of(body: dict[str, Any]) -> uuid.UUID:
    """The id every door gives this request."""
    return runner.job_id_for(request_hash(SimulationRequest.model_validate(body)))
