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
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import API_KEY, api_server, bench_database, insert_jobs

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--sync-calls", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get update && apt-get install -y wrk")

    with bench_database() as database_url:
        ids = asyncio.run(insert_jobs(database_url, args.jobs))
        with tempfile.TemporaryDirectory() as tmp:
            ids_file = Path(tmp) / "ids.txt"
            ids_file.write_text("\n".join(ids) + "\n")
            log = Path(tmp) / "uvicorn.log"
            with api_server(database_url, log, worker_concurrency=0) as server:
                base = server.base_url
                get_script = GET_SCRIPT % {"ids": ids_file, "key": API_KEY}
                wrk(base, get_script, connections=args.connections, duration_s=2)  # warm-up
                get = wrk(base, get_script, connections=args.connections, duration_s=args.duration)
                post_script = POST_SCRIPT % {"key": API_KEY, "run": uuid.uuid4().hex[:8]}
                post = wrk(
                    base, post_script, connections=args.connections, duration_s=args.duration
                )

                sync_ms = []
                with httpx.Client(
                    base_url=base, headers={"X-API-Key": API_KEY}, timeout=120
                ) as http:
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


if __name__ == "__main__":
    main()
