"""Benchmark the Pub/Sub door: small jobs end to end through the emulator and one worker.

Starts the Pub/Sub emulator, a migrated database `fleetsim_bench_<random>` on the DATABASE_URL
server and one worker: `--door pull` runs `python main_pubsub.py pull`, `--door push` runs
`uvicorn main_pubsub:app` behind a push subscription. Publishes small jobs in the Next.js
shape (1 vehicle, 1 day, inline; the worker creates each job row) and reads every row's
`finished_at` (set in the transaction that commits the result):
  burst  N jobs published at once: jobs/s from the first publish to the last commit, and
         the worker's CPU per job (steadier than wall time on shared cores)
  paced  jobs published one by one at R/s: p50/p95 latency from publish to commit
Prints figures; asserts nothing. Needs java and the gcloud SDK's Pub/Sub emulator jar.
Run: `python bench/pubsub.py [--door pull|push] [--processes P] [--jobs N] [--rate R]
[--max-messages M] [--step-s S]`.
"""

import argparse
import asyncio
import glob
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from google.cloud import pubsub_v1  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from fleetsim import runner
from fleetsim.config import load_catalogue
from fleetsim.db import database_url_from_env
from fleetsim.models import SimulationRequest

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "config"
CATALOGUE = load_catalogue(CONFIG_DIR)
"""The bundled reference data, to give each job the id the worker will give it."""
JAR = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar"
PROJECT = "fleetsim-bench"
TOKEN = "bench-token"
SMALL_JOB = {
    "scenario": "smoke",
    "fleet": [{"id": "sedan_01", "type": "compact_sedan", "depot": "neuperlach_depot"}],
    "schedule": [{"vehicle_id": "sedan_01", "route_id": "udds_city", "departure": "08:00"}],
}
"""One vehicle, one trip, one day (the smoke scenario's horizon and depot)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def driver_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def start(
    command: list[str], env: dict[str, str], log: Path, ready: str
) -> subprocess.Popen[bytes]:
    """`command` in its own process group, once `ready` (a URL) answers, if given."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while ready and time.monotonic() < deadline:
        try:
            if httpx.get(ready, timeout=1).status_code < 500:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    if ready:
        stop(process)
        raise RuntimeError(f"{command[0]} did not start:\n{log.read_text()[-3000:]}")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def cpu_seconds(group: int) -> float:
    """User + system CPU seconds of every live process in process group `group` (Linux)."""
    total_ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == group:  # pgrp; utime and stime follow at 11 and 12
            total_ticks += int(fields[11]) + int(fields[12])
    return total_ticks / os.sysconf("SC_CLK_TCK")


def small_job(step_s: int) -> tuple[bytes, uuid.UUID]:
    body = {**SMALL_JOB, "fleet_id": str(uuid.uuid4()), "step_s": step_s}
    body["time_series_resolution_s"] = max(step_s, 300)
    request = SimulationRequest.model_validate(body)
    resolved = runner.resolve(request, CATALOGUE, CONFIG_DIR)
    job_id = runner.job_id_for(request.effective_fleet_id, resolved.input_digest)
    return json.dumps({**body, "mode": "db"}).encode(), job_id


async def wait_finished(dsn: str, ids: list[uuid.UUID], timeout_s: float) -> dict[Any, float]:
    """job id -> finished_at (epoch s) once every job is finished."""
    connection = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rows = await connection.fetch(
                "SELECT id, finished_at, status FROM simulations"
                " WHERE id = ANY($1) AND finished_at IS NOT NULL",
                ids,
            )
            if len(rows) == len(ids):
                failed = [r["id"] for r in rows if r["status"] != "succeeded"]
                if failed:
                    raise RuntimeError(f"{len(failed)} jobs failed, e.g. {failed[0]}")
                return {r["id"]: r["finished_at"].timestamp() for r in rows}
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    raise RuntimeError(f"only {len(rows)} of {len(ids)} jobs finished in {timeout_s} s")


def run_jobs(
    publisher: Any, topic: str, dsn: str, count: int, rate: float | None, step_s: int
) -> list[float]:
    """Publish `count` jobs (all at once, or `rate` per second); seconds publish -> commit,
    then the seconds from the first publish to the last commit."""
    jobs = [small_job(step_s) for _ in range(count)]
    published: dict[uuid.UUID, float] = {}
    futures = []
    started = time.monotonic()
    for i, (data, job_id) in enumerate(jobs):
        if rate is not None:
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
        published[job_id] = time.time()
        futures.append(publisher.publish(topic, data))
    for future in futures:
        future.result(timeout=60)
    finished = asyncio.run(wait_finished(dsn, list(published), timeout_s=60 + count))
    return [finished[job_id] - published[job_id] for job_id in published] + [
        max(finished.values()) - min(published.values())
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--door", choices=("pull", "push"), default="pull")
    parser.add_argument("--jobs", type=int, default=300, help="jobs in the burst")
    parser.add_argument("--rate", type=float, default=10.0, help="jobs/s in the paced run")
    parser.add_argument("--paced", type=int, default=100, help="jobs in the paced run")
    parser.add_argument("--max-messages", type=int, default=8, help="pull flow control")
    parser.add_argument("--processes", type=int, default=1, help="push: uvicorn --workers")
    parser.add_argument("--step-s", type=int, default=300, help="simulation step (scenario: 300)")
    args = parser.parse_args()
    jars = sorted(glob.glob(JAR))
    if not jars:
        sys.exit(f"no Pub/Sub emulator jar at {JAR} (install the gcloud SDK's emulator)")

    server = make_url(database_url_from_env())
    name = f"fleetsim_bench_{uuid.uuid4().hex[:8]}"
    maintenance = driver_dsn(server.set(database="postgres").render_as_string(False))
    database_url = server.set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(maintenance, f'CREATE DATABASE "{name}"'))
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            emulator_port = free_port()
            processes.append(
                start(
                    ["java", "-jar", jars[-1], "--host=127.0.0.1", f"--port={emulator_port}"],
                    dict(os.environ),
                    Path(tmp) / "emulator.log",
                    ready=f"http://127.0.0.1:{emulator_port}/",
                )
            )
            os.environ["PUBSUB_EMULATOR_HOST"] = f"127.0.0.1:{emulator_port}"
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "FLEETSIM_CONFIG_DIR": str(ROOT / "config"),
                "FLEETSIM_PUSH_TOKEN": TOKEN,
                "FLEETSIM_ENV": "test",
            }
            subprocess.run(
                [sys.executable, "-m", "alembic", "upgrade", "head"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
            publisher = pubsub_v1.PublisherClient()
            subscriber = pubsub_v1.SubscriberClient()
            topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/jobs").name
            subscription = f"projects/{PROJECT}/subscriptions/jobs-{args.door}"
            request: dict[str, Any] = {"name": subscription, "topic": topic}
            request["ack_deadline_seconds"] = 60
            log = Path(tmp) / "worker.log"
            if args.door == "push":
                port = free_port()
                command = [sys.executable, "-m", "uvicorn", "main_pubsub:app", "--port", str(port)]
                command += ["--log-level", "warning", "--workers", str(args.processes)]
                processes.append(start(command, env, log, ready=f"http://127.0.0.1:{port}/healthz"))
                endpoint = f"http://127.0.0.1:{port}/pubsub/push?token={TOKEN}"
                request["push_config"] = {"push_endpoint": endpoint}
                subscriber.create_subscription(request=request)
                how = f"push: uvicorn main_pubsub:app --workers {args.processes}"
            else:
                subscriber.create_subscription(request=request)
                command = [sys.executable, "main_pubsub.py", "pull", "--subscription"]
                command += [subscription, "--max-messages", str(args.max_messages)]
                processes.append(start(command, env, log, ready=""))
                how = f"pull: main_pubsub.py pull --max-messages {args.max_messages}, 1 process"
            dsn = driver_dsn(database_url)
            step = args.step_s
            run_jobs(publisher, topic, dsn, 20, None, step)  # warm-up: connections, first calls
            worker_cpu_s = cpu_seconds(processes[-1].pid)
            *_, burst_s = run_jobs(publisher, topic, dsn, args.jobs, None, step)
            worker_cpu_s = cpu_seconds(processes[-1].pid) - worker_cpu_s
            *latencies, _ = run_jobs(publisher, topic, dsn, args.paced, args.rate, step)
            publisher.stop()
        finally:
            for process in reversed(processes):
                stop(process)
            asyncio.run(admin(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    ms = sorted(latency * 1000 for latency in latencies)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"fleetsim Pub/Sub benchmark: emulator, {how}, {os.cpu_count()} cores shared "
        f"(emulator, PostgreSQL, worker, publisher), load average {load}"
    )
    print(
        f"small job: 1 vehicle, 1 trip, 1 day, {args.step_s} s steps, inline request in the "
        "Next.js shape (mode db)"
    )
    print(
        f"burst  {args.jobs} jobs published at once: {args.jobs / burst_s:6.1f} jobs/s "
        f"(first publish to last commit {burst_s:.2f} s)"
    )
    print(
        f"       worker CPU {worker_cpu_s / args.jobs * 1000:.1f} ms per job "
        f"(~{args.jobs / worker_cpu_s:.0f} jobs/s per core it had to itself)"
    )
    print(
        f"paced  {args.paced} jobs at {args.rate:g}/s, publish -> row committed: "
        f"p50 {statistics.median(ms):6.1f} ms  p95 {ms[int(len(ms) * 0.95) - 1]:6.1f} ms  "
        f"max {ms[-1]:6.1f} ms"
    )


async def admin(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
