"""Request bodies parsed by `fleetsim.json_input`: a duplicate key or nesting too deep is a
422 naming the problem (FastAPI's own parser takes the last duplicate, and answers a
RecursionError with a 400 that names nothing)."""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
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


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is read by `loads_strict`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
