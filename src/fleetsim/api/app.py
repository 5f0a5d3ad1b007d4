"""The HTTP API application: routers, middleware, error handlers and the lifespan that opens
the job store, the catalogue and the worker or publisher.

Schema migrations are not run here: `alembic upgrade head` does that, in CI and on deploy.
"""

import gc
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fleetsim import __version__, runner
from fleetsim.api import health, reference, simulations
from fleetsim.api.deps import Dispatch, Services, loaded_catalogue
from fleetsim.api.errors import install_error_handlers
from fleetsim.api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from fleetsim.api.openapi import install_openapi_corrections
from fleetsim.config import Catalogue, ConfigErrors, load_catalogue
from fleetsim.jobs.worker import LocalWorker
from fleetsim.logs import configure_logging
from fleetsim.models import CanonicalResult, JobMessage, ResolvedRequest, SimulationRequest
from fleetsim.pubsub.publisher import Publisher
from fleetsim.settings import Settings
from fleetsim.sinks.gcs import GcsSink
from fleetsim.sinks.postgres import PostgresSink

logger = logging.getLogger("fleetsim.api")

Simulate = Callable[[ResolvedRequest], CanonicalResult]


async def _leave_queued(message: JobMessage) -> None:
    """FLEETSIM_WORKER_CONCURRENCY=0: another process claims submitted jobs."""


def _load_catalogue(settings: Settings) -> Catalogue:
    """Load the reference data (in a thread), then take the start-up heap out of GC passes."""
    try:
        catalogue = load_catalogue(settings.config_dir, settings.config_overrides)
    except ConfigErrors as exc:
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


def create_app(
    settings: Settings | None = None,
    *,
    simulate: Simulate = runner.simulate,
    publish: Dispatch | None = None,
) -> FastAPI:
    """The API; `publish` replaces the FLEETSIM_PUBSUB_TOPIC publisher (tests)."""
    settings = settings or Settings()
    configure_logging()
    prod = settings.env == "prod"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The server answers at once; routes that need reference data wait for it.
        loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalogue")
        catalogue_future = loader.submit(_load_catalogue, settings)
        loader.shutdown(wait=False)
        config_dir = settings.config_dir

        def resolve(request: SimulationRequest) -> ResolvedRequest:
            return runner.resolve(request, loaded_catalogue(catalogue_future), config_dir)

        sink = await PostgresSink.open(settings.database_url)
        objects = None
        if settings.gcs_bucket is not None:
            objects = GcsSink.open(settings.gcs_bucket, project=settings.project)
        worker: LocalWorker | None = None
        publisher: Publisher | None = None
        dispatch: Dispatch = _leave_queued
        if settings.pubsub_topic is not None and publish is not None:
            dispatch = publish
        elif settings.pubsub_topic is not None:
            publisher = Publisher(settings.pubsub_topic, timeout_s=settings.publish_timeout_s)
            dispatch = publisher.publish
        elif settings.worker_concurrency > 0:
            worker = LocalWorker(
                sink,
                lambda request: simulate(resolve(request)),
                concurrency=settings.worker_concurrency,
                max_attempts=settings.max_attempts,
                lease_s=settings.lease_s,
                objects=objects,
            )
            dispatch = worker.dispatch
            worker.start()
        app.state.services = Services(
            settings=settings,
            sink=sink,
            catalogue_future=catalogue_future,
            resolve=resolve,
            simulate=simulate,
            dispatch=dispatch,
            config_dir=config_dir,
            objects=objects,
        )
        if not settings.api_keys:
            logger.warning("FLEETSIM_API_KEYS is empty: every authenticated route answers 401")
        logger.info(
            "api started",
            extra={
                "env": settings.env,
                "jobs_run_by": "pubsub"
                if settings.pubsub_topic
                else f"{settings.worker_concurrency} local workers",
            },
        )
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            if publisher is not None:
                publisher.close()
            if objects is not None:
                objects.close()
            await sink.close()

    app = FastAPI(
        title="fleetsim",
        version=__version__,
        summary="EV fleet simulation: energy, charging, cost and depot peak power",
        lifespan=lifespan,
        openapi_url=None if prod else "/openapi.json",
        docs_url=None if prod else "/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    install_openapi_corrections(app)
    for router in (health.router, simulations.router, reference.router):
        app.include_router(router)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)  # outermost: every response carries the id
    return app
