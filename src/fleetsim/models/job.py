"""A simulation job as every door reports it, and the error a failed job records."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from fleetsim.models.message import JobMode
from fleetsim.models.summary import HeadlineKpis

JobStatus = Literal["queued", "running", "succeeded", "failed"]


class Problem(BaseModel):
    """One invalid input: where (`loc`, outermost first) and what is wrong."""

    loc: list[str | int] = Field(
        description="where: `body`, `query`, `header` or a file, then field names and list "
        "indexes, outermost first"
    )
    msg: str = Field(description="what is wrong, in words")


class JobError(BaseModel):
    """Why a job failed: the exception type, its message and, for invalid input, each problem."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="the kind of failure, e.g. InputChanged, MaxAttemptsExceeded")
    message: str = Field(description="what went wrong, in words")
    problems: list[Problem] | None = Field(
        None, description="for invalid input: one entry per problem"
    )


class Job(BaseModel):
    """The job row without its request and result: what a status poll or a list row shows."""

    job_id: UUID = Field(description="derived from fleet_id and the resolved input's digest")
    fleet_id: UUID = Field(
        description="the request's fleet_id (a slug as its uuid5, see SimulationRequest), else "
        "derived from the scenario name"
    )
    status: JobStatus = Field(description="queued, running, then succeeded or failed")
    mode: JobMode = Field(description="where the result goes: this row (db) or a bucket (gcs)")
    scenario: str | None = Field(
        description="the scenario the request named; null for a message that could not be read"
    )
    label: str | None = Field(description="the first submission's label, for people")
    result_uri: str | None = Field(
        description="mode gcs: the gs:// object holding the result, once the job succeeded"
    )
    attempts: int = Field(description="times a worker has claimed the job")
    feasible: bool | None = Field(
        description="every trip driven without going below reserve; null until succeeded"
    )
    headline_kpis: HeadlineKpis | None = Field(
        description="the result's headline figures; null until succeeded (and for jobs that "
        "finished before they were recorded)"
    )
    error: JobError | None = Field(description="why the job failed; null unless failed")
    created_at: datetime = Field(description="when the job was first submitted, UTC")
    updated_at: datetime = Field(description="the row's last change, UTC")
    started_at: datetime | None = Field(description="the latest claim, UTC")
    finished_at: datetime | None = Field(description="when it succeeded or failed, UTC")
