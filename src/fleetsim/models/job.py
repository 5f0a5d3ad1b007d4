"""A simulation job as every door reports it, and the error a failed job records."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from fleetsim.models.message import JobMode

JobStatus = Literal["queued", "running", "succeeded", "failed"]


class Problem(BaseModel):
    """One invalid input: where (`loc`, outermost first) and what is wrong."""

    loc: list[str | int]
    msg: str


class JobError(BaseModel):
    """Why a job failed: the exception type, its message and, for invalid input, each problem."""

    model_config = ConfigDict(extra="forbid")

    type: str
    message: str
    problems: list[Problem] | None = None


class Job(BaseModel):
    """The job row without its request and result; timestamps are UTC."""

    job_id: UUID
    fleet_id: UUID
    status: JobStatus
    mode: JobMode
    result_uri: str | None = Field(
        description="mode gcs: the gs:// object holding the result, once the job succeeded"
    )
    attempts: int
    feasible: bool | None
    error: JobError | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
