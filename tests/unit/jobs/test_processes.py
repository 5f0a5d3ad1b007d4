"""Worker processes: a run over its memory limit or deadline, or a worker that dies, is
stopped and reported, and the next run gets a fresh worker; results are the core's bytes."""

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fleetsim.config import Catalogue, ConfigErrors, load_catalogue, resolve_request
from fleetsim.jobs.processes import JobLimitError, JobProcesses, ProcessLimits
from fleetsim.models import ResolvedRequest, SimulationRequest
from fleetsim.simulation import simulate

pytestmark = pytest.mark.anyio

CONFIG = Path(__file__).resolve().parents[3] / "config"
MEMORY_BYTES = 260 * 2**20
"""Room for the smoke scenario, not for a 10 s step over a week of the default fleet (its
result alone is 152 MiB; three days, 65 MiB, now fit)."""
LARGE = {
    "scenario": "default",
    "step_s": 10,
    "time_series_resolution_s": 10,
    "max_points": 10_000_000,
    "horizon": {"start": "2026-01-05T00:00:00+01:00", "days": 7},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@cache
def catalogue() -> Catalogue:
    return load_catalogue(CONFIG)


def resolved(**body: Any) -> ResolvedRequest:
    request = SimulationRequest.model_validate(body)
    return resolve_request(request, catalogue(), CONFIG)


@pytest.fixture
async def processes() -> AsyncIterator[JobProcesses]:
    pool = JobProcesses(1, ProcessLimits(memory_bytes=MEMORY_BYTES, timeout_s=60))
    try:
        yield pool
    finally:
        await pool.close()


async def test_a_run_gives_the_bytes_of_the_core_in_this_process(
    processes: JobProcesses,
) -> None:
    smoke = resolved(scenario="smoke")

    result = await processes.simulate(smoke)

    assert result.json_bytes() == simulate(smoke).json_bytes()


async def test_a_run_over_the_memory_limit_is_stopped_and_the_next_run_succeeds(
    processes: JobProcesses,
) -> None:
    with pytest.raises(JobLimitError) as caught:
        await processes.simulate(resolved(**LARGE))

    assert caught.value.bound == "memory"
    assert "FLEETSIM_JOB_MEMORY_MB=260" in str(caught.value)
    assert (await processes.simulate(resolved(scenario="smoke"))).metadata.kpis.feasible


async def test_a_run_past_its_deadline_is_killed_and_reported() -> None:
    pool = JobProcesses(1, ProcessLimits(memory_bytes=2**31, timeout_s=0.05))
    try:
        with pytest.raises(JobLimitError, match=r"longer than FLEETSIM_JOB_TIMEOUT_S=0\.05 s"):
            await pool.simulate(resolved(scenario="default"))
        assert not pool._all, "the worker that overran was killed and dropped"
    finally:
        await pool.close()


async def test_a_worker_that_dies_mid_run_is_reported_and_replaced(
    processes: JobProcesses,
) -> None:
    await processes.simulate(resolved(scenario="smoke"))  # the worker is up
    (worker,) = processes._all
    # Four weeks of the default fleet: still running when the worker is killed.
    month = {"start": "2026-03-02T00:00:00+01:00", "days": 28}
    run = asyncio.create_task(processes.simulate(resolved(scenario="default", horizon=month)))
    await asyncio.sleep(0.3)
    os.kill(worker.process.pid or 0, signal.SIGKILL)

    with pytest.raises(JobLimitError) as caught:
        await run

    assert caught.value.bound == "crash"
    assert not worker.process.is_alive()
    assert (await processes.simulate(resolved(scenario="smoke"))).metadata.kpis.feasible


async def test_the_runs_own_error_comes_back_as_it_was_raised(processes: JobProcesses) -> None:
    smoke = resolved(scenario="smoke")
    broken = smoke.model_copy(update={"routes": {}})  # its trips name routes it lacks

    with pytest.raises(Exception) as caught:
        await processes.simulate(broken)

    assert not isinstance(caught.value, JobLimitError | ConfigErrors)
    (worker,) = processes._all
    assert worker.process.is_alive(), "a run's own error does not cost the worker"
