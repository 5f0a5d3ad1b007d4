"""The HTTP API application: routers, middleware, error handlers and the lifespan that opens
the job store, the catalogue and the worker or publisher.

Schema migrations are not run here: `alembic upgrade head` does that, in CI and on deploy.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fleetsim.api import health, reference, reports, simulations, studies
from fleetsim.api.errors import install_error_handlers
from fleetsim.api.openapi import install_openapi_corrections
from fleetsim.jobs.execute import CoreRun
from fleetsim.jobs.service import Dispatch, JobService, open_services
from fleetsim.jobs.studies import StudyService
from fleetsim.jobs.worker import LocalWorker
from fleetsim.logs import configure_logging
from fleetsim.models import JobMessage
from fleetsim.settings import Settings
from fleetsim.web import service_app

logger = logging.getLogger("fleetsim.api")


async def _leave_queued(message: JobMessage) -> None:
    """FLEETSIM_WORKER_CONCURRENCY=0: another process claims submitted jobs."""


def create_app(
    settings: Settings | None = None,
    *,
    simulate: CoreRun | None = None,
    publish: Dispatch | None = None,
) -> FastAPI:
    """The API; `simulate` runs in threads in place of the worker processes, `publish`
    replaces the FLEETSIM_PUBSUB_TOPIC publisher (tests)."""
    settings = settings or Settings()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The server answers at once; routes that need reference data wait for it.
        async with open_services(settings, simulate=simulate, catalogue_in_background=True) as jobs:
            app.state.jobs = jobs
            async with _dispatcher(jobs, settings, publish) as dispatch:
                app.state.dispatch = dispatch
                app.state.studies = study_service = StudyService(jobs, dispatch)
                jobs.on_finished = study_service.job_finished
                if not settings.api_keys:
                    logger.warning(
                        "FLEETSIM_API_KEYS is empty: every authenticated route answers 401"
                    )
                logger.info(
                    "api started",
                    extra={
                        "env": settings.env,
                        "jobs_run_by": "pubsub"
                        if settings.pubsub_topic
                        else f"{settings.worker_concurrency} local workers",
                    },
                )
                yield

    app = service_app(
        "fleetsim",
        settings,
        lifespan,
        routers=(
            health.router,
            simulations.router,
            reports.router,
            studies.router,
            reference.router,
        ),
        summary="EV fleet simulation: energy, charging, cost and depot peak power",
    )
    install_error_handlers(app)
    install_openapi_corrections(app)
    return app


@asynccontextmanager
async def _dispatcher(
    jobs: JobService, settings: Settings, publish: Dispatch | None
) -> AsyncIterator[Dispatch]:
    """How submitted jobs are handed on: FLEETSIM_PUBSUB_TOPIC's publisher, else the local
    worker (FLEETSIM_WORKER_CONCURRENCY jobs at once), else nobody (another process)."""
    if settings.pubsub_topic is not None:
        if publish is not None:
            yield publish
            return
        from fleetsim.pubsub.publisher import Publisher  # Pub/Sub's client loads only here

        publisher = Publisher(settings.pubsub_topic, timeout_s=settings.publish_timeout_s)
        try:
            yield publisher.publish
        finally:
            publisher.close()
    elif settings.worker_concurrency > 0:
        worker = LocalWorker(jobs, concurrency=settings.worker_concurrency)
        worker.start()
        try:
            yield worker.dispatch
        finally:
            await worker.stop()
    else:
        yield _leave_queued
