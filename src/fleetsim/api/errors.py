"""Exception handlers: every 422 lists `{loc, msg}` per problem, whatever found it."""

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import Match

from fleetsim.api.schemas import Message, Problems
from fleetsim.config.errors import ConfigErrors
from fleetsim.jobs.errors import config_problems, validation_problems
from fleetsim.models.job import Problem
from fleetsim.pubsub.publisher import PublishError
from fleetsim.sinks.gcs import GCS_UNAVAILABLE
from fleetsim.sinks.postgres import (
    DATABASE_UNAVAILABLE,
    IdempotencyConflictError,
    InvalidCursorError,
)

logger = logging.getLogger(__name__)


def _problems(problems: list[Problem]) -> JSONResponse:
    body = Problems(detail=problems).model_dump(mode="json")
    return JSONResponse(body, status_code=422)


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _problems(validation_problems(exc.errors()))


async def _config_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConfigErrors)
    return _problems(config_problems(exc))


async def _cursor_invalid(request: Request, exc: Exception) -> JSONResponse:
    return _problems([Problem(loc=["query", "cursor"], msg=str(exc))])


async def _idempotency_conflict(request: Request, exc: Exception) -> JSONResponse:
    body = Message(detail=str(exc)).model_dump()
    return JSONResponse(body, status_code=status.HTTP_409_CONFLICT)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable: %r", exc)
    body = Message(detail="database unavailable, retry shortly").model_dump()
    return JSONResponse(
        body, status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "1"}
    )


async def _publish_failed(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("%s", exc)
    body = Message(
        detail="the job is queued but could not be handed on: submit it again"
    ).model_dump()
    return JSONResponse(
        body, status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "1"}
    )


async def _bucket_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("bucket unavailable: %r", exc)
    body = Message(detail="result storage unavailable, retry shortly").model_dump()
    return JSONResponse(
        body, status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "1"}
    )


async def _method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    """405 whose Allow lists every method of the path, not only the first route's."""
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE and isinstance(route, APIRoute) and route.methods:
            allowed |= route.methods
    body = Message(detail="Method Not Allowed").model_dump()
    headers = {"Allow": ", ".join(sorted(allowed))}
    return JSONResponse(body, status_code=status.HTTP_405_METHOD_NOT_ALLOWED, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(ConfigErrors, _config_invalid)
    app.add_exception_handler(InvalidCursorError, _cursor_invalid)
    app.add_exception_handler(IdempotencyConflictError, _idempotency_conflict)
    app.add_exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED, _method_not_allowed)
    app.add_exception_handler(PublishError, _publish_failed)
    for error in GCS_UNAVAILABLE:
        app.add_exception_handler(error, _bucket_unavailable)
    for error in DATABASE_UNAVAILABLE:  # after: OSError means the database when both match
        app.add_exception_handler(error, _database_unavailable)
