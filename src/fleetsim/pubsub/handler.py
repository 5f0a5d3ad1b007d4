"""What both Pub/Sub doors (push and pull) do with one message (DESIGN §8).

Pub/Sub delivers at least once, so every step is idempotent: the job is created by its key,
claimed by one UPDATE, and its result written with `succeeded` in one transaction. A message
is acknowledged once it is handled for good (the job succeeded or failed, it was a duplicate,
or it can never be handled) and redelivered after transient faults.

The job row is the truth: its request and its mode (not the message's) decide what runs and
where the result goes, so a message can only trigger work, never change it. A request
published straight to the topic is resolved first, so its job has the id and input digest
the API gives the same request against the same configuration.
"""

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any
from uuid import UUID

from fleetsim.config import ConfigErrors
from fleetsim.errors import StoreUnavailableError
from fleetsim.jobs.errors import validation_problems
from fleetsim.jobs.execute import Outcome
from fleetsim.jobs.service import INVALID_DIGEST_PREFIX, JobService
from fleetsim.jobs.store import Claim, IdempotencyConflictError
from fleetsim.logs import request_id_var
from fleetsim.models import ResolvedRequest
from fleetsim.models.job import JobError
from fleetsim.models.message import (
    REQUEST_ID_ATTRIBUTE,
    DirectRequest,
    InvalidMessageError,
    as_uuid,
    parse_message,
)
from fleetsim.models.request import FLEET_SLUG, fleet_uuid

logger = logging.getLogger(__name__)

TRANSIENT = (StoreUnavailableError, TimeoutError)
"""Faults that a later delivery may not meet: the message is redelivered."""

UNKNOWN_FLEET = UUID(int=0)
"""Fleet id of a job made for a message so broken that its request names no fleet."""


class Verdict(StrEnum):
    ACK = "ack"
    """Handled for good: succeeded, failed, a duplicate, or a message that can never run."""
    RETRY = "retry"
    """Redeliver later: a transient fault, or another worker holds the job's live lease."""


class Handler:
    """Creates (for a request published straight to the topic), claims, runs and records."""

    def __init__(self, jobs: JobService) -> None:
        self._jobs = jobs
        self._running: set[asyncio.Task[Any]] = set()

    async def release_running(self) -> None:
        """At shutdown: cancel the messages still in hand, so each hands its job back."""
        tasks = [task for task in self._running if not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def handle(self, data: bytes, attributes: Mapping[str, str], message_id: str) -> Verdict:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        with _log_context(attributes):
            try:
                return await self._handle(data, attributes, message_id)
            except TRANSIENT as exc:
                logger.warning(
                    "transient fault, the message will be redelivered: %r",
                    exc,
                    extra={"message_id": message_id},
                )
                return Verdict.RETRY
            finally:
                self._running.discard(task)

    async def reject(
        self, error: InvalidMessageError, attributes: Mapping[str, str], message_id: str
    ) -> Verdict:
        """A message found invalid before its data could be read (not base64)."""
        with _log_context(attributes):
            try:
                await self._reject(error, None, message_id)
            except TRANSIENT as exc:
                logger.warning("transient fault while rejecting a message: %r", exc)
                return Verdict.RETRY
            return Verdict.ACK

    async def _handle(self, data: bytes, attributes: Mapping[str, str], message_id: str) -> Verdict:
        try:
            message = parse_message(data, attributes)
        except InvalidMessageError as exc:
            await self._reject(exc, data, message_id)
            return Verdict.ACK
        if isinstance(message, DirectRequest):
            job_id = await self._create(message, message_id)
            if job_id is None:
                return Verdict.ACK
        else:
            job_id = message.job_id
        outcome = await self._jobs.run(job_id)
        extra = {"job_id": str(job_id), "message_id": message_id, "outcome": outcome.value}
        if outcome is Outcome.MISSING:
            logger.warning("message for an unknown job dropped", extra=extra)
        elif outcome is Outcome.BUSY:
            logger.info("job held by another worker's lease: redeliver later", extra=extra)
            return Verdict.RETRY
        return Verdict.ACK

    async def _create(self, message: DirectRequest, message_id: str) -> UUID | None:
        """The job of a request published without a row: keyed by the publisher's job id
        (also its idempotency key) or else, as the API keys a submit, by its fleet and the
        input digest it resolves to here.

        A request that does not resolve still gets its job, keyed by `invalid:<request
        hash>`, so that whoever polls it learns why: running it fails it with the problems.
        """
        key = str(message.job_id) if message.job_id is not None else None
        resolved: ResolvedRequest | None = None
        try:
            resolved = await asyncio.to_thread(self._jobs.resolve, message.request)
        except ConfigErrors as exc:
            logger.info(
                "request published to the topic does not resolve: its job will fail: %s%s",
                exc.problems[0] if exc.problems else exc,
                f" (and {len(exc.problems) - 1} more problems)" if len(exc.problems) > 1 else "",
                extra={"message_id": message_id, "job_id": key},
            )
        try:
            created = await self._jobs.create(
                message.request,
                resolved,
                mode=message.mode,
                idempotency_key=key,
                job_id=message.job_id,
            )
        except IdempotencyConflictError as exc:
            logger.warning(
                "message dropped: %s", exc, extra={"message_id": message_id, "job_id": key}
            )
            return None
        job = created.job
        extra = {"job_id": str(job.job_id), "message_id": message_id, "mode": job.mode}
        if created.created:
            logger.info("job created for a request published to the topic", extra=extra)
        elif message.job_id is not None and job.job_id != message.job_id:
            logger.warning(
                "the same request is already job %s: running that one", job.job_id, extra=extra
            )
        return job.job_id

    async def _reject(
        self, error: InvalidMessageError, data: bytes | None, message_id: str
    ) -> None:
        """Log a message that can never run and fail its job, creating the job when the
        publisher named one that does not exist yet, so whoever polls it learns why."""
        job_error = JobError(
            type="InvalidMessage",
            message=error.reason,
            problems=validation_problems(error.cause.errors(include_url=False))
            if error.cause is not None
            else None,
        )
        extra = {"message_id": message_id, "job_id": str(error.job_id) if error.job_id else None}
        logger.warning("invalid message acknowledged: %s", error.reason, extra=extra)
        job_id = error.job_id
        if job_id is None:
            return
        if await self._jobs.store.get(job_id) is None:
            payload = _json_or_none(data)
            digest = INVALID_DIGEST_PREFIX + hashlib.sha256(data or b"").hexdigest()
            try:
                created = await self._jobs.store.create(
                    job_id=job_id,
                    fleet_id=_fleet_id(payload),
                    request=payload if isinstance(payload, dict) else {},
                    input_digest=digest,
                    request_hash=digest,
                    idempotency_key=str(job_id),
                )
            except IdempotencyConflictError as exc:
                logger.warning("no job made for the invalid message: %s", exc, extra=extra)
                return
            job_id = created.job.job_id
        settings = self._jobs.settings
        claim = await self._jobs.store.claim(
            job_id, lease_s=settings.lease_s, max_attempts=settings.max_attempts
        )
        if isinstance(claim, Claim):
            await self._jobs.store.fail(claim, job_error)
        else:
            logger.info("job of the invalid message left as it is: %s", claim, extra=extra)


@contextmanager
def _log_context(attributes: Mapping[str, str]) -> Iterator[None]:
    """Log lines carry the submitting request's id when the publisher sent one."""
    request_id = attributes.get(REQUEST_ID_ATTRIBUTE)
    if request_id is None:
        yield
        return
    token = request_id_var.set(request_id[:128])
    try:
        yield
    finally:
        request_id_var.reset(token)


def _json_or_none(data: bytes | None) -> Any:
    try:
        return json.loads(data) if data else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None


def _fleet_id(payload: Any) -> UUID:
    """The payload's fleet id (either shape) when it is a UUID or a slug (its uuid5), else
    UNKNOWN_FLEET."""
    request = payload.get("request", payload) if isinstance(payload, dict) else None
    fleet_id = request.get("fleet_id") if isinstance(request, dict) else None
    if (uuid := as_uuid(fleet_id)) is not None:
        return uuid
    if isinstance(fleet_id, str) and FLEET_SLUG.fullmatch(fleet_id):
        return fleet_uuid(fleet_id)
    return UNKNOWN_FLEET
