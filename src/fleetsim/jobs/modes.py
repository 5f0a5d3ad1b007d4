"""The mode-aware runner (DESIGN §6): one resolved request through the local, db or gcs sink.

`local` writes `<out>/<job_id>/result.json`. `db` and `gcs` take the job path every door
takes (`JobService`): create the job (idempotent on its identity), run it and read back
the result from its row or its object.
"""

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from fleetsim import runner
from fleetsim.jobs.errors import NoBucketError
from fleetsim.models import CanonicalResult, ResolvedRequest, SimulationRequest
from fleetsim.models.job import JobError
from fleetsim.simulation import simulate
from fleetsim.sinks.local import write_result

if TYPE_CHECKING:  # SQLAlchemy (and the cloud clients) load only when a job row is used
    from fleetsim.config import Catalogue
    from fleetsim.models.job import JobStatus
    from fleetsim.settings import Settings

RunMode = Literal["local", "db", "gcs"]


@dataclass(frozen=True)
class ModeRun:
    """Where the job's result is, and the result once the job has succeeded."""

    job_id: UUID
    status: "JobStatus"
    location: str
    """A file path, `postgresql:simulations/<job_id>`, or the object's gs:// URI."""
    result: CanonicalResult | None
    error: JobError | None = None
    attempts: int = 1


async def run_in_mode(
    mode: RunMode,
    request: SimulationRequest,
    resolved: ResolvedRequest,
    *,
    out_dir: Path,
    settings: "Settings",
    catalogue: "Catalogue",
) -> ModeRun:
    """Simulate `resolved` (the resolution of `request`) and record it in `mode`'s sink.

    In db and gcs modes an existing job keeps its own mode, and a finished one is read back,
    not run again. Raises NoBucketError for mode gcs without a bucket, and
    StoreUnavailableError when the database or the bucket does not answer.
    """
    job_id = runner.job_id_for(request.effective_fleet_id, resolved.input_digest)
    if mode == "local":
        result = await asyncio.to_thread(simulate, resolved)
        data = await asyncio.to_thread(result.json_bytes)
        path = await asyncio.to_thread(write_result, out_dir, job_id, data)
        return ModeRun(job_id, "succeeded", str(path), result)
    if mode == "gcs" and settings.gcs_bucket is None:
        raise NoBucketError(job_id)
    # Imported here: SQLAlchemy and the cloud clients add a third to the CLI's start-up.
    from fleetsim.jobs.service import open_services

    # In threads: this process is the user's own, and a worker process would cost a start.
    async with open_services(settings, simulate=simulate, catalogue=catalogue, pool_size=2) as jobs:
        created = await jobs.create(request, resolved, mode=mode)
        job_id = created.job.job_id
        await jobs.run(job_id)
        job = await jobs.store.get(job_id)
        found = await jobs.result(job_id)
    if job is None or found is None:
        raise RuntimeError(f"job {job_id} vanished while it ran")
    stored_bytes = found.plain()
    stored = None if stored_bytes is None else CanonicalResult.from_json(stored_bytes)
    location = found.uri or f"postgresql:simulations/{job_id}"
    return ModeRun(job_id, job.status, location, stored, job.error, job.attempts)
