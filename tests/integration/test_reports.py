"""GET /v1/simulations/{id}/report: a succeeded job's self-contained HTML page."""

import uuid

import asyncpg
import httpx
import pytest

from .support import API_KEY, create_app, make_settings
from .test_api import insert_job, wait_for

pytestmark = pytest.mark.anyio


async def test_a_succeeded_job_has_an_html_report_with_its_kpis(
    client: httpx.AsyncClient,
) -> None:
    body = {"scenario": "smoke", "fleet_id": str(uuid.uuid4())}
    accepted = (await client.post("/v1/simulations", json=body)).json()
    job_id = accepted["job_id"]
    job = await wait_for(client, job_id)
    assert job["status"] == "succeeded", job
    kpis = (await client.get(f"/v1/simulations/{job_id}/result")).json()["metadata"]["kpis"]

    response = await client.get(f"/v1/simulations/{job_id}/report")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert f"<code>{job_id}</code>" in page
    assert f"{kpis['charging_cost']:,.2f} {kpis['currency']}" in page
    assert page.count("src='data:image/png;base64,") == 3
    assert "http://" not in page and "https://" not in page
    # The bundled chargers are unchanged since the run: their ports are known.
    assert ">depot_dc_1</td><td class='n'>2</td>" in page
    again = await client.get(f"/v1/simulations/{job_id}/report")
    assert again.content == response.content


async def test_report_of_an_unknown_job_is_404_and_of_a_running_one_409(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    unknown = uuid.uuid4()
    response = await client.get(f"/v1/simulations/{unknown}/report")
    assert response.status_code == 404
    assert str(unknown) in response.json()["detail"]
    running = await insert_job(
        db,
        uuid.uuid4(),
        status="running",
        attempts=1,
        lease_until=await db.fetchval("SELECT now() + interval '1 hour'"),
    )
    early = await client.get(f"/v1/simulations/{running}/report")
    assert early.status_code == 409
    assert "running" in early.json()["detail"]


async def test_a_result_above_the_report_limit_is_413_naming_the_setting_and_the_cli(
    api_database: str,
) -> None:
    app = create_app(make_settings(api_database, report_max_result_mb=1))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.test",
            headers={"X-API-Key": API_KEY},
            timeout=60,
        ) as small,
    ):
        body = {"scenario": "default", "fleet_id": str(uuid.uuid4())}  # a 5.8 MB result
        job_id = (await small.post("/v1/simulations", json=body)).json()["job_id"]
        assert (await wait_for(small, job_id))["status"] == "succeeded"

        response = await small.get(f"/v1/simulations/{job_id}/report")

    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "above the charts' and report's limit of 1 MiB" in detail
    assert "FLEETSIM_REPORT_MAX_RESULT_MB" in detail
    assert "python main.py run --report" in detail
