"""Real PostgreSQL (a fresh, migrated database, dropped afterwards) and the API app:
in-process (httpx + ASGI transport, lifespan run) and as a uvicorn server on a free port;
the Pub/Sub emulator, fake-gcs-server and the push app for the Pub/Sub door."""

from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from .emulators import (
    BUCKET,
    FAULTY_APP,
    PROJECT,
    Emulators,
    PushApp,
    PushProxy,
    create_subscription,
    create_topic,
    environ,
    gcs_emulator,
    pubsub_emulator,
    worker_env,
)
from .support import (
    HEADERS,
    create_app,
    driver_dsn,
    failing_simulate,
    fresh_database,
    make_settings,
    uvicorn_process,
    uvicorn_server,
)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def api_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
async def client(api_database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process, lifespan run once; its simulation fails for FAILING_REQUEST."""
    app = create_app(make_settings(api_database), simulate=failing_simulate)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://api.test", headers=HEADERS, timeout=60
        ) as http,
    ):
        yield http


@pytest.fixture
async def db(api_database: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the in-process app's database, for arranging and checking rows."""
    connection = await asyncpg.connect(driver_dsn(api_database))
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def live_server(server_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API as uvicorn serves it, with its local worker."""
    log_path = tmp_path_factory.mktemp("uvicorn") / "live.log"
    with uvicorn_server(
        server_database, log_path, worker_concurrency="2", max_body_bytes=str(64 * 1024)
    ) as url:
        yield url


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server for generated requests: submitted jobs stay queued, sync runs stay small."""
    log_path = tmp_path_factory.mktemp("uvicorn") / "fuzz.log"
    with (
        fresh_database() as database_url,
        uvicorn_server(
            database_url,
            log_path,
            worker_concurrency="0",
            max_body_bytes=str(256 * 1024),
            sync_max_vehicle_steps="5000",
        ) as url,
    ):
        yield url


# Pub/Sub and GCS (DESIGN §10): the emulators, a database for the worker, the push app.


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulators]:
    """Both emulators for the whole run; this process's Google clients are pointed at them."""
    logs = tmp_path_factory.mktemp("emulators")
    with (
        pubsub_emulator(logs / "pubsub.log") as pubsub_host,
        gcs_emulator(logs / "gcs.log") as storage_url,
        environ(
            PUBSUB_EMULATOR_HOST=pubsub_host,
            STORAGE_EMULATOR_HOST=storage_url,
            GOOGLE_CLOUD_PROJECT=PROJECT,
        ),
    ):
        client = storage.Client(project=PROJECT, credentials=AnonymousCredentials())
        client.create_bucket(BUCKET)
        client.close()
        yield Emulators(pubsub_host, storage_url, BUCKET)


@pytest.fixture(scope="session")
def pubsub_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
async def pubsub_db(pubsub_database: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the Pub/Sub workers' database."""
    connection = await asyncpg.connect(driver_dsn(pubsub_database))
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def push_app(
    emulators: Emulators, pubsub_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PushApp]:
    """The push app (main_pubsub with faults injectable at the bucket) in uvicorn, behind a
    recording proxy, and topic `jobs` with a push subscription to it."""
    log_path = tmp_path_factory.mktemp("uvicorn") / "push.log"
    env = worker_env(pubsub_database, FLEETSIM_MAX_ATTEMPTS="5")
    proxy = PushProxy()
    try:
        with uvicorn_process(FAULTY_APP, env, log_path, factory=True) as (_, url):
            proxy.target = url
            topic = create_topic("jobs")
            create_subscription("jobs-push", topic, push_endpoint=proxy.push_endpoint())
            yield PushApp(url=url, proxy=proxy, topic=topic, log_path=log_path)
    finally:
        proxy.close()
