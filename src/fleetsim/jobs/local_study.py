"""A study on this machine (the CLI): its points simulated in a pool of processes, each an
ordinary local job (`<out>/<job_id>/result.json`, reused when it exists), the sizing search
advanced as soon as a grid point's round has finished."""

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from fleetsim import runner
from fleetsim.config import Catalogue, ConfigErrors, request_hash, resolve_request
from fleetsim.models import SimulationRequest
from fleetsim.models.study import StudyRequest, StudyResult, meets, point_kpis
from fleetsim.simulation import simulate
from fleetsim.sinks.local import write_result
from fleetsim.studies.points import Point, PointKey, installed_kw, next_points, point_request
from fleetsim.studies.table import Outcome, study_result

_catalogue: Catalogue | None = None
"""The parent's catalogue, inherited by the forked pool processes (loaded once)."""


@dataclass(frozen=True)
class PointRun:
    """What a pool process sends back: small, so the result bytes stay in its file."""

    job_id: UUID
    kpis: dict[str, Any] | None
    installed_kw: float
    error: str | None
    reused: bool


def run_point(request_json: bytes, config_dir: Path, out_dir: Path) -> PointRun:
    """One point as a local job: its result file read back when it exists, else simulated
    and written. Errors come back as the point's error, never raised."""
    assert _catalogue is not None, "run_point runs in a pool forked by run_study"
    request = SimulationRequest.model_validate_json(request_json)
    try:
        resolved = resolve_request(request, _catalogue, config_dir)
    except ConfigErrors as exc:  # checked before the study started: the config changed since
        invalid = runner.job_id_for(request.effective_fleet_id, f"invalid:{request_hash(request)}")
        return PointRun(invalid, None, 0.0, str(exc), reused=False)
    job_id = runner.job_id_for(request.effective_fleet_id, resolved.input_digest)
    power = installed_kw(resolved)
    existing = out_dir / str(job_id) / "result.json"
    if existing.is_file():
        kpis = orjson.loads(existing.read_bytes())["metadata"]["kpis"]
        return PointRun(job_id, kpis, power, None, reused=True)
    try:
        result = simulate(resolved)
    except Exception as exc:  # a point's failure is a row of the table, not the study's end
        return PointRun(job_id, None, power, f"{type(exc).__name__}: {exc}", False)
    write_result(out_dir, job_id, result.json_bytes())
    kpis = orjson.loads(result.part_view("metadata"))["kpis"]
    return PointRun(job_id, kpis, power, None, reused=False)


@dataclass
class Progress:
    done: int = 0
    planned: int = 0
    reused: int = 0
    failed: int = 0


def run_study(
    study: StudyRequest,
    study_id: UUID,
    catalogue: Catalogue,
    config_dir: Path,
    out_dir: Path,
    *,
    workers: int | None = None,
    on_progress: Callable[[Progress], None] = lambda _: None,
) -> StudyResult:
    """Every point of a checked study (see `check_study`), `workers` at once (default: the
    machine's cores), then its table."""
    global _catalogue
    _catalogue = catalogue
    planned: set[PointKey] = set()
    met: dict[PointKey, bool] = {}
    outcomes: list[Outcome] = []
    progress = Progress()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers or os.cpu_count() or 1, mp_context=context) as pool:
        running: dict[Future[PointRun], Point] = {}

        def submit(points: list[Point]) -> None:
            for point in points:
                planned.add(point.key)
                data = point_request(study.base, point.values).model_dump_json(exclude_unset=True)
                running[pool.submit(run_point, data.encode(), config_dir, out_dir)] = point
            progress.planned = len(planned)

        submit(next_points(study, planned, met))
        on_progress(progress)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                point = running.pop(future)
                outcome = _outcome(point, future.result())
                outcomes.append(outcome)
                met[point.key] = study.size is None or (
                    outcome.kpis is not None and meets(study.size.require, outcome.kpis)
                )
                progress.done += 1
                progress.failed += outcome.kpis is None
                progress.reused += future.result().reused
            submit(next_points(study, planned, met))
            on_progress(progress)
    return study_result(study, study_id, outcomes)


def _outcome(point: Point, run: PointRun) -> Outcome:
    kpis = None if run.kpis is None else point_kpis(run.kpis, run.installed_kw)
    return Outcome(point, run.job_id, kpis, run.error)
