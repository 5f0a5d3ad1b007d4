"""The FastAPI door in-process (lifespan run) against a real, migrated PostgreSQL database."""

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from fleetsim import runner
from fleetsim.config import load_catalogue, request_hash
from fleetsim.models import JobMessage, SimulationRequest
from fleetsim.pubsub.publisher import PublishError

from .jobs import input_digest_of, job_id_of
from .support import API_KEY, CONFIG_DIR, FAILING_REQUEST, create_app, free_port, make_settings

pytestmark = pytest.mark.anyio

SMOKE = {"scenario": "smoke"}


def cli_bytes(body: dict[str, Any]) -> bytes:
    """What `fleetsim run` writes to results/<job_id>/result.json for the same request."""
    request = SimulationRequest.model_validate(body)
    return runner.run_request(request, load_catalogue(CONFIG_DIR), CONFIG_DIR).json_bytes()


def with_fleet(body: dict[str, Any]) -> dict[str, Any]:
    """A request of its own: a job is its fleet's input, so a fresh fleet id gives a new job."""
    return {**body, "fleet_id": str(uuid.uuid4())}


async def wait_for(client: httpx.AsyncClient, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            response = await client.get(f"/v1/simulations/{job_id}")
            assert response.status_code == 200, response.text
            job: dict[str, Any] = response.json()
            if job["status"] in ("succeeded", "failed"):
                return job
            await asyncio.sleep(0.05)


async def count_rows(db: asyncpg.Connection, fleet_id: str) -> int:
    count = await db.fetchval(
        "SELECT count(*) FROM simulations WHERE fleet_id = $1", uuid.UUID(fleet_id)
    )
    return int(count)


async def test_healthz_needs_no_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-API-Key": ""})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/readyz"),
        ("POST", "/v1/simulations:run"),
        ("POST", "/v1/simulations"),
        ("GET", "/v1/simulations"),
        ("GET", f"/v1/simulations/{uuid.uuid4()}"),
        ("GET", f"/v1/simulations/{uuid.uuid4()}/result"),
        ("GET", "/v1/config/routes"),
        ("GET", "/v1/config/scenarios"),
    ],
)
@pytest.mark.parametrize("key", [None, "wrong-key", API_KEY + "x", ""])
async def test_every_route_but_healthz_needs_a_valid_key(
    client: httpx.AsyncClient, method: str, path: str, key: str | None
) -> None:
    headers = {"X-API-Key": key} if key is not None else {}
    request = client.build_request(method, path, json=SMOKE if method == "POST" else None)
    if key is None:
        del request.headers["X-API-Key"]
    else:
        request.headers.update(headers)
    response = await client.send(request)
    assert response.status_code == 401
    assert response.json() == {"detail": "missing or invalid X-API-Key"}


async def test_sync_run_returns_the_cli_bytes(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/simulations:run", json=SMOKE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.content == cli_bytes(SMOKE)


async def test_sync_run_above_the_point_limit_is_413_with_a_hint(
    client: httpx.AsyncClient,
) -> None:
    body = {**SMOKE, "horizon": {"start": "2026-03-02T00:00:00+01:00", "days": 366}}
    response = await client.post("/v1/simulations:run", json=body)
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "time-series points" in detail
    assert "POST /v1/simulations" in detail


async def test_sync_run_above_the_work_limit_is_413_with_a_hint(
    client: httpx.AsyncClient,
) -> None:
    # Few points (daily samples, 34,560 site-load rows) but 20 vehicles x 17,280 steps.
    body = {"scenario": "default", "horizon": {"start": "2026-03-02T00:00:00+01:00", "days": 2}}
    body |= {"step_s": 10, "time_series_resolution_s": 86_400}
    response = await client.post("/v1/simulations:run", json=body)
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "vehicle-steps" in detail
    assert "POST /v1/simulations" in detail


async def test_submit_above_the_scenario_max_points_is_run_with_a_coarser_series(
    client: httpx.AsyncClient,
) -> None:
    body = with_fleet({**SMOKE, "max_points": 10})
    response = await client.post("/v1/simulations", json=body)
    assert response.status_code == 202, response.text
    job = await wait_for(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    result = await client.get(f"/v1/simulations/{job['job_id']}/result")
    data = json.loads(result.content)
    vehicles = data["metadata"]["counts"]["vehicles"]
    assert len(data["time_series_data"]) <= max(10, vehicles)
    assert data["metadata"]["time_series_resolution_s"] > 300
    assert any("to stay within max_points" in w for w in data["metadata"]["warnings"])
    assert data["metadata"]["kpis"] == json.loads(cli_bytes(SMOKE))["metadata"]["kpis"]


async def test_submit_poll_fetch_gives_the_cli_bytes(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = with_fleet(SMOKE)
    response = await client.post("/v1/simulations", json=body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "queued"
    assert response.headers["location"] == f"/v1/simulations/{accepted['job_id']}"
    assert accepted["job_id"] == str(job_id_of(body))  # as the CLI's

    job = await wait_for(client, accepted["job_id"])
    assert job["status"] == "succeeded", job
    assert job["attempts"] == 1
    assert job["error"] is None
    assert job["fleet_id"] == body["fleet_id"]
    assert job["started_at"] <= job["finished_at"]

    result = await client.get(f"/v1/simulations/{accepted['job_id']}/result")
    assert result.status_code == 200
    assert result.headers["content-encoding"] == "gzip"  # as stored; httpx decodes it
    assert result.content == cli_bytes(body)
    plain = await client.get(
        f"/v1/simulations/{accepted['job_id']}/result", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    assert plain.content == result.content
    assert job["feasible"] == json.loads(result.content)["metadata"]["kpis"]["feasible"]
    assert json.loads(result.content)["metadata"]["input_digest"] == input_digest_of(body)
    row = await db.fetchrow(
        "SELECT error IS NULL AS no_error, lease_until, input_digest, request_hash"
        " FROM simulations WHERE id = $1",
        uuid.UUID(accepted["job_id"]),
    )
    assert row["no_error"]  # SQL NULL, not a JSON null
    assert row["lease_until"] is None
    assert row["input_digest"] == input_digest_of(body)  # the identity
    assert row["request_hash"] == request_hash(SimulationRequest.model_validate(body))


async def test_a_leap_year_across_both_dst_changes_is_the_cli_bytes_through_the_api(
    client: httpx.AsyncClient,
) -> None:
    year = {"start": "2028-01-01T00:00:00+01:00", "days": 366, "timezone": "Europe/Berlin"}
    body = with_fleet({**SMOKE, "horizon": year, "step_s": 900, "time_series_resolution_s": 3600})
    response = await client.post("/v1/simulations", json=body)
    assert response.status_code == 202, response.text
    job = await wait_for(client, response.json()["job_id"], timeout_s=120)
    assert job["status"] == "succeeded", job
    result = await client.get(f"/v1/simulations/{job['job_id']}/result")
    assert result.content == cli_bytes(body)
    trips = json.loads(result.content)["trips"]
    summer = [t["departure"] for t in trips if t["departure"].startswith("2028-07-03T08:00")]
    assert summer == ["2028-07-03T08:00:00+02:00"], "a Monday 08:00 in CEST"


async def test_same_idempotency_key_gives_one_job(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = with_fleet(SMOKE)
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = await client.post("/v1/simulations", json=body, headers=key)
    second = await client.post("/v1/simulations", json=body, headers=key)
    assert first.status_code == second.status_code == 202
    assert first.json()["job_id"] == second.json()["job_id"]
    assert await count_rows(db, body["fleet_id"]) == 1


async def test_same_body_without_key_gives_one_job(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = with_fleet(SMOKE)
    first = await client.post("/v1/simulations", json=body)
    second = await client.post("/v1/simulations", json=body)
    third = await client.post("/v1/simulations", json=body, headers={"Idempotency-Key": "new"})
    assert first.json()["job_id"] == second.json()["job_id"] == third.json()["job_id"]
    assert await count_rows(db, body["fleet_id"]) == 1


async def test_concurrent_identical_submits_give_one_job(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = with_fleet(SMOKE)
    responses = await asyncio.gather(*(client.post("/v1/simulations", json=body) for _ in range(8)))
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["job_id"] for r in responses}) == 1
    assert await count_rows(db, body["fleet_id"]) == 1


async def test_idempotency_key_reused_for_another_request_is_409(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = with_fleet(SMOKE)
    other = with_fleet(SMOKE)
    assert (await client.post("/v1/simulations", json=first, headers=key)).status_code == 202
    response = await client.post("/v1/simulations", json=other, headers=key)
    assert response.status_code == 409
    assert "different request" in response.json()["detail"]
    assert await count_rows(db, other["fleet_id"]) == 0


async def test_invalid_body_is_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = with_fleet(SMOKE)
    body["horizon"] = {"start": "2026-03-02T00:00:00+01:00", "days": 0}
    response = await client.post("/v1/simulations", json=body)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert ["body", "horizon", "days"] in [p["loc"] for p in problems]
    assert all(set(p) == {"loc", "msg"} for p in problems)
    assert await count_rows(db, body["fleet_id"]) == 0


async def test_unknown_reference_is_422_located_in_the_request(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = with_fleet({"scenario": "no_such_scenario"})
    for path in ("/v1/simulations", "/v1/simulations:run"):
        response = await client.post(path, json=body)
        assert response.status_code == 422
        [problem] = response.json()["detail"]
        assert problem["loc"] == ["request", "scenario"]
        assert "no_such_scenario" in problem["msg"]
    assert await count_rows(db, body["fleet_id"]) == 0


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/simulations", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


async def test_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    job_id = uuid.uuid4()
    for path in (f"/v1/simulations/{job_id}", f"/v1/simulations/{job_id}/result"):
        response = await client.get(path)
        assert response.status_code == 404
        assert str(job_id) in response.json()["detail"]


async def test_malformed_job_id_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/simulations/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "job_id"]


async def insert_job(db: asyncpg.Connection, fleet_id: uuid.UUID, **columns: Any) -> uuid.UUID:
    """A job row written directly, e.g. one that no worker will pick up."""
    values: dict[str, Any] = {
        "fleet_id": fleet_id,
        "request_hash": f"direct-{uuid.uuid4()}",
        "input_digest": f"direct-{uuid.uuid4()}",
        "request": json.dumps(SMOKE),
        **columns,
    }
    names = ", ".join(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    job_id = await db.fetchval(
        f"INSERT INTO simulations ({names}) VALUES ({placeholders}) RETURNING id",
        *values.values(),
    )
    return uuid.UUID(str(job_id))


async def test_result_before_the_job_finished_is_409(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await insert_job(
        db,
        uuid.uuid4(),
        status="running",
        attempts=1,
        lease_until=await db.fetchval("SELECT now() + interval '1 hour'"),
    )
    response = await client.get(f"/v1/simulations/{job_id}/result")
    assert response.status_code == 409
    assert "running" in response.json()["detail"]
    status = await client.get(f"/v1/simulations/{job_id}")
    assert status.json()["status"] == "running"


async def test_list_pages_by_keyset_with_filters(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    fleet_id = uuid.uuid4()
    base = await db.fetchval("SELECT now() - interval '1 day'")
    statuses = ["succeeded", "failed", "succeeded", "running", "succeeded"]
    ids = []
    for i, status in enumerate(statuses):
        # Rows 0-1 and 2-3 share a created_at: the id breaks the tie.
        created_at = await db.fetchval(
            "SELECT $1::timestamptz + $2 * interval '1 minute'", base, i // 2
        )
        ids.append(await insert_job(db, fleet_id, status=status, created_at=created_at))
    await insert_job(db, uuid.uuid4(), status="succeeded")  # another fleet

    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"fleet_id": str(fleet_id), "limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get("/v1/simulations", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(job["job_id"] for job in seen) == sorted(str(i) for i in ids)
    keys = [(job["created_at"], job["job_id"]) for job in seen]
    assert keys == sorted(keys, reverse=True)  # newest first, id breaks ties

    response = await client.get(
        "/v1/simulations", params={"fleet_id": str(fleet_id), "status": "succeeded"}
    )
    succeeded = response.json()["items"]
    assert len(succeeded) == 3
    assert {job["status"] for job in succeeded} == {"succeeded"}
    assert response.json()["next_cursor"] is None


async def test_list_rejects_a_forged_cursor_and_bad_filters(client: httpx.AsyncClient) -> None:
    for params, loc in [
        ({"cursor": "bm90LWEtY3Vyc29y"}, ["query", "cursor"]),
        ({"status": "sleeping"}, ["query", "status"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"fleet_id": "Fleet 7!"}, ["query", "fleet_id"]),
    ]:
        response = await client.get("/v1/simulations", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"] == loc


async def test_failing_simulation_fails_the_job_without_a_result(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = FAILING_REQUEST.model_dump(mode="json", exclude_unset=True)
    response = await client.post("/v1/simulations", json=body)
    assert response.status_code == 202
    job = await wait_for(client, response.json()["job_id"])
    assert job["status"] == "failed"
    assert job["error"] == {
        "type": "RuntimeError",
        "message": "simulated failure in the core",
        "problems": None,
    }
    assert job["feasible"] is None
    row = await db.fetchrow(
        "SELECT metadata, trips, time_series_data, site_load, charging_events, lease_until"
        " FROM simulations WHERE id = $1",
        uuid.UUID(job["job_id"]),
    )
    assert dict(row) == dict.fromkeys(row.keys())
    result = await client.get(f"/v1/simulations/{job['job_id']}/result")
    assert result.status_code == 409
    assert "failed" in result.json()["detail"]


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "trace-abc-123"})
    assert response.headers["x-request-id"] == "trace-abc-123"
    made = (await client.get("/healthz")).headers["x-request-id"]
    assert uuid.UUID(made).version == 4
    unprintable = await client.get("/healthz", headers={"x-request-id": "a b"})
    assert unprintable.headers["x-request-id"] != "a b"


async def test_body_above_the_limit_is_413(api_database: str) -> None:
    app = create_app(make_settings(api_database, max_body_bytes=1024, worker_concurrency=0))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.test",
            headers={"X-API-Key": API_KEY},
        ) as small,
    ):
        body = {**SMOKE, "vehicles": [], "padding": "x" * 2048}
        declared = await small.post("/v1/simulations", json=body)
        assert declared.status_code == 413
        assert "1024" in declared.json()["detail"]

        async def chunks() -> Any:
            for _ in range(4):
                yield b" " * 512

        streamed = await small.post(
            "/v1/simulations", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        assert streamed.headers["x-request-id"]


async def test_submit_whose_publish_fails_is_503_and_a_repeat_publishes_it(
    api_database: str, db: asyncpg.Connection
) -> None:
    """The row is written before the message: a failed publish leaves a queued job that
    the repeated submit (same job) publishes."""
    published: list[JobMessage] = []
    fail = True

    async def publish(message: JobMessage) -> None:
        if fail:
            raise PublishError(message.job_id, ConnectionError("Pub/Sub is down"))
        published.append(message)

    settings = make_settings(api_database, pubsub_topic="projects/p/topics/t")
    app = create_app(settings, publish=publish)
    body = with_fleet(SMOKE)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.test",
            headers={"X-API-Key": API_KEY},
        ) as http,
    ):
        response = await http.post("/v1/simulations", json=body)
        assert response.status_code == 503
        assert "submit it again" in response.json()["detail"]
        status = await db.fetchval(
            "SELECT status FROM simulations WHERE fleet_id = $1", uuid.UUID(body["fleet_id"])
        )
        assert status == "queued"

        fail = False
        again = await http.post("/v1/simulations", json=body)
        assert again.status_code == 202
        [message] = published
        assert str(message.job_id) == again.json()["job_id"]
        assert message.mode == "db"
        assert message.request == SimulationRequest.model_validate(body)


async def test_docs_are_off_in_prod(api_database: str) -> None:
    app = create_app(make_settings(api_database, env="prod"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as http:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert (await http.get(path)).status_code == 404


async def test_reference_data_lists_the_catalogue(client: httpx.AsyncClient) -> None:
    catalogue = load_catalogue(CONFIG_DIR)
    for kind, entries in [
        ("routes", catalogue.route_specs),
        ("vehicles", catalogue.vehicles),
        ("chargers", catalogue.chargers),
        ("scenarios", catalogue.scenarios),
    ]:
        response = await client.get(f"/v1/config/{kind}")
        assert response.status_code == 200
        assert [entry["id"] for entry in response.json()] == sorted(entries)


async def test_without_a_database_the_api_starts_and_answers_503() -> None:
    settings = make_settings(f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.test",
            headers={"X-API-Key": API_KEY},
        ) as http,
    ):
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 503
        for response in (
            await http.get(f"/v1/simulations/{uuid.uuid4()}"),
            await http.get("/v1/simulations"),
        ):
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            assert response.json() == {"detail": "database unavailable, retry shortly"}


async def test_broken_reference_data_answers_503_while_health_stays_up(
    api_database: str, tmp_path: Path
) -> None:
    # The catalogue loads after start-up (a short cold start): a broken one must not hide.
    (tmp_path / "vehicles.yaml").write_text("vehicles: [{id: van}]\n")
    app = create_app(make_settings(api_database, config_dir=tmp_path))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.test",
            headers={"X-API-Key": API_KEY},
        ) as http,
    ):
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert "reference data failed to load" in ready.json()["detail"]
        run = await http.post("/v1/simulations:run", json={"scenario": "smoke"})
        assert run.status_code == 503
        assert (await http.get("/v1/config/routes")).status_code == 503
