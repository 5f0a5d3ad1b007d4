"""The request-id middleware puts Cloud Trace's trace on the log lines of a request."""

import io
import json
import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from fleetsim.api.middleware import RequestIdMiddleware
from fleetsim.logs import TRACE_FIELD, configure_logging

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def hello(request: Request) -> PlainTextResponse:
    logging.getLogger("fleetsim.test").warning("inside the request")
    return PlainTextResponse("hi")


async def test_trace_header_reaches_the_log_line() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, json_lines=True)
    app = RequestIdMiddleware(Starlette(routes=[Route("/", hello)]), project="proj")
    headers = {
        "x-cloud-trace-context": "0af7651916cd43dd8448eb211c80319c/7;o=1",
        "x-request-id": "req-9",
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/", headers=headers)
    assert response.headers["x-request-id"] == "req-9"
    [entry] = [
        json.loads(line) for line in stream.getvalue().splitlines() if "inside the request" in line
    ]
    assert entry[TRACE_FIELD] == "projects/proj/traces/0af7651916cd43dd8448eb211c80319c"
    assert entry["request_id"] == "req-9"
