"""Simulations in worker processes, each under a memory limit and every run under a deadline,
so that no job can take the server that asked for it down.

Each worker is a spawned process that stays alive between runs (its imports are paid once).
It caps its own address space (RLIMIT_AS) at start; a run that needs more fails with
MemoryError inside the worker and is reported as over the memory limit. A run past its
deadline, or a worker that dies (the kernel's OOM killer, a crash), is killed and its worker
replaced; the caller gets JobLimitError saying which bound and by how much.
"""

import asyncio
import contextlib
import logging
import multiprocessing
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from fleetsim.models import CanonicalResult, ResolvedRequest

logger = logging.getLogger(__name__)

_CONTEXT = multiprocessing.get_context("spawn")  # never fork a process with threads and a loop


class JobLimitError(Exception):
    """A run went past a bound of the process it ran in; retrying cannot help."""

    def __init__(self, bound: str, message: str) -> None:
        self.bound = bound
        super().__init__(message)


@dataclass(frozen=True)
class ProcessLimits:
    memory_bytes: int
    """RLIMIT_AS of each worker process: its whole address space, interpreter included."""
    timeout_s: float
    """Wall-clock deadline of one run."""


def _worker_main(connection: Connection, memory_bytes: int) -> None:
    """A worker's life: cap memory, then simulate each resolved request sent, until EOF."""
    import resource

    from fleetsim.allocator import map_large_blocks

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    map_large_blocks()
    while True:
        try:
            resolved = connection.recv()
        except EOFError:
            return
        _answer(connection, resolved)


def _answer(connection: Connection, resolved: ResolvedRequest) -> None:
    """Simulate one request and send what came of it: `("ok", (spans, row_counts))` and then
    the envelope's bytes as they are (not pickled: a pickle would be a second copy of a
    result that can be 690 MB; the caller keeps them without parsing), `("memory", None)`
    or `("error", exception)`. The result is freed when this returns, not held while idle."""
    from fleetsim.simulation import simulate

    try:
        result = simulate(resolved)
    except MemoryError:
        connection.send(("memory", None))
        return
    except Exception as exc:  # sent back: the caller records it as the job's error
        connection.send(("error", exc))
        return
    connection.send(("ok", (result.spans, result.row_counts)))
    connection.send_bytes(result.envelope)


class _RunError(Exception):
    """Carries the exception a run raised in its worker."""

    def __init__(self, cause: Exception) -> None:
        self.cause = cause


class _Worker:
    def __init__(self, limits: ProcessLimits) -> None:
        parent, child = _CONTEXT.Pipe()
        env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)  # one BLAS thread: its stacks would eat the address space
        try:
            self.process: BaseProcess = _CONTEXT.Process(
                target=_worker_main,
                args=(child, limits.memory_bytes),
                name="fleetsim-job",
                daemon=True,
            )
            self.process.start()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        child.close()
        self.connection = parent

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


class JobProcesses:
    """`size` worker processes; `simulate` runs on a free one (waiting for one if needed)."""

    def __init__(self, size: int, limits: ProcessLimits) -> None:
        self._limits = limits
        self._size = size
        self._idle: asyncio.Queue[_Worker | None] = asyncio.Queue()
        for _ in range(size):
            self._idle.put_nowait(None)  # started on first use: a server starts at once
        self._all: set[_Worker] = set()

    async def simulate(self, resolved: ResolvedRequest) -> CanonicalResult:
        """The run's result; raises JobLimitError past the memory limit or the deadline
        (the worker is then replaced), or the run's own exception."""
        worker = await self._idle.get()
        try:
            if worker is None or not worker.process.is_alive():
                worker = await asyncio.to_thread(self._started)
            data = await asyncio.to_thread(self._run, worker, resolved)
        except _RunError as exc:  # the run's own exception: the worker is fine
            self._idle.put_nowait(worker)
            raise exc.cause from None
        except BaseException:  # a limit, a dead worker, or cancellation mid-run
            if worker is not None:
                await asyncio.to_thread(self._discard, worker)
            self._idle.put_nowait(None)
            raise
        self._idle.put_nowait(worker)
        return CanonicalResult.of_envelope(*data)

    def _started(self) -> _Worker:
        worker = _Worker(self._limits)
        self._all.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        self._all.discard(worker)
        worker.stop()

    def _run(
        self, worker: _Worker, resolved: ResolvedRequest
    ) -> tuple[bytes, dict[str, tuple[int, int]], dict[str, int]]:
        """Blocking: send the request, wait for the reply until the deadline."""
        limits = self._limits
        started = time.monotonic()
        worker.connection.send(resolved)
        if not worker.connection.poll(limits.timeout_s):
            raise JobLimitError(
                "timeout",
                f"the simulation ran longer than FLEETSIM_JOB_TIMEOUT_S={limits.timeout_s:g} s "
                "and was stopped",
            )
        try:
            status, value = worker.connection.recv()
        except (EOFError, OSError) as exc:
            raise JobLimitError(
                "crash",
                f"the simulation's process ended after {time.monotonic() - started:.1f} s "
                f"(exit code {worker.process.exitcode}), most likely out of memory",
            ) from exc
        if status == "memory":
            raise JobLimitError(
                "memory",
                "the simulation needed more memory than FLEETSIM_JOB_MEMORY_MB="
                f"{limits.memory_bytes // 2**20} allows and was stopped",
            )
        if status == "error":
            raise _RunError(value)
        spans, row_counts = value
        try:
            envelope = worker.connection.recv_bytes()
        except (EOFError, OSError) as exc:
            raise JobLimitError(
                "crash", "the simulation's process ended while sending its result"
            ) from exc
        return envelope, spans, row_counts

    async def close(self) -> None:
        """Stop every worker (a run still going is killed)."""
        for worker in list(self._all):
            await asyncio.to_thread(self._discard, worker)
