"""Run one job: claim it, simulate in a thread, record the result or the error."""

import asyncio
import logging
from collections.abc import Callable
from enum import StrEnum
from uuid import UUID

from sqlalchemy.exc import SQLAlchemyError

from fleetsim.jobs.errors import job_error
from fleetsim.models import SimulationRequest, SimulationResult
from fleetsim.sinks.postgres import Claim, PostgresSink, Refusal

Simulate = Callable[[SimulationRequest], SimulationResult]
"""Blocking, CPU-bound: resolves the request against the catalogue and simulates it."""

logger = logging.getLogger(__name__)


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
    sink: PostgresSink, job_id: UUID, simulate: Simulate, *, max_attempts: int, lease_s: float
) -> Outcome:
    """Claim, run and record one job.

    An exception from the simulation (invalid input included) fails the job with that error;
    database errors propagate so the caller can retry the delivery.
    """
    claim = await sink.claim(job_id, lease_s=lease_s, max_attempts=max_attempts)
    if isinstance(claim, Refusal):
        logger.info("job not claimed: %s", claim, extra={"job_id": str(job_id)})
        return Outcome(claim.value)
    extra = {"job_id": str(job_id), "attempt": claim.attempt}
    logger.info("job claimed", extra=extra)
    heartbeat = asyncio.create_task(_keep_lease(sink, claim, lease_s))
    try:
        request = SimulationRequest.model_validate(claim.request)
        result = await asyncio.to_thread(simulate, request)
    except Exception as exc:  # recorded on the job: the error is the job's outcome
        error = job_error(exc)
        logger.warning("job failed: %s: %s", error.type, error.message, extra=extra, exc_info=True)
        return Outcome.FAILED if await sink.fail(claim, error) else Outcome.LOST
    finally:
        heartbeat.cancel()
    if not await sink.complete(claim, result):
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
            "charging_events": len(result.charging_events),
            "time_series_points": len(result.time_series_data),
        },
    )
    return Outcome.SUCCEEDED


async def _keep_lease(sink: PostgresSink, claim: Claim, lease_s: float) -> None:
    """Renew the lease while the simulation runs, so a long run is not claimed twice."""
    while True:
        await asyncio.sleep(lease_s / 3)
        try:
            if not await sink.renew(claim, lease_s=lease_s):
                return
        except (SQLAlchemyError, OSError) as exc:  # transient: the next beat tries again
            logger.warning("lease renewal failed: %s", exc, extra={"job_id": str(claim.job_id)})
