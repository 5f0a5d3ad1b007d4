"""Simulations: run synchronously, or submit, poll and fetch the result."""

import asyncio
import logging
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Path, Query, Response, Security, status
from fastapi.responses import StreamingResponse

from fleetsim.api.csv_rows import csv_chunks, wants_csv
from fleetsim.api.deps import (
    ApiKeyDep,
    DispatchDep,
    JobServiceDep,
    JobStoreDep,
    require_api_key,
)
from fleetsim.api.json_body import StrictJsonRoute
from fleetsim.api.schemas import Accepted, JobPage, responses
from fleetsim.jobs.limits import (
    WorkLimitError,
    WorkLimits,
    check_work,
    estimate_work,
    job_limits,
    sync_limits,
)
from fleetsim.jobs.service import ROW_MODELS, JobResult, JobRows, ResultRowsPart
from fleetsim.models import (
    ChargingEvent,
    JobMessage,
    JobMode,
    ResolvedRequest,
    ResultSummary,
    SimulationRequest,
    SimulationResult,
    SiteLoadPoint,
    TimeSeriesPoint,
)
from fleetsim.models.job import Job, JobStatus
from fleetsim.models.request import FleetId, fleet_uuid

logger = logging.getLogger(__name__)

router = APIRouter(
    route_class=StrictJsonRoute,
    prefix="/v1",
    tags=["simulations"],
    dependencies=[Security(require_api_key)],
    responses=responses(401, 503),
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="the same key gives the same job; without one, so does the same request "
        "while the configuration is unchanged",
    ),
]


SUBMIT_HINT = "; submit it with POST /v1/simulations and poll GET /v1/simulations/{job_id}"


def _refuse_large(
    resolved: ResolvedRequest, limits: WorkLimits, *, max_points: int | None, hint: str = ""
) -> None:
    """413 for a run above `max_points` result rows (time series as coarsened to the
    scenario's max_points, plus site load) or any of `limits`."""
    estimate = estimate_work(resolved)
    if max_points is not None and estimate.output_points > max_points:
        raise HTTPException(
            413,
            f"the run would produce {estimate.output_points} time-series points, above the "
            f"limit of {max_points}{hint}",
        )
    try:
        check_work(estimate, limits)
    except WorkLimitError as exc:
        raise HTTPException(413, f"{exc}{hint}") from exc


@router.post(
    "/simulations:run",
    response_model=SimulationResult,
    responses=responses(400, 413, 415, 422),
    summary="Run a small simulation and return its result",
)
async def run(request: SimulationRequest, jobs: JobServiceDep) -> Response:
    """The result envelope, byte for byte what the CLI writes for the same request.

    Runs above FLEETSIM_SYNC_MAX_POINTS time-series points (after coarsening to the
    scenario's max_points) or FLEETSIM_SYNC_MAX_VEHICLE_STEPS (time steps x vehicles) answer
    413: submit those with `POST /v1/simulations`.
    """
    resolved = await asyncio.to_thread(jobs.resolve, request)
    settings = jobs.settings
    _refuse_large(
        resolved,
        sync_limits(settings),
        max_points=settings.sync_max_points,
        hint=SUBMIT_HINT,
    )
    result = await jobs.simulate(resolved)
    body = await asyncio.to_thread(result.json_bytes)
    return Response(body, media_type="application/json")


@router.post(
    "/simulations",
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(400, 409, 413, 415, 422, 503),
    summary="Submit a simulation job",
)
async def submit(
    request: SimulationRequest,
    jobs: JobServiceDep,
    dispatch: DispatchDep,
    response: Response,
    client: ApiKeyDep,
    idempotency_key: IdempotencyKey = None,
    mode: Annotated[
        JobMode,
        Query(description="where the result goes: the job row (db) or FLEETSIM_GCS_BUCKET (gcs)"),
    ] = "db",
) -> Accepted:
    """Queue the run and answer at once. A job is its fleet's resolved input: a repeated
    submit returns the same job (whose mode is the first submission's) until the
    configuration or the model version changes, and then a new one."""
    if mode == "gcs" and jobs.objects is None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "mode gcs is not offered here: no FLEETSIM_GCS_BUCKET"
        )
    resolved = await asyncio.to_thread(jobs.resolve, request)
    # The series is coarsened to the scenario's max_points: only the work limits refuse.
    _refuse_large(resolved, job_limits(jobs.settings), max_points=None)
    created = await jobs.create(request, resolved, mode=mode, idempotency_key=idempotency_key)
    job = created.job
    if job.status == "queued":  # also on a repeat: the first dispatch may have failed
        await dispatch(JobMessage(job_id=job.job_id, mode=job.mode, request=request))
    logger.info(
        "job submitted" if created.created else "job already submitted",
        extra={"job_id": str(job.job_id), "status": job.status, "api_key": client},
    )
    response.headers["Location"] = f"/v1/simulations/{job.job_id}"
    return Accepted(job_id=job.job_id, status=job.status)


@router.get(
    "/simulations/{job_id}",
    response_model=Job,
    responses=responses(404, 422),
    summary="A job's status",
)
async def status_of(job_id: UUID, store: JobStoreDep) -> Response:
    job = await store.get(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
    # Serialised here: FastAPI would validate the model again on the way out.
    return Response(job.model_dump_json(), media_type="application/json")


@router.get(
    "/simulations/{job_id}/result",
    response_model=SimulationResult,
    responses=responses(404, 409, 422, 503),
    summary="A succeeded job's result envelope",
)
async def result_of(
    job_id: UUID,
    jobs: JobServiceDep,
    accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """The same bytes whichever sink holds them: a mode gcs result is read from its object
    (the bucket stays private; clients need no Google credentials). A database result is
    sent as stored, gzip-compressed, to clients that accept gzip, and decompressed as it is
    sent to others."""
    found = await jobs.result(job_id)
    _succeeded(job_id, found)
    assert found is not None and found.data is not None
    if found.gzipped and accepts_gzip(accept_encoding):
        # The stored bytes as they are: a read, no decompression and no re-serialisation.
        headers = {"content-encoding": "gzip", "vary": "Accept-Encoding"}
        return Response(found.data, media_type="application/json", headers=headers)
    # Decompressed as it is sent (in a thread, a chunk at a time): never held whole.
    return StreamingResponse(found.plain_chunks(), media_type="application/json")


def _succeeded(job_id: UUID, found: JobResult | JobRows | None) -> None:
    """404 for no such job, 409 for one that has not succeeded (yet)."""
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
    if (found.data if isinstance(found, JobResult) else found.rows_json) is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"job {job_id} is {found.status}: a result exists only once it has succeeded",
        )


@router.get(
    "/simulations/{job_id}/summary",
    response_model=ResultSummary,
    responses=responses(404, 409, 422, 503),
    summary="A succeeded job's summary: KPIs, sites, vehicles, chargers, stranded trips",
)
async def summary_of(job_id: UUID, jobs: JobServiceDep) -> Response:
    """What a dashboard shows, a few kB (the envelope is megabytes): metadata, the fleet
    KPIs, each site's peak against its limit with energy and cost, each vehicle's lowest
    SoC, stranded trips, energy and port waits, each charger's utilisation (idle ones too),
    the first stranded trips and the warnings. Byte-stable, like the result."""
    found = await jobs.summary(job_id)
    _succeeded(job_id, found)
    assert found is not None and found.data is not None
    return Response(found.data, media_type="application/json")


def accepts_gzip(accept_encoding: str | None) -> bool:
    """The client's Accept-Encoding (RFC 9110 §12.5.3) lists gzip (or `*`) with a q above 0."""
    for entry in (accept_encoding or "").lower().split(","):
        coding, _, params = entry.partition(";")
        if coding.strip() not in ("gzip", "x-gzip", "*"):
            continue
        q = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
        try:
            return float(q) > 0
        except ValueError:
            return False
    return False


@router.get(
    "/simulations/{job_id}/result/{part}",
    response_model=list[TimeSeriesPoint] | list[SiteLoadPoint] | list[ChargingEvent],
    responses=responses(404, 409, 422, 503)
    | {
        200: {
            "description": "the rows as JSON, or as CSV (a header line of the field names) "
            "for `Accept: text/csv`",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    summary="One row list of a succeeded job's result, as JSON or CSV",
)
async def result_rows_of(
    job_id: UUID,
    part: Annotated[
        ResultRowsPart,
        Path(description="time_series_data, site_load or charging_events (see the result)"),
    ],
    jobs: JobServiceDep,
    accept: Annotated[
        str | None, Header(description="`text/csv` for CSV, else JSON", max_length=1024)
    ] = None,
) -> Response:
    """`time_series_data`, `site_load` or `charging_events`, exactly as in the result; with
    `Accept: text/csv`, a CSV file for a spreadsheet (empty cells for null)."""
    found = await jobs.result_rows(job_id, part)
    _succeeded(job_id, found)
    assert found is not None and found.rows_json is not None
    rows_json = found.rows_json
    if wants_csv(accept):
        # Streamed a block of rows at a time (in a thread): a year's rows are never all held.
        disposition = f'attachment; filename="{job_id}-{part}.csv"'
        return StreamingResponse(
            csv_chunks(ROW_MODELS[part], rows_json),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition},
        )
    return Response(await asyncio.to_thread(bytes, rows_json), media_type="application/json")


FleetIdQuery = Annotated[
    FleetId | None, Query(description="a fleet's UUID or slug (as in the request)")
]


@router.get("/simulations", responses=responses(422), summary="Jobs, newest first")
async def list_jobs(
    store: JobStoreDep,
    fleet_id: FleetIdQuery = None,
    job_status: Annotated[
        JobStatus | None, Query(alias="status", description="only jobs in this status")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="jobs per page")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=512, description="a previous page's next_cursor")
    ] = None,
) -> JobPage:
    """Each row carries its scenario, label and headline KPIs: a list page needs no result."""
    page = await store.list_jobs(
        fleet_id=None if fleet_id is None else fleet_uuid(fleet_id),
        status=job_status,
        limit=limit,
        cursor=cursor,
    )
    return JobPage(items=page.jobs, next_cursor=page.next_cursor)
