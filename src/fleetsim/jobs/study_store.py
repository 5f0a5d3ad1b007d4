"""Studies in PostgreSQL: the `studies` row (request, progress, result) and `study_points`,
which links each point to its simulation job. A study advances under a row lock
(`SELECT ... FOR UPDATE`), so two workers finishing its last points together finish it once.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fleetsim.db.schema import simulations, studies, study_points
from fleetsim.errors import DatabaseUnavailableError, map_exceptions
from fleetsim.jobs.store import UNAVAILABLE, translated
from fleetsim.models.job import JobStatus
from fleetsim.models.result import canonical_json_text
from fleetsim.models.study import Study, StudyStatus

_s = studies.c
_p = study_points.c
_j = simulations.c

STUDY_COLUMNS = (
    _s.id.label("study_id"),
    _s.label,
    _s.status,
    _s.points_total,
    _s.points_done,
    _s.points_failed,
    _s.created_at,
    _s.finished_at,
)


@dataclass(frozen=True)
class NewPoint:
    """A point to link to its study: where it sits in the grid and sizing, its job."""

    grid_index: int
    size_index: int
    values: dict[str, Any]
    job_id: UUID
    installed_kw: float


@dataclass(frozen=True)
class PointRow(NewPoint):
    """A linked point with its job's status, KPIs (`metadata.kpis`) and error."""

    status: JobStatus
    kpis: dict[str, Any] | None
    error: dict[str, Any] | None

    @property
    def terminal(self) -> bool:
        return self.status in ("succeeded", "failed")


class LockedStudy:
    """A study row held FOR UPDATE until the block ends (then committed)."""

    def __init__(self, conn: AsyncConnection, study_id: UUID, status: StudyStatus, request: Any):
        self._conn = conn
        self.study_id = study_id
        self.status = status
        self.request = request

    async def points(self) -> list[PointRow]:
        statement = (
            sa.select(
                _p.grid_index,
                _p.size_index,
                _p.axis_values,
                _p.job_id,
                _p.installed_kw,
                _j.status,
                _j.metadata["kpis"],
                _j.error,
            )
            .join(simulations, _j.id == _p.job_id)
            .where(_p.study_id == self.study_id)
            .order_by(_p.grid_index, _p.size_index)
        )
        rows = (await self._conn.execute(statement)).all()
        return [PointRow(*row) for row in rows]

    async def add_points(self, points: Sequence[NewPoint]) -> None:
        if not points:
            return
        rows = [
            {
                "study_id": self.study_id,
                "grid_index": p.grid_index,
                "size_index": p.size_index,
                "axis_values": p.values,
                "job_id": p.job_id,
                "installed_kw": p.installed_kw,
            }
            for p in points
        ]
        await self._conn.execute(pg_insert(study_points).on_conflict_do_nothing(), rows)

    async def count(self, *, total: int, done: int, failed: int) -> None:
        values = {"points_total": total, "points_done": done, "points_failed": failed}
        await self._conn.execute(
            sa.update(studies)
            .where(_s.id == self.study_id)
            .values(**values, updated_at=sa.func.now())
        )

    async def finish(self, result: Any, *, total: int, failed: int) -> None:
        """Store the result table (canonical JSON data) and mark the study finished."""
        await self._conn.execute(
            sa.update(studies)
            .where(_s.id == self.study_id)
            .values(
                status="finished",
                result=result,
                points_total=total,
                points_done=total,
                points_failed=failed,
                updated_at=sa.func.now(),
                finished_at=sa.func.now(),
            )
        )


class StudyStore:
    """Study rows, on the job store's engine (autocommit statements, one transaction per
    advance)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @translated
    async def create(self, study_id: UUID, label: str | None, request: Any) -> bool:
        """Insert a running study; False when it exists already (the same request)."""
        insert = (
            pg_insert(studies)
            .values(id=study_id, label=label, request=request)
            .on_conflict_do_nothing()
            .returning(_s.id)
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(insert)).first() is not None

    @translated
    async def get(self, study_id: UUID) -> Study | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(*STUDY_COLUMNS).where(_s.id == study_id))).first()
        return None if row is None else Study.model_validate(row._mapping)

    @translated
    async def list_studies(self, limit: int) -> list[Study]:
        statement = sa.select(*STUDY_COLUMNS).order_by(_s.created_at.desc(), _s.id.desc())
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement.limit(limit))).all()
        return [Study.model_validate(row._mapping) for row in rows]

    @translated
    async def result(self, study_id: UUID) -> tuple[StudyStatus, bytes | None] | None:
        """The study's status and, once finished, its result as canonical JSON bytes."""
        statement = sa.select(_s.status, _s.result).where(_s.id == study_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(statement)).first()
        if row is None:
            return None
        data = None if row.result is None else canonical_json_text(row.result).encode()
        return row.status, data

    @translated
    async def running_studies_of(self, job_id: UUID) -> list[UUID]:
        statement = (
            sa.select(_p.study_id)
            .join(studies, _s.id == _p.study_id)
            .where(_p.job_id == job_id, _s.status == "running")
            .distinct()
        )
        async with self._engine.connect() as conn:
            return list((await conn.scalars(statement)).all())

    @translated
    async def statuses(self, job_ids: Sequence[UUID]) -> list[JobStatus]:
        async with self._engine.connect() as conn:
            return list((await conn.scalars(sa.select(_j.status).where(_j.id.in_(job_ids)))).all())

    @asynccontextmanager
    async def locked(self, study_id: UUID) -> AsyncIterator[LockedStudy | None]:
        """The study held FOR UPDATE in one transaction, committed when the block ends
        (rolled back on an exception); None when there is no such study."""
        with map_exceptions({UNAVAILABLE: DatabaseUnavailableError}):
            async with self._locked(study_id) as locked:
                yield locked

    @asynccontextmanager
    async def _locked(self, study_id: UUID) -> AsyncIterator[LockedStudy | None]:
        async with self._engine.connect() as autocommit:
            conn = await autocommit.execution_options(isolation_level="READ COMMITTED")
            async with conn.begin():
                row = (
                    await conn.execute(
                        sa.select(_s.status, _s.request).where(_s.id == study_id).with_for_update()
                    )
                ).first()
                yield None if row is None else LockedStudy(conn, study_id, row.status, row.request)
