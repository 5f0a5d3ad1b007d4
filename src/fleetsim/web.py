"""What both HTTP services (the API and the Pub/Sub push worker) share: the app's frame
(title, version, docs off in prod), the request id, body limit and gzip middleware,
`/healthz`."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI
from starlette.middleware.gzip import GZipMiddleware

from fleetsim import __version__
from fleetsim.api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from fleetsim.api.schemas import Health
from fleetsim.settings import Settings

liveness = APIRouter(tags=["health"])

GZIP_MINIMUM_BYTES = 1024
"""Responses from this size on are gzip-compressed for clients that accept it."""


@liveness.get("/healthz")
async def healthz() -> Health:
    """Liveness: the process answers (no key, no database)."""
    return Health(status="ok")


def service_app(
    title: str,
    settings: Settings,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    *,
    routers: tuple[APIRouter, ...],
    summary: str | None = None,
) -> FastAPI:
    """A FastAPI app with `/healthz` and `routers`, bodies above FLEETSIM_MAX_BODY_BYTES
    refused, responses gzip-compressed for clients that accept it, and every response
    carrying its request id; no docs in prod."""
    prod = settings.env == "prod"
    app = FastAPI(
        title=title,
        version=__version__,
        summary=summary,
        lifespan=lifespan,
        openapi_url=None if prod else "/openapi.json",
        docs_url=None if prod else "/docs",
        redoc_url=None,
    )
    for router in (liveness, *routers):
        app.include_router(router)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Pure ASGI (streams pass through), level 6: a result compresses ~10x in ~15 ms per MB;
    # responses that already carry a Content-Encoding (stored results) pass as they are.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=6)
    app.add_middleware(RequestIdMiddleware)  # outermost: every response carries the id
    return app
