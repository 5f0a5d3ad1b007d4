"""Real PostgreSQL (a fresh, migrated database, dropped afterwards) and the API app:
in-process (httpx + ASGI transport, lifespan run) and as a uvicorn server on a free port."""

from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from .support import (
    HEADERS,
    create_app,
    driver_dsn,
    failing_simulate,
    fresh_database,
    make_settings,
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
