"""The job store: a job row's life in PostgreSQL, claims, leases, attempts, stored result bytes."""

import asyncio
import gzip
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from fleetsim import runner
from fleetsim.config import ConfigErrors, ConfigProblem, load_catalogue, resolve_request
from fleetsim.db.schema import RESULT_PARTS, simulations
from fleetsim.errors import DatabaseUnavailableError
from fleetsim.jobs import store as job_store
from fleetsim.jobs.execute import Outcome, execute, in_thread
from fleetsim.jobs.limits import job_limits
from fleetsim.jobs.store import Claim, JobStore, Refusal
from fleetsim.models import (
    CanonicalResult,
    ResolvedRequest,
    ResultSummary,
    SimulationRequest,
    SimulationResult,
    canonical_json_bytes,
)
from fleetsim.models.job import JobError
from fleetsim.settings import Settings
from fleetsim.simulation import simulate, summarise

from .support import CONFIG_DIR

pytestmark = pytest.mark.anyio

LIMITS = job_limits(Settings())


@pytest.fixture
async def engine(api_database: str) -> AsyncIterator[AsyncEngine]:
    """For arranging rows the store would never write."""
    engine = create_async_engine(api_database)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def store(api_database: str) -> AsyncIterator[JobStore]:
    store = await JobStore.open(api_database, pool_size=2)
    try:
        yield store
    finally:
        await store.close()


def test_every_result_part_has_its_column() -> None:
    assert set(RESULT_PARTS) == set(SimulationResult.model_fields)
    assert set(RESULT_PARTS) <= set(simulations.c.keys())


async def queued_job(store: JobStore) -> uuid.UUID:
    request = {"scenario": "smoke", "fleet_id": str(uuid.uuid4())}
    created = await store.create(
        job_id=uuid.uuid4(),
        fleet_id=uuid.UUID(request["fleet_id"]),
        request=request,
        input_digest=f"test:{uuid.uuid4()}",
        request_hash=f"test:{uuid.uuid4()}",
    )
    assert created.created
    return created.job.job_id


async def expire_lease(engine: AsyncEngine, job_id: uuid.UUID) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE simulations SET lease_until = now() - interval '1 s' WHERE id = :id"),
            {"id": job_id},
        )


async def test_a_claim_is_granted_once_until_its_lease_expires(
    store: JobStore, engine: AsyncEngine
) -> None:
    job_id = await queued_job(store)
    first = await store.claim(job_id, lease_s=60, max_attempts=3)
    assert isinstance(first, Claim)
    assert first.attempt == 1
    assert await store.claim(job_id, lease_s=60, max_attempts=3) is Refusal.BUSY

    await expire_lease(engine, job_id)
    second = await store.claim(job_id, lease_s=60, max_attempts=3)
    assert isinstance(second, Claim)
    assert second.attempt == 2

    stale_error = JobError(type="RuntimeError", message="stale worker")
    assert not await store.fail(first, stale_error)  # fenced off by the newer claim
    assert await store.fail(second, JobError(type="RuntimeError", message="current worker"))
    job = await store.get(job_id)
    assert job is not None
    assert job.status == "failed"
    assert job.error == JobError(type="RuntimeError", message="current worker")
    assert await store.claim(job_id, lease_s=60, max_attempts=3) is Refusal.DONE


async def test_a_job_out_of_attempts_is_failed(store: JobStore, engine: AsyncEngine) -> None:
    job_id = await queued_job(store)
    assert isinstance(await store.claim(job_id, lease_s=60, max_attempts=2), Claim)
    await expire_lease(engine, job_id)
    assert isinstance(await store.claim(job_id, lease_s=60, max_attempts=2), Claim)
    await expire_lease(engine, job_id)
    assert await store.claim(job_id, lease_s=60, max_attempts=2) is Refusal.EXHAUSTED
    job = await store.get(job_id)
    assert job is not None
    assert (job.status, job.attempts) == ("failed", 2)
    assert job.error is not None
    assert job.error.type == "MaxAttemptsExceeded"


async def test_simultaneous_claims_grant_exactly_one(store: JobStore) -> None:
    # Each write is its own autocommit statement: the claim's UPDATE alone must exclude.
    job_id = await queued_job(store)
    claims = await asyncio.gather(
        *(store.claim(job_id, lease_s=60, max_attempts=3) for _ in range(8))
    )
    granted = [c for c in claims if isinstance(c, Claim)]
    assert len(granted) == 1 and granted[0].attempt == 1
    assert [c for c in claims if not isinstance(c, Claim)] == [Refusal.BUSY] * 7


def never_run(resolved: ResolvedRequest) -> CanonicalResult:
    raise AssertionError("the job was not to reach its simulation")


async def test_claiming_an_unknown_job_is_refused(store: JobStore) -> None:
    assert await store.claim(uuid.uuid4(), lease_s=60, max_attempts=3) is Refusal.MISSING


async def test_execute_records_invalid_input_with_each_problem(store: JobStore) -> None:
    job_id = await queued_job(store)
    problem = ConfigProblem("request", "v1", "battery_usable_kwh", "must be positive", "vehicle")

    def resolve(request: SimulationRequest) -> ResolvedRequest:
        raise ConfigErrors([problem])

    outcome = await execute(
        store, job_id, resolve, in_thread(never_run), limits=LIMITS, max_attempts=3, lease_s=60
    )
    assert outcome is Outcome.FAILED
    job = await store.get(job_id)
    assert job is not None
    assert job.error is not None
    assert job.error.type == "ConfigErrors"
    assert job.error.problems is not None
    assert [(p.loc, p.msg) for p in job.error.problems] == [
        (["request", "v1", "battery_usable_kwh"], "must be positive")
    ]
    assert await execute(
        store, job_id, resolve, in_thread(never_run), limits=LIMITS, max_attempts=3, lease_s=60
    ) is (Outcome.DONE)


async def test_a_job_failed_by_its_input_is_one_log_line_without_a_traceback(
    store: JobStore, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = await queued_job(store)
    problems = [
        ConfigProblem("request", "v1", "battery_usable_kwh", "must be positive", "vehicle"),
        ConfigProblem("request", "v2", "mass_kg", "must be positive", "vehicle"),
    ]

    def resolve(request: SimulationRequest) -> ResolvedRequest:
        raise ConfigErrors(problems)

    with caplog.at_level(logging.INFO, logger="fleetsim.jobs.execute"):
        outcome = await execute(
            store, job_id, resolve, in_thread(never_run), limits=LIMITS, max_attempts=3, lease_s=60
        )
    assert outcome is Outcome.FAILED
    (record,) = [r for r in caplog.records if r.getMessage().startswith("job failed")]
    assert record.levelno == logging.INFO
    assert not record.exc_info
    line = record.getMessage()
    assert "\n" not in line
    assert "request.v1.battery_usable_kwh: must be positive (and 1 more problems)" in line


async def test_completing_stores_the_summary_and_headline_kpis(store: JobStore) -> None:
    smoke = resolve_request(
        SimulationRequest(scenario="smoke"), load_catalogue(CONFIG_DIR), CONFIG_DIR
    )
    created = await store.create(
        job_id=uuid.uuid4(),
        fleet_id=uuid.uuid4(),
        request={"scenario": "smoke"},
        input_digest=smoke.input_digest,
        request_hash=f"test:{uuid.uuid4()}",
        scenario="smoke",
    )
    job_id = created.job.job_id
    outcome = await execute(
        store,
        job_id,
        lambda _: smoke,
        in_thread(simulate),
        limits=LIMITS,
        max_attempts=3,
        lease_s=60,
    )
    assert outcome is Outcome.SUCCEEDED
    job = await store.get(job_id)
    stored = await store.succeeded_column(job_id, "summary")
    result = await store.result(job_id)
    assert job is not None and stored is not None and stored.text is not None
    assert result is not None and result.envelope is not None
    plain = gzip.decompress(result.envelope) if result.gzipped else result.envelope
    summary = summarise(CanonicalResult.from_json(plain))
    stored_summary = ResultSummary.model_validate_json(stored.text)
    assert canonical_json_bytes(stored_summary) == canonical_json_bytes(summary)
    assert job.headline_kpis == stored_summary.headline


async def test_a_long_run_keeps_its_claim(store: JobStore) -> None:
    job_id = await queued_job(store)
    lease_s = 0.3
    running = asyncio.Event()
    rival_claims: list[Claim | Refusal] = []

    def slow(request: SimulationRequest) -> ResolvedRequest:
        time.sleep(4 * lease_s)
        raise RuntimeError("done sleeping")

    async def rival() -> None:
        await running.wait()
        for _ in range(6):
            await asyncio.sleep(lease_s / 2)
            rival_claims.append(await store.claim(job_id, lease_s=lease_s, max_attempts=3))

    async def run() -> Outcome:
        running_job = execute(
            store,
            job_id,
            slow,
            in_thread(never_run),
            limits=LIMITS,
            max_attempts=3,
            lease_s=lease_s,
        )
        task = asyncio.create_task(running_job)
        await asyncio.sleep(0.05)
        running.set()
        return await task

    outcome, _ = await asyncio.gather(run(), rival())
    assert outcome is Outcome.FAILED
    assert rival_claims[:4] == [Refusal.BUSY] * 4  # the lease was renewed throughout
    job = await store.get(job_id)
    assert job is not None
    assert job.attempts == 1


def awkward_floats(result: CanonicalResult) -> CanonicalResult:
    """The smoke result with floats that JSON text and JSONB numerics render differently."""
    data: dict[str, Any] = result.model().model_dump(mode="json")
    awkward = [1e-05, 1e20, 0.1 + 0.2, -0.0, 123456.78901234, 2.5e-7, 1.0, 0.00005]
    for i, point in enumerate(data["site_load"][: len(awkward)]):
        point["kw"] = awkward[i]
    data["metadata"]["kpis"]["peak_site_kw"]["extra-site"] = 1e21
    data["metadata"]["warnings"].append('ünïcode ✓ "quoted" \\ back')
    return CanonicalResult.of(SimulationResult.model_validate(data))


async def test_stored_result_reads_back_as_the_same_canonical_bytes(
    store: JobStore, engine: AsyncEngine
) -> None:
    request = SimulationRequest(scenario="smoke")
    result = runner.run_request(request, load_catalogue(CONFIG_DIR), CONFIG_DIR)
    for candidate in (result, awkward_floats(result)):
        job_id = await queued_job(store)
        claim = await store.claim(job_id, lease_s=60, max_attempts=3)
        assert isinstance(claim, Claim)
        assert await store.complete(claim, candidate)
        stored = await store.result(job_id)
        assert stored is not None and stored.envelope is not None
        assert stored.status == "succeeded"
        assert stored.gzipped, "read as stored: the compressed canonical bytes"
        assert gzip.decompress(stored.envelope) == candidate.json_bytes()
        assert gzip.decompress(stored.envelope) == canonical_json_bytes(candidate.model())
        # A row from before revision 0005 (no bytes) reads back from its JSONB parts.
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE simulations SET result_gzip = NULL WHERE id = :id"), {"id": job_id}
            )
        legacy = await store.result(job_id)
        assert legacy is not None and not legacy.gzipped
        assert legacy.envelope == candidate.json_bytes()


async def test_a_part_too_large_for_jsonb_is_kept_only_in_the_bytes(
    store: JobStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = SimulationRequest(scenario="smoke")
    result = runner.run_request(request, load_catalogue(CONFIG_DIR), CONFIG_DIR)
    limit = result.part_size("site_load") - 1  # site_load is over it, trips are under it
    assert result.part_size("trips") <= limit
    monkeypatch.setattr(job_store, "JSONB_PART_MAX_BYTES", limit)
    job_id = await queued_job(store)
    claim = await store.claim(job_id, lease_s=60, max_attempts=3)
    assert isinstance(claim, Claim)
    assert await store.complete(claim, result)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT site_load IS NULL, trips IS NULL FROM simulations WHERE id = :id"),
                {"id": job_id},
            )
        ).one()
    assert tuple(row) == (True, False)
    stored = await store.result(job_id)
    assert stored is not None and stored.envelope is not None
    assert gzip.decompress(stored.envelope) == result.json_bytes()


async def test_an_unreachable_database_is_reported_as_the_projects_own_error() -> None:
    store = await JobStore.open("postgresql+asyncpg://postgres@127.0.0.1:1/none", pool_size=1)
    try:
        with pytest.raises(DatabaseUnavailableError) as caught:
            await store.get(uuid.uuid4())
        assert isinstance(caught.value.__cause__, OSError)
        with pytest.raises(DatabaseUnavailableError):
            await store.claim(uuid.uuid4(), lease_s=60, max_attempts=3)
    finally:
        await store.close()


class FlakyStore(JobStore):
    """The real store, but the database is unavailable to the first `outages` writes of a
    result: what a finished job meets during a short database outage."""

    outages = 2

    async def complete(self, claim: Claim, result: CanonicalResult, **kwargs: Any) -> bool:
        if self.outages > 0:
            self.outages -= 1
            raise DatabaseUnavailableError("injected: connection refused")
        return await super().complete(claim, result, **kwargs)


async def test_a_finished_result_survives_a_short_database_outage(api_database: str) -> None:
    store = await FlakyStore.open(api_database, pool_size=2)
    smoke = resolve_request(
        SimulationRequest(scenario="smoke"), load_catalogue(CONFIG_DIR), CONFIG_DIR
    )
    try:
        job_id = await queued_job(store)
        simulated = 0

        def counted(resolved: ResolvedRequest) -> CanonicalResult:
            nonlocal simulated
            simulated += 1
            return simulate(smoke)

        def resolve(request: SimulationRequest) -> ResolvedRequest:
            return smoke

        claim_digest = await store.claim(job_id, lease_s=60, max_attempts=3)
        assert isinstance(claim_digest, Claim)
        await store.release(claim_digest)  # the queued job's digest, for the resolution
        smoke = smoke.model_copy(update={"input_digest": claim_digest.input_digest})

        outcome = await execute(
            store, job_id, resolve, in_thread(counted), limits=LIMITS, max_attempts=3, lease_s=4
        )

        assert outcome is Outcome.SUCCEEDED
        assert store.outages == 0 and simulated == 1, "recorded after two refusals, run once"
        job = await store.get(job_id)
        assert job is not None and job.status == "succeeded"
    finally:
        await store.close()
