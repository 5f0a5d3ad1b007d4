"""Studies on the job service, the same from the API, the local worker and the Pub/Sub
workers: a study's points are ordinary simulation jobs (a point some earlier job computed is
reused), handed to whatever runs jobs, and the study advances each time one of its jobs
finishes: the next sizing round is queued, or, once every point is terminal, the result
table is written, exactly once (the study's row is locked while it advances)."""

import asyncio
import logging
from collections.abc import Sequence
from uuid import UUID

from fleetsim.config import ConfigErrors
from fleetsim.config.study import check_study
from fleetsim.jobs.limits import job_limits
from fleetsim.jobs.service import Dispatch, JobService
from fleetsim.jobs.study_store import LockedStudy, NewPoint, PointRow, StudyStore
from fleetsim.models import JobMessage
from fleetsim.models.result import canonical_data
from fleetsim.models.study import StudyAccepted, StudyRequest, meets, point_kpis
from fleetsim.studies.points import (
    Point,
    PointKey,
    installed_kw,
    next_points,
    point_request,
    study_id,
)
from fleetsim.studies.table import Outcome, study_result

logger = logging.getLogger(__name__)


class StudyService:
    """Submit and advance studies; `dispatch` hands their queued point jobs on (None: leave
    them queued for another process, with a warning)."""

    def __init__(self, jobs: JobService, dispatch: Dispatch | None) -> None:
        self.jobs = jobs
        self.store = StudyStore(jobs.store.engine)
        self._dispatch = dispatch

    async def submit(self, study: StudyRequest) -> StudyAccepted:
        """Check the study (raises ConfigErrors naming the field), record it and queue its
        first points; the same request again is the same study."""
        catalogue = await self.jobs.loaded_catalogue()
        settings = self.jobs.settings
        base = await asyncio.to_thread(
            check_study,
            study,
            catalogue,
            settings.config_dir,
            max_points=settings.study_max_points,
            limits=job_limits(settings),
        )
        sid = study_id(study, base.input_digest)
        request = study.model_dump(mode="json", by_alias=True, exclude_unset=True)
        await self.store.create(sid, study.label, request)
        await self.advance(sid)
        found = await self.store.get(sid)
        assert found is not None, f"study {sid} vanished"
        return StudyAccepted(study_id=sid, status=found.status, points=found.points_total)

    async def job_finished(self, job_id: UUID) -> None:
        """Advance every running study that has this job among its points."""
        for sid in await self.store.running_studies_of(job_id):
            await self.advance(sid)

    async def advance(self, sid: UUID) -> bool:
        """Queue what the outcomes so far call for, or finish the study; True when this
        call finished it. Repeats while points it linked had already finished (reused)."""
        while True:
            async with self.store.locked(sid) as locked:
                if locked is None or locked.status == "finished":
                    return False
                study = StudyRequest.model_validate(locked.request)
                rows = await locked.points()
                new, messages = await self._plan(study, rows)
                await locked.add_points(new)
                finished = not new and all(row.terminal for row in rows)
                if finished:
                    await self._finish(locked, study, rows)
                else:
                    await _count(locked, rows, new)
            if finished:
                logger.info("study finished", extra={"study_id": str(sid)})
                return True
            await self._hand_on(messages)
            statuses = await self.store.statuses([p.job_id for p in new])
            if not any(status in ("succeeded", "failed") for status in statuses):
                return False

    async def _plan(
        self, study: StudyRequest, rows: Sequence[PointRow]
    ) -> tuple[list[NewPoint], list[JobMessage]]:
        """The points to add now, each with its (created or found) job, and the messages of
        those jobs still queued."""
        planned = {PointKey(r.grid_index, r.size_index) for r in rows}
        met = {PointKey(r.grid_index, r.size_index): _meets(study, r) for r in rows if r.terminal}
        new, messages = [], []
        for point in next_points(study, planned, met):
            request = point_request(study.base, point.values)
            try:
                resolved = await asyncio.to_thread(self.jobs.resolve, request)
            except ConfigErrors:  # the config changed since the check: the job fails, saying why
                resolved = None
            job = (await self.jobs.create(request, resolved, mode="db")).job
            power = 0.0 if resolved is None else installed_kw(resolved)
            key = point.key
            new.append(NewPoint(key.grid_index, key.size_index, point.values, job.job_id, power))
            if job.status == "queued":
                messages.append(JobMessage(job_id=job.job_id, mode=job.mode, request=request))
        return new, messages

    async def _finish(
        self, locked: LockedStudy, study: StudyRequest, rows: Sequence[PointRow]
    ) -> None:
        outcomes = [_outcome(row) for row in rows]
        result = study_result(study, locked.study_id, outcomes)
        failed = result.points_failed
        await locked.finish(canonical_data(result), total=len(rows), failed=failed)

    async def _hand_on(self, messages: Sequence[JobMessage]) -> None:
        if not messages:
            return
        if self._dispatch is None:
            logger.warning(
                "study points queued but not dispatched: no FLEETSIM_PUBSUB_TOPIC here",
                extra={"jobs": len(messages)},
            )
            return
        await asyncio.gather(*(self._dispatch(message) for message in messages))


def _meets(study: StudyRequest, row: PointRow) -> bool:
    if study.size is None:
        return True
    return row.kpis is not None and meets(
        study.size.require, point_kpis(row.kpis, row.installed_kw)
    )


def _outcome(row: PointRow) -> Outcome:
    point = Point(PointKey(row.grid_index, row.size_index), row.values)
    if row.status != "succeeded" or row.kpis is None:
        error = row.error or {}
        text = f"{error.get('type', 'error')}: {error.get('message', 'no result')}"
        return Outcome(point, row.job_id, None, text)
    return Outcome(point, row.job_id, point_kpis(row.kpis, row.installed_kw))


async def _count(locked: LockedStudy, rows: Sequence[PointRow], new: Sequence[NewPoint]) -> None:
    done = [row for row in rows if row.terminal]
    failed = sum(row.status == "failed" for row in done)
    await locked.count(total=len(rows) + len(new), done=len(done), failed=failed)
