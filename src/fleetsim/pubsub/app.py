"""The push worker's application: `POST /pubsub/push` and `/healthz`, with the job service
opened for the process's life. Authentication: FLEETSIM_PUSH_AUDIENCE (OIDC) or
FLEETSIM_PUSH_TOKEN (`?token=`); without either it refuses to start unless FLEETSIM_ENV=dev.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fleetsim.jobs.execute import CoreRun
from fleetsim.jobs.service import open_services
from fleetsim.logs import configure_logging
from fleetsim.pubsub import push
from fleetsim.pubsub.auth import PushAuth
from fleetsim.pubsub.handler import Handler
from fleetsim.pubsub.publisher import advancing_studies
from fleetsim.settings import Settings
from fleetsim.sinks.gcs import GcsSink
from fleetsim.web import service_app

logger = logging.getLogger("fleetsim.pubsub")


def create_app(
    settings: Settings | None = None,
    *,
    simulate: CoreRun | None = None,
    objects: GcsSink | None = None,
) -> FastAPI:
    """The push endpoint; `simulate` runs in threads in place of the worker processes,
    `objects` replaces the FLEETSIM_GCS_BUCKET sink (tests)."""
    settings = settings or Settings()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.push_auth = auth = PushAuth(settings)  # refuses to start without auth
        if auth.scheme == "none":
            logger.warning("push endpoint without authentication (FLEETSIM_ENV=dev)")
        async with open_services(settings, simulate=simulate, objects=objects) as jobs:
            app.state.handler = handler = Handler(jobs)
            logger.info(
                "push worker started",
                extra={"auth": auth.scheme, "bucket": settings.gcs_bucket, "env": settings.env},
            )
            try:
                with advancing_studies(jobs, settings):
                    yield
            finally:
                await handler.release_running()  # while the database still answers

    return service_app("fleetsim Pub/Sub worker", settings, lifespan, routers=(push.router,))
