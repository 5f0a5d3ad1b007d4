"""Pure ASGI middleware (no BaseHTTPMiddleware: it adds a long tail to every response)."""

import json
import logging
import os
import re
import time
from uuid import uuid4

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fleetsim.logs import request_id_var, trace_from_header, trace_var

REQUEST_ID_HEADER = b"x-request-id"
TRACE_HEADER = b"x-cloud-trace-context"
_VALID_REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,128}")

SLOW_REQUEST_S = 1.0
access_logger = logging.getLogger("fleetsim.access")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class RequestIdMiddleware:
    """Takes `x-request-id` (printable, ≤128 chars) or makes a uuid4; echoes it; puts it and
    the `x-cloud-trace-context` trace on every log line; logs access: errors and slow
    requests at INFO, the rest at DEBUG."""

    def __init__(self, app: ASGIApp, project: str | None = None) -> None:
        self.app = app
        self.project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER)
        if incoming is not None and _VALID_REQUEST_ID.fullmatch(incoming):
            request_id = incoming.decode("ascii")
        else:
            request_id = str(uuid4())
        encoded = request_id.encode("ascii")
        token = request_id_var.set(request_id)
        trace_header = _header(scope, TRACE_HEADER)
        trace = trace_from_header(
            trace_header.decode("latin-1") if trace_header else None, self.project
        )
        trace_token = trace_var.set(trace)
        status_code = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (REQUEST_ID_HEADER, encoded)],
                }
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration_s = time.perf_counter() - started
            # A line per request costs a sixth of a status poll's time, and Cloud Run logs
            # each request anyway: routine ones only at DEBUG.
            routine = status_code < 400 and duration_s < SLOW_REQUEST_S
            access_logger.log(
                logging.DEBUG if routine else logging.INFO,
                "%s %s %d",
                scope["method"],
                scope["path"],
                status_code,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status_code,
                    "duration_ms": round(duration_s * 1000, 3),
                },
            )
            request_id_var.reset(token)
            trace_var.reset(trace_token)


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; FastAPI turns it into a 413 response."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413,
            f"request body larger than {max_bytes} bytes",
        )


class BodySizeLimitMiddleware:
    """413 for a body above `max_bytes`: from Content-Length at once, else while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)

    async def _reject(self, send: Send) -> None:
        body = json.dumps({"detail": BodyTooLarge(self.max_bytes).detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
