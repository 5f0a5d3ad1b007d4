"""Pub/Sub door: the push endpoint (`uvicorn main_pubsub:app`) and the pull worker
(`python main_pubsub.py pull --subscription NAME`). The parts live in fleetsim.pubsub.

Push: Pub/Sub POSTs each message to `/pubsub/push`; 204 acknowledges it, 503 has it
redelivered. Authentication: FLEETSIM_PUSH_AUDIENCE (OIDC) or FLEETSIM_PUSH_TOKEN (`?token=`);
without either the app refuses to start unless FLEETSIM_ENV=dev.
"""

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import typer
from fastapi import FastAPI
from google.api_core.exceptions import GoogleAPICallError

from fleetsim import __version__, runner
from fleetsim.api.middleware import RequestIdMiddleware
from fleetsim.logs import configure_logging
from fleetsim.pubsub import push
from fleetsim.pubsub.auth import PushAuth
from fleetsim.pubsub.pull import PullWorker, SubscriptionNameError, subscription_path
from fleetsim.pubsub.worker import SimulateResolved, open_handler
from fleetsim.settings import Settings
from fleetsim.sinks.gcs import GcsSink

logger = logging.getLogger("fleetsim.pubsub")


def create_app(
    settings: Settings | None = None,
    *,
    simulate: SimulateResolved = runner.simulate,
    objects: GcsSink | None = None,
) -> FastAPI:
    """The push endpoint; `objects` replaces the FLEETSIM_GCS_BUCKET sink (tests)."""
    settings = settings or Settings()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.push_auth = auth = PushAuth(settings)  # refuses to start without auth
        if auth.scheme == "none":
            logger.warning("push endpoint without authentication (FLEETSIM_ENV=dev)")
        async with open_handler(settings, simulate, objects=objects) as handler:
            app.state.handler = handler
            logger.info(
                "push worker started",
                extra={"auth": auth.scheme, "bucket": settings.gcs_bucket, "env": settings.env},
            )
            yield

    prod = settings.env == "prod"
    app = FastAPI(
        title="fleetsim Pub/Sub worker",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None if prod else "/openapi.json",
        docs_url=None if prod else "/docs",
        redoc_url=None,
    )
    app.include_router(push.router)
    app.add_middleware(RequestIdMiddleware)
    return app


app = create_app()

cli = typer.Typer(
    no_args_is_help=True, add_completion=False, help="The Pub/Sub worker outside Cloud Run."
)


@cli.callback()
def main() -> None:
    """Subcommands, even though there is one."""


@cli.command()
def pull(
    subscription: Annotated[
        str, typer.Option(help="projects/<p>/subscriptions/<s>, or <s> in GOOGLE_CLOUD_PROJECT")
    ],
    max_messages: Annotated[int, typer.Option(min=1, help="messages handled at once")] = 4,
) -> None:
    """Handle messages from a pull subscription until SIGINT or SIGTERM."""
    settings = Settings()
    configure_logging()
    try:
        path = subscription_path(subscription, settings.project)
    except SubscriptionNameError as exc:
        raise typer.BadParameter(str(exc), param_hint="--subscription") from exc
    try:
        asyncio.run(_pull(settings, path, max_messages))
    except GoogleAPICallError as exc:  # e.g. no such subscription
        typer.echo(f"pull stopped: {exc}", err=True)
        raise typer.Exit(code=1) from exc


async def _pull(settings: Settings, subscription: str, max_messages: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with open_handler(settings) as handler:
        worker = PullWorker(handler, subscription, max_messages=max_messages)
        await worker.run(stop)


if __name__ == "__main__":
    cli(prog_name="main_pubsub.py")
