"""Exception handlers: every 422 lists `{loc, msg}` per problem, whatever found it."""

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import Match

from fleetsim.api.schemas import Message, Problems
from fleetsim.config.errors import ConfigErrors
from fleetsim.errors import BucketUnavailableError, StoreUnavailableError
from fleetsim.jobs.errors import NoBucketError, config_problems, validation_problems
from fleetsim.jobs.service import CatalogueUnavailableError
from fleetsim.jobs.store import IdempotencyConflictError, InvalidCursorError
from fleetsim.models.job import Problem
from fleetsim.pubsub.publisher import PublishError
from fleetsim.sinks.gcs import ResultObjectMissingError

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


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("%s", exc)
    what = "result storage" if isinstance(exc, BucketUnavailableError) else "database"
    return _unavailable(f"{what} unavailable, retry shortly", retry_after_s=1)


async def _catalogue_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return _unavailable(str(exc))


async def _no_bucket(request: Request, exc: Exception) -> JSONResponse:
    """A gcs job's result read by a process without FLEETSIM_GCS_BUCKET."""
    return _unavailable(str(exc))


async def _result_object_missing(request: Request, exc: Exception) -> JSONResponse:
    logger.error("%s", exc)
    body = Message(detail=str(exc)).model_dump()
    return JSONResponse(body, status_code=status.HTTP_500_INTERNAL_SERVER_ERROR)


def _unavailable(detail: str, *, retry_after_s: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    body = Message(detail=detail).model_dump()
    return JSONResponse(body, status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)


async def _publish_failed(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("%s", exc)
    detail = "the job is queued but could not be handed on: submit it again"
    return _unavailable(detail, retry_after_s=1)


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
    app.add_exception_handler(StoreUnavailableError, _store_unavailable)
    app.add_exception_handler(CatalogueUnavailableError, _catalogue_unavailable)
    app.add_exception_handler(NoBucketError, _no_bucket)
    app.add_exception_handler(ResultObjectMissingError, _result_object_missing)
