"""Run one job: claim it, simulate in a thread, record the result or the error.

A job is run from its stored request, resolved again here. A result is recorded only under
the job it identifies: when the configuration (or the model version) changed since the job
was submitted, the run's input digest is not the job's and the job fails with InputChanged.
"""

import asyncio
import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy.exc import SQLAlchemyError

from fleetsim.jobs.errors import NoBucketError, job_error
from fleetsim.models import CanonicalResult, SimulationRequest
from fleetsim.models.job import JobError
from fleetsim.sinks.gcs import GcsSink, ResultMismatchError
from fleetsim.sinks.postgres import DATABASE_UNAVAILABLE, Claim, PostgresSink, Refusal

Simulate = Callable[[SimulationRequest], CanonicalResult]
"""Blocking, CPU-bound: resolves the request against the catalogue and simulates it."""

logger = logging.getLogger(__name__)
_RELEASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, *DATABASE_UNAVAILABLE)


class Outcome(StrEnum):
    """What `execute` did; every outcome but an exception means the delivery is handled."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DONE = Refusal.DONE.value
    BUSY = Refusal.BUSY.value
    EXHAUSTED = Refusal.EXHAUSTED.value
    MISSING = Refusal.MISSING.value
    LOST = "lost"  # another claim took the job over before this one finished


async def execute(
    sink: PostgresSink,
    job_id: UUID,
    simulate: Simulate,
    *,
    max_attempts: int,
    lease_s: float,
    objects: GcsSink | None = None,
) -> Outcome:
    """Claim, run and record one job: in its row (mode db) or in `objects` (mode gcs).

    An exception from the simulation (invalid input included) fails the job with that error;
    so does a result whose input digest is not the job's (InputChanged), which is not recorded.
    Database and bucket errors propagate so the caller can retry the delivery; the claim is
    released first (when the database still answers), so the retry need not wait out the lease.
    """
    claim = await sink.claim(job_id, lease_s=lease_s, max_attempts=max_attempts)
    if isinstance(claim, Refusal):
        logger.info("job not claimed: %s", claim, extra={"job_id": str(job_id)})
        return Outcome(claim.value)
    extra = {"job_id": str(job_id), "attempt": claim.attempt, "mode": claim.mode}
    logger.info("job claimed", extra=extra)
    heartbeat = asyncio.create_task(_keep_lease(sink, claim, lease_s))
    try:
        return await _run(sink, claim, simulate, objects, extra)
    except BaseException:  # a transient fault, or shutdown: re-raised below
        await _release(sink, claim, extra)
        raise
    finally:
        heartbeat.cancel()


async def _run(
    sink: PostgresSink,
    claim: Claim,
    simulate: Simulate,
    objects: GcsSink | None,
    extra: dict[str, Any],
) -> Outcome:
    try:
        request = SimulationRequest.model_validate(claim.request)
        result = await asyncio.to_thread(simulate, request)
    except Exception as exc:  # recorded on the job: the error is the job's outcome
        return await _fail(sink, claim, job_error(exc), extra)
    if result.metadata.input_digest != claim.input_digest:
        changed = input_changed(claim.input_digest, result.metadata.input_digest)
        return await _fail(sink, claim, changed, extra, exc_info=False)
    result_uri = None
    if claim.mode == "gcs":
        try:
            result_uri = await _write_object(claim, result, objects)
        except (NoBucketError, ResultMismatchError) as exc:  # retrying cannot help
            return await _fail(sink, claim, job_error(exc), extra)
    if not await sink.complete(claim, result, result_uri=result_uri):
        logger.warning("job result discarded: the claim was taken over", extra=extra)
        return Outcome.LOST
    counts = result.metadata.counts
    logger.info(
        "job succeeded",
        extra={
            **extra,
            "feasible": result.metadata.kpis.feasible,
            "trips": counts.trips,
            "vehicles": counts.vehicles,
            "charging_events": len(result.data["charging_events"]),
            "time_series_points": len(result.data["time_series_data"]),
            "result_uri": result_uri,
        },
    )
    return Outcome.SUCCEEDED


async def _write_object(claim: Claim, result: CanonicalResult, objects: GcsSink | None) -> str:
    if objects is None:
        raise NoBucketError(claim.job_id)
    data = await asyncio.to_thread(result.json_bytes)
    return await asyncio.to_thread(objects.write, claim.fleet_id, claim.job_id, data)


def input_changed(job_digest: str, run_digest: str) -> JobError:
    """The error of a job whose request now resolves to another input than at submission."""
    return JobError(
        type="InputChanged",
        message="the configuration (or the model version) changed since this job was "
        f"submitted: its request now resolves to input digest {run_digest}, not the job's "
        f"{job_digest}; submit the request again (with a new Idempotency-Key or job id if it "
        "had one), which gives a new job",
    )


async def _fail(
    sink: PostgresSink,
    claim: Claim,
    error: JobError,
    extra: dict[str, Any],
    *,
    exc_info: bool = True,
) -> Outcome:
    """Record `error` on the claimed job; `exc_info`: log the exception being handled."""
    logger.warning("job failed: %s: %s", error.type, error.message, extra=extra, exc_info=exc_info)
    return Outcome.FAILED if await sink.fail(claim, error) else Outcome.LOST


async def _release(sink: PostgresSink, claim: Claim, extra: dict[str, Any]) -> None:
    release = asyncio.ensure_future(sink.release(claim))
    while not release.done():
        try:
            await asyncio.wait({release})
        except asyncio.CancelledError:
            continue  # shutting down: hand the job back before going
    try:
        released = release.result()
    except _RELEASE_ERRORS as exc:
        logger.warning("job not released, it waits for its lease to expire: %r", exc, extra=extra)
        return
    if released:
        logger.info("job released for a retry", extra=extra)


async def _keep_lease(sink: PostgresSink, claim: Claim, lease_s: float) -> None:
    """Renew the lease while the simulation runs, so a long run is not claimed twice."""
    while True:
        await asyncio.sleep(lease_s / 3)
        try:
            if not await sink.renew(claim, lease_s=lease_s):
                return
        except (SQLAlchemyError, OSError) as exc:  # transient: the next beat tries again
            logger.warning("lease renewal failed: %s", exc, extra={"job_id": str(claim.job_id)})
