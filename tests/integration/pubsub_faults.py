"""The push app with faults injected at the bucket, served by
`uvicorn --factory tests.integration.pubsub_faults:faulty_app` (settings from the environment).

Jobs whose fleet id starts with FLAKY_FLEET meet a 503 from GCS on their first object write;
those starting with DOWN_FLEET on every write. Everything else is the real push app.
"""

import threading
from uuid import UUID, uuid4

from fastapi import FastAPI

from fleetsim.errors import BucketUnavailableError
from fleetsim.pubsub.app import create_app
from fleetsim.settings import Settings
from fleetsim.sinks.gcs import GcsSink

FLAKY_FLEET = "fa11"
DOWN_FLEET = "d0d0"


class FaultyBucket(GcsSink):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._failed: set[UUID] = set()
        self._lock = threading.Lock()

    def write(self, fleet_id: UUID, job_id: UUID, data: bytes) -> str:
        with self._lock:
            first = job_id not in self._failed
            self._failed.add(job_id)
        fleet = str(fleet_id)
        if fleet.startswith(DOWN_FLEET) or (fleet.startswith(FLAKY_FLEET) and first):
            raise BucketUnavailableError("injected fault: the bucket answered 503")
        return super().write(fleet_id, job_id, data)


def fleet_id(prefix: str) -> str:
    """A new fleet id starting with `prefix` (4 hex digits)."""
    return prefix + str(uuid4())[len(prefix) :]


def faulty_app() -> FastAPI:
    settings = Settings()
    assert settings.gcs_bucket is not None, "the faulty app needs FLEETSIM_GCS_BUCKET"
    return create_app(settings, objects=FaultyBucket.open(settings.gcs_bucket))
