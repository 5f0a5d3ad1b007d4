"""A job is its fleet's resolved input (issue 10): a config change gives a new job with a
result under the new config, reverting it gives the original job and bytes back, and a job
queued under the old config is failed rather than answered with a result for another input."""

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from fleetsim import runner
from fleetsim.config import load_catalogue, resolve_request
from fleetsim.jobs.execute import Outcome, execute, in_thread
from fleetsim.jobs.limits import job_limits
from fleetsim.jobs.store import Claim, JobStore
from fleetsim.models import CanonicalResult, ResolvedRequest, SimulationRequest
from fleetsim.settings import Settings
from fleetsim.simulation import simulate

from .jobs import bundled_catalogue, input_digest_of, job_id_of
from .support import CONFIG_DIR, HEADERS, create_app, driver_dsn, fresh_database, make_settings
from .test_api import SMOKE, wait_for, with_fleet

pytestmark = pytest.mark.anyio

LIMITS = job_limits(Settings())

SITE = "neuperlach_depot"
"""The smoke scenario's depot: its peak without the override is above LIMIT_KW."""
LIMIT_KW = 60.0
OVERRIDES = json.dumps({"sites": {SITE: {"site_power_limit_kw": LIMIT_KW}}})


@pytest.fixture(scope="module")
def identity_database() -> Iterator[str]:
    """A database of its own: these tests submit the bare smoke request (the default fleet)."""
    with fresh_database() as url:
        yield url


@pytest.fixture
async def identity_db(identity_database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(driver_dsn(identity_database))
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(autouse=True)
def no_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEETSIM_CONFIG_OVERRIDES", raising=False)


@asynccontextmanager
async def api(database_url: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A new API instance (lifespan run), reading FLEETSIM_CONFIG_OVERRIDES as it starts."""
    app = create_app(make_settings(database_url, **settings))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.test",
            headers=HEADERS,
            timeout=60,
        ) as http,
    ):
        yield http


async def submit(http: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> str:
    response = await http.post("/v1/simulations", json=body, headers=headers)
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


async def run_to_result(http: httpx.AsyncClient, body: dict[str, Any]) -> tuple[str, bytes]:
    """Submit, wait for success and fetch: the job id and the result bytes."""
    job_id = await submit(http, body)
    job = await wait_for(http, job_id)
    assert job["status"] == "succeeded", job
    result = await http.get(f"/v1/simulations/{job_id}/result")
    assert result.status_code == 200
    return job_id, result.content


def peak_kw(envelope: bytes) -> float:
    return float(json.loads(envelope)["metadata"]["kpis"]["peak_site_kw"][SITE])


def digest_of(envelope: bytes) -> str:
    return str(json.loads(envelope)["metadata"]["input_digest"])


async def test_a_config_change_gives_a_new_job_and_reverting_it_the_original(
    identity_database: str, identity_db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with api(identity_database) as http:
        original_id, original = await run_to_result(http, SMOKE)
    assert peak_kw(original) > LIMIT_KW  # else the override below would change nothing

    monkeypatch.setenv("FLEETSIM_CONFIG_OVERRIDES", OVERRIDES)
    async with api(identity_database) as http:
        limited_id, limited = await run_to_result(http, SMOKE)
        synchronous = await http.post("/v1/simulations:run", json=SMOKE)
    assert limited_id != original_id  # not the stale job of the old config
    assert peak_kw(limited) <= LIMIT_KW
    assert digest_of(limited) != digest_of(original)
    assert synchronous.content == limited  # a sync run and a submit agree again

    monkeypatch.delenv("FLEETSIM_CONFIG_OVERRIDES")
    async with api(identity_database) as http:
        again_id, again = await run_to_result(http, SMOKE)
        job = (await http.get(f"/v1/simulations/{again_id}")).json()
    assert again_id == original_id
    assert again == original
    assert job["attempts"] == 1  # found, not run again

    fleet_id = SimulationRequest.model_validate(SMOKE).effective_fleet_id
    rows = await identity_db.fetch(
        "SELECT id, request_hash, input_digest FROM simulations WHERE fleet_id = $1", fleet_id
    )
    assert {str(row["id"]) for row in rows} == {original_id, limited_id}
    assert len({row["request_hash"] for row in rows}) == 1  # one body, kept for reference
    assert {row["input_digest"] for row in rows} == {digest_of(original), digest_of(limited)}


async def test_a_job_queued_before_a_config_change_fails_with_input_changed(
    identity_database: str, identity_db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = with_fleet(SMOKE)
    async with api(identity_database, worker_concurrency=0) as http:  # nobody runs it here
        queued_id = await submit(http, body)

    monkeypatch.setenv("FLEETSIM_CONFIG_OVERRIDES", OVERRIDES)
    async with api(identity_database) as http:  # its worker's first sweep takes the job
        job = await wait_for(http, queued_id)
        assert job["status"] == "failed"
        assert job["error"]["type"] == "InputChanged"
        assert "configuration" in job["error"]["message"]
        assert "submit the request again" in job["error"]["message"]
        assert (await http.get(f"/v1/simulations/{queued_id}/result")).status_code == 409

        new_id, result = await run_to_result(http, body)  # as the error says
    assert new_id != queued_id
    assert peak_kw(result) <= LIMIT_KW
    stored = await identity_db.fetchval(
        "SELECT metadata IS NULL AND trips IS NULL FROM simulations WHERE id = $1",
        uuid.UUID(queued_id),
    )
    assert stored  # no result of the new config under the old job


async def test_an_idempotency_key_retried_after_a_config_change_keeps_its_job(
    identity_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, other = with_fleet(SMOKE), with_fleet(SMOKE)
    key = f"key-{uuid.uuid4()}"
    async with api(identity_database, worker_concurrency=0) as http:
        first_id = await submit(http, body, **{"Idempotency-Key": key})

    monkeypatch.setenv("FLEETSIM_CONFIG_OVERRIDES", OVERRIDES)
    async with api(identity_database, worker_concurrency=0) as http:
        assert await submit(http, body, **{"Idempotency-Key": key}) == first_id  # a retry
        conflict = await http.post("/v1/simulations", json=other, headers={"Idempotency-Key": key})
        assert conflict.status_code == 409
        assert await submit(http, body) != first_id  # without the key: the new config's job


@pytest.fixture
async def store(identity_database: str) -> AsyncIterator[JobStore]:
    store = await JobStore.open(identity_database, pool_size=2)
    try:
        yield store
    finally:
        await store.close()


def overridden_digest(body: dict[str, Any]) -> str:
    """The input digest of `body` under OVERRIDES: a configuration other than config/'s."""
    request = SimulationRequest.model_validate(body)
    return resolve_request(request, load_catalogue(CONFIG_DIR, OVERRIDES), CONFIG_DIR).input_digest


async def create_job(store: JobStore, body: dict[str, Any], digest: str, **options: Any) -> Any:
    fleet_id = uuid.UUID(body["fleet_id"])
    created = await store.create(
        job_id=runner.job_id_for(fleet_id, digest),
        fleet_id=fleet_id,
        request=body,
        input_digest=digest,
        request_hash=f"test:{uuid.uuid4()}",
        **options,
    )
    assert created.created
    return created.job.job_id


def resolve_bundled(request: SimulationRequest) -> ResolvedRequest:
    """The worker's resolution: config/ without overrides."""
    return resolve_request(request, bundled_catalogue(), CONFIG_DIR)


def never_run(resolved: ResolvedRequest) -> CanonicalResult:
    raise AssertionError("a job whose input changed must fail before it is simulated")


async def test_a_claim_carries_the_jobs_input_digest(store: JobStore) -> None:
    body = with_fleet(SMOKE)
    job_id = await create_job(store, body, input_digest_of(body))
    claim = await store.claim(job_id, lease_s=60, max_attempts=3)
    assert isinstance(claim, Claim)
    assert claim.input_digest == input_digest_of(body)


async def test_execute_runs_a_job_whose_input_is_unchanged(store: JobStore) -> None:
    body = with_fleet(SMOKE)
    job_id = await create_job(store, body, input_digest_of(body))
    assert job_id == job_id_of(body)
    outcome = await execute(
        store,
        job_id,
        resolve_bundled,
        in_thread(simulate),
        limits=LIMITS,
        max_attempts=3,
        lease_s=60,
    )
    assert outcome is Outcome.SUCCEEDED


@pytest.mark.parametrize("mode", ["db", "gcs"])
async def test_execute_fails_a_job_whose_input_changed_and_records_no_result(
    store: JobStore, identity_db: asyncpg.Connection, mode: str
) -> None:
    body = with_fleet(SMOKE)
    submitted = overridden_digest(body)  # the job was submitted under the overrides ...
    assert submitted != input_digest_of(body)
    job_id = await create_job(store, body, submitted, mode=mode)

    # ... and runs where they are gone. Mode gcs without a bucket: the check comes first.
    outcome = await execute(
        store,
        job_id,
        resolve_bundled,
        in_thread(never_run),
        limits=LIMITS,
        max_attempts=3,
        lease_s=60,
    )
    assert outcome is Outcome.FAILED
    job = await store.get(job_id)
    assert job is not None
    assert job.error is not None
    assert job.error.type == "InputChanged"
    assert submitted in job.error.message and input_digest_of(body) in job.error.message
    assert "submit the request again" in job.error.message
    assert "which gives a new job" in job.error.message
    row = await identity_db.fetchrow(
        "SELECT feasible, result_uri, metadata, trips FROM simulations WHERE id = $1", job_id
    )
    assert dict(row) == dict.fromkeys(row.keys())  # nothing of the run was stored
    assert await execute(
        store,
        job_id,
        resolve_bundled,
        in_thread(never_run),
        limits=LIMITS,
        max_attempts=3,
        lease_s=60,
    ) is (Outcome.DONE)
