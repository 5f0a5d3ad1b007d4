"""The Pub/Sub job message (DESIGN §8): one definition for the publisher and the handler.

Two shapes arrive on the topic. The API publishes `{job_id, mode, request}` for a job row it
has already written. The Next.js app publishes the request's own fields at the top level plus
`mode`, with no row yet and optionally a `job_id` attribute; the handler then creates the job.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from fleetsim.json_input import InvalidJsonError, loads_strict
from fleetsim.models.request import SimulationRequest

JobMode = Literal["db", "gcs"]
"""Where a queued job's result goes: the job row (PostgreSQL) or an object in the bucket."""
JOB_MODES: tuple[str, ...] = get_args(JobMode)

REQUEST_ID_ATTRIBUTE = "request_id"
"""The submitting HTTP request's id, so the worker's log lines carry it too."""
JOB_ID_ATTRIBUTE = "job_id"
"""Set by a publisher that chose the job id itself (Next.js shape); the job's idempotency key."""


class JobMessage(BaseModel):
    """Data of a message for a job that exists: run job `job_id`, writing its result by `mode`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    job_id: UUID
    mode: JobMode
    request: SimulationRequest

    def data(self) -> bytes:
        """UTF-8 JSON; the request holds only the fields it was given, as the job row does."""
        return self.model_dump_json(exclude_unset=True).encode()

    def attributes(self, request_id: str | None = None) -> dict[str, str]:
        attributes = {JOB_ID_ATTRIBUTE: str(self.job_id)}
        if request_id is not None:
            attributes[REQUEST_ID_ATTRIBUTE] = request_id
        return attributes


@dataclass(frozen=True)
class DirectRequest:
    """A request published straight to the topic: its job is created by whoever handles it."""

    job_id: UUID | None
    """From the `job_id` attribute; None keys the job by its fleet and input digest, as a
    submit does."""
    mode: JobMode
    request: SimulationRequest


class InvalidMessageError(ValueError):
    """Message data that can never be handled; `job_id` names its job when one can be told."""

    def __init__(
        self, reason: str, *, job_id: UUID | None, cause: ValidationError | None = None
    ) -> None:
        self.reason = reason
        self.job_id = job_id
        self.cause = cause
        super().__init__(reason)


def parse_message(data: bytes, attributes: Mapping[str, str]) -> JobMessage | DirectRequest:
    """The message in either shape; raises InvalidMessageError for anything else."""
    attribute_id = attribute_job_id(attributes)
    try:
        payload = loads_strict(data)
    except InvalidJsonError as exc:
        raise InvalidMessageError(f"message data is not JSON: {exc}", job_id=attribute_id) from exc
    if not isinstance(payload, dict):
        raise InvalidMessageError("message data is not a JSON object", job_id=attribute_id)
    # SimulationRequest has neither field, so a request can never pass for a job message.
    if "job_id" in payload or "request" in payload:
        job_id = as_uuid(payload.get("job_id")) or attribute_id
        try:
            return JobMessage.model_validate(payload)
        except ValidationError as exc:
            raise InvalidMessageError("invalid job message", job_id=job_id, cause=exc) from exc
    return _direct_request(payload, attributes, attribute_id)


def attribute_job_id(attributes: Mapping[str, str]) -> UUID | None:
    """The `job_id` attribute, if it is a UUID."""
    return as_uuid(attributes.get(JOB_ID_ATTRIBUTE))


def _direct_request(
    payload: dict[str, Any], attributes: Mapping[str, str], job_id: UUID | None
) -> DirectRequest:
    if job_id is None and JOB_ID_ATTRIBUTE in attributes:
        raise InvalidMessageError(
            f"the {JOB_ID_ATTRIBUTE} attribute is not a UUID: {attributes[JOB_ID_ATTRIBUTE]!r}",
            job_id=None,
        )
    fields = dict(payload)
    mode = fields.pop("mode", "db")
    if mode not in JOB_MODES:
        raise InvalidMessageError(
            f"mode must be one of {', '.join(JOB_MODES)}, not {mode!r}", job_id=job_id
        )
    try:
        request = SimulationRequest.model_validate(fields)
    except ValidationError as exc:
        raise InvalidMessageError("invalid simulation request", job_id=job_id, cause=exc) from exc
    return DirectRequest(job_id=job_id, mode=mode, request=request)


def as_uuid(value: object) -> UUID | None:
    """`value` as a UUID if it is the text of one, else None."""
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None
