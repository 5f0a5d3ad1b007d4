"""Workers that die or run outside Cloud Run: a push worker killed mid-job is replaced after
its lease, and the pull worker (a subprocess) handles, acknowledges and stops cleanly."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from google.cloud import storage

from .emulators import (
    BUCKET,
    Emulators,
    PushProxy,
    create_subscription,
    create_topic,
    publish,
    pull,
    subscription_path,
    worker_env,
)
from .jobs import direct, finished, job_id_of, rows_of, stored_bytes
from .support import ROOT, stop_process_group, uvicorn_process
from .test_api import SMOKE, cli_bytes, with_fleet

pytestmark = pytest.mark.anyio

LONG = {
    "scenario": "default",
    "horizon": {"start": "2026-03-02T00:00:00+01:00", "days": 35},
    "step_s": 30,
    "time_series_resolution_s": 3600,
}
"""A few seconds of simulation (20 vehicles busy every day, so no long idle stretch to
jump): long enough to kill or stop its worker in the middle."""


async def test_a_worker_killed_mid_job_is_replaced_after_its_lease(
    emulators: Emulators, pubsub_database: str, pubsub_db: asyncpg.Connection, tmp_path: Path
) -> None:
    proxy = PushProxy()
    topic = create_topic("jobs-kill")
    create_subscription("jobs-kill-push", topic, push_endpoint=proxy.push_endpoint())
    env = worker_env(pubsub_database, FLEETSIM_LEASE_S="2")
    body = with_fleet(LONG)
    job_id = job_id_of(body)
    log_path = tmp_path / "worker.log"
    try:
        with uvicorn_process("main_pubsub:app", env, log_path) as (first, url):
            proxy.target = url
            message_id = publish(topic, direct(body))
            async with asyncio.timeout(30):
                status = "SELECT status FROM simulations WHERE id = $1"
                while await pubsub_db.fetchval(status, job_id) != "running":
                    await asyncio.sleep(0.05)
            os.killpg(first.pid, signal.SIGKILL)  # mid-simulation: no chance to clean up
            first.wait(timeout=10)

        with uvicorn_process("main_pubsub:app", env, log_path) as (_, url):
            proxy.target = url
            row = await finished(pubsub_db, job_id, timeout_s=90)
    finally:
        proxy.close()

    assert row["status"] == "succeeded", row["error"]
    assert row["attempts"] == 2  # the dead worker's claim, then the replacement's
    assert len(await rows_of(pubsub_db, body["fleet_id"])) == 1
    statuses = proxy.of(message_id)
    assert statuses[-1] == 204
    assert 502 in statuses  # the delivery cut off by the kill, and those while nobody listened
    result = json.loads(stored_bytes(row))
    assert result["metadata"]["counts"]["vehicles"] == 20


async def test_sigterm_mid_job_hands_the_job_back_to_the_queue(
    emulators: Emulators, pubsub_database: str, pubsub_db: asyncpg.Connection, tmp_path: Path
) -> None:
    # Cloud Run's shutdown: SIGTERM, then the graceful timeout of the image's CMD runs out.
    proxy = PushProxy()
    topic = create_topic("jobs-term")
    create_subscription("jobs-term-push", topic, push_endpoint=proxy.push_endpoint())
    env = worker_env(pubsub_database)  # the default 900 s lease: only a release requeues soon
    body = with_fleet(LONG)
    job_id = job_id_of(body)
    log_path = tmp_path / "worker.log"
    graceful = ("--timeout-graceful-shutdown", "1")
    try:
        with uvicorn_process("main_pubsub:app", env, log_path, options=graceful) as (first, url):
            proxy.target = url
            publish(topic, direct(body))
            status = "SELECT status FROM simulations WHERE id = $1"
            async with asyncio.timeout(30):
                while await pubsub_db.fetchval(status, job_id) != "running":
                    await asyncio.sleep(0.05)
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=60)
            released = await pubsub_db.fetchrow(
                "SELECT status, attempts FROM simulations WHERE id = $1", job_id
            )
            assert dict(released) == {"status": "queued", "attempts": 1}, log_path.read_text()

        with uvicorn_process("main_pubsub:app", env, log_path) as (_, url):
            proxy.target = url
            row = await finished(pubsub_db, job_id, timeout_s=90)
    finally:
        proxy.close()
    assert row["status"] == "succeeded", row["error"]
    assert row["attempts"] == 2
    assert len(await rows_of(pubsub_db, body["fleet_id"])) == 1


async def test_pull_worker_handles_acknowledges_and_stops_on_sigterm(
    emulators: Emulators, pubsub_database: str, pubsub_db: asyncpg.Connection, tmp_path: Path
) -> None:
    topic = create_topic("jobs-pull")
    create_subscription("jobs-pull-sub", topic)
    env = worker_env(pubsub_database)
    command = [sys.executable, "main_pubsub.py", "pull", "--subscription", "jobs-pull-sub"]
    log_path = tmp_path / "pull.log"
    in_db, in_bucket, poison = with_fleet(SMOKE), with_fleet(SMOKE), uuid.uuid4()
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [*command, "--max-messages", "2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        publish(topic, direct(in_db))
        publish(topic, direct(in_bucket, mode="gcs"))
        publish(topic, b"{", job_id=str(poison))

        row = await finished(pubsub_db, job_id_of(in_db))
        assert stored_bytes(row) == cli_bytes(in_db)
        row = await finished(pubsub_db, job_id_of(in_bucket))
        assert row["status"] == "succeeded"
        name = row["result_uri"].removeprefix(f"gs://{BUCKET}/")
        assert storage.Client().bucket(BUCKET).blob(name).download_as_bytes() == cli_bytes(
            in_bucket
        )
        assert (await finished(pubsub_db, poison))["status"] == "failed"

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, log_path.read_text()
    finally:
        stop_process_group(worker)
    assert "pull worker stopped" in log_path.read_text()
    # Everything was acknowledged: nothing is left to deliver.
    assert pull(subscription_path("jobs-pull-sub"), expect=1, timeout_s=2) == []
