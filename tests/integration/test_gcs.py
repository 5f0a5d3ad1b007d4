"""The GCS sink against fake-gcs-server: create-only writes (a repeat is a no-op, other bytes
an error), and mode gcs through the CLI and the API: the object holds the result bytes, the
row its status, metadata and URI."""

import asyncio
import json
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from google.cloud import storage
from typer.testing import CliRunner

from fleetsim.cli import app as cli
from fleetsim.sinks.gcs import GcsSink, ResultMismatchError, ResultObjectMissingError

from .emulators import BUCKET, Emulators
from .jobs import finished, job_id_of, stored_bytes
from .support import API_KEY, CONFIG_DIR, create_app, driver_dsn, make_settings
from .test_api import SMOKE, cli_bytes, with_fleet


def blob(name: str) -> storage.Blob:
    client = storage.Client()
    found = client.bucket(BUCKET).get_blob(name)
    assert found is not None, name
    return found


def test_object_is_written_once_and_a_repeat_is_a_no_op(emulators: Emulators) -> None:
    sink = GcsSink.open(BUCKET)
    fleet_id, job_id = uuid.uuid4(), uuid.uuid4()
    uri = sink.write(fleet_id, job_id, b'{"a":1}')
    name = f"simulations/{fleet_id}/{job_id}/result.json"
    assert uri == f"gs://{BUCKET}/{name}"
    first = blob(name)
    assert first.content_type == "application/json"

    assert sink.write(fleet_id, job_id, b'{"a":1}') == uri  # the 412 of a retry is success
    assert blob(name).generation == first.generation  # not written again
    with pytest.raises(ResultMismatchError, match="differ"):
        sink.write(fleet_id, job_id, b'{"a":2}')
    assert sink.read(uri) == b'{"a":1}'


def test_a_missing_object_is_reported_as_missing(emulators: Emulators) -> None:
    sink = GcsSink.open(BUCKET)
    uri = sink.uri(uuid.uuid4(), uuid.uuid4())
    with pytest.raises(ResultObjectMissingError, match="the result object is gone"):
        sink.read(uri)


def run(*args: str) -> str:
    done = CliRunner().invoke(cli, ["run", "--config-dir", str(CONFIG_DIR), *args])
    assert done.exit_code == 0, done.output
    return str(done.output)


def write_request(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    body = with_fleet(SMOKE)
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body))
    return path, body


async def row(database_url: str, job_id: uuid.UUID) -> asyncpg.Record:
    connection = await asyncpg.connect(driver_dsn(database_url))
    try:
        found = await connection.fetchrow("SELECT * FROM simulations WHERE id = $1", job_id)
        assert found is not None
        return found
    finally:
        await connection.close()


def test_cli_mode_gcs_writes_the_object_and_tracks_it_in_a_row(
    emulators: Emulators,
    pubsub_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", pubsub_database)
    monkeypatch.setenv("FLEETSIM_GCS_BUCKET", BUCKET)
    path, body = write_request(tmp_path)
    job_id = job_id_of(body)
    name = f"simulations/{body['fleet_id']}/{job_id}/result.json"
    uri = f"gs://{BUCKET}/{name}"

    output = run("--request", str(path), "--mode", "gcs")
    assert f"result: {uri}" in output
    assert f"job: {job_id} (succeeded, 1 attempts)" in output
    written = blob(name)
    assert written.download_as_bytes() == cli_bytes(body)
    stored = asyncio.run(row(pubsub_database, job_id))
    assert (stored["mode"], stored["result_uri"]) == ("gcs", uri)
    assert stored["trips"] is None and stored["metadata"] is not None

    again = run("--request", str(path), "--mode", "gcs")  # the job exists and is done
    assert "(succeeded, 1 attempts)" in again
    assert blob(name).generation == written.generation


def test_cli_mode_db_stores_the_result_in_the_row_once(
    emulators: Emulators,
    pubsub_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", pubsub_database)
    path, body = write_request(tmp_path)
    job_id = job_id_of(body)
    for _ in range(2):
        output = run("--request", str(path), "--mode", "db")
        assert f"result: postgresql:simulations/{job_id}" in output
        assert "(succeeded, 1 attempts)" in output
    assert stored_bytes(asyncio.run(row(pubsub_database, job_id))) == cli_bytes(body)


def test_an_object_left_by_an_earlier_attempt_completes_the_job(
    emulators: Emulators,
    pubsub_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker died after the upload and before the commit: the next attempt's write
    meets the object (412), finds the same bytes and commits."""
    monkeypatch.setenv("DATABASE_URL", pubsub_database)
    monkeypatch.setenv("FLEETSIM_GCS_BUCKET", BUCKET)
    path, body = write_request(tmp_path)
    job_id = job_id_of(body)
    uri = GcsSink.open(BUCKET).write(uuid.UUID(body["fleet_id"]), job_id, cli_bytes(body))
    name = uri.removeprefix(f"gs://{BUCKET}/")
    generation = blob(name).generation

    assert f"result: {uri}" in run("--request", str(path), "--mode", "gcs")
    assert blob(name).generation == generation


@pytest.mark.anyio
async def test_api_mode_gcs_serves_the_object_bytes(
    emulators: Emulators, pubsub_database: str, pubsub_db: asyncpg.Connection
) -> None:
    settings = make_settings(pubsub_database, gcs_bucket=BUCKET)
    app = create_app(settings)
    body = with_fleet(SMOKE)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.test",
            headers={"X-API-Key": API_KEY},
        ) as http,
    ):
        accepted = await http.post("/v1/simulations", params={"mode": "gcs"}, json=body)
        assert accepted.status_code == 202, accepted.text
        job_id = uuid.UUID(accepted.json()["job_id"])
        await finished(pubsub_db, job_id)
        job = (await http.get(f"/v1/simulations/{job_id}")).json()
        assert job["status"] == "succeeded"
        assert job["mode"] == "gcs"
        name = f"simulations/{body['fleet_id']}/{job_id}/result.json"
        assert job["result_uri"] == f"gs://{BUCKET}/{name}"
        result = await http.get(f"/v1/simulations/{job_id}/result")
        assert result.status_code == 200
        assert result.content == blob(name).download_as_bytes() == cli_bytes(body)


@pytest.mark.anyio
async def test_api_without_a_bucket_refuses_mode_gcs(api_database: str) -> None:
    app = create_app(make_settings(api_database))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.test",
            headers={"X-API-Key": API_KEY},
        ) as http,
    ):
        response = await http.post("/v1/simulations?mode=gcs", json=with_fleet(SMOKE))
        assert response.status_code == 400
        assert "FLEETSIM_GCS_BUCKET" in response.json()["detail"]
        assert (await http.post("/v1/simulations?mode=s3", json=SMOKE)).status_code == 422
