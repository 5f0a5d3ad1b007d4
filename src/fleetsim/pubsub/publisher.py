"""Publishing job messages to FLEETSIM_PUBSUB_TOPIC, and republishing jobs whose message was lost.

The API writes the queued row first and publishes second: a crash in between leaves a queued
job without a message, never a message without a job. `requeue` publishes those again.
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import ValidationError

from fleetsim.jobs.service import JobService
from fleetsim.jobs.store import JobStore
from fleetsim.jobs.studies import StudyService
from fleetsim.logs import request_id_var
from fleetsim.models import JobMessage
from fleetsim.settings import Settings

if TYPE_CHECKING:  # the client loads with the first Publisher: the API without a topic skips it
    from google.cloud import pubsub_v1  # type: ignore[import-untyped]

logger = logging.getLogger(__name__)


class PublishError(Exception):
    """Pub/Sub did not take the message. The job stays queued: submitting it again, or
    `python main.py requeue`, publishes it again."""

    def __init__(self, job_id: UUID, cause: BaseException) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} is queued but its message was not published: {cause!r}")


class Publisher:
    """Publishes JobMessages; PublisherClient honours PUBSUB_EMULATOR_HOST."""

    def __init__(
        self,
        topic: str,
        *,
        timeout_s: float = 30.0,
        client: "pubsub_v1.PublisherClient | None" = None,
    ) -> None:
        from google.cloud import pubsub_v1

        self.topic = topic
        self._timeout_s = timeout_s
        self._client = client or pubsub_v1.PublisherClient()

    async def publish(self, message: JobMessage) -> None:
        """Returns once Pub/Sub has stored the message; raises PublishError otherwise."""
        from google.api_core import exceptions as api_exceptions

        attributes = message.attributes(request_id_var.get())
        try:
            # The client batches in its own thread; its future is awaited without blocking.
            future = self._client.publish(self.topic, message.data(), **attributes)
            async with asyncio.timeout(self._timeout_s):
                message_id = await asyncio.wrap_future(future)
        except (api_exceptions.GoogleAPIError, TimeoutError) as exc:
            raise PublishError(message.job_id, exc) from exc
        logger.info(
            "job message published",
            extra={"job_id": str(message.job_id), "message_id": message_id, "mode": message.mode},
        )

    def close(self) -> None:
        """Send what is batched, then stop the client's threads."""
        self._client.stop()


@dataclass
class Requeued:
    published: list[UUID] = field(default_factory=list)
    failed: list[PublishError] = field(default_factory=list)
    invalid: list[tuple[UUID, str]] = field(default_factory=list)
    """Jobs whose stored request is no longer valid: left for a person to look at."""


async def requeue(store: JobStore, publisher: Publisher, *, idle_s: float) -> Requeued:
    """Publish again every claimable job untouched for `idle_s` seconds.

    A job whose message was not lost gets a second one; the handler makes that a no-op.
    """
    report = Requeued()
    messages: list[JobMessage] = []
    for job in await store.unclaimed(idle_s=idle_s):
        try:
            messages.append(
                JobMessage.model_validate(
                    {"job_id": job.job_id, "mode": job.mode, "request": job.request}
                )
            )
        except ValidationError as exc:
            report.invalid.append((job.job_id, str(exc)))
    # All at once: the client batches them.
    outcomes = await asyncio.gather(
        *(publisher.publish(message) for message in messages), return_exceptions=True
    )
    for message, outcome in zip(messages, outcomes, strict=True):
        if isinstance(outcome, PublishError):
            report.failed.append(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            report.published.append(message.job_id)
    return report


@contextmanager
def advancing_studies(jobs: JobService, settings: Settings) -> Iterator[None]:
    """A worker advances the studies whose points it finishes: their next sizing round is
    published to FLEETSIM_PUBSUB_TOPIC (without one it stays queued, with a warning)."""
    publisher = None
    if settings.pubsub_topic is not None:
        publisher = Publisher(settings.pubsub_topic, timeout_s=settings.publish_timeout_s)
    studies = StudyService(jobs, None if publisher is None else publisher.publish)
    jobs.on_finished = studies.job_finished
    try:
        yield
    finally:
        jobs.on_finished = None
        if publisher is not None:
            publisher.close()
