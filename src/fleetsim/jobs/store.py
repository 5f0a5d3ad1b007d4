"""The job store in PostgreSQL: a job row's life (create, claim, complete, fail), its reads.

Every write is one statement in its own transaction; `complete` writes the result and
`succeeded` together. The result envelope is stored as its canonical bytes, gzip-compressed
(`result_gzip`, what reads return), and as one JSONB column per part for SQL (rows from before
revision 0005 have only the parts, read back through `SimulationResult` into the same bytes).
A job in mode `gcs` keeps only `metadata` in the row and the object's URI in `result_uri`.
"""

import asyncio
import base64
import binascii
import functools
import json
import zlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

import asyncpg
import sqlalchemy as sa
import sqlalchemy.exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from fleetsim.db.schema import JSONB_PART_MAX_BYTES, RESULT_PARTS, simulations
from fleetsim.errors import DatabaseNotSetUpError, DatabaseUnavailableError, map_exceptions
from fleetsim.models import CanonicalResult, JobMode, SimulationResult
from fleetsim.models.job import Job, JobError, JobStatus
from fleetsim.models.result import canonical_data, canonical_json_text
from fleetsim.models.summary import HeadlineKpis
from fleetsim.simulation.summary import summarise

P = ParamSpec("P")
R = TypeVar("R")
_t = simulations.c
JOB_COLUMNS = (
    _t.id.label("job_id"),
    _t.fleet_id,
    _t.status,
    _t.mode,
    _t.scenario,
    _t.label,
    _t.result_uri,
    _t.attempts,
    _t.feasible,
    _t.headline_kpis,
    _t.error,
    _t.created_at,
    _t.updated_at,
    _t.started_at,
    _t.finished_at,
)
_GET_JOB = (
    "SELECT id AS job_id, fleet_id, status, mode, scenario, label, result_uri, attempts,"
    " feasible, headline_kpis, error, created_at, updated_at, started_at, finished_at"
    " FROM simulations WHERE id = $1"
)
_CLAIMABLE = sa.or_(
    _t.status == "queued", sa.and_(_t.status == "running", _t.lease_until < sa.func.now())
)

UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,  # connection refused or reset
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.TooManyConnectionsError,
)
"""Transient: raised as DatabaseUnavailableError, the caller may retry. Any other database
error is a bug."""


_NOT_SET_UP_FIXES = {
    "3D000": "create it, then run `alembic upgrade head`",  # invalid_catalog_name
    "42P01": "run `alembic upgrade head`",  # undefined_table: never migrated
    "42703": "run `alembic upgrade head`",  # undefined_column: migrated to an older head
}
"""SQLSTATEs that mean the database is not set up for this code, and the fix for each."""


@contextmanager
def _setup_checked() -> Iterator[None]:
    """Raise DatabaseNotSetUpError, naming the fix, for a missing database or schema."""
    try:
        yield
    except (sqlalchemy.exc.DBAPIError, asyncpg.PostgresError) as exc:
        driver_error = getattr(exc, "orig", exc)
        fix = _NOT_SET_UP_FIXES.get(getattr(driver_error, "sqlstate", None) or "")
        if fix is None:
            raise
        reason = str(driver_error.__cause__ or driver_error)
        raise DatabaseNotSetUpError(f"DATABASE_URL: {reason}: {fix}") from exc


def translated(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A store method whose transient database errors reach callers as
    DatabaseUnavailableError, and a missing database or schema as DatabaseNotSetUpError,
    never as a driver's exception."""

    @functools.wraps(method)
    async def translated(*args: P.args, **kwargs: P.kwargs) -> R:
        with map_exceptions({UNAVAILABLE: DatabaseUnavailableError}), _setup_checked():
            return await method(*args, **kwargs)

    return translated


class IdempotencyConflictError(Exception):
    """An Idempotency-Key already names a job for a different request: neither the same body
    nor the same fleet and resolved input."""

    def __init__(self, key: str, job_id: UUID) -> None:
        self.key = key
        self.job_id = job_id
        super().__init__(f"Idempotency-Key {key!r} was used for a different request (job {job_id})")


class InvalidCursorError(ValueError):
    """A list cursor that this service did not hand out."""


class Refusal(StrEnum):
    """Why a claim was not granted."""

    DONE = "done"  # succeeded or failed already: a duplicate delivery
    BUSY = "busy"  # running under a live lease
    EXHAUSTED = "exhausted"  # out of attempts: the job has just been failed
    MISSING = "missing"


@dataclass(frozen=True)
class Created:
    job: Job
    created: bool


@dataclass(frozen=True)
class Claim:
    """A granted claim; `attempt` fences `complete`/`fail`/`release` against a later claim."""

    job_id: UUID
    attempt: int
    request: dict[str, Any]
    fleet_id: UUID
    mode: JobMode
    input_digest: str
    """The job's identity (with the fleet id): a result for another digest is not its result."""


@dataclass(frozen=True)
class StoredResult:
    """A job's status and, once it succeeded, its result bytes (mode db) or object (gcs)."""

    status: JobStatus
    envelope: bytes | None
    """The canonical result bytes, gzip-compressed where `gzipped`."""
    uri: str | None = None
    gzipped: bool = False


@dataclass(frozen=True)
class StoredColumn:
    """A job's status and, once it succeeded, one JSONB column's text (None where the row
    does not hold it: a gcs job's result parts, a summary from before revision 0006) and the
    URI of its result object (mode gcs)."""

    status: JobStatus
    text: str | None
    uri: str | None


@dataclass(frozen=True)
class Unclaimed:
    """A job nobody holds: queued, or running with an expired lease."""

    job_id: UUID
    mode: JobMode
    request: dict[str, Any]


@dataclass(frozen=True)
class Page:
    jobs: list[Job]
    next_cursor: str | None


def encode_cursor(job: Job) -> str:
    raw = json.dumps([job.created_at.isoformat(), str(job.job_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, str) for v in raw)):
            raise ValueError("not a [created_at, id] pair")
        created_at, job_id = datetime.fromisoformat(raw[0]), UUID(raw[1])
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError("not a cursor returned by this list") from exc
    if created_at.tzinfo is None:
        raise InvalidCursorError("not a cursor returned by this list")
    try:  # PostgreSQL compares in UTC: a time that has none (year 0) is no cursor of ours
        return created_at.astimezone(UTC), job_id
    except OverflowError as exc:
        raise InvalidCursorError("not a cursor returned by this list") from exc


def envelope_bytes(stored_json: str) -> bytes:
    """The stored parts (one JSON object) back to the canonical result bytes.

    The model restores what JSONB changed (key order, `1e20` read back as an integer); the
    floats were stored rounded, so they need no second rounding pass.
    """
    data = SimulationResult.model_validate_json(stored_json).model_dump(mode="json")
    return canonical_json_text(data).encode("utf-8")


def _job(row: sa.RowMapping) -> Job:
    return Job.model_validate(row)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Status-pool connections only run one autocommit SELECT: no session state to reset,
    and asyncpg's default reset would cost a second round trip per read."""


def driver_dsn(database_url: str) -> str:
    """A SQLAlchemy URL (`postgresql+asyncpg://...`) as the DSN asyncpg itself takes."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class JobStore:
    """Jobs and results in the `simulations` table (DESIGN §6).

    Statements go through a SQLAlchemy engine in autocommit, each its own transaction with
    no BEGIN and COMMIT round trips (no two of them need to be atomic together); the status
    read that clients poll takes a connection from a plain asyncpg pool, three times
    cheaper per call.
    """

    def __init__(self, engine: AsyncEngine, status_pool: asyncpg.Pool) -> None:
        self._engine = engine
        self._status_pool = status_pool

    @classmethod
    @translated
    async def open(cls, database_url: str, *, pool_size: int = 20) -> "JobStore":
        """Engine and status pool of at most `pool_size` connections each, none beyond:
        under load, a connection made and dropped per request (pool overflow) costs more
        than waiting for a pooled one. Connects lazily: the API starts with the database
        down (then /readyz answers 503)."""
        engine = create_async_engine(
            database_url, pool_size=pool_size, max_overflow=0, isolation_level="AUTOCOMMIT"
        )
        try:
            status_pool = await asyncpg.create_pool(
                driver_dsn(database_url), min_size=0, max_size=pool_size, reset=_keep_session
            )
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, status_pool)

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy engine, shared with the study store."""
        return self._engine

    async def close(self) -> None:
        await self._status_pool.close()
        await self._engine.dispose()

    @translated
    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    @translated
    async def create(
        self,
        *,
        job_id: UUID,
        fleet_id: UUID,
        request: dict[str, Any],
        input_digest: str,
        request_hash: str,
        idempotency_key: str | None = None,
        mode: JobMode = "db",
        scenario: str | None = None,
        label: str | None = None,
    ) -> Created:
        """Insert a queued job, or return the job that already has this key, or else this
        fleet and input digest (whatever its mode: the first submission's mode stays the job's).
        `request_hash`, the raw body's, is stored for reference, and so are `scenario` and
        `label` (a repeat's label does not replace the first).

        Raises IdempotencyConflictError when the key names a job of another request: neither
        the same body nor the same fleet and input. A retry keeps its job even when the
        configuration changed since.
        """
        insert = (
            pg_insert(simulations)
            .values(
                id=job_id,
                fleet_id=fleet_id,
                request=request,
                request_hash=request_hash,
                input_digest=input_digest,
                idempotency_key=idempotency_key,
                mode=mode,
                scenario=scenario,
                label=label,
            )
            .on_conflict_do_nothing()
            .returning(*JOB_COLUMNS)
        )
        same = sa.and_(_t.fleet_id == fleet_id, _t.input_digest == input_digest)
        if idempotency_key is not None:
            same = sa.or_(same, _t.idempotency_key == idempotency_key)
        existing = (
            sa.select(*JOB_COLUMNS, _t.request_hash, _t.input_digest, _t.idempotency_key)
            .where(same)
            .order_by(sa.case((_t.idempotency_key == idempotency_key, 0), else_=1))
            .limit(1)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(insert)).first()
            if row is not None:
                return Created(_job(row._mapping), created=True)
            # A new statement sees the conflicting row once its inserter has committed.
            found = (await conn.execute(existing)).first()
        if found is None:
            raise RuntimeError(
                f"job of fleet {fleet_id} with input digest {input_digest} vanished during insert"
            )
        job = _job(found._mapping)
        if (
            idempotency_key is not None
            and found.idempotency_key == idempotency_key
            and found.request_hash != request_hash
            and (found.fleet_id, found.input_digest) != (fleet_id, input_digest)
        ):
            raise IdempotencyConflictError(idempotency_key, job.job_id)
        return Created(job, created=False)

    @translated
    async def claim(self, job_id: UUID, *, lease_s: float, max_attempts: int) -> Claim | Refusal:
        """Take a queued job, or a running one whose lease expired, for `lease_s` seconds.

        A job that has been claimed `max_attempts` times is failed instead.
        """
        now = sa.func.now()
        claim = (
            sa.update(simulations)
            .where(_t.id == job_id, _t.attempts < max_attempts, _CLAIMABLE)
            .values(
                status="running",
                attempts=_t.attempts + 1,
                lease_until=now + timedelta(seconds=lease_s),
                started_at=now,
                updated_at=now,
            )
            .returning(_t.attempts, _t.request, _t.fleet_id, _t.mode, _t.input_digest)
        )
        give_up = JobError(
            type="MaxAttemptsExceeded",
            message=f"the simulation did not finish in {max_attempts} attempts",
        )
        exhaust = (
            sa.update(simulations)
            .where(_t.id == job_id, _t.attempts >= max_attempts, _CLAIMABLE)
            .values(_failed(give_up, now))
            .returning(_t.id)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(claim)).first()
            if row is not None:
                return Claim(
                    job_id, row.attempts, row.request, row.fleet_id, row.mode, row.input_digest
                )
            if (await conn.execute(exhaust)).first() is not None:
                return Refusal.EXHAUSTED
            status = await conn.scalar(sa.select(_t.status).where(_t.id == job_id))
        if status is None:
            return Refusal.MISSING
        return Refusal.DONE if status in ("succeeded", "failed") else Refusal.BUSY

    @translated
    async def renew(self, claim: Claim, *, lease_s: float) -> bool:
        """Extend a running claim's lease to `lease_s` from now; False if it was lost."""
        statement = (
            sa.update(simulations)
            .where(_t.id == claim.job_id, _t.status == "running", _t.attempts == claim.attempt)
            .values(lease_until=sa.func.now() + timedelta(seconds=lease_s))
            .returning(_t.id)
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(statement)).first() is not None

    @translated
    async def release(self, claim: Claim) -> bool:
        """Hand a running job back to the queue (attempts kept), so a redelivery after a
        transient fault need not wait out the lease; False if the claim was lost meanwhile."""
        statement = (
            sa.update(simulations)
            .where(_t.id == claim.job_id, _t.status == "running", _t.attempts == claim.attempt)
            .values(status="queued", lease_until=None, updated_at=sa.func.now())
            .returning(_t.id)
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(statement)).first() is not None

    @translated
    async def complete(
        self, claim: Claim, result: CanonicalResult, *, result_uri: str | None = None
    ) -> bool:
        """Store the result and `succeeded` together; False if the claim was lost meanwhile.

        With `result_uri` (the result went to object storage) only `metadata` is stored. The
        headline KPIs and the summary are stored in either case.
        """
        in_row = result_uri is None
        stored = RESULT_PARTS if in_row else ("metadata",)
        parts_json = asyncio.to_thread(_parts_json, result, stored)
        if in_row:
            # Side by side: zlib lets go of the GIL while it compresses, so the summary's
            # Python runs meanwhile (a year's result: 4.3 s and 2.7 s, not 7 s one after the
            # other).
            parts, gzipped = await asyncio.gather(
                parts_json, asyncio.to_thread(result_gzip, result)
            )
        else:
            parts = await parts_json
        now = sa.func.now()
        values: dict[str, Any] = {
            part: sa.cast(sa.literal(text, sa.Text), JSONB) if text is not None else sa.null()
            for part, text in parts.items()
        }
        if in_row:
            values["result_gzip"] = gzipped
        statement = (
            sa.update(simulations)
            .where(_t.id == claim.job_id, _t.status == "running", _t.attempts == claim.attempt)
            .values(
                status="succeeded",
                feasible=result.metadata.kpis.feasible,
                result_uri=result_uri,
                error=sa.null(),
                lease_until=None,
                finished_at=now,
                updated_at=now,
                **values,
            )
            .returning(_t.id)
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(statement)).first() is not None

    @translated
    async def fail(self, claim: Claim, error: JobError) -> bool:
        """Mark the claimed job failed with `error`; False if the claim was lost meanwhile."""
        now = sa.func.now()
        statement = (
            sa.update(simulations)
            .where(_t.id == claim.job_id, _t.status == "running", _t.attempts == claim.attempt)
            .values(_failed(error, now))
            .returning(_t.id)
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(statement)).first() is not None

    @translated
    async def get(self, job_id: UUID) -> Job | None:
        record = await self._status_pool.fetchrow(_GET_JOB, job_id)
        if record is None:
            return None
        job = dict(record.items())
        if job["error"] is not None:  # asyncpg hands jsonb over as text
            job["error"] = JobError.model_validate_json(job["error"])
        if job["headline_kpis"] is not None:
            job["headline_kpis"] = HeadlineKpis.model_validate_json(job["headline_kpis"])
        return Job.model_validate(job)

    @translated
    async def result(self, job_id: UUID) -> StoredResult | None:
        """The job's status and, once it succeeded, the canonical result bytes or, for a
        result in object storage, its URI."""
        envelope = sa.func.json_build_object(
            *(arg for part in RESULT_PARTS for arg in (sa.literal(part), _t[part]))
        )
        in_row = sa.and_(_t.status == "succeeded", _t.result_uri.is_(None))
        from_parts = sa.and_(in_row, _t.result_gzip.is_(None))
        succeeded = _t.status == "succeeded"
        statement = sa.select(
            _t.status,
            sa.case((in_row, _t.result_gzip), else_=sa.null()),
            sa.case((from_parts, sa.cast(envelope, sa.Text)), else_=sa.null()),
            sa.case((succeeded, _t.result_uri), else_=sa.null()),
        ).where(_t.id == job_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(statement)).first()
        if row is None:
            return None
        status, gzipped, parts, uri = row
        if gzipped is not None:
            return StoredResult(status, bytes(gzipped), gzipped=True)
        if parts is None:
            return StoredResult(status, None, uri)
        return StoredResult(status, await asyncio.to_thread(envelope_bytes, parts))

    @translated
    async def succeeded_column(self, job_id: UUID, column: str) -> StoredColumn | None:
        """One JSONB column of a succeeded job (a result part, `summary`) as text, read alone:
        a summary or a part without the rest of the envelope. None if no such job."""
        succeeded = _t.status == "succeeded"
        statement = sa.select(
            _t.status,
            sa.case((succeeded, sa.cast(_t[column], sa.Text)), else_=sa.null()),
            sa.case((succeeded, _t.result_uri), else_=sa.null()),
        ).where(_t.id == job_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(statement)).first()
        return None if row is None else StoredColumn(*row)

    @translated
    async def list_jobs(
        self,
        *,
        fleet_id: UUID | None = None,
        status: JobStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        """Newest first, `limit` at a time; pass `next_cursor` back for the next page.

        Raises InvalidCursorError for a cursor this method did not return.
        """
        statement = sa.select(*JOB_COLUMNS).order_by(_t.created_at.desc(), _t.id.desc())
        if fleet_id is not None:
            statement = statement.where(_t.fleet_id == fleet_id)
        if status is not None:
            statement = statement.where(_t.status == status)
        if cursor is not None:
            created_at, job_id = decode_cursor(cursor)
            statement = statement.where(sa.tuple_(_t.created_at, _t.id) < (created_at, job_id))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement.limit(limit + 1))).all()
        jobs = [_job(row._mapping) for row in rows[:limit]]
        return Page(jobs, encode_cursor(jobs[-1]) if len(rows) > limit else None)

    @translated
    async def unclaimed(self, *, idle_s: float) -> list[Unclaimed]:
        """Claimable jobs untouched for `idle_s` seconds, oldest first: those whose message
        may be lost (a crash between the row and the publish)."""
        idle_since = sa.func.now() - timedelta(seconds=idle_s)
        statement = (
            sa.select(_t.id, _t.mode, _t.request)
            .where(_CLAIMABLE, _t.updated_at <= idle_since)
            .order_by(_t.created_at, _t.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [Unclaimed(row.id, row.mode, row.request) for row in rows]

    @translated
    async def claimable(self, limit: int) -> list[UUID]:
        """Ids of queued jobs and of running jobs whose lease expired, oldest first."""
        statement = sa.select(_t.id).where(_CLAIMABLE).order_by(_t.created_at).limit(limit)
        async with self._engine.connect() as conn:
            return list((await conn.scalars(statement)).all())


def _parts_json(result: CanonicalResult, parts: tuple[str, ...]) -> dict[str, str | None]:
    """The JSON text of each stored column: the result's `parts` (None for a row part too
    large for JSONB), its summary and headline."""
    summary = summarise(result)
    return {
        part: result.part_json(part)
        if part == "metadata" or result.part_size(part) <= JSONB_PART_MAX_BYTES
        else None
        for part in parts
    } | {
        "summary": canonical_json_text(canonical_data(summary)),
        "headline_kpis": canonical_json_text(canonical_data(summary.headline)),
    }


RESULT_GZIP_LEVEL = 6
"""zlib's default: a 5.7 MB week in a few tens of ms to about a tenth of its size."""


def result_gzip(result: CanonicalResult) -> bytes:
    """The canonical bytes, gzip-compressed with no timestamp (the same result always
    compresses to the same bytes), from the envelope as the result holds it (no copy)."""
    compressor = zlib.compressobj(RESULT_GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: a gzip stream
    return compressor.compress(result.json_bytes()) + compressor.flush()


def _failed(error: JobError, now: Any) -> dict[str, Any]:
    """The column values of a job that has just failed with `error`."""
    return {
        "status": "failed",
        "error": error.model_dump(exclude_none=True),
        "lease_until": None,
        "finished_at": now,
        "updated_at": now,
    }
