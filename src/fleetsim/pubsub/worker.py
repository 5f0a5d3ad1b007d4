"""The message handler with everything it needs, opened once per process (push app or pull)."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fleetsim import runner
from fleetsim.config import load_catalogue
from fleetsim.models import CanonicalResult, ResolvedRequest, SimulationRequest
from fleetsim.pubsub.handler import Handler
from fleetsim.settings import Settings
from fleetsim.sinks.gcs import GcsSink
from fleetsim.sinks.postgres import PostgresSink

SimulateResolved = Callable[[ResolvedRequest], CanonicalResult]


@asynccontextmanager
async def open_handler(
    settings: Settings,
    simulate: SimulateResolved = runner.simulate,
    *,
    objects: GcsSink | None = None,
) -> AsyncIterator[Handler]:
    """Catalogue, database and (with FLEETSIM_GCS_BUCKET, unless `objects` is given) bucket."""
    catalogue = await asyncio.to_thread(
        load_catalogue, settings.config_dir, settings.config_overrides
    )
    config_dir = settings.config_dir

    def resolve(request: SimulationRequest) -> ResolvedRequest:
        return runner.resolve(request, catalogue, config_dir)

    def run(request: SimulationRequest) -> CanonicalResult:
        return simulate(resolve(request))

    opened = None
    if objects is None and settings.gcs_bucket is not None:
        objects = opened = GcsSink.open(settings.gcs_bucket, project=settings.project)
    sink = await PostgresSink.open(settings.database_url)
    handler = Handler(
        sink,
        run,
        resolve=resolve,
        objects=objects,
        max_attempts=settings.max_attempts,
        lease_s=settings.lease_s,
    )
    try:
        yield handler
    finally:
        await handler.release_running()  # while the database still answers
        await sink.close()
        if opened is not None:
            opened.close()
