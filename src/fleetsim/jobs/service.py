"""The one job path every door takes: resolve, create (idempotently), run, read the result.

Doors only translate their protocol to it: the API's routes and local worker, the Pub/Sub
push and pull handler, and the CLI's `--mode db|gcs`. `open_services` opens what a job
needs (catalogue, job store, bucket) once per process and closes it at the end.
"""

import asyncio
import gc
import gzip
import logging
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

from fleetsim import runner
from fleetsim.config import Catalogue, ConfigErrors, load_catalogue, request_hash, resolve_request
from fleetsim.jobs.errors import NoBucketError
from fleetsim.jobs.execute import CoreRun, Outcome, Simulation, execute, in_thread
from fleetsim.jobs.limits import job_limits
from fleetsim.jobs.processes import JobProcesses, ProcessLimits
from fleetsim.jobs.store import Created, JobStore
from fleetsim.models import CanonicalResult, JobMode, ResolvedRequest, SimulationRequest
from fleetsim.models.job import JobStatus
from fleetsim.settings import Settings
from fleetsim.sinks.gcs import GcsSink

logger = logging.getLogger(__name__)

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

    def plain(self) -> bytes | None:
        """The canonical result bytes, uncompressed."""
        if self.data is None or not self.gzipped:
            return self.data
        return gzip.decompress(self.data)


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
        )

    async def run(self, job_id: UUID) -> Outcome:
        """Claim, run and record the job (see `execute`)."""
        return await execute(
            self.store,
            job_id,
            self.resolve,
            self.simulate,
            limits=job_limits(self.settings),
            max_attempts=self.settings.max_attempts,
            lease_s=self.settings.lease_s,
            objects=self.objects,
        )

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
