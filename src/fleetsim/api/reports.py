"""A succeeded job's shareable report: one self-contained HTML page (`text/html`)."""

import asyncio
import threading
from uuid import UUID

from fastapi import APIRouter, HTTPException, Response, Security, status
from fastapi.responses import HTMLResponse

from fleetsim.api.deps import CatalogueDep, JobServiceDep, require_api_key
from fleetsim.api.schemas import responses
from fleetsim.config import Catalogue
from fleetsim.jobs.service import JobResult
from fleetsim.models import CanonicalResult
from fleetsim.report.size_limit import too_large_to_draw

_drawing = threading.Lock()
"""One report is drawn at a time, its result decompressed only once its turn has come: it
bounds the memory reports take (a request waiting holds the stored, compressed bytes), and
matplotlib is not made for concurrent drawing."""

router = APIRouter(
    prefix="/v1",
    tags=["simulations"],
    dependencies=[Security(require_api_key)],
    responses=responses(401, 503),
)


@router.get(
    "/simulations/{job_id}/report",
    # A plain Response: an HTMLResponse would document the JSON errors as text/html too.
    response_class=Response,
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "the report page",
        },
        **responses(404, 409, 413, 422, 503),
    },
    summary="A succeeded job's report: one self-contained HTML page",
)
async def report_of(job_id: UUID, jobs: JobServiceDep, catalogue: CatalogueDep) -> HTMLResponse:
    """Headline KPIs, charts (inline PNG), stranded trips, sites, chargers, warnings and the
    input's lineage, viewable offline. Chargers' ports and vehicle types' reserves come from
    reference data still as the run saw it (by its lineage); others show as unknown."""
    found = await jobs.result(job_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
    if found.data is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"job {job_id} is {found.status}: a report exists only once it has succeeded",
        )
    refusal = too_large_to_draw(found.plain_size(), jobs.settings.report_max_result_mb)
    if refusal is not None:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{refusal} (FLEETSIM_REPORT_MAX_RESULT_MB): `python main.py run --report` draws"
            f" it on your machine; its summary has the figures, GET"
            f" /v1/simulations/{job_id}/summary",
        )
    page = await asyncio.to_thread(_render, found, catalogue, job_id)
    return HTMLResponse(page)


def _render(found: JobResult, catalogue: Catalogue, job_id: UUID) -> str:
    # Imported here: matplotlib takes a second to load, and most API processes never draw.
    from fleetsim.report.html import render_report
    from fleetsim.report.inputs import figures_from_catalogue

    with _drawing:
        plain = found.plain()
        assert plain is not None
        result = CanonicalResult.from_json(plain)
        figures = figures_from_catalogue(catalogue, result.metadata.lineage.get("inputs", {}))
        return render_report(result, figures, job_id=job_id)
