"""Design studies: submit (each point an ordinary simulation job), poll, fetch the table."""

from typing import Annotated, cast
from uuid import UUID

from fastapi import (
    APIRouter,
    Depends,
    Header,
    HTTPException,
    Query,
    Request,
    Response,
    Security,
    status,
)

from fleetsim.api.deps import require_api_key
from fleetsim.api.json_body import StrictJsonRoute
from fleetsim.api.schemas import responses
from fleetsim.jobs.studies import StudyService
from fleetsim.models.study import Study, StudyAccepted, StudyPage, StudyRequest, StudyResult
from fleetsim.studies.table import study_csv

router = APIRouter(
    route_class=StrictJsonRoute,
    prefix="/v1",
    tags=["studies"],
    dependencies=[Security(require_api_key)],
    responses=responses(401, 503),
)


async def get_studies(request: Request) -> StudyService:
    return cast(StudyService, request.app.state.studies)


StudyServiceDep = Annotated[StudyService, Depends(get_studies)]

CSV = "text/csv"


@router.post(
    "/studies",
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(400, 415, 422),
    summary="Submit a design study",
)
async def submit_study(
    study: StudyRequest, studies: StudyServiceDep, response: Response
) -> StudyAccepted:
    """Check the study (every point it may run must resolve; 422 names the field and the
    value otherwise; nothing is queued) and queue its first points as simulation jobs. The
    same study again (same request, same configuration) is the same study: its id and
    progress are returned, nothing is queued twice."""
    accepted = await studies.submit(study)
    response.headers["Location"] = f"/v1/studies/{accepted.study_id}"
    return accepted


@router.get(
    "/studies/{study_id}",
    response_model=Study,
    responses=responses(404, 422),
    summary="A study's progress",
)
async def study_status(study_id: UUID, studies: StudyServiceDep) -> Study:
    found = await studies.store.get(study_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no study {study_id}")
    return found


@router.get(
    "/studies/{study_id}/result",
    response_model=StudyResult,
    responses={
        **responses(404, 409, 422),
        200: {"content": {CSV: {"schema": {"type": "string"}}}},
    },
    summary="A finished study's table",
)
async def study_result(
    study_id: UUID,
    studies: StudyServiceDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The table as JSON (the bytes the CLI writes to study.json), or as CSV with
    `Accept: text/csv` (the CLI's study.csv)."""
    found = await studies.store.result(study_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no study {study_id}")
    study_status_now, data = found
    if data is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"study {study_id} is {study_status_now}: no table yet"
        )
    if accept is not None and CSV in accept:
        table = StudyResult.model_validate_json(data)
        return Response(study_csv(table), media_type=f"{CSV}; charset=utf-8")
    return Response(data, media_type="application/json")


@router.get("/studies", responses=responses(422), summary="Studies, newest first")
async def list_studies(
    studies: StudyServiceDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> StudyPage:
    return StudyPage(items=await studies.store.list_studies(limit))
