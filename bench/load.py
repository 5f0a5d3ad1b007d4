"""Load test of the FastAPI door: one uvicorn process whose local worker runs the jobs it is
sent, under minutes of mixed traffic from an asyncio httpx client on the same cores.

Creates a migrated database `fleetsim_bench_<random>` (bench/server.py), stores N finished jobs
(succeeded and failed, so the worker's sweep leaves them alone), starts `uvicorn main_api:app`
with FLEETSIM_WORKER_CONCURRENCY=2, makes one untimed sync run (it starts the simulation
worker processes) and, for --duration seconds, sends each kind of request at its own fixed
rate (open loop: a slow answer does not hold back the next request):
  GET  /v1/simulations/{id}          status polls: the bench's unfinished jobs and stored ones
  POST /v1/simulations               submits: the smoke scenario under a new fleet id each time
  GET  /v1/simulations/{id}/result   result reads of jobs a poll saw succeed
  GET  /v1/simulations               list pages (limit 50), following next_cursor for 3 pages
  POST /v1/simulations:run           the smoke scenario, synchronously, every --sync-every s
Prints p50/p99 per route, errors (answers other than 2xx and the expected 404/409, and
transport errors), what became of the submitted jobs, and the server process's RSS (VmRSS) at
the start (before any request), its peak sampled every second, and at the end, and the same
for its child processes (the simulation workers). Asserts nothing.
Run: `python bench/load.py [--duration S] [--jobs N] [--poll-rate R] [--submit-rate R] ...`.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import API_KEY, api_server, bench_database, driver_dsn, insert_jobs

WORKER_CONCURRENCY = 2
SMOKE = "smoke"
LIST_PAGES = 3
EXPECTED = {404, 409}
"""Answers a client of this traffic can get without anything being wrong."""


@dataclass
class RouteStats:
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    """Of the answered requests, whatever their status."""
    expected: int = 0
    """404 or 409 answers."""
    errors: Counter[str] = field(default_factory=Counter)
    """Other non-2xx answers by status, transport errors by exception name."""


@dataclass
class Traffic:
    """The client side: what it has sent and learnt (its own jobs and their states)."""

    client: httpx.AsyncClient
    stored_ids: list[str]
    rng: random.Random
    stats: dict[str, RouteStats] = field(default_factory=dict)
    unfinished: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    submitted: int = 0

    async def send(self, route: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        stats = self.stats.setdefault(route, RouteStats())
        stats.sent += 1
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            stats.errors[type(exc).__name__] += 1
            return None
        stats.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code in EXPECTED:
            stats.expected += 1
        elif not response.is_success:
            stats.errors[str(response.status_code)] += 1
        return response

    async def poll(self) -> None:
        own = bool(self.unfinished) and self.rng.random() < 0.5
        job_id = self.rng.choice(self.unfinished if own else self.stored_ids)
        response = await self.send("GET  /v1/simulations/{id}", "GET", f"/v1/simulations/{job_id}")
        if own and response is not None and response.status_code == 200:
            status = response.json()["status"]
            if status in ("succeeded", "failed") and job_id in self.unfinished:
                self.unfinished.remove(job_id)
                if status == "succeeded":
                    self.succeeded.append(job_id)

    async def submit(self) -> None:
        body = {"scenario": SMOKE, "fleet_id": str(uuid.uuid4())}
        response = await self.send("POST /v1/simulations", "POST", "/v1/simulations", json=body)
        self.submitted += 1
        if response is not None and response.status_code == 202:
            self.unfinished.append(response.json()["job_id"])

    async def read_result(self) -> None:
        if self.succeeded:
            job_id = self.rng.choice(self.succeeded)
            url = f"/v1/simulations/{job_id}/result"
            await self.send("GET  /v1/simulations/{id}/result", "GET", url)

    async def list_pages(self) -> None:
        params: dict[str, str | int] = {"limit": 50}
        if self.rng.random() < 0.5:
            params["status"] = "succeeded"
        for _ in range(LIST_PAGES):
            response = await self.send(
                "GET  /v1/simulations", "GET", "/v1/simulations", params=params
            )
            cursor = response.json()["next_cursor"] if response and response.is_success else None
            if cursor is None:
                return
            params["cursor"] = cursor

    async def sync_run(self) -> None:
        body = {"scenario": SMOKE}
        await self.send("POST /v1/simulations:run", "POST", "/v1/simulations:run", json=body)


async def paced(
    rate_per_s: float, action: Callable[[], Coroutine[Any, Any, None]], until: float
) -> None:
    """Start `action` every 1/rate seconds until the monotonic time `until`, not waiting for
    one to finish before the next; returns when every started one has."""
    if rate_per_s <= 0:
        return
    interval, next_start = 1 / rate_per_s, time.monotonic()
    running: set[asyncio.Task[None]] = set()
    while next_start < until:
        await asyncio.sleep(max(0.0, next_start - time.monotonic()))
        task = asyncio.create_task(action())
        running.add(task)
        task.add_done_callback(running.discard)
        next_start += interval
    if running:
        await asyncio.wait(running)


def vm_rss_mb(pid: int) -> float | None:
    """VmRSS from /proc/<pid>/status in MB; None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def children_of(pid: int) -> list[int]:
    """Child processes of every thread of `pid` (a thread's children are listed under it)."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in children.read_text().split()]
        except FileNotFoundError:  # the thread ended
            continue
    return found


class RssSampler(threading.Thread):
    """Samples the server's VmRSS, and the total of its child processes (the simulation
    workers), every `interval_s` on its own thread, whatever the client's event loop does."""

    def __init__(self, pid: int, interval_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval_s = pid, interval_s
        self.server_mb: list[float] = []
        self.children_mb: list[float] = []
        self.children_seen: set[int] = set()
        self.timed_from = 0
        """The index of the first sample of the timed traffic (after the warm-up)."""
        self._lock = threading.Lock()
        self._stop_event = threading.Event()

    def sample(self) -> None:
        with self._lock:
            rss = vm_rss_mb(self.pid)
            if rss is not None:
                self.server_mb.append(rss)
            children = children_of(self.pid)
            self.children_seen.update(children)
            self.children_mb.append(sum(vm_rss_mb(c) or 0.0 for c in children))

    def mark_timed_start(self) -> None:
        self.sample()
        self.timed_from = len(self.server_mb) - 1

    def run(self) -> None:
        while not self._stop_event.wait(self.interval_s):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()


async def drive(
    base_url: str, stored_ids: list[str], args: argparse.Namespace, rss: RssSampler
) -> tuple[Traffic, float]:
    """The traffic sent and the seconds it took (--duration, and the last answers' wait)."""
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-API-Key": API_KEY}, timeout=120, limits=limits
    ) as client:
        # Untimed: the first run starts the worker processes, a cost of the first request only.
        (await client.post("/v1/simulations:run", json={"scenario": SMOKE})).raise_for_status()
        rss.mark_timed_start()
        traffic = Traffic(client, stored_ids, random.Random(args.seed))
        started = time.monotonic()
        until = started + args.duration
        await asyncio.gather(
            paced(args.poll_rate, traffic.poll, until),
            paced(args.submit_rate, traffic.submit, until),
            paced(args.result_rate, traffic.read_result, until),
            paced(args.list_rate, traffic.list_pages, until),
            paced(1 / args.sync_every, traffic.sync_run, until),
        )
        return traffic, time.monotonic() - started


async def submitted_jobs(database_url: str) -> tuple[dict[str, int], float]:
    """The submitted jobs (not the stored `bench-<i>` rows) by status, and the seconds from
    claim to finish summed over the finished ones, from the table."""
    connection = await asyncpg.connect(driver_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT status, count(*) AS n,"
            " coalesce(sum(extract(epoch FROM finished_at - started_at)), 0) AS run_s"
            " FROM simulations WHERE request_hash NOT LIKE 'bench-%' GROUP BY status"
        )
    finally:
        await connection.close()
    return {row["status"]: row["n"] for row in rows}, float(sum(row["run_s"] for row in rows))


def percentile_ms(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def report(
    args: argparse.Namespace,
    traffic: Traffic,
    rss: RssSampler,
    server_pid: int,
    jobs: dict[str, int],
    job_run_s: float,
    elapsed_s: float,
) -> None:
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"fleetsim API load: 1 uvicorn process (local worker concurrency {WORKER_CONCURRENCY}), "
        f"{elapsed_s:.0f} s of mixed traffic from one asyncio client, {os.cpu_count()} cores "
        f"shared, {args.jobs} stored jobs, load average {load}"
    )
    print(
        f"{'route':<34} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'404/409':>7} {'errors':>6}"
    )
    all_errors: Counter[str] = Counter()
    for route, stats in traffic.stats.items():
        latencies = stats.latencies_ms
        all_errors.update({f"{' '.join(route.split())} {k}": n for k, n in stats.errors.items()})
        print(
            f"{route:<34} {stats.sent:>8} {stats.sent / elapsed_s:>7.1f} "
            f"{percentile_ms(latencies, 50):>8.1f} {percentile_ms(latencies, 99):>8.1f} "
            f"{max(latencies, default=float('nan')):>8.1f} {stats.expected:>7} "
            f"{stats.errors.total():>6}"
        )
    listed = ", ".join(f"{name}: {n}" for name, n in all_errors.most_common()) or "none"
    print(f"errors: {all_errors.total()} ({listed})")
    finished = jobs.get("succeeded", 0) + jobs.get("failed", 0)
    print(
        f"jobs submitted: {traffic.submitted}; at the end {jobs.get('succeeded', 0)} succeeded, "
        f"{jobs.get('failed', 0)} failed, {jobs.get('running', 0)} running, "
        f"{jobs.get('queued', 0)} queued ({finished / elapsed_s:.2f} finished/s; the worker's "
        f"{WORKER_CONCURRENCY} slots busy {job_run_s / (WORKER_CONCURRENCY * elapsed_s):.0%} "
        "of the time, claim to finish)"
    )
    for label, samples in (
        (f"server RSS (VmRSS of pid {server_pid})", rss.server_mb),
        (
            f"its {len(rss.children_seen)} child processes (simulation workers and a "
            "resource tracker), total",
            rss.children_mb,
        ),
    ):
        print(
            f"{label}: start {samples[0]:.0f} MB, after the warm-up run "
            f"{samples[rss.timed_from]:.0f} MB, peak {max(samples):.0f} MB, "
            f"end {samples[-1]:.0f} MB"
        )
    print(f"({len(rss.server_mb)} samples, one a second)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of traffic")
    parser.add_argument("--jobs", type=int, default=5_000, help="finished jobs stored before")
    parser.add_argument("--poll-rate", type=float, default=40, help="status polls per second")
    parser.add_argument("--submit-rate", type=float, default=5, help="submits per second")
    parser.add_argument("--result-rate", type=float, default=5, help="result reads per second")
    parser.add_argument("--list-rate", type=float, default=1, help="list walks per second")
    parser.add_argument("--sync-every", type=float, default=20, help="seconds between sync runs")
    parser.add_argument("--connections", type=int, default=100, help="client connection cap")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    with bench_database() as database_url:
        statuses = ("succeeded", "succeeded", "failed")
        stored_ids = asyncio.run(insert_jobs(database_url, args.jobs, statuses))
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "uvicorn.log"
            with api_server(database_url, log, worker_concurrency=WORKER_CONCURRENCY) as server:
                rss = RssSampler(server.process.pid)
                rss.sample()
                rss.start()
                traffic, elapsed_s = asyncio.run(drive(server.base_url, stored_ids, args, rss))
                rss.stop()
                jobs, job_run_s = asyncio.run(submitted_jobs(database_url))
                server_log = log.read_text()
        report(args, traffic, rss, server.process.pid, jobs, job_run_s, elapsed_s)
        if "Traceback" in server_log:
            print(f"the server logged a traceback; its log ends:\n{server_log[-3000:]}")


if __name__ == "__main__":
    main()
