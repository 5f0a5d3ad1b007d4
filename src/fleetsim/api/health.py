"""Readiness: the database answers and the reference data is loaded (liveness: fleetsim.web)."""

import asyncio
import logging

from fastapi import APIRouter, HTTPException, Security, status

from fleetsim.api.deps import JobServiceDep, require_api_key
from fleetsim.api.schemas import Health, responses
from fleetsim.errors import StoreUnavailableError

logger = logging.getLogger(__name__)
READY_TIMEOUT_S = 2.0

router = APIRouter(tags=["health"])


@router.get("/readyz", dependencies=[Security(require_api_key)], responses=responses(401, 503))
async def readyz(jobs: JobServiceDep) -> Health:
    """Ready once the database answers and the reference data is loaded (503 otherwise)."""
    try:
        await asyncio.wait_for(jobs.store.ping(), READY_TIMEOUT_S)
    except (StoreUnavailableError, TimeoutError) as exc:
        logger.warning("database not ready: %s", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "database unavailable") from exc
    await jobs.loaded_catalogue()
    return Health(status="ready")
