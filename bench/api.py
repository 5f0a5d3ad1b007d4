"""Benchmark the FastAPI door: one uvicorn worker on loopback, load from wrk on the same cores.

Creates a migrated database `fleetsim_bench_<random>` on the DATABASE_URL server, inserts N
jobs, starts `uvicorn main_api:app` (one worker, submitted jobs left queued so simulations do
not share the cores), then prints:
  GET /v1/simulations/{id}   random existing ids, wrk, 32 connections: req/s, p50, p99
  POST /v1/simulations       distinct requests (new jobs), wrk: req/s, p50, p99
  POST /v1/simulations:run   the default scenario, a few sequential calls: p50
Prints figures; asserts nothing. Needs wrk (`apt-get install -y wrk`).
Run: `python bench/api.py [--jobs N] [--duration S] [--connections C]`.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from fleetsim.db import database_url_from_env

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "bench-key"

GET_SCRIPT = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local headers = {["X-API-Key"] = "%(key)s"}
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/v1/simulations/" .. ids[math.random(#ids)], headers)
end
"""

POST_SCRIPT = """
local counter = 0
local thread_tag = 0
local headers = {["X-API-Key"] = "%(key)s", ["Content-Type"] = "application/json"}
setup = function(thread)
  thread_tag = thread_tag + 1
  thread:set("tag", thread_tag)
end
request = function()
  counter = counter + 1
  local fleet = string.format("%(run)s-%%04x-4000-8000-%%012x", tag, counter)
  local body = '{"scenario":"default","fleet_id":"' .. fleet .. '"}'
  return wrk.format("POST", "/v1/simulations", headers, body)
end
"""

REPORT = """
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT %f %f %f %d %d %d\\n", summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


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


async def insert_jobs(url: str, count: int) -> list[str]:
    """`count` jobs in every status, with request JSON like a real submit's."""
    statuses = ["succeeded", "succeeded", "failed", "queued", "running"]
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


def wrk(url: str, script: str, *, connections: int, duration_s: int) -> tuple[float, ...]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + REPORT)
    try:
        command = ["wrk", "-t2", f"-c{connections}", f"-d{duration_s}s", "--timeout", "30s"]
        output = subprocess.run(
            [*command, "-s", handle.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    match = re.search(r"^RESULT (\S+) (\S+) (\S+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no result from wrk:\n{output}")
    return tuple(float(v) for v in match.groups())


def start_server(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FLEETSIM_API_KEYS": API_KEY,
        "FLEETSIM_CONFIG_DIR": str(ROOT / "config"),
        "FLEETSIM_WORKER_CONCURRENCY": "0",
    }
    env.pop("FLEETSIM_PUBSUB_TOPIC", None)
    command = [sys.executable, "-m", "uvicorn", "main_api:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1", "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError(f"uvicorn did not start:\n{log.read_text()[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--sync-calls", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get update && apt-get install -y wrk")

    server_url = make_url(database_url_from_env())
    name = f"fleetsim_bench_{uuid.uuid4().hex[:8]}"
    maintenance = server_url.set(database="postgres").render_as_string(hide_password=False)
    database_url = server_url.set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(maintenance, f'CREATE DATABASE "{name}"'))
    process = None
    try:
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            check=True,
            capture_output=True,
        )
        ids = asyncio.run(insert_jobs(database_url, args.jobs))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            ids_file = Path(tmp) / "ids.txt"
            ids_file.write_text("\n".join(ids) + "\n")
            process = start_server(database_url, port, Path(tmp) / "uvicorn.log")
            get_script = GET_SCRIPT % {"ids": ids_file, "key": API_KEY}
            wrk(base, get_script, connections=args.connections, duration_s=2)  # warm-up
            get = wrk(base, get_script, connections=args.connections, duration_s=args.duration)
            post_script = POST_SCRIPT % {"key": API_KEY, "run": uuid.uuid4().hex[:8]}
            post = wrk(base, post_script, connections=args.connections, duration_s=args.duration)

            sync_ms = []
            with httpx.Client(base_url=base, headers={"X-API-Key": API_KEY}, timeout=120) as http:
                for _ in range(args.sync_calls):
                    started = time.perf_counter()
                    response = http.post("/v1/simulations:run", json={"scenario": "default"})
                    sync_ms.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
            size_mb = len(response.content) / 1e6

        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
        print(
            f"fleetsim API benchmark: 1 uvicorn worker, wrk -t2 -c{args.connections}, "
            f"{args.duration} s per run, {os.cpu_count()} cores shared, {args.jobs} jobs, "
            f"load average {load}"
        )
        for label, (rate, p50, p99, count, non_2xx, failed) in (
            ("GET  /v1/simulations/{id}", get),
            ("POST /v1/simulations     ", post),
        ):
            print(
                f"{label}  {rate:7.0f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
                f"({count:.0f} requests, {non_2xx:.0f} 4xx/5xx, {failed:.0f} socket errors)"
            )
        print(
            f"POST /v1/simulations:run   default scenario, {args.sync_calls} sequential calls: "
            f"p50 {statistics.median(sync_ms):.0f} ms, min {min(sync_ms):.0f} ms, "
            f"result {size_mb:.1f} MB"
        )
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        asyncio.run(admin(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
