"""Request bodies parsed by `fleetsim.json_input`: a duplicate key or nesting too deep is a
422 naming the problem (FastAPI's own parser takes the last duplicate, and answers a
RecursionError with a 400 that names nothing); a body without a JSON Content-Type is a 415
naming the header (FastAPI would validate the raw bytes and answer "Input should be a valid
dictionary")."""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from fleetsim.json_input import InvalidJsonError, loads_strict


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = loads_strict(await self.body())
            except InvalidJsonError as exc:  # FastAPI turns it into a located 422
                raise json.JSONDecodeError(exc.message, "", exc.pos) from exc
        return self._json


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or `application/<anything>+json`, parameters (charset) aside."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def unsupported_media_type(content_type: str | None) -> JSONResponse:
    """415 naming the Content-Type header and what it should say."""
    got = "is missing" if content_type is None else f"is {content_type[:100]!r}"
    detail = f"the Content-Type header {got}: send the body as application/json"
    return JSONResponse(
        {"detail": detail},
        status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        headers={"Accept-Post": "application/json"},
    )


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is read by `loads_strict`, and refused (415) without a JSON
    Content-Type."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None

        async def strict_handler(request: Request) -> Response:
            content_type = request.headers.get("content-type")
            if takes_body and not is_json_media_type(content_type):
                return unsupported_media_type(content_type)
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
