"""Problems with a request and the error a failed job records, shared by every door."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from fleetsim.config.errors import ConfigErrors
from fleetsim.models.job import JobError, Problem


def config_problems(exc: ConfigErrors) -> list[Problem]:
    """Located at file, entry id and field, as the configuration loader names them."""
    return [Problem(loc=list(p.loc), msg=p.reason) for p in exc.problems]


def validation_problems(errors: Sequence[Any]) -> list[Problem]:
    """From pydantic's `errors()` (also FastAPI's RequestValidationError, whose body that is
    not JSON says why in its context)."""
    return [
        Problem(loc=list(e["loc"]), msg=f"invalid JSON: {e['ctx']['error']}")
        if e.get("type") == "json_invalid" and "error" in e.get("ctx", {})
        else Problem(loc=list(e["loc"]), msg=e["msg"])
        for e in errors
    ]


def job_error(exc: BaseException) -> JobError:
    """What a failed job stores about the exception that ended it."""
    problems: list[Problem] | None = None
    if isinstance(exc, ConfigErrors):
        problems = config_problems(exc)
    elif isinstance(exc, ValidationError):
        problems = validation_problems(exc.errors(include_url=False))
    return JobError(type=type(exc).__name__, message=str(exc) or repr(exc), problems=problems)


class NoBucketError(RuntimeError):
    """A job in mode gcs met a process without FLEETSIM_GCS_BUCKET."""

    def __init__(self, job_id: UUID) -> None:
        self.job_id = job_id
        super().__init__(
            f"job {job_id} keeps its result in GCS, but this process has no bucket: "
            "set FLEETSIM_GCS_BUCKET"
        )
