"""Job identity at the Pub/Sub door: a request published straight to the topic is resolved
before its job is made, so it is the API's job for the same body; a job whose configuration
changed before the worker ran it is failed, not given a result for another input."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from fleetsim import runner
from fleetsim.config import request_hash
from fleetsim.models import SimulationRequest

from .emulators import Delivery, PushApp, publish
from .jobs import direct, finished, input_digest_of, job_id_of, rows_of, stored_bytes
from .support import HEADERS, create_app, make_settings
from .test_api import SMOKE, cli_bytes, with_fleet
from .test_identity import OVERRIDES

pytestmark = pytest.mark.anyio

ACKED = 204


@asynccontextmanager
async def api(push_app: PushApp, database_url: str, **settings: Any) -> AsyncIterator[Any]:
    """The API in-process, publishing to the push app's topic."""
    app = create_app(
        make_settings(database_url, pubsub_topic=push_app.topic, worker_concurrency=0, **settings)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers=HEADERS
        ) as http,
    ):
        yield http


async def submit(http: httpx.AsyncClient, body: dict[str, Any]) -> uuid.UUID:
    response = await http.post("/v1/simulations", json=body)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["job_id"])


async def deliveries_of_job(push_app: PushApp, job_id: uuid.UUID) -> list[Delivery]:
    """The push deliveries of the API's message for `job_id`, once one was acknowledged."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [d for d in push_app.proxy.deliveries if d.attributes.get("job_id") == str(job_id)]
        if any(d.status == ACKED for d in found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no acknowledged delivery for job {job_id}")


async def test_a_request_published_to_the_topic_is_the_apis_job_for_the_same_body(
    push_app: PushApp, pubsub_database: str, pubsub_db: asyncpg.Connection
) -> None:
    published_first, submitted_first = with_fleet(SMOKE), with_fleet(SMOKE)
    async with api(push_app, pubsub_database) as http:
        message_id = publish(push_app.topic, direct(published_first))
        row = await finished(pubsub_db, job_id_of(published_first))
        assert row["status"] == "succeeded", row["error"]
        assert row["input_digest"] == input_digest_of(published_first)
        assert await submit(http, published_first) == row["id"]  # the job, already done
        assert push_app.proxy.wait_for(message_id, lambda s: ACKED in s) == [ACKED]

        job_id = await submit(http, submitted_first)
        assert job_id == job_id_of(submitted_first)
        assert (await finished(pubsub_db, job_id))["status"] == "succeeded"
        message_id = publish(push_app.topic, direct(submitted_first))
        assert push_app.proxy.wait_for(message_id, lambda s: ACKED in s) == [ACKED]

    for body in (published_first, submitted_first):
        [row] = await rows_of(pubsub_db, body["fleet_id"])
        assert row["attempts"] == 1  # the second door found the job: never run twice
        assert stored_bytes(row) == cli_bytes(body)
        assert json.loads(row["metadata"])["input_digest"] == row["input_digest"]


async def test_a_job_whose_config_changed_before_it_ran_fails_with_input_changed(
    push_app: PushApp, pubsub_database: str, pubsub_db: asyncpg.Connection
) -> None:
    # The API resolves under the overrides; the worker, which has none, runs it later.
    body = with_fleet(SMOKE)
    async with api(push_app, pubsub_database, config_overrides=OVERRIDES) as http:
        job_id = await submit(http, body)
        row = await finished(pubsub_db, job_id)
        deliveries = await deliveries_of_job(push_app, job_id)

    assert job_id != job_id_of(body)  # the job of the overridden input
    assert row["input_digest"] != input_digest_of(body)
    assert row["status"] == "failed"
    error = json.loads(row["error"])
    assert error["type"] == "InputChanged"
    assert "submit the request again" in error["message"]
    assert row["metadata"] is None and row["trips"] is None
    assert [d.status for d in deliveries] == [ACKED]  # handled for good: not redelivered


async def test_a_published_request_that_does_not_resolve_gets_a_failed_job(
    push_app: PushApp, pubsub_db: asyncpg.Connection
) -> None:
    body = with_fleet({"scenario": "no_such_scenario"})
    message_id = publish(push_app.topic, direct(body))

    raw_hash = request_hash(SimulationRequest.model_validate(body))
    digest = f"invalid:{raw_hash}"
    row = await finished(pubsub_db, runner.job_id_for(uuid.UUID(body["fleet_id"]), digest))
    assert (row["input_digest"], row["request_hash"]) == (digest, raw_hash)
    assert row["status"] == "failed"
    error = json.loads(row["error"])
    assert error["type"] == "ConfigErrors"
    assert [p["loc"] for p in error["problems"]] == [["request", "scenario"]]
    assert push_app.proxy.wait_for(message_id, lambda s: ACKED in s) == [ACKED]
