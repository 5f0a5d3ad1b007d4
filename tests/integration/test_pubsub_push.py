"""The push door end to end: Pub/Sub emulator → push subscription → recording proxy → the push
app in uvicorn → PostgreSQL (and fake-gcs-server for mode gcs). Deliveries are counted at the
proxy, so "acknowledged, not redelivered" is observed, not assumed."""

import asyncio
import json
import subprocess
import sys
import uuid

import asyncpg
import httpx
import pytest
from google.cloud import storage

from fleetsim.models import JobMessage, SimulationRequest

from .emulators import (
    BUCKET,
    PUSH_TOKEN,
    Emulators,
    PushApp,
    create_subscription,
    create_topic,
    publish,
    pull,
    subscription_path,
    worker_env,
)
from .jobs import direct, finished, job_id_of, rows_of, stored_bytes
from .pubsub_faults import DOWN_FLEET, FLAKY_FLEET, fleet_id
from .support import API_KEY, ROOT, create_app, make_settings
from .test_api import SMOKE, cli_bytes, with_fleet

pytestmark = pytest.mark.anyio

ACKED = 204
RETRY = 503
QUIET_S = 2.5
"""Long enough for the emulator (≈1 s between push retries) to redeliver a nacked message."""


async def test_submit_through_the_api_is_run_by_the_push_worker(
    push_app: PushApp, pubsub_database: str, pubsub_db: asyncpg.Connection
) -> None:
    settings = make_settings(
        pubsub_database, pubsub_topic=push_app.topic, gcs_bucket=BUCKET, worker_concurrency=0
    )
    app = create_app(settings)
    body = with_fleet(SMOKE)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.test",
            headers={"X-API-Key": API_KEY, "x-request-id": "submit-42"},
        ) as http,
    ):
        accepted = await http.post("/v1/simulations", json=body)
        assert accepted.status_code == 202, accepted.text
        job_id = uuid.UUID(accepted.json()["job_id"])
        row = await finished(pubsub_db, job_id)
        assert row["status"] == "succeeded", row["error"]
        assert row["attempts"] == 1
        result = await http.get(f"/v1/simulations/{job_id}/result")
        assert result.content == cli_bytes(body)

    [delivery] = [d for d in push_app.proxy.deliveries if d.attributes.get("job_id") == str(job_id)]
    assert delivery.status == ACKED
    assert delivery.attributes["request_id"] == "submit-42"
    assert json.loads(delivery.data) == {"job_id": str(job_id), "mode": "db", "request": body}


async def test_request_published_straight_to_the_topic_makes_one_job(
    push_app: PushApp, pubsub_db: asyncpg.Connection
) -> None:
    keyed, unkeyed = with_fleet(SMOKE), with_fleet(SMOKE)
    chosen = uuid.uuid4()
    first = publish(push_app.topic, direct(keyed), job_id=str(chosen))
    second = publish(push_app.topic, direct(unkeyed))

    row = await finished(pubsub_db, chosen)  # the publisher's job id is the job's id
    assert row["status"] == "succeeded", row["error"]
    assert stored_bytes(row) == cli_bytes(keyed)
    row = await finished(pubsub_db, job_id_of(unkeyed))  # else the id every door gives the request
    assert stored_bytes(row) == cli_bytes(unkeyed)
    for body in (keyed, unkeyed):
        assert len(await rows_of(pubsub_db, body["fleet_id"])) == 1
    for message_id in (first, second):
        assert push_app.proxy.of(message_id) == [ACKED]


async def test_the_same_message_three_times_gives_one_result(
    push_app: PushApp, pubsub_db: asyncpg.Connection
) -> None:
    body = with_fleet(SMOKE)
    message_ids = [publish(push_app.topic, direct(body)) for _ in range(3)]

    for message_id in message_ids:  # each is acknowledged in the end, at most after a retry
        statuses = push_app.proxy.wait_for(message_id, lambda s: ACKED in s)
        assert set(statuses) <= {ACKED, RETRY}
    [row] = await rows_of(pubsub_db, body["fleet_id"])
    assert row["status"] == "succeeded"
    assert row["attempts"] == 1  # duplicates found the job busy or done: never run twice
    assert stored_bytes(row) == cli_bytes(body)


async def test_a_transient_bucket_fault_is_redelivered_and_then_completes(
    push_app: PushApp, pubsub_db: asyncpg.Connection, emulators: Emulators
) -> None:
    body = with_fleet(SMOKE) | {"fleet_id": fleet_id(FLAKY_FLEET)}
    message_id = publish(push_app.topic, direct(body, mode="gcs"))

    assert push_app.proxy.wait_for(message_id, lambda s: ACKED in s) == [RETRY, ACKED]
    row = await finished(pubsub_db, job_id_of(body))
    assert row["status"] == "succeeded"
    assert row["attempts"] == 2  # the claim was released at the fault, so no lease to wait out
    assert row["mode"] == "gcs"
    assert row["trips"] is None and row["time_series_data"] is None  # the object holds those
    assert json.loads(row["metadata"])["kpis"]["feasible"] == row["feasible"]
    name = f"simulations/{body['fleet_id']}/{row['id']}/result.json"
    assert row["result_uri"] == f"gs://{BUCKET}/{name}"
    client = storage.Client()
    assert client.bucket(BUCKET).blob(name).download_as_bytes() == cli_bytes(body)


async def test_poison_messages_fail_their_job_and_are_acknowledged_once(
    push_app: PushApp, pubsub_db: asyncpg.Connection
) -> None:
    not_json, bad_request, unknown = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    invalid = with_fleet(SMOKE) | {"strategy": "fastest"}
    request = SimulationRequest.model_validate(SMOKE)
    message_ids = [
        publish(push_app.topic, b"\xff{not json", job_id=str(not_json)),
        publish(push_app.topic, direct(invalid), job_id=str(bad_request)),
        publish(push_app.topic, JobMessage(job_id=unknown, mode="db", request=request).data()),
        publish(push_app.topic, direct(with_fleet(SMOKE) | {"days": 3})),  # no key: log only
    ]

    row = await finished(pubsub_db, not_json)
    assert row["status"] == "failed"
    error = json.loads(row["error"])
    assert error["type"] == "InvalidMessage"
    assert "not JSON" in error["message"]
    row = await finished(pubsub_db, bad_request)
    error = json.loads(row["error"])
    assert error["message"] == "invalid simulation request"
    assert [p["loc"] for p in error["problems"]] == [["strategy"]]
    assert row["fleet_id"] == uuid.UUID(invalid["fleet_id"])
    assert await pubsub_db.fetchval("SELECT count(*) FROM simulations WHERE id = $1", unknown) == 0

    await asyncio.sleep(QUIET_S)
    for message_id in message_ids:
        assert push_app.proxy.of(message_id) == [ACKED]  # never redelivered


async def test_undecodable_push_data_is_acknowledged(push_app: PushApp) -> None:
    envelope = {
        "message": {"data": "%%% not base64", "messageId": "direct-1", "attributes": {}},
        "subscription": "projects/p/subscriptions/s",
    }
    response = httpx.post(f"{push_app.url}/pubsub/push?token={PUSH_TOKEN}", json=envelope)
    assert response.status_code == ACKED


async def test_a_push_not_declared_json_is_415_naming_the_header(push_app: PushApp) -> None:
    envelope = {
        "message": {"data": "", "messageId": "direct-2", "attributes": {}},
        "subscription": "projects/p/subscriptions/s",
    }
    url = f"{push_app.url}/pubsub/push?token={PUSH_TOKEN}"
    response = httpx.post(url, content=json.dumps(envelope), headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "Content-Type" in response.json()["detail"]


async def test_a_push_that_is_no_envelope_is_422_in_the_api_shape(push_app: PushApp) -> None:
    url = f"{push_app.url}/pubsub/push?token={PUSH_TOKEN}"
    response = httpx.post(url, json={"message": {"data": ""}, "subscription": 7})
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert all(set(problem) == {"loc", "msg"} for problem in problems)
    assert ["body", "message", "messageId"] in [problem["loc"] for problem in problems]


async def test_a_job_out_of_attempts_is_failed_and_acknowledged(
    push_app: PushApp, pubsub_db: asyncpg.Connection
) -> None:
    body = with_fleet(SMOKE) | {"fleet_id": fleet_id(DOWN_FLEET)}
    message_id = publish(push_app.topic, direct(body, mode="gcs"))

    statuses = push_app.proxy.wait_for(message_id, lambda s: ACKED in s)
    assert statuses == [RETRY] * 5 + [ACKED]  # FLEETSIM_MAX_ATTEMPTS=5 for this app
    row = await finished(pubsub_db, job_id_of(body))
    assert row["status"] == "failed"
    assert row["attempts"] == 5
    assert json.loads(row["error"])["type"] == "MaxAttemptsExceeded"


async def test_a_message_that_always_fails_lands_on_the_dead_letter_topic(
    push_app: PushApp, pubsub_db: asyncpg.Connection
) -> None:
    topic = create_topic("jobs-dead-lettered")
    dead = create_topic("jobs-dead")
    create_subscription("jobs-dead-pull", dead)
    create_subscription(
        "jobs-dead-lettered-push",
        topic,
        push_endpoint=push_app.proxy.push_endpoint(),
        dead_letter_policy={"dead_letter_topic": dead, "max_delivery_attempts": 5},
    )
    body = with_fleet(SMOKE) | {"fleet_id": fleet_id(DOWN_FLEET)}
    data = direct(body, mode="gcs")
    message_id = publish(topic, data)

    [dead_letter] = pull(subscription_path("jobs-dead-pull"), expect=1, timeout_s=30)
    assert dead_letter.data == data
    assert dead_letter.attributes["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
    assert push_app.proxy.of(message_id) == [RETRY] * 5
    [row] = await rows_of(pubsub_db, body["fleet_id"])
    assert (row["status"], row["attempts"]) == ("queued", 5)  # released for a later requeue


async def test_requeue_republishes_jobs_whose_message_was_lost(
    pubsub_database: str, pubsub_db: asyncpg.Connection, emulators: Emulators
) -> None:
    topic = create_topic("requeue-check")
    create_subscription("requeue-check-pull", topic)
    lost, recent = with_fleet(SMOKE), with_fleet(SMOKE)
    ids = []
    for body, age in ((lost, "1 hour"), (recent, "1 second")):
        ids.append(
            await pubsub_db.fetchval(
                "INSERT INTO simulations"
                " (fleet_id, request_hash, input_digest, request, mode, updated_at)"
                f" VALUES ($1, $2, $2, $3, 'gcs', now() - interval '{age}') RETURNING id",
                uuid.UUID(body["fleet_id"]),
                f"requeue-{uuid.uuid4()}",
                json.dumps(body),
            )
        )

    env = worker_env(pubsub_database, FLEETSIM_PUBSUB_TOPIC=topic)
    command = [sys.executable, "main.py", "requeue", "--older-than", "10m"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"republished 1 jobs to {topic}" in done.stdout

    [message] = pull(subscription_path("requeue-check-pull"), expect=1)
    assert json.loads(message.data) == {"job_id": str(ids[0]), "mode": "gcs", "request": lost}
    assert message.attributes["job_id"] == str(ids[0])
    assert pull(subscription_path("requeue-check-pull"), expect=1, timeout_s=1) == []
