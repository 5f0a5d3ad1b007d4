"""Run one job: claim it, resolve it, simulate it, record the result or the error.

A job is run from its stored request, resolved again here. A result is recorded only under
the job it identifies: when the configuration (or the model version) changed since the job
was submitted, the request's input digest is no longer the job's, and the job fails with
InputChanged before anything is simulated.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from fleetsim.config.errors import ConfigErrors
from fleetsim.errors import DatabaseUnavailableError, StoreUnavailableError
from fleetsim.jobs.errors import NoBucketError, job_error
from fleetsim.jobs.limits import WorkLimitError, WorkLimits, check_work, estimate_work
from fleetsim.jobs.store import Claim, JobStore, Refusal
from fleetsim.models import CanonicalResult, ResolvedRequest, SimulationRequest
from fleetsim.models.job import JobError
from fleetsim.sinks.gcs import GcsSink, ResultMismatchError

Resolve = Callable[[SimulationRequest], ResolvedRequest]
"""Blocking: a request resolved against the catalogue; raises ConfigErrors."""
Simulation = Callable[[ResolvedRequest], Awaitable[CanonicalResult]]
"""The core run on a resolved request, off the event loop: in a worker process (a service)
or a thread (the CLI, tests)."""
CoreRun = Callable[[ResolvedRequest], CanonicalResult]
"""Blocking, CPU-bound: the core itself (`fleetsim.simulation.simulate`) or a stand-in."""


def in_thread(run: CoreRun) -> Simulation:
    """`run` as a Simulation that runs in a thread of this process."""

    async def simulation(resolved: ResolvedRequest) -> CanonicalResult:
        return await asyncio.to_thread(run, resolved)

    return simulation


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
    store: JobStore,
    job_id: UUID,
    resolve: Resolve,
    simulate: Simulation,
    *,
    limits: WorkLimits,
    max_attempts: int,
    lease_s: float,
    objects: GcsSink | None = None,
) -> Outcome:
    """Claim, run and record one job: in its row (mode db) or in `objects` (mode gcs).

    An exception from resolving or simulating (invalid input included) fails the job with
    that error; so does a request that no longer resolves to the job's input (InputChanged),
    a run whose estimate is above `limits` (WorkLimitError, before any work) and one that
    goes past its process's memory or deadline (JobLimitError): retrying cannot help them.
    Database and bucket errors propagate so the caller can retry the delivery; the claim is
    released first (when the database still answers), so the retry need not wait out the lease.
    """
    claim = await store.claim(job_id, lease_s=lease_s, max_attempts=max_attempts)
    if isinstance(claim, Refusal):
        logger.info("job not claimed: %s", claim, extra={"job_id": str(job_id)})
        return Outcome(claim.value)
    extra = {"job_id": str(job_id), "attempt": claim.attempt, "mode": claim.mode}
    logger.info("job claimed", extra=extra)
    heartbeat = asyncio.create_task(_keep_lease(store, claim, lease_s))
    try:
        return await _run(store, claim, resolve, simulate, limits, objects, lease_s, extra)
    except BaseException:  # a transient fault, or shutdown: re-raised below
        await _release(store, claim, extra)
        raise
    finally:
        heartbeat.cancel()


async def _run(
    store: JobStore,
    claim: Claim,
    resolve: Resolve,
    simulate: Simulation,
    limits: WorkLimits,
    objects: GcsSink | None,
    lease_s: float,
    extra: dict[str, Any],
) -> Outcome:
    try:
        request = SimulationRequest.model_validate(claim.request)
        resolved = await asyncio.to_thread(resolve, request)
    except (ValidationError, ConfigErrors) as exc:  # the user's input: one line, no traceback
        return await _fail(
            store, claim, job_error(exc), extra, within_s=lease_s / 2, exc_info=False
        )
    except Exception as exc:  # recorded on the job: the error is the job's outcome
        return await _fail(store, claim, job_error(exc), extra, within_s=lease_s / 2)
    if resolved.input_digest != claim.input_digest:
        changed = input_changed(claim.input_digest, resolved.input_digest)
        return await _fail(store, claim, changed, extra, within_s=lease_s / 2, exc_info=False)
    try:
        check_work(estimate_work(resolved), limits)
    except WorkLimitError as exc:  # the user's input: one line, no traceback
        return await _fail(
            store, claim, job_error(exc), extra, within_s=lease_s / 2, exc_info=False
        )
    try:
        result = await simulate(resolved)
    except Exception as exc:  # recorded on the job: the error is the job's outcome
        return await _fail(store, claim, job_error(exc), extra, within_s=lease_s / 2)
    result_uri = None
    if claim.mode == "gcs":
        try:
            result_uri = await _write_object(claim, result, objects)
        except (NoBucketError, ResultMismatchError) as exc:  # retrying cannot help
            return await _fail(store, claim, job_error(exc), extra, within_s=lease_s / 2)
    recorded = await _persistently(
        lambda: store.complete(claim, result, result_uri=result_uri), within_s=lease_s / 2
    )
    if not recorded:
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
            "charging_events": result.row_counts["charging_events"],
            "time_series_points": result.row_counts["time_series_data"],
            "result_uri": result_uri,
        },
    )
    return Outcome.SUCCEEDED


async def _persistently(
    record: Callable[[], Awaitable[bool]], *, within_s: float, first_wait_s: float = 0.25
) -> bool:
    """`record()`, retried with doubling waits while the database is unavailable, for up to
    `within_s` (the lease keeps the claim meanwhile): finished work survives a short outage.
    Raises the last DatabaseUnavailableError once the time is up."""
    deadline = time.monotonic() + within_s
    wait_s = first_wait_s
    while True:
        try:
            return await record()
        except DatabaseUnavailableError as exc:
            if time.monotonic() + wait_s > deadline:
                raise
            logger.warning("result not recorded yet, retrying in %.2f s: %s", wait_s, exc)
            await asyncio.sleep(wait_s)
            wait_s *= 2


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
    store: JobStore,
    claim: Claim,
    error: JobError,
    extra: dict[str, Any],
    *,
    within_s: float,
    exc_info: bool = True,
) -> Outcome:
    """Record `error` on the claimed job, retrying for `within_s` while the database is
    unavailable. `exc_info`: a fault, logged at WARNING with the exception being handled;
    else the input's fault, logged in one line at INFO."""
    logger.log(
        logging.WARNING if exc_info else logging.INFO,
        "job failed: %s: %s",
        error.type,
        _one_line(error),
        extra=extra,
        exc_info=exc_info,
    )
    failed = await _persistently(lambda: store.fail(claim, error), within_s=within_s)
    return Outcome.FAILED if failed else Outcome.LOST


def _one_line(error: JobError) -> str:
    """The error for a log line: its first problem and how many more, or its message."""
    if not error.problems:
        return " ".join(error.message.split())
    first, more = error.problems[0], len(error.problems) - 1
    where = ".".join(str(part) for part in first.loc)
    return f"{where}: {first.msg}" + (f" (and {more} more problems)" if more else "")


async def _release(store: JobStore, claim: Claim, extra: dict[str, Any]) -> None:
    release = asyncio.ensure_future(store.release(claim))
    while not release.done():
        try:
            await asyncio.wait({release})
        except asyncio.CancelledError:
            continue  # shutting down: hand the job back before going
    try:
        released = release.result()
    except StoreUnavailableError as exc:
        logger.warning("job not released, it waits for its lease to expire: %r", exc, extra=extra)
        return
    if released:
        logger.info("job released for a retry", extra=extra)


async def _keep_lease(store: JobStore, claim: Claim, lease_s: float) -> None:
    """Renew the lease while the simulation runs, so a long run is not claimed twice."""
    while True:
        await asyncio.sleep(lease_s / 3)
        try:
            if not await store.renew(claim, lease_s=lease_s):
                return
        except StoreUnavailableError as exc:  # transient: the next beat tries again
            logger.warning("lease renewal failed: %s", exc, extra={"job_id": str(claim.job_id)})
