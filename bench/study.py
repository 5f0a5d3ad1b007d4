"""Benchmark design studies: a grid over the default week, locally and through Pub/Sub.

The grid is site limit x DC ports x strategy (`sites.neuperlach_depot.site_power_limit_kw`,
`chargers.depot_dc_3.ports`, `strategy`), 4 values each by default: 64 points, each the
default scenario (20 vehicles, one week). Every measurement has its own random `fleet_id`
and a fresh output directory or database, so no point is reused from an earlier one.
  simulation  each point resolved and simulated in this process, one after another
              (`resolve_request` + `simulate`): its wall and CPU seconds, summed
  local       `run_study` with 1, then 2 forked processes, timed around `run_study` (as
              `main.py study` reports it); CPU of this process and its reaped children
  pubsub      the Pub/Sub emulator, a migrated database per run and `uvicorn main_pubsub:app
              --workers 1`, then `--workers 2` (FLEETSIM_JOB_PROCESSES=1) behind a push
              subscription; the study POSTed to the API created in this process (it checks
              the study and publishes the points), timed from the POST to status finished,
              after a small warm-up study; CPU of the worker processes (uvicorn's group)
For each run it prints points/s, the speedup over one process, and the overhead per point
beyond the simulation itself:
  wall  (wall s x processes - simulation wall s) / points, and as % of the mean simulation
        wall time per point: the processes' time not spent simulating (serialising, writing,
        the database, Pub/Sub, idle waits, other load on the cores)
  CPU   (the run's CPU s - simulation CPU s) / points, and as % of the mean simulation CPU
        per point: steadier than wall time on shared cores
Targets (printed as met / not met): 2 processes >= 1.8x the points/s of 1; wall overhead per
point < 10 % of the simulation's. Prints figures; asserts nothing. Pub/Sub needs java and
the gcloud SDK's Pub/Sub emulator jar.
Run: `python bench/study.py [--points-per-axis N] [--skip-pubsub]`.
"""

import argparse
import asyncio
import glob
import logging
import os
import resource
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from google.cloud import pubsub_v1  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pubsub import CATALOGUE, CONFIG_DIR, JAR, PROJECT, TOKEN, cpu_seconds, free_port, start, stop
from server import API_KEY, bench_database

from fleetsim.api.app import create_app
from fleetsim.config import resolve_request
from fleetsim.config.study import check_study
from fleetsim.jobs.local_study import run_study
from fleetsim.models.study import StudyRequest
from fleetsim.settings import Settings
from fleetsim.simulation import simulate
from fleetsim.studies.points import grid, point_request, study_id

STRATEGIES = ("greedy", "llf", "edf", "balanced", "time_of_use", "uncontrolled")
SPEEDUP_TARGET = 1.8
OVERHEAD_TARGET_PCT = 10.0
WARM_UP = {
    "label": "warm-up",
    "base": {"scenario": "smoke"},
    "grid": [{"path": "strategy", "values": list(STRATEGIES)}],
}
"""Six one-day points: starts the push workers' job processes before the timed study."""


def study_request(points_per_axis: int, label: str) -> StudyRequest:
    """The grid over the default week, with a fleet id of its own (no point reused)."""
    n = points_per_axis
    return StudyRequest.model_validate(
        {
            "label": label,
            "base": {"scenario": "default", "fleet_id": str(uuid.uuid4())},
            "grid": [
                {
                    "path": "sites.neuperlach_depot.site_power_limit_kw",
                    "values": [300 + 100 * i for i in range(n)],
                },
                {"path": "chargers.depot_dc_3.ports", "values": [1 + i for i in range(n)]},
                {"path": "strategy", "values": list(STRATEGIES[:n])},
            ],
        }
    )


@dataclass(frozen=True)
class Simulation:
    """The points simulated serially in this process."""

    points: int
    wall_s: float
    cpu_s: float
    json_s: float
    """Canonical JSON of the results, which both runs also do (counted as their overhead)."""


@dataclass(frozen=True)
class Run:
    door: str
    processes: int
    points: int
    wall_s: float
    cpu_s: float


def simulation_baseline(study: StudyRequest) -> Simulation:
    """Every point once, after one untimed warm-up run (first calls, caches)."""
    wall_s = cpu_s = json_s = 0.0
    points = grid(study)
    simulate(resolve_request(point_request(study.base, points[0]), CATALOGUE, CONFIG_DIR))
    for values in points:
        wall, cpu = time.perf_counter(), time.process_time()
        result = simulate(resolve_request(point_request(study.base, values), CATALOGUE, CONFIG_DIR))
        wall_s += time.perf_counter() - wall
        cpu_s += time.process_time() - cpu
        started = time.perf_counter()
        result.json_bytes()
        json_s += time.perf_counter() - started
    return Simulation(len(points), wall_s, cpu_s, json_s)


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def local_run(study: StudyRequest, processes: int) -> Run:
    """`run_study` into a fresh directory; CPU of this process plus its pool (reaped at the
    pool's end, so counted in RUSAGE_CHILDREN)."""
    base = check_study(study, CATALOGUE, CONFIG_DIR, max_points=study.max_points())
    sid = study_id(study, base.input_digest)
    with tempfile.TemporaryDirectory(prefix="fleetsim-study-") as out:
        cpu = time.process_time() + children_cpu_s()
        wall = time.perf_counter()
        result = run_study(study, sid, CATALOGUE, CONFIG_DIR, Path(out), workers=processes)
        wall_s = time.perf_counter() - wall
        cpu_s = time.process_time() + children_cpu_s() - cpu
    if result.points_failed:
        raise RuntimeError(f"{result.points_failed} of {len(result.points)} points failed")
    return Run("local run_study", processes, len(result.points), wall_s, cpu_s)


async def api_study(
    settings: Settings, body: dict[str, Any], timeout_s: float
) -> tuple[float, dict[str, Any]]:
    """POST the study to an in-process API, poll until finished: (seconds, final status)."""
    app = create_app(settings)
    logging.getLogger("fleetsim").setLevel(logging.WARNING)  # its info lines would bury the table
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api.bench",
            headers={"X-API-Key": API_KEY},
            timeout=60,
        ) as http,
    ):
        await http.get("/v1/studies")  # the API's database pool, before the clock starts
        started = time.perf_counter()
        response = await http.post("/v1/studies", json=body)
        if response.status_code != 202:
            raise RuntimeError(f"POST /v1/studies: {response.status_code} {response.text}")
        sid = response.json()["study_id"]
        deadline = started + timeout_s
        while time.perf_counter() < deadline:
            status = (await http.get(f"/v1/studies/{sid}")).json()
            if status["status"] == "finished":
                return time.perf_counter() - started, dict(status)
            await asyncio.sleep(0.05)
    raise RuntimeError(f"study {sid} not finished after {timeout_s:.0f} s: {status}")


def pubsub_run(study: StudyRequest, processes: int, tmp: Path) -> Run:
    """One push-worker deployment (its own database, topic and subscription) working the
    study; the emulator is already running (PUBSUB_EMULATOR_HOST is set)."""
    name = f"study-{processes}-{uuid.uuid4().hex[:6]}"
    publisher = pubsub_v1.PublisherClient()
    try:
        topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/{name}").name
    finally:
        publisher.stop()
    with bench_database() as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "FLEETSIM_CONFIG_DIR": str(CONFIG_DIR),
            "FLEETSIM_PUSH_TOKEN": TOKEN,
            "FLEETSIM_ENV": "test",
            "FLEETSIM_PUBSUB_TOPIC": topic,
            "FLEETSIM_JOB_PROCESSES": "1",
        }
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "main_pubsub:app", "--port", str(port)]
        command += ["--log-level", "warning", "--workers", str(processes)]
        log = tmp / f"{name}.log"
        worker = start(command, env, log, ready=f"http://127.0.0.1:{port}/healthz")
        try:
            with pubsub_v1.SubscriberClient() as subscriber:
                subscriber.create_subscription(
                    request={
                        "name": f"projects/{PROJECT}/subscriptions/{name}",
                        "topic": topic,
                        "ack_deadline_seconds": 600,  # no redelivery while a worker is busy
                        "push_config": {
                            "push_endpoint": f"http://127.0.0.1:{port}/pubsub/push?token={TOKEN}"
                        },
                    }
                )
            settings = Settings(
                DATABASE_URL=database_url,
                api_keys=(API_KEY,),
                env="test",
                config_dir=CONFIG_DIR,
                pubsub_topic=topic,
                worker_concurrency=0,
            )
            points = study.max_points()
            asyncio.run(api_study(settings, WARM_UP, timeout_s=300))
            cpu = cpu_seconds(worker.pid)
            body = study.model_dump(mode="json", by_alias=True, exclude_none=True)
            wall_s, status = asyncio.run(api_study(settings, body, timeout_s=120 + 20 * points))
            cpu_s = cpu_seconds(worker.pid) - cpu
        finally:
            stop(worker)
    if status["points_failed"]:
        raise RuntimeError(
            f"{status['points_failed']} points failed; log: {log.read_text()[-3000:]}"
        )
    return Run("pubsub push", processes, status["points_done"], wall_s, cpu_s)


def pubsub_runs(points_per_axis: int) -> list[Run]:
    jars = sorted(glob.glob(JAR))
    if not jars:
        sys.exit(f"no Pub/Sub emulator jar at {JAR} (install the gcloud SDK's emulator)")
    with tempfile.TemporaryDirectory(prefix="fleetsim-bench-") as tmp:
        port = free_port()
        emulator = start(
            ["java", "-jar", jars[-1], "--host=127.0.0.1", f"--port={port}"],
            dict(os.environ),
            Path(tmp) / "emulator.log",
            ready=f"http://127.0.0.1:{port}/",
        )
        os.environ["PUBSUB_EMULATOR_HOST"] = f"127.0.0.1:{port}"
        try:
            return [
                pubsub_run(study_request(points_per_axis, f"bench pubsub {p}"), p, Path(tmp))
                for p in (1, 2)
            ]
        finally:
            stop(emulator)


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--points-per-axis",
        type=int,
        default=4,
        choices=range(1, len(STRATEGIES) + 1),
        metavar=f"1..{len(STRATEGIES)}",
        help="values of each of the three axes (grid points: its cube)",
    )
    parser.add_argument("--skip-pubsub", action="store_true", help="local runs only")
    args = parser.parse_args()
    n = args.points_per_axis
    load_before = load_average()

    simulation = simulation_baseline(study_request(n, "bench simulation"))
    runs = [local_run(study_request(n, f"bench local {p}"), p) for p in (1, 2)]
    if not args.skip_pubsub:
        runs += pubsub_runs(n)

    points = simulation.points
    sim_wall_ms = simulation.wall_s / points * 1000
    sim_cpu_ms = simulation.cpu_s / points * 1000
    print(
        f"fleetsim study benchmark: {points} points ({n} site limits x {n} DC ports x "
        f"{n} strategies), default week (20 vehicles), {os.cpu_count()} cores shared, "
        f"load average {load_before} before"
    )
    print(
        f"simulation, serial in-process (resolve + simulate): {simulation.wall_s:.1f} s wall, "
        f"{simulation.cpu_s:.1f} s CPU; per point {sim_wall_ms:.0f} ms wall, "
        f"{sim_cpu_ms:.0f} ms CPU (canonical JSON, not included: "
        f"{simulation.json_s / points * 1000:.0f} ms)"
    )
    print(
        f"{'run':<16} {'procs':>5} {'wall s':>7} {'points/s':>8} {'speedup':>7}  "
        f"{'overhead/point wall':>20}  {'CPU s/point':>11}  {'overhead/point CPU':>19}"
    )
    one: dict[str, Run] = {}
    verdicts = []
    for run in runs:
        one.setdefault(run.door, run)
        speedup = one[run.door].wall_s / run.wall_s
        wall_ms = (run.wall_s * run.processes - simulation.wall_s) / run.points * 1000
        cpu_ms = (run.cpu_s - simulation.cpu_s) / run.points * 1000
        wall_pct = wall_ms / sim_wall_ms * 100
        cpu_pct = cpu_ms / sim_cpu_ms * 100
        print(
            f"{run.door:<16} {run.processes:>5} {run.wall_s:>7.1f} "
            f"{run.points / run.wall_s:>8.2f} {speedup:>6.2f}x  "
            f"{wall_ms:>+9.0f} ms ({wall_pct:>+4.0f} %)  {run.cpu_s / run.points:>11.2f}  "
            f"{cpu_ms:>+8.0f} ms ({cpu_pct:>+4.0f} %)"
        )
        if run.processes == 2:
            verdicts.append(
                f"{run.door}: 2 processes {speedup:.2f}x of 1 (target >= {SPEEDUP_TARGET}x): "
                + met(speedup >= SPEEDUP_TARGET)
            )
        verdicts.append(
            f"{run.door}, {run.processes} process{'es' if run.processes > 1 else ''}: "
            f"overhead per point {wall_pct:.0f} % of the simulation's wall time "
            f"(CPU: {cpu_pct:.0f} %), target < {OVERHEAD_TARGET_PCT:.0f} %: "
            + met(wall_pct < OVERHEAD_TARGET_PCT)
        )
    print("targets:")
    for verdict in verdicts:
        print(f"  {verdict}")
    print(f"load average {load_average()} after")


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    main()
