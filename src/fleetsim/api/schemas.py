"""Response bodies of the HTTP API that are not models of the core (jobs, errors, pages)."""

from uuid import UUID

from pydantic import BaseModel, Field

from fleetsim.models.job import Job, JobStatus, Problem


class Message(BaseModel):
    """Every error but 422: what went wrong, in words."""

    detail: str = Field(description="what went wrong, in words")


class Problems(BaseModel):
    """422: one entry per invalid input."""

    detail: list[Problem] = Field(description="one entry per problem")


class Accepted(BaseModel):
    """A submitted job: poll `GET /v1/simulations/{job_id}` until it has finished."""

    job_id: UUID = Field(description="the job, derived from the fleet and the resolved input")
    status: JobStatus = Field(description="queued, or the job's status if it existed already")


class JobPage(BaseModel):
    """Jobs, newest first; pass `next_cursor` as `cursor` for the next page (null at the end)."""

    items: list[Job] = Field(description="up to `limit` jobs")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: end")


class Health(BaseModel):
    status: str = Field(description="ok (alive) or ready (the database answers)")


def responses(*codes: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI documentation of the error responses a route may give."""
    described: dict[int | str, dict[str, object]] = {}
    for code in codes:
        model = Problems if code == 422 else Message
        described[code] = {"model": model, "description": _DESCRIPTIONS[code]}
    return described


_DESCRIPTIONS = {
    400: "the body could not be read as UTF-8 JSON",
    401: "missing or invalid X-API-Key",
    404: "no such job",
    409: "the job has not succeeded (yet), or the Idempotency-Key names another request",
    413: "the request body, or the run, is too large",
    415: "the Content-Type header is missing or not application/json",
    422: "invalid input: one entry per problem",
    503: "a dependency is unavailable",
}
