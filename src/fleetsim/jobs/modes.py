"""The mode-aware runner (DESIGN §6): one resolved request through the local, db or gcs sink.

`local` writes `<out>/<job_id>/result.json`. `db` and `gcs` go the way a queued job goes:
create the job row (idempotent on the fleet and input digest, with the id every door gives
the same resolved request), claim it, run it and record the result in the row or in the
bucket. The job id changes with the configuration, so a config change never reuses a result.
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
from fleetsim.sinks.local import write_result

if TYPE_CHECKING:  # SQLAlchemy (and the cloud clients) load only when a job row is used
    from fleetsim.models.job import JobStatus
    from fleetsim.settings import Settings

RunMode = Literal["local", "db", "gcs"]


class StoreUnavailableError(Exception):
    """The database or the bucket did not answer."""


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
    settings: "Settings | None" = None,
) -> ModeRun:
    """Simulate `resolved` (the resolution of `request`) and record it in `mode`'s sink.

    In db and gcs modes an existing job keeps its own mode, and a finished one is read back,
    not run again. Raises NoBucketError for mode gcs without a bucket, StoreUnavailableError
    when the database or the bucket does not answer.
    """
    job_id = runner.job_id_for(request.effective_fleet_id, resolved.input_digest)
    if mode == "local":
        result = await asyncio.to_thread(runner.simulate, resolved)
        data = await asyncio.to_thread(result.json_bytes)
        path = await asyncio.to_thread(write_result, out_dir, job_id, data)
        return ModeRun(job_id, "succeeded", str(path), result)
    if settings is None:
        from fleetsim.settings import Settings

        settings = Settings()
    if mode == "gcs" and settings.gcs_bucket is None:
        raise NoBucketError(job_id)
    return await _run_as_job(mode, request, resolved, job_id, settings)


async def _run_as_job(
    mode: Literal["db", "gcs"],
    request: SimulationRequest,
    resolved: ResolvedRequest,
    job_id: UUID,
    settings: "Settings",
) -> ModeRun:
    # Imported here: SQLAlchemy and the cloud clients add a third to the CLI's start-up.
    from fleetsim.jobs.execute import execute
    from fleetsim.pubsub.handler import TRANSIENT
    from fleetsim.sinks.gcs import GcsSink
    from fleetsim.sinks.postgres import PostgresSink

    objects = None
    if settings.gcs_bucket is not None:  # also in mode db: the job may exist in mode gcs
        objects = GcsSink.open(settings.gcs_bucket, project=settings.project)
    try:
        sink = await PostgresSink.open(settings.database_url, pool_size=2)
        try:
            created = await sink.create(
                job_id=job_id,
                fleet_id=request.effective_fleet_id,
                request=request.model_dump(mode="json", exclude_unset=True),
                input_digest=resolved.input_digest,
                request_hash=resolved.request_hash,
                mode=mode,
            )
            job_id = created.job.job_id
            await execute(
                sink,
                job_id,
                lambda _: runner.simulate(resolved),  # the row's request resolves to it
                max_attempts=settings.max_attempts,
                lease_s=settings.lease_s,
                objects=objects,
            )
            job = await sink.get(job_id)
            stored = await sink.result(job_id)
        finally:
            await sink.close()
        if job is None or stored is None:
            raise RuntimeError(f"job {job_id} vanished while it ran")
        data = stored.envelope
        if data is None and stored.uri is not None:
            if objects is None:
                raise NoBucketError(job_id)
            data = await asyncio.to_thread(objects.read, stored.uri)
    except TRANSIENT as exc:
        raise StoreUnavailableError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        if objects is not None:
            objects.close()
    result = None if data is None else CanonicalResult.from_json(data)
    location = stored.uri or f"postgresql:simulations/{job_id}"
    return ModeRun(job_id, job.status, location, result, job.error, job.attempts)
