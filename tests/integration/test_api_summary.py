"""What a dashboard reads over HTTP: the summary, list rows with headline KPIs, CSV row lists,
sites and tariffs, fleet slugs, labels and the 415 for a body that is not declared JSON."""

import csv
import gzip
import io
import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from fleetsim.config import load_catalogue
from fleetsim.models import CanonicalResult, canonical_json_bytes
from fleetsim.models.request import fleet_uuid
from fleetsim.models.result import ChargingEvent, SiteLoadPoint, TimeSeriesPoint
from fleetsim.simulation import summarise

from .support import CONFIG_DIR
from .test_api import SMOKE, cli_bytes, insert_job, wait_for, with_fleet

pytestmark = pytest.mark.anyio

ROW_MODELS = {
    "time_series_data": TimeSeriesPoint,
    "site_load": SiteLoadPoint,
    "charging_events": ChargingEvent,
}


async def succeeded_job(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/simulations", json=body)
    assert response.status_code == 202, response.text
    job = await wait_for(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    return job


async def test_summary_of_the_default_week_is_small_with_site_limits_and_peaks(
    client: httpx.AsyncClient,
) -> None:
    body = with_fleet({"scenario": "default"})
    job = await succeeded_job(client, body)
    response = await client.get(f"/v1/simulations/{job['job_id']}/summary")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert len(response.content) < 20_000
    expected = canonical_json_bytes(summarise(CanonicalResult.from_json(cli_bytes(body))))
    assert response.content == expected, "the summary of the CLI's result, byte for byte"
    sites = {site["site_id"]: site for site in response.json()["sites"]}
    depot = sites["neuperlach_depot"]
    assert depot["site_power_limit_kw"] == 500.0 and depot["peak_kw"] == 500.0
    again = await client.get(f"/v1/simulations/{job['job_id']}/summary")
    assert again.content == response.content


async def test_status_and_list_rows_carry_scenario_label_and_headline_kpis(
    client: httpx.AsyncClient,
) -> None:
    slug = f"fleet-{uuid.uuid4().hex[:12]}"
    body = {**SMOKE, "fleet_id": slug, "label": "smoke, first try"}
    job = await succeeded_job(client, body)
    assert job["fleet_id"] == str(fleet_uuid(slug))
    assert job["scenario"] == "smoke" and job["label"] == "smoke, first try"
    kpis = CanonicalResult.from_json(cli_bytes(body)).metadata.kpis
    headline = job["headline_kpis"]
    assert headline["feasible"] == kpis.feasible == job["feasible"]
    assert headline["energy_from_grid_kwh"] == kpis.energy_from_grid_kwh
    assert headline["charging_cost"] == kpis.charging_cost
    assert headline["peak_kw"] == max(kpis.peak_site_kw.values())

    listed = await client.get("/v1/simulations", params={"fleet_id": slug})
    assert listed.status_code == 200
    (row,) = listed.json()["items"]
    assert row == job


async def test_a_label_is_not_part_of_the_job(client: httpx.AsyncClient) -> None:
    body = with_fleet({**SMOKE, "label": "first"})
    first = await client.post("/v1/simulations", json=body)
    again = await client.post("/v1/simulations", json={**body, "label": "second"})
    assert again.status_code == 202
    assert again.json()["job_id"] == first.json()["job_id"]
    job = await wait_for(client, first.json()["job_id"])
    assert job["label"] == "first"


async def test_a_label_too_long_is_422_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/simulations", json={**SMOKE, "label": "x" * 201})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "label"]


async def test_a_fleet_id_neither_uuid_nor_slug_is_422_saying_both(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/simulations", json={**SMOKE, "fleet_id": "Depot 7"})
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "fleet_id"]
    assert "UUID" in problem["msg"] and "slug" in problem["msg"]


@pytest.mark.parametrize("part", sorted(ROW_MODELS))
async def test_result_rows_as_json_and_as_csv(client: httpx.AsyncClient, part: str) -> None:
    body = with_fleet(SMOKE)
    job = await succeeded_job(client, body)
    envelope = json.loads(cli_bytes(body))
    as_json = await client.get(f"/v1/simulations/{job['job_id']}/result/{part}")
    assert as_json.status_code == 200
    assert as_json.json() == envelope[part]

    as_csv = await client.get(
        f"/v1/simulations/{job['job_id']}/result/{part}", headers={"Accept": "text/csv"}
    )
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert f"{part}.csv" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    columns = list(ROW_MODELS[part].model_fields)
    assert list(rows[0]) == columns
    assert len(rows) == len(envelope[part]) > 0
    for row, expected in zip(rows, envelope[part], strict=True):
        for column in columns:
            value = expected[column]
            if isinstance(value, float):
                assert float(row[column]) == value
            else:
                assert row[column] == ("" if value is None else str(value))


@pytest.mark.parametrize("part", sorted(ROW_MODELS))
async def test_rows_read_from_the_result_bytes_equal_those_of_the_stored_columns(
    client: httpx.AsyncClient, db: asyncpg.Connection, part: str
) -> None:
    body = with_fleet(SMOKE)
    job = await succeeded_job(client, body)
    # Only the gzipped envelope, no part columns: the rows are found in the result's bytes.
    bytes_only = await insert_job(
        db, uuid.uuid4(), status="succeeded", result_gzip=gzip.compress(cli_bytes(body))
    )
    for accept in ("application/json", "text/csv"):
        headers = {"Accept": accept}
        from_columns = await client.get(
            f"/v1/simulations/{job['job_id']}/result/{part}", headers=headers
        )
        from_bytes = await client.get(
            f"/v1/simulations/{bytes_only}/result/{part}", headers=headers
        )
        assert from_columns.status_code == from_bytes.status_code == 200
        assert from_bytes.headers["content-type"] == from_columns.headers["content-type"]
        assert from_bytes.content == from_columns.content, accept


async def test_summary_and_rows_before_the_job_finished_are_409_and_unknown_404(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await insert_job(db, uuid.uuid4(), status="queued")
    for path in ("summary", "result/site_load"):
        response = await client.get(f"/v1/simulations/{job_id}/{path}")
        assert response.status_code == 409, path
        assert "queued" in response.json()["detail"]
        unknown = await client.get(f"/v1/simulations/{uuid.uuid4()}/{path}")
        assert unknown.status_code == 404
    response = await client.get(f"/v1/simulations/{job_id}/result/trips")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "part"]


async def test_a_job_without_a_stored_summary_gets_one_from_its_result(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = with_fleet(SMOKE)
    job = await succeeded_job(client, body)
    stored = await client.get(f"/v1/simulations/{job['job_id']}/summary")
    # As a job finished before revision 0006 has it.
    await db.execute(
        "UPDATE simulations SET summary = NULL, headline_kpis = NULL WHERE id = $1",
        uuid.UUID(job["job_id"]),
    )
    made = await client.get(f"/v1/simulations/{job['job_id']}/summary")
    assert made.status_code == 200
    assert made.content == stored.content


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_not_declared_json_is_415_naming_the_header(
    client: httpx.AsyncClient, db: asyncpg.Connection, content_type: str | None
) -> None:
    body = with_fleet(SMOKE)
    request = client.build_request("POST", "/v1/simulations", content=json.dumps(body))
    request.headers.pop("content-type", None)
    if content_type is not None:
        request.headers["content-type"] = content_type
    response = await client.send(request)
    assert response.status_code == 415
    assert "Content-Type" in response.json()["detail"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM simulations WHERE fleet_id = $1", uuid.UUID(body["fleet_id"])
        )
        == 0
    )


async def test_json_with_a_charset_or_a_json_suffix_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.post(
            "/v1/simulations:run",
            content=json.dumps(SMOKE),
            headers={"content-type": content_type},
        )
        assert response.status_code == 200, content_type


async def test_sites_and_tariffs_list_the_catalogue(client: httpx.AsyncClient) -> None:
    catalogue = load_catalogue(CONFIG_DIR)
    sites = (await client.get("/v1/config/sites")).json()
    assert [site["id"] for site in sites] == sorted(catalogue.sites)
    by_id = {site["id"]: site for site in sites}
    assert by_id["neuperlach_depot"]["site_power_limit_kw"] == 500.0
    tariffs = (await client.get("/v1/config/tariffs")).json()
    assert [tariff["id"] for tariff in tariffs] == sorted(catalogue.tariffs)
    assert all("default_price_per_kwh" in tariff for tariff in tariffs)
