"""What the API benchmarks share: a throwaway migrated database on the DATABASE_URL server,
jobs inserted into it, and one uvicorn process of the FastAPI door on loopback."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from fleetsim.db import database_url_from_env

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "bench-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def driver_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def bench_database() -> Iterator[str]:
    """The URL of a new database `fleetsim_bench_<random>`, migrated with alembic; dropped after."""
    server_url = make_url(database_url_from_env())
    name = f"fleetsim_bench_{uuid.uuid4().hex[:8]}"
    maintenance = server_url.set(database="postgres").render_as_string(hide_password=False)
    database_url = server_url.set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(maintenance, f'CREATE DATABASE "{name}"'))
    try:
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            check=True,
            capture_output=True,
        )
        yield database_url
    finally:
        asyncio.run(admin(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def insert_jobs(
    url: str,
    count: int,
    statuses: tuple[str, ...] = ("succeeded", "succeeded", "failed", "queued", "running"),
) -> list[str]:
    """`count` jobs, their status taken in turn from `statuses`, with request JSON like a real
    submit's (no result); the ids of every job in the table."""
    rows = [
        (
            uuid.uuid4(),
            statuses[i % len(statuses)],
            f"bench-{i}",
            json.dumps({"scenario": "default", "fleet_id": str(uuid.uuid4())}),
        )
        for i in range(count)
    ]
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        await connection.executemany(
            "INSERT INTO simulations (fleet_id, status, request_hash, input_digest, request,"
            " attempts) VALUES ($1, $2, $3, $3, $4::jsonb, 1)",
            rows,
        )
        return [str(r["id"]) for r in await connection.fetch("SELECT id FROM simulations")]
    finally:
        await connection.close()


@dataclass(frozen=True)
class ApiServer:
    process: subprocess.Popen[bytes]
    base_url: str


@contextmanager
def api_server(database_url: str, log: Path, *, worker_concurrency: int) -> Iterator[ApiServer]:
    """`uvicorn main_api:app`, one worker process, on a free loopback port; without a Pub/Sub
    topic, so submitted jobs run in it (`worker_concurrency` at once; 0 leaves them queued).
    Stopped with SIGTERM (SIGKILL after 10 s) on leaving."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FLEETSIM_API_KEYS": API_KEY,
        "FLEETSIM_CONFIG_DIR": str(ROOT / "config"),
        "FLEETSIM_WORKER_CONCURRENCY": str(worker_concurrency),
    }
    env.pop("FLEETSIM_PUBSUB_TOPIC", None)
    command = [sys.executable, "-m", "uvicorn", "main_api:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1", "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_healthy(port, log)
        yield ApiServer(process, f"http://127.0.0.1:{port}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_healthy(port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"uvicorn did not start:\n{log.read_text()[-3000:]}")
