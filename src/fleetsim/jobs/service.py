"""The one job path every door takes: resolve, create (idempotently), run, read the result.

Doors only translate their protocol to it: the API's routes and local worker, the Pub/Sub
push and pull handler, and the CLI's `--mode db|gcs`. `open_services` opens what a job
needs (catalogue, job store, bucket) once per process and closes it at the end.
"""

import asyncio
import gc
import logging
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, TypeAdapter

from fleetsim import runner
from fleetsim.config import Catalogue, ConfigErrors, load_catalogue, request_hash, resolve_request
from fleetsim.jobs.errors import NoBucketError
from fleetsim.jobs.execute import CoreRun, Outcome, Simulation, execute, in_thread
from fleetsim.jobs.limits import job_limits
from fleetsim.jobs.processes import JobProcesses, ProcessLimits
from fleetsim.jobs.store import Created, JobStore
from fleetsim.models import (
    CanonicalResult,
    ChargingEvent,
    JobMessage,
    JobMode,
    ResolvedRequest,
    ResultSummary,
    SimulationRequest,
    SiteLoadPoint,
    TimeSeriesPoint,
    canonical_json_bytes,
)
from fleetsim.models.job import JobStatus
from fleetsim.models.result import canonical_json_text
from fleetsim.settings import Settings
from fleetsim.simulation.summary import summarise
from fleetsim.sinks.gcs import GcsSink

logger = logging.getLogger(__name__)

Dispatch = Callable[[JobMessage], Awaitable[None]]
"""Hands a queued job to whatever runs it: the local worker, or a Pub/Sub publisher."""

FINISHED = frozenset({Outcome.SUCCEEDED, Outcome.FAILED, Outcome.DONE, Outcome.EXHAUSTED})
"""Outcomes after which the job is terminal (DONE: a redelivery of a finished job, so a
study whose advance failed the first time advances now)."""

INVALID_DIGEST_PREFIX = "invalid:"
"""Input digest of a job whose message or request cannot run, followed by a hash of it."""


class CatalogueUnavailableError(Exception):
    """The reference data failed to load: no request can be resolved until a restart."""

    def __init__(self, cause: ConfigErrors) -> None:
        self.cause = cause
        super().__init__(f"reference data failed to load: {cause}")


@dataclass(frozen=True)
class JobResult:
    """A job's status and, once it succeeded, its canonical result bytes."""

    status: JobStatus
    data: bytes | None
    """The canonical result bytes, gzip-compressed where `gzipped` (as the row keeps them)."""
    uri: str | None = None
    """The result object's gs:// URI, for a mode gcs result."""
    gzipped: bool = False

    def plain_size(self) -> int:
        """Bytes of the uncompressed result, read from the gzip trailer without
        decompressing (a result is far below its 4 GiB wrap); 0 without a result."""
        if self.data is None:
            return 0
        if not self.gzipped:
            return len(self.data)
        return int.from_bytes(self.data[-4:], "little")

    def plain(self) -> bytes | None:
        """The canonical result bytes, uncompressed into one buffer of the size the trailer
        gives (gzip.decompress would hold twice the result while joining its pieces)."""
        if self.data is None or not self.gzipped:
            return self.data
        return zlib.decompress(self.data, GZIP_WINDOW_BITS, max(self.plain_size(), 1))

    def plain_chunks(self) -> Iterator[bytes]:
        """The canonical result bytes, uncompressed a chunk of at most PLAIN_CHUNK_BYTES at a
        time: a response streams a year's 690 MB holding the compressed bytes and one chunk.
        Nothing without a result."""
        if self.data is None:
            return
        if not self.gzipped:
            yield self.data
            return
        inflater = zlib.decompressobj(GZIP_WINDOW_BITS)
        compressed = memoryview(self.data)
        for start in range(0, len(compressed), COMPRESSED_CHUNK_BYTES):
            pending: bytes | memoryview = compressed[start : start + COMPRESSED_CHUNK_BYTES]
            while pending:  # the rest of this piece of input: at most one piece is copied
                if chunk := inflater.decompress(pending, PLAIN_CHUNK_BYTES):
                    yield chunk
                pending = inflater.unconsumed_tail
        if rest := inflater.flush():
            yield rest


GZIP_WINDOW_BITS = 31
"""zlib's window bits for a gzip stream (header and trailer)."""
COMPRESSED_CHUNK_BYTES = 1 << 16
PLAIN_CHUNK_BYTES = 1 << 20
"""A streamed result's pieces: 64 KiB of its gzip bytes in, at most 1 MiB out per chunk."""


ResultRowsPart = Literal["time_series_data", "site_load", "charging_events"]
"""The result's row lists that are offered on their own (as JSON or CSV)."""
ROW_MODELS: dict[ResultRowsPart, type[BaseModel]] = {
    "time_series_data": TimeSeriesPoint,
    "site_load": SiteLoadPoint,
    "charging_events": ChargingEvent,
}


@dataclass(frozen=True)
class JobRows:
    """A job's status and, once it succeeded, one of its result's row lists."""

    status: JobStatus
    rows_json: bytes | memoryview | None
    """The row list's canonical JSON text; a view into the result's bytes when read from
    them (nothing parsed)."""


def _summary_bytes(stored: str) -> bytes:
    """A stored summary back to its canonical bytes (JSONB reorders keys, and reads `1e20`
    back as an integer: the model restores both)."""
    return canonical_json_bytes(ResultSummary.model_validate_json(stored))


def _summarised(envelope: bytes) -> bytes:
    return canonical_json_bytes(summarise(CanonicalResult.from_json(envelope)))


def _canonical_rows(part: ResultRowsPart, stored: str) -> bytes:
    """A stored row list back to its canonical JSON, through its row model (see above)."""
    adapter = TypeAdapter(list[ROW_MODELS[part]])  # type: ignore[valid-type]
    rows = adapter.dump_python(adapter.validate_json(stored), mode="json")
    return canonical_json_text(rows).encode("utf-8")


class JobService:
    """Jobs from request to result, the same way from every door."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        catalogue: "Future[Catalogue]",
        *,
        simulate: Simulation,
        objects: GcsSink | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.objects = objects
        """FLEETSIM_GCS_BUCKET: where mode gcs results are written and read from."""
        self._catalogue = catalogue
        self._simulation = simulate
        self.on_finished: Callable[[UUID], Awaitable[None]] | None = None
        """Called with a job's id once a run leaves it finished (a door sets it: studies
        advance when one of their points finishes)."""

    def catalogue(self) -> Catalogue:
        """Blocking: the reference data once loaded; raises CatalogueUnavailableError."""
        try:
            return self._catalogue.result()
        except ConfigErrors as exc:
            raise CatalogueUnavailableError(exc) from exc

    async def loaded_catalogue(self) -> Catalogue:
        """The reference data, awaited without blocking the event loop."""
        try:
            return await asyncio.wrap_future(self._catalogue)
        except ConfigErrors as exc:
            raise CatalogueUnavailableError(exc) from exc

    async def simulate(self, resolved: ResolvedRequest) -> CanonicalResult:
        """The core run on a resolved request: in a worker process under the memory limit
        and the deadline (raises JobLimitError past either), or in a stand-in's thread."""
        return await self._simulation(resolved)

    def resolve(self, request: SimulationRequest) -> ResolvedRequest:
        """Blocking: the request resolved against the catalogue; raises ConfigErrors."""
        return resolve_request(request, self.catalogue(), self.settings.config_dir)

    async def create(
        self,
        request: SimulationRequest,
        resolved: ResolvedRequest | None,
        *,
        mode: JobMode,
        idempotency_key: str | None = None,
        job_id: UUID | None = None,
    ) -> Created:
        """The queued job of `resolved`, or the job that already has its identity (fleet and
        input digest) or `idempotency_key`. `job_id` names a new job (a Pub/Sub publisher's);
        otherwise its id derives from the identity, as every door gives it.

        `resolved` None: a request that does not resolve (one published straight to the
        topic) still gets its job, keyed `invalid:<request hash>`, so whoever polls it
        learns why: running it fails it with the problems.
        """
        fleet_id = request.effective_fleet_id
        raw_hash = request_hash(request)
        digest = INVALID_DIGEST_PREFIX + raw_hash if resolved is None else resolved.input_digest
        return await self.store.create(
            job_id=job_id or runner.job_id_for(fleet_id, digest),
            fleet_id=fleet_id,
            request=request.model_dump(mode="json", exclude_unset=True),
            request_hash=raw_hash,
            input_digest=digest,
            idempotency_key=idempotency_key,
            mode=mode,
            scenario=request.scenario,
            label=request.label,
        )

    async def run(self, job_id: UUID) -> Outcome:
        """Claim, run and record the job (see `execute`), then tell `on_finished`."""
        outcome = await execute(
            self.store,
            job_id,
            self.resolve,
            self.simulate,
            limits=job_limits(self.settings),
            max_attempts=self.settings.max_attempts,
            lease_s=self.settings.lease_s,
            objects=self.objects,
        )
        if self.on_finished is not None and outcome in FINISHED:
            await self.on_finished(job_id)
        return outcome

    async def result(self, job_id: UUID) -> JobResult | None:
        """The job's status and result bytes, from its row or its object; None if no such
        job. Raises NoBucketError for a gcs result without FLEETSIM_GCS_BUCKET here."""
        stored = await self.store.result(job_id)
        if stored is None:
            return None
        data = stored.envelope
        if data is None and stored.uri is not None:
            if self.objects is None:
                raise NoBucketError(job_id)
            data = await asyncio.to_thread(self.objects.read, stored.uri)
        return JobResult(stored.status, data, stored.uri, stored.gzipped)

    async def summary(self, job_id: UUID) -> JobResult | None:
        """The job's status and, once it succeeded, its summary's canonical bytes: from the
        row, or made from the result for a job that finished before summaries were stored.
        None if no such job; raises NoBucketError as `result` does."""
        stored = await self.store.succeeded_column(job_id, "summary")
        if stored is None or stored.status != "succeeded":
            return None if stored is None else JobResult(stored.status, None)
        if stored.text is not None:
            return JobResult(stored.status, await asyncio.to_thread(_summary_bytes, stored.text))
        found = await self.result(job_id)
        if found is None or found.data is None:
            return found
        envelope = await asyncio.to_thread(found.plain)
        assert envelope is not None
        return JobResult(found.status, await asyncio.to_thread(_summarised, envelope))

    async def result_rows(self, job_id: UUID, part: ResultRowsPart) -> JobRows | None:
        """The job's status and, once it succeeded, one row list of its result as canonical
        JSON, read alone from the row or found in the result's bytes (nothing parsed)."""
        stored = await self.store.succeeded_column(job_id, part)
        if stored is None or stored.status != "succeeded":
            return None if stored is None else JobRows(stored.status, None)
        if stored.text is not None:
            text = stored.text
            return JobRows(stored.status, await asyncio.to_thread(_canonical_rows, part, text))
        found = await self.result(job_id)
        if found is None or found.data is None:
            return None if found is None else JobRows(found.status, None)
        plain = await asyncio.to_thread(found.plain)
        assert plain is not None
        result = await asyncio.to_thread(CanonicalResult.from_json, plain)
        return JobRows(found.status, result.part_view(part))


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    simulate: CoreRun | None = None,
    objects: GcsSink | None = None,
    catalogue: Catalogue | None = None,
    catalogue_in_background: bool = False,
    pool_size: int = 20,
) -> AsyncIterator[JobService]:
    """The job service with its catalogue (loaded here unless given), job store, worker
    processes (`simulate` replaces them by a function run in threads: the CLI, tests) and
    (with FLEETSIM_GCS_BUCKET, unless `objects` is given) bucket, closed on exit.
    `catalogue_in_background`: load the reference data in a thread after returning, so a
    server answers at once (cold start)."""
    if catalogue is not None:
        loaded: Future[Catalogue] = Future()
        loaded.set_result(catalogue)
    else:
        loaded = _load(settings, background=catalogue_in_background)
    opened = None
    if objects is None and settings.gcs_bucket is not None:
        objects = opened = GcsSink.open(settings.gcs_bucket, project=settings.project)
    try:
        if not catalogue_in_background:
            await asyncio.wrap_future(loaded)
        store = await JobStore.open(settings.database_url, pool_size=pool_size)
        processes = None
        simulation: Simulation
        if simulate is None:
            processes = JobProcesses(settings.job_processes, process_limits(settings))
            simulation = processes.simulate
        else:
            simulation = in_thread(simulate)
        try:
            yield JobService(settings, store, loaded, simulate=simulation, objects=objects)
        finally:
            if processes is not None:
                await processes.close()
            await store.close()
    finally:
        if opened is not None:
            opened.close()


def _load(settings: Settings, *, background: bool) -> "Future[Catalogue]":
    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalogue")
    future = loader.submit(_loaded, settings, background=background)
    loader.shutdown(wait=False)
    return future


def _loaded(settings: Settings, *, background: bool) -> Catalogue:
    """Load the reference data, then take the start-up heap out of GC passes."""
    try:
        catalogue = load_catalogue(settings.config_dir, settings.config_overrides)
    except ConfigErrors as exc:
        if background:  # nobody waits for it: say so now, every simulation answers 503
            logger.error("reference data failed to load: every simulation answers 503\n%s", exc)
        raise
    logger.info(
        "catalogue loaded",
        extra={
            "scenarios": len(catalogue.scenarios),
            "vehicles": len(catalogue.vehicles),
            "routes": len(catalogue.route_specs),
            "chargers": len(catalogue.chargers),
        },
    )
    gc.collect()
    gc.freeze()  # the catalogue and geo libraries leave every GC pass: a shorter p99
    return catalogue


def process_limits(settings: Settings) -> ProcessLimits:
    """FLEETSIM_JOB_MEMORY_MB and FLEETSIM_JOB_TIMEOUT_S as the worker processes' limits."""
    return ProcessLimits(
        memory_bytes=settings.job_memory_mb * 2**20, timeout_s=settings.job_timeout_s
    )
