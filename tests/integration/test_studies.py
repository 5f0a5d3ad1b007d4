"""Design studies through the API: in-process with its local worker, and with the API
publishing to the Pub/Sub emulator and two push-worker processes working the study. Each
point is computed once, the study finishes once, and the table is the CLI's, byte for byte."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from fleetsim.config import load_catalogue
from fleetsim.config.study import check_study
from fleetsim.jobs.local_study import run_study
from fleetsim.jobs.service import open_services
from fleetsim.jobs.studies import StudyService
from fleetsim.models import CanonicalResult, ResolvedRequest
from fleetsim.models.result import canonical_json_bytes
from fleetsim.models.study import StudyRequest, StudyResult
from fleetsim.runner import simulate
from fleetsim.studies.points import study_id

from .emulators import PUSH_TOKEN, Emulators, create_subscription, create_topic, worker_env
from .support import (
    CONFIG_DIR,
    HEADERS,
    ROOT,
    create_app,
    driver_dsn,
    fresh_database,
    make_settings,
    uvicorn_process,
)

pytestmark = pytest.mark.anyio

STUDY = ROOT / "examples" / "study_dc_ports.json"
SMALL = {
    "base": {"scenario": "smoke"},
    "grid": [{"path": "strategy", "values": ["greedy", "llf", "edf"]}],
}


@pytest.fixture(scope="module")
def cli_table(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """study.json as `python main.py study` writes it for the example study."""
    study = StudyRequest.model_validate_json(STUDY.read_bytes())
    catalogue = load_catalogue(CONFIG_DIR)
    base = check_study(study, catalogue, CONFIG_DIR, max_points=1000)
    out = tmp_path_factory.mktemp("cli-study")
    result = run_study(study, study_id(study, base.input_digest), catalogue, CONFIG_DIR, out)
    return canonical_json_bytes(result)


async def finished_study(http: httpx.AsyncClient, sid: str, timeout_s: float) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            response = await http.get(f"/v1/studies/{sid}")
            assert response.status_code == 200, response.text
            if response.json()["status"] == "finished":
                return dict(response.json())
            await asyncio.sleep(0.2)


async def test_a_study_through_the_api_gives_the_cli_table_and_csv(
    client: httpx.AsyncClient, cli_table: bytes
) -> None:
    body = json.loads(STUDY.read_bytes())
    response = await client.post("/v1/studies", json=body)
    assert response.status_code == 202, response.text
    sid = response.json()["study_id"]
    assert response.json()["points"] > 0
    status = await finished_study(client, sid, timeout_s=300)
    assert status["points_done"] == status["points_total"] > 0
    result = await client.get(f"/v1/studies/{sid}/result")
    assert result.status_code == 200
    assert result.content == cli_table
    table = await client.get(f"/v1/studies/{sid}/result", headers={"Accept": "text/csv"})
    assert table.headers["content-type"].startswith("text/csv")
    lines = table.text.splitlines()
    assert len(lines) == 1 + len(json.loads(cli_table)["points"])
    # Submitting it again is the same study, already finished: nothing is queued.
    again = await client.post("/v1/studies", json=body)
    assert again.json() == {"study_id": sid, "status": "finished", "points": status["points_total"]}
    listed = await client.get("/v1/studies")
    assert sid in [s["study_id"] for s in listed.json()["items"]]


async def test_points_already_computed_are_reused_not_rerun(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = {**SMALL, "label": f"reuse {uuid.uuid4()}"}
    first = (await client.post("/v1/studies", json=body)).json()
    await finished_study(client, first["study_id"], timeout_s=120)
    # Another study (its label differs) whose points are the same three jobs.
    second = (await client.post("/v1/studies", json={**body, "label": "again"})).json()
    assert second["study_id"] != first["study_id"]
    await finished_study(client, second["study_id"], timeout_s=60)
    jobs = await db.fetch(
        "SELECT DISTINCT p.job_id, s.attempts FROM study_points p"
        " JOIN simulations s ON s.id = p.job_id WHERE p.study_id = ANY($1::uuid[])",
        [uuid.UUID(first["study_id"]), uuid.UUID(second["study_id"])],
    )
    assert len(jobs) == 3 and all(row["attempts"] == 1 for row in jobs)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grid": [{"path": "sites.nowhere.x", "values": [1]}]}, ["study", "grid[0].path"]),
        ({"grid": [{"path": "strategy", "values": []}]}, ["body", "grid", 0]),
        (
            {
                "grid": [
                    {"path": "step_s", "from": 10, "to": 1000, "step": 1},
                    {"path": "strategy", "values": ["greedy", "llf"]},
                ]
            },
            ["study", "grid"],
        ),
        ({"size": {"path": "strategy", "from": 1, "to": 2, "step": 1}}, ["study", "size.path"]),
    ],
)
async def test_a_bad_study_is_422_naming_the_field_and_queues_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection, body: dict[str, Any], field: list[Any]
) -> None:
    before = await db.fetchval("SELECT count(*) FROM simulations")
    studies_before = await db.fetchval("SELECT count(*) FROM studies")
    response = await client.post("/v1/studies", json=body)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"][: len(field)] == field
    assert await db.fetchval("SELECT count(*) FROM simulations") == before
    assert await db.fetchval("SELECT count(*) FROM studies") == studies_before


async def test_result_before_the_study_finished_is_409_and_unknown_is_404(
    api_database: str,
) -> None:
    # Nobody runs jobs here: the study stays running.
    app = create_app(make_settings(api_database, worker_concurrency=0), simulate=simulate)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers=HEADERS
        ) as http,
    ):
        fresh = {"scenario": "smoke", "fleet_id": str(uuid.uuid4())}  # no job computed yet
        body = {**SMALL, "base": fresh}
        sid = (await http.post("/v1/studies", json=body)).json()["study_id"]
        assert (await http.get(f"/v1/studies/{sid}/result")).status_code == 409
        assert (await http.get(f"/v1/studies/{uuid.uuid4()}")).status_code == 404


async def test_two_advances_racing_at_the_end_finish_the_study_once(api_database: str) -> None:
    settings = make_settings(api_database, worker_concurrency=0)
    async with open_services(settings, simulate=simulate) as jobs:
        studies = StudyService(jobs, dispatch=None)
        fresh = {"scenario": "smoke", "fleet_id": str(uuid.uuid4())}
        study = StudyRequest.model_validate({**SMALL, "base": fresh})
        accepted = await studies.submit(study)
        connection = await asyncpg.connect(driver_dsn(api_database))
        try:
            job_ids = await connection.fetch(
                "SELECT job_id FROM study_points WHERE study_id = $1", accepted.study_id
            )
        finally:
            await connection.close()
        for row in job_ids:  # run the points without the hook: nobody advances yet
            await jobs.run(row["job_id"])
        finished = await asyncio.gather(*(studies.advance(accepted.study_id) for _ in range(4)))
        assert sorted(finished) == [False, False, False, True]
        found = await studies.store.get(accepted.study_id)
        assert found is not None and found.status == "finished"


@pytest.fixture
def push_workers(emulators: Emulators, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """Two push-worker processes (uvicorn --workers 2) on a fresh database, pushed to by a
    new topic's subscription, publishing sizing rounds to that topic: (database, topic, log)."""
    name = f"studies-{uuid.uuid4().hex[:8]}"
    topic = create_topic(name)
    log_path = tmp_path / "workers.log"
    with fresh_database() as database_url:
        env = worker_env(database_url, FLEETSIM_PUBSUB_TOPIC=topic, FLEETSIM_JOB_PROCESSES="1")
        options = ("--workers", "2")
        with uvicorn_process("main_pubsub:app", env, log_path, options=options) as (_, url):
            endpoint = f"{url}/pubsub/push?token={PUSH_TOKEN}"
            create_subscription(f"{name}-push", topic, push_endpoint=endpoint)
            yield database_url, topic, log_path


async def test_two_push_workers_work_one_study_each_point_once(
    push_workers: tuple[str, str, Path], cli_table: bytes
) -> None:
    database_url, topic, log_path = push_workers
    settings = make_settings(database_url, pubsub_topic=topic, worker_concurrency=0)
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers=HEADERS
        ) as http,
    ):
        response = await http.post("/v1/studies", json=json.loads(STUDY.read_bytes()))
        assert response.status_code == 202, response.text
        sid = response.json()["study_id"]
        await finished_study(http, sid, timeout_s=600)
        result = await http.get(f"/v1/studies/{sid}/result")
    connection = await asyncpg.connect(driver_dsn(database_url))
    try:
        jobs = await connection.fetch(
            "SELECT s.id, s.attempts, s.status FROM simulations s"
            " JOIN study_points p ON p.job_id = s.id WHERE p.study_id = $1",
            uuid.UUID(sid),
        )
    finally:
        await connection.close()
    assert result.content == cli_table
    assert len(jobs) == len(json.loads(cli_table)["points"])
    assert all(row["status"] == "succeeded" and row["attempts"] == 1 for row in jobs)
    log = log_path.read_text()
    assert log.count('"study finished"') == 1, log[-3000:]
    assert log.count('"push worker started"') == 2, log[-3000:]  # two worker processes


def failing_llf(resolved: ResolvedRequest) -> CanonicalResult:
    """The core, except that every llf run fails (a point whose job fails)."""
    if resolved.scenario.strategy == "llf":
        raise RuntimeError("llf broke")
    return simulate(resolved)


async def test_a_failed_point_is_a_row_with_its_error_and_the_study_still_finishes(
    api_database: str,
) -> None:
    settings = make_settings(api_database, worker_concurrency=0, max_attempts=1)
    async with open_services(settings, simulate=failing_llf) as jobs:
        studies = StudyService(jobs, dispatch=None)
        jobs.on_finished = studies.job_finished
        fresh = {"scenario": "smoke", "fleet_id": str(uuid.uuid4())}
        accepted = await studies.submit(StudyRequest.model_validate({**SMALL, "base": fresh}))
        connection = await asyncpg.connect(driver_dsn(api_database))
        try:
            rows = await connection.fetch(
                "SELECT job_id FROM study_points WHERE study_id = $1", accepted.study_id
            )
        finally:
            await connection.close()
        for row in rows:  # as a worker would: each run advances the study
            await jobs.run(row["job_id"])
        found = await studies.store.get(accepted.study_id)
        assert found is not None and found.status == "finished"
        assert (found.points_done, found.points_failed) == (3, 1)
        _, data = await studies.store.result(accepted.study_id) or (None, None)
    assert data is not None
    table = StudyResult.model_validate_json(data)
    failed = [p for p in table.points if p.status == "failed"]
    assert [p.values["strategy"] for p in failed] == ["llf"]
    assert failed[0].error is not None and "llf broke" in failed[0].error
    assert failed[0].kpis is None and not failed[0].pareto
    assert all(p.kpis is not None for p in table.points if p.status == "succeeded")
