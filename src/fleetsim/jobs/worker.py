"""In-process background worker for local runs (no Pub/Sub topic): bounded concurrency."""

import asyncio
import contextvars
import logging
from uuid import UUID

from fleetsim.jobs.service import JobService
from fleetsim.models import JobMessage

logger = logging.getLogger(__name__)


class LocalWorker:
    """Runs submitted jobs, at most `concurrency` at once, each simulation in a thread.

    Every `sweep_s` (and at start) it also picks up jobs nobody is running: queued rows left
    by a stopped process and running rows whose lease expired.
    """

    def __init__(self, jobs: JobService, *, concurrency: int, sweep_s: float = 30.0) -> None:
        self._jobs = jobs
        self._concurrency = concurrency
        self._sweep_s = sweep_s
        self._queue: asyncio.Queue[tuple[UUID, contextvars.Context]] = asyncio.Queue()
        self._pending: set[UUID] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def dispatch(self, message: JobMessage) -> None:
        """Queue a job; its log lines keep the submitting request's context (request id)."""
        self._enqueue(message.job_id, contextvars.copy_context())

    def _enqueue(self, job_id: UUID, context: contextvars.Context) -> None:
        if job_id not in self._pending:
            self._pending.add(job_id)
            self._queue.put_nowait((job_id, context))

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run()) for _ in range(self._concurrency)]
        self._tasks.append(asyncio.create_task(self._sweep()))

    async def stop(self) -> None:
        """Stop at once; a job cut short stays `running` until its lease expires."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _run(self) -> None:
        while True:
            job_id, context = await self._queue.get()
            try:
                await asyncio.create_task(self._jobs.run(job_id), context=context)
            except Exception:  # the job stays claimable; the sweep retries it later
                logger.exception("job execution error", extra={"job_id": str(job_id)})
            finally:
                self._pending.discard(job_id)

    async def _sweep(self) -> None:
        while True:
            try:
                for job_id in await self._jobs.store.claimable(limit=100):
                    self._enqueue(job_id, contextvars.Context())
            except Exception:  # a database outage must not end the sweep
                logger.exception("job sweep failed")
            await asyncio.sleep(self._sweep_s)
