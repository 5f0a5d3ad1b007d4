"""Bounded work through the API: a run's cost is known before it runs and refused above the
door's limits, route size is bounded, and a forged cursor is a 422, with nothing written."""

import base64
import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from .test_api import count_rows, with_fleet

pytestmark = pytest.mark.anyio

AROUND_THE_WORLD = {
    "scenario": "smoke",
    "routes": [
        {
            "id": "world",
            "geometry": {
                "type": "LineString",
                "coordinates": [[-179.9, 0], [-60, 0], [60, 0], [179.9, 0]],
            },
            "speed_kph": 200,
        }
    ],
    "schedule": [{"vehicle_id": "van_01", "route_id": "world", "departure": "08:00"}],
}
"""The probe's 267-byte request: a 40,000 km route at 200 km/h (5 GB before it was bounded)."""

A_YEAR_AT_TEN_SECONDS = {
    "scenario": "default",
    "step_s": 10,
    "time_series_resolution_s": 10,
    "max_points": 10_000_000,
    "horizon": {"start": "2026-01-05T00:00:00+01:00", "days": 366},
}


@pytest.mark.parametrize("path", ["/v1/simulations:run", "/v1/simulations"])
async def test_a_route_around_the_world_is_refused_before_any_work(
    client: httpx.AsyncClient, db: asyncpg.Connection, path: str
) -> None:
    body = with_fleet(AROUND_THE_WORLD)

    response = await client.post(path, json=body)

    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["request", "world", "geometry"]
    assert problem["msg"] == "40,053 km long, above the limit of 2,000 km"
    assert await count_rows(db, body["fleet_id"]) == 0


async def test_a_route_with_too_many_vertices_is_refused(client: httpx.AsyncClient) -> None:
    body = json.loads(json.dumps(AROUND_THE_WORLD))
    line = [[11.5 + i * 1e-5, 48.1] for i in range(50_001)]
    body["routes"][0]["geometry"]["coordinates"] = line

    response = await client.post("/v1/simulations:run", json=body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "50001 vertices, above the limit of 50000 per route"
    )


async def test_a_year_at_ten_second_steps_is_refused_with_its_estimate(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = with_fleet(A_YEAR_AT_TEN_SECONDS)

    response = await client.post("/v1/simulations", json=body)

    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "bytes of result, above the limit of" in detail
    assert "(FLEETSIM_MAX_RESULT_MB)" in detail
    assert await count_rows(db, body["fleet_id"]) == 0


async def test_a_sync_run_above_its_trace_bound_is_413_with_the_submit_hint(
    client: httpx.AsyncClient,
) -> None:
    body: dict[str, Any] = {
        "scenario": "default",
        "weather": {"ambient_c": [round(t * 0.3 - 25, 1) for t in range(7 * 24)]},
    }

    response = await client.post("/v1/simulations:run", json=body)

    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "seconds of 1 Hz driving to simulate" in detail
    assert "(FLEETSIM_SYNC_MAX_TRACE_S)" in detail
    assert "submit it with POST /v1/simulations" in detail


@pytest.mark.parametrize(
    "pair",
    [
        ["0001-01-01T00:00:00+14:00", str(uuid.uuid4())],
        ["9999-12-31T23:59:59-14:00", str(uuid.uuid4())],
        ["2026-01-01T00:00:00", str(uuid.uuid4())],
        ["2026-01-01T00:00:00+00:00", "not-a-uuid"],
    ],
)
async def test_a_forged_cursor_is_a_422_not_a_500(
    client: httpx.AsyncClient, pair: list[str]
) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps(pair).encode()).decode().rstrip("=")

    response = await client.get("/v1/simulations", params={"cursor": cursor})

    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {"loc": ["query", "cursor"], "msg": "not a cursor returned by this list"}
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"scenario": "smoke", "step_s": 60, "step_s": 10}', "key 'step_s' is given twice"),
        (b'{"scenario": "smoke", "x": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", "nested deeper"),
        (b'{"scenario": ', "Expecting value at line 1, column 14"),
    ],
)
async def test_a_body_that_is_not_acceptable_json_is_a_located_422(
    client: httpx.AsyncClient, body: bytes, message: str
) -> None:
    for path in ("/v1/simulations:run", "/v1/simulations"):
        response = await client.post(
            path, content=body, headers={"content-type": "application/json"}
        )

        assert response.status_code == 422, response.text
        (problem,) = response.json()["detail"]
        assert problem["loc"][0] == "body"
        assert problem["msg"].startswith("invalid JSON: ")
        assert message in problem["msg"]
