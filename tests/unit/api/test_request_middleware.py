"""Pure ASGI middleware: request ids and the body-size limit, around a tiny echo app."""

import io
import json
import logging
import uuid

import httpx
import pytest
from fastapi import FastAPI, Request

from fleetsim.api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from fleetsim.logs import CloudLoggingFormatter, request_id_var

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def echo_app(max_bytes: int = 100) -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, object]:
        body = await request.body()
        return {"size": len(body), "request_id": request_id_var.get()}

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_bytes)
    app.add_middleware(RequestIdMiddleware)
    return app


async def post(app: FastAPI, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/echo", **kwargs)  # type: ignore[arg-type]


async def test_given_request_id_is_used_and_echoed() -> None:
    response = await post(echo_app(), content=b"{}", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"


@pytest.mark.parametrize("given", [None, b"", b"has space", b"x" * 129, "ünï".encode()])
async def test_missing_or_unusable_request_id_is_replaced_by_a_uuid4(given: bytes | None) -> None:
    headers = {} if given is None else {"x-request-id": given}
    response = await post(echo_app(), content=b"{}", headers=headers)
    made = response.headers["x-request-id"]
    assert uuid.UUID(made).version == 4
    assert response.json()["request_id"] == made


async def test_body_at_the_limit_passes() -> None:
    response = await post(echo_app(max_bytes=100), content=b"x" * 100)
    assert response.status_code == 200
    assert response.json()["size"] == 100


async def test_declared_body_above_the_limit_is_413() -> None:
    response = await post(echo_app(max_bytes=100), content=b"x" * 101)
    assert response.status_code == 413
    assert response.json() == {"detail": "request body larger than 100 bytes"}
    assert response.headers["x-request-id"]


async def test_streamed_body_above_the_limit_is_413() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(5):
            yield b"x" * 30

    response = await post(echo_app(max_bytes=100), content=chunks())
    assert response.status_code == 413
    assert response.json() == {"detail": "request body larger than 100 bytes"}


async def test_log_lines_during_a_request_carry_its_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CloudLoggingFormatter())
    logger = logging.getLogger("fleetsim.test.inside")
    logger.addHandler(handler)
    app = echo_app()

    @app.get("/log")
    async def log_something() -> None:
        logger.warning("working on it", extra={"job_id": "j-1"})

    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await client.get("/log", headers={"x-request-id": "req-7"})
    finally:
        logger.removeHandler(handler)
    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["request_id"] == "req-7"
    assert entry["message"] == "working on it"
    assert entry["severity"] == "WARNING"
    assert entry["job_id"] == "j-1"
