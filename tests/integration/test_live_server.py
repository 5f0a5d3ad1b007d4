"""End to end through a real `uvicorn main_api:app` process on a free port."""

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from .support import API_KEY, CONFIG_DIR, HEADERS, ROOT, create_app, driver_dsn, make_settings
from .test_api import SMOKE, cli_bytes, with_fleet


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, headers=HEADERS, timeout=60) as client:
        yield client


def rows_for_fleet(database_url: str, fleet_id: str) -> int:
    async def count() -> int:
        connection = await asyncpg.connect(driver_dsn(database_url))
        try:
            query = "SELECT count(*) FROM simulations WHERE fleet_id = $1"
            return int(await connection.fetchval(query, uuid.UUID(fleet_id)))
        finally:
            await connection.close()

    return asyncio.run(count())


def wait_for(http: httpx.Client, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = http.get(f"/v1/simulations/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout_s} s")


def test_health_and_readiness(http: httpx.Client) -> None:
    assert http.get("/healthz", headers={"X-API-Key": ""}).json() == {"status": "ok"}
    assert http.get("/readyz").json() == {"status": "ready"}


def test_wrong_or_missing_key_is_401(live_server: str) -> None:
    for headers in ({}, {"X-API-Key": "nope"}):
        response = httpx.get(f"{live_server}/v1/simulations", headers=headers)
        assert response.status_code == 401


def test_second_configured_key_is_accepted(live_server: str) -> None:
    response = httpx.get(f"{live_server}/v1/simulations", headers={"X-API-Key": "other-key"})
    assert response.status_code == 200


def test_sync_run_returns_the_cli_bytes(http: httpx.Client) -> None:
    response = http.post("/v1/simulations:run", json=SMOKE)
    assert response.status_code == 200, response.text
    assert response.content == cli_bytes(SMOKE)


def test_submit_poll_fetch_gives_the_cli_bytes(http: httpx.Client) -> None:
    body = with_fleet(SMOKE)
    accepted = http.post("/v1/simulations", json=body)
    assert accepted.status_code == 202, accepted.text
    job = wait_for(http, accepted.json()["job_id"])
    assert job["status"] == "succeeded", job
    result = http.get(f"/v1/simulations/{job['job_id']}/result")
    assert result.status_code == 200
    assert result.content == cli_bytes(body)


def test_api_and_cli_give_the_same_job_id_and_bytes(http: httpx.Client, tmp_path: Path) -> None:
    body = with_fleet(SMOKE)
    accepted = http.post("/v1/simulations", json=body).json()
    assert wait_for(http, accepted["job_id"])["status"] == "succeeded"
    api_bytes = http.get(f"/v1/simulations/{accepted['job_id']}/result").content

    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(body))
    command = [sys.executable, "main.py", "run", "--request", str(request_file)]
    command += ["--config-dir", str(CONFIG_DIR), "--out", str(tmp_path / "results")]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    written = tmp_path / "results" / accepted["job_id"] / "result.json"
    assert written.read_bytes() == api_bytes
    assert http.post("/v1/simulations:run", json=body).content == api_bytes


def test_repeated_submits_make_one_row(http: httpx.Client, server_database: str) -> None:
    body = with_fleet(SMOKE)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    ids = {http.post("/v1/simulations", json=body, headers=key).json()["job_id"] for _ in range(2)}
    ids |= {http.post("/v1/simulations", json=body).json()["job_id"] for _ in range(2)}
    assert len(ids) == 1
    assert rows_for_fleet(server_database, body["fleet_id"]) == 1


def test_invalid_body_is_422_and_writes_no_row(http: httpx.Client, server_database: str) -> None:
    body = with_fleet(SMOKE)
    body["strategy"] = "fastest"
    response = http.post("/v1/simulations", json=body)
    assert response.status_code == 422
    assert ["body", "strategy"] in [p["loc"] for p in response.json()["detail"]]
    assert rows_for_fleet(server_database, body["fleet_id"]) == 0


def test_unknown_job_is_404(http: httpx.Client) -> None:
    assert http.get(f"/v1/simulations/{uuid.uuid4()}").status_code == 404
    assert http.get(f"/v1/simulations/{uuid.uuid4()}/result").status_code == 404


def test_request_id_is_echoed(http: httpx.Client) -> None:
    response = http.get("/v1/simulations", headers={"x-request-id": "req-42"})
    assert response.headers["x-request-id"] == "req-42"


def test_body_above_the_limit_is_413(http: httpx.Client) -> None:
    body = {**SMOKE, "padding": "x" * (64 * 1024)}
    response = http.post("/v1/simulations", json=body)
    assert response.status_code == 413


# The app's own schema, made without a server; the live one is checked to be the same.
OPENAPI = create_app(make_settings("postgresql://unused@127.0.0.1/unused")).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)


def test_served_schema_is_the_apps(http: httpx.Client) -> None:
    assert http.get("/openapi.json").json() == OPENAPI


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_schema_holds_for_generated_requests(case: Any, fuzz_server: str) -> None:
    """No 5xx, and every response matches its documented status, type and schema.

    Not checked: how strictly bodies are judged. Pydantic's lax mode accepts some values the
    JSON Schema forbids (`false` for a float), and cross-field rules (exactly one route
    source) refuse some it allows; both answer within the documented statuses.
    """
    case.call_and_validate(
        base_url=fuzz_server,
        headers={"X-API-Key": API_KEY},
        excluded_checks=[
            schemathesis.checks.negative_data_rejection,
            schemathesis.checks.positive_data_acceptance,
        ],
    )


TS_CLIENT = ROOT / "clients" / "typescript"


def test_the_typescript_example_prints_kpis_from_the_summary(
    live_server: str, http: httpx.Client
) -> None:
    """The example as its header says to run it: compiled by `npm run build`, run by Node."""
    if shutil.which("node") is None:
        pytest.skip("node not found: the TypeScript example is not run")
    if not (TS_CLIENT / "node_modules" / ".bin" / "tsc").exists():
        pytest.skip("clients/typescript/node_modules missing: scripts/typecheck-client installs it")
    build = subprocess.run(
        ["node_modules/.bin/tsc", "-p", "tsconfig.build.json"],
        cwd=TS_CLIENT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    fleet = f"ts-example-{uuid.uuid4().hex[:12]}"
    env = {
        "PATH": os.environ["PATH"],
        "FLEETSIM_API_URL": live_server,
        "FLEETSIM_API_KEY": API_KEY,
        "FLEETSIM_SCENARIO": "smoke",
        "FLEETSIM_FLEET_ID": fleet,
    }
    run = subprocess.run(
        ["node", "dist/examples/submit-poll-fetch.js"],
        cwd=TS_CLIENT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    job_id = re.search(r"^job (\S+) succeeded$", run.stdout, re.MULTILINE)
    assert job_id, run.stdout
    summary = http.get(f"/v1/simulations/{job_id[1]}/summary").json()
    headline = summary["headline"]
    printed = dict(re.findall(r"(\w+)=(\S+)", run.stdout))
    assert printed["feasible"] == str(headline["feasible"]).lower()
    assert float(printed["energy_from_grid_kwh"]) == headline["energy_from_grid_kwh"]
    assert float(printed["charging_cost"]) == headline["charging_cost"]
    for site in summary["sites"]:
        pattern = rf"^site {site['site_id']}: peak_kw=(\S+) limit_kw=(\S+)$"
        line = re.search(pattern, run.stdout, re.MULTILINE)
        assert line, run.stdout
        assert float(line[1]) == site["peak_kw"]
        limit = site["site_power_limit_kw"]
        assert line[2] == "none" if limit is None else float(line[2]) == limit
