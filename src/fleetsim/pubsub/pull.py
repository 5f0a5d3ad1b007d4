"""Pull worker: a streaming pull subscription feeding the shared handler, for running outside
Cloud Run (`python main_pubsub.py pull`). A message is acknowledged only after its outcome is
committed."""

import asyncio
import concurrent.futures
import logging
import re
import signal
from typing import Annotated

import typer
from google.api_core.exceptions import GoogleAPICallError
from google.cloud import pubsub_v1  # type: ignore[import-untyped]

from fleetsim.jobs.service import open_services
from fleetsim.logs import configure_logging
from fleetsim.pubsub.handler import Handler, Verdict
from fleetsim.pubsub.publisher import advancing_studies
from fleetsim.settings import Settings

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 30.0
_FULL_NAME = re.compile(r"projects/[^/]+/subscriptions/[^/]+")


class SubscriptionNameError(ValueError):
    pass


def subscription_path(name: str, project: str | None) -> str:
    """`projects/<p>/subscriptions/<s>` as given, or a short name in `project`."""
    if _FULL_NAME.fullmatch(name):
        return name
    if "/" in name:
        raise SubscriptionNameError(
            f"{name!r} is neither projects/<project>/subscriptions/<name> nor a short name"
        )
    if not project:
        raise SubscriptionNameError(
            f"subscription {name!r} needs a project: give the full path or set GOOGLE_CLOUD_PROJECT"
        )
    return f"projects/{project}/subscriptions/{name}"


class PullWorker:
    """Handles at most `max_messages` messages at once (Pub/Sub flow control)."""

    def __init__(
        self,
        handler: Handler,
        subscription: str,
        *,
        max_messages: int,
        grace_s: float = 30.0,
        subscriber: pubsub_v1.SubscriberClient | None = None,
    ) -> None:
        self._handler = handler
        self._subscription = subscription
        self._max_messages = max_messages
        self._grace_s = grace_s
        self._subscriber = subscriber or pubsub_v1.SubscriberClient()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def run(self, stop: asyncio.Event) -> None:
        """Pull until `stop` is set, then finish the messages in hand (nacking what is not
        done after `grace_s`). Raises what ended the stream if it failed on its own."""
        loop = asyncio.get_running_loop()

        def receive(message: pubsub_v1.subscriber.message.Message) -> None:
            # Called in the subscriber's threads: hand the message to the event loop.
            loop.call_soon_threadsafe(self._start, message)

        flow_control = pubsub_v1.types.FlowControl(max_messages=self._max_messages)
        stream = self._subscriber.subscribe(
            self._subscription, callback=receive, flow_control=flow_control
        )
        stream.add_done_callback(lambda _: loop.call_soon_threadsafe(stop.set))
        logger.info(
            "pull worker started",
            extra={"subscription": self._subscription, "max_messages": self._max_messages},
        )
        try:
            await stop.wait()
        finally:
            self._stopping = True
            await self._drain()
            if not stream.done():
                stream.cancel()
            try:
                await asyncio.to_thread(_wait_closed, stream)
            finally:
                self._subscriber.close()
        logger.info("pull worker stopped")

    def _start(self, message: pubsub_v1.subscriber.message.Message) -> None:
        if self._stopping:
            message.nack()  # at once to another worker, rather than after the ack deadline
            return
        task = asyncio.create_task(self._handle(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, message: pubsub_v1.subscriber.message.Message) -> None:
        try:
            verdict = await self._handler.handle(
                message.data, dict(message.attributes), message.message_id
            )
        except asyncio.CancelledError:
            message.nack()
            raise
        except Exception:  # a bug, not the message's fault: let Pub/Sub try again
            logger.exception("message handling failed", extra={"message_id": message.message_id})
            message.nack()
            return
        if verdict is Verdict.ACK:
            message.ack()
        else:
            message.nack()

    async def _drain(self) -> None:
        if not self._tasks:
            return
        logger.info("waiting for %d messages in hand", len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._grace_s)
        for task in pending:
            task.cancel()  # execute() releases the claim; the message is nacked
        await asyncio.gather(*pending, return_exceptions=True)


def _wait_closed(stream: pubsub_v1.subscriber.futures.StreamingPullFuture) -> None:
    """Raises the error that ended the stream, if it was not stopped by us."""
    try:
        stream.result(timeout=CLOSE_TIMEOUT_S)
    except concurrent.futures.TimeoutError:
        logger.warning("the pull stream did not close within %s s", CLOSE_TIMEOUT_S)


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
    async with open_services(settings) as jobs:
        handler = Handler(jobs)
        with advancing_studies(jobs, settings):
            try:
                await PullWorker(handler, subscription, max_messages=max_messages).run(stop)
            finally:
                await handler.release_running()  # while the database still answers
