"""Liveness (no auth) and readiness (the database answers)."""

import asyncio
import logging

from fastapi import APIRouter, HTTPException, Security, status
from sqlalchemy.exc import SQLAlchemyError

from fleetsim.api.deps import ServicesDep, SinkDep, require_api_key
from fleetsim.api.schemas import Health, responses

logger = logging.getLogger(__name__)
READY_TIMEOUT_S = 2.0

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", dependencies=[Security(require_api_key)], responses=responses(401, 503))
async def readyz(sink: SinkDep, services: ServicesDep) -> Health:
    try:
        await asyncio.wait_for(sink.ping(), READY_TIMEOUT_S)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        logger.warning("database not ready: %s", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "database unavailable") from exc
    await services.catalogue()  # ready once the reference data is loaded; 503 if it failed
    return Health(status="ready")
