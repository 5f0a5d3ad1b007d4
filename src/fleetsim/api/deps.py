"""What routes depend on, named as Annotated aliases so a signature says what it needs."""

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader
from starlette.requests import HTTPConnection

from fleetsim.config import Catalogue, ConfigErrors
from fleetsim.models import CanonicalResult, JobMessage, ResolvedRequest, SimulationRequest
from fleetsim.settings import Settings
from fleetsim.sinks.gcs import GcsSink
from fleetsim.sinks.postgres import PostgresSink

Dispatch = Callable[[JobMessage], Awaitable[None]]
"""Hands a queued job to whatever runs it: the local worker, or a Pub/Sub publisher."""


@dataclass(frozen=True)
class Services:
    """Built once in the lifespan; routes reach it through the dependencies below."""

    settings: Settings
    sink: PostgresSink
    catalogue_future: Future[Catalogue]
    """Loaded in a thread after start-up so the server answers at once (cold start)."""
    resolve: Callable[[SimulationRequest], ResolvedRequest]
    simulate: Callable[[ResolvedRequest], CanonicalResult]
    dispatch: Dispatch
    config_dir: Path
    objects: GcsSink | None = None
    """FLEETSIM_GCS_BUCKET: where mode gcs results are written and read from."""

    async def catalogue(self) -> Catalogue:
        """The reference data, once loaded; 503 if it could not be."""
        try:
            return await asyncio.wrap_future(self.catalogue_future)
        except ConfigErrors as exc:
            raise _unavailable(exc) from exc


def loaded_catalogue(future: Future[Catalogue]) -> Catalogue:
    """Block (in a worker thread) until the catalogue is loaded; 503 if it could not be."""
    try:
        return future.result()
    except ConfigErrors as exc:
        raise _unavailable(exc) from exc


def _unavailable(exc: ConfigErrors) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, f"reference data failed to load: {exc}"
    )


def services_of(request: HTTPConnection) -> Services:
    return cast(Services, request.app.state.services)


# Each takes the request rather than ServicesDep: a nested dependency costs time on the
# polled status route.
async def get_services(request: Request) -> Services:
    return services_of(request)


async def get_sink(request: Request) -> PostgresSink:
    return services_of(request).sink


ServicesDep = Annotated[Services, Depends(get_services)]
SinkDep = Annotated[PostgresSink, Depends(get_sink)]


class ApiKeyCheck(APIKeyHeader):
    """`X-API-Key` against FLEETSIM_API_KEYS: the security scheme and its check in one
    dependency (each nested dependency costs time on the polled status route)."""

    async def __call__(self, request: HTTPConnection) -> str:
        """A label of the matching key (`#2`: the second listed); 401 when none matches.

        Every configured key is compared, in constant time, so timing tells nothing.
        """
        api_key = request.headers.get("x-api-key")
        if api_key is not None:
            given = api_key.encode()
            keys = services_of(request).settings.api_keys
            matches = [hmac.compare_digest(given, key.encode()) for key in keys]
            if any(matches):
                return f"#{matches.index(True) + 1}"
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or invalid X-API-Key")


require_api_key = ApiKeyCheck(
    name="X-API-Key",
    scheme_name="ApiKey",
    description="one of FLEETSIM_API_KEYS",
    auto_error=False,
)
ApiKeyDep = Annotated[str, Security(require_api_key)]
