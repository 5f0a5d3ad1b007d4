"""A simulation job as every door reports it: status, attempts, error, timestamps."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from fleetsim.db.schema import JobStatus
from fleetsim.jobs.errors import JobError
from fleetsim.models.message import JobMode


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
