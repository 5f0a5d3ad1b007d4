"""What routes depend on, named as Annotated aliases so a signature says what it uses."""

import hmac
from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader
from starlette.requests import HTTPConnection

from fleetsim.config import Catalogue
from fleetsim.jobs.service import Dispatch, JobService
from fleetsim.jobs.store import JobStore


def jobs_of(request: HTTPConnection) -> JobService:
    return cast(JobService, request.app.state.jobs)


# Each takes the request rather than another dependency: a nested dependency costs time on
# the polled status route.
async def get_jobs(request: Request) -> JobService:
    return jobs_of(request)


async def get_store(request: Request) -> JobStore:
    return jobs_of(request).store


async def get_dispatch(request: Request) -> Dispatch:
    return cast(Dispatch, request.app.state.dispatch)


async def get_catalogue(request: Request) -> Catalogue:
    """The reference data once loaded (loading started with the server)."""
    return await jobs_of(request).loaded_catalogue()


JobServiceDep = Annotated[JobService, Depends(get_jobs)]
JobStoreDep = Annotated[JobStore, Depends(get_store)]
DispatchDep = Annotated[Dispatch, Depends(get_dispatch)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]


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
            keys = jobs_of(request).settings.api_keys
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
