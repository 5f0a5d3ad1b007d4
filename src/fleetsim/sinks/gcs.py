"""GCS sink (DESIGN §6): `gs://<bucket>/simulations/<fleet_id>/<job_id>/result.json`, create-only.

google-cloud-storage is synchronous: async callers run these methods in a thread. With
STORAGE_EMULATOR_HOST set the client talks to that emulator with anonymous credentials.
The Google libraries load on first use: a process without a bucket never pays for them.
"""

import os
from functools import cache
from typing import TYPE_CHECKING
from uuid import UUID

from fleetsim.errors import BucketUnavailableError, StoreUnavailableError, map_exceptions

if TYPE_CHECKING:
    from google.cloud import storage  # type: ignore[import-untyped]

CONTENT_TYPE = "application/json"
TIMEOUT_S = 30.0
"""Per HTTP call; the library retries transient faults for up to RETRY_S in all."""
RETRY_S = 30.0
EMULATOR_PROJECT = "fleetsim-local"


@cache
def translations() -> dict[tuple[type[Exception], ...], type[StoreUnavailableError]]:
    """Transient faults, raised as BucketUnavailableError: a later write or read may work."""
    import google.auth.exceptions
    from google.api_core import exceptions as api_exceptions

    unavailable: tuple[type[Exception], ...] = (
        api_exceptions.ServerError,  # 5xx
        api_exceptions.TooManyRequests,
        google.auth.exceptions.TransportError,  # no token: the metadata server did not answer
        OSError,  # connection refused or reset, timeouts (requests' errors derive from it)
    )
    return {unavailable: BucketUnavailableError}


class ResultObjectMissingError(Exception):
    """A succeeded job's result object is not in the bucket (deleted behind our back)."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        super().__init__(f"the result object is gone: {uri}")


class ResultMismatchError(Exception):
    """The job's object exists with other bytes; a create-only write never replaces it."""

    def __init__(self, uri: str, existing: int, new: int) -> None:
        self.uri = uri
        super().__init__(
            f"{uri} already holds {existing} bytes that differ from this run's {new} bytes "
            "(a different fleetsim version or configuration?); the object was left as it is"
        )


class InvalidResultUriError(ValueError):
    """Not a `gs://bucket/object` URI."""


def object_name(fleet_id: UUID, job_id: UUID) -> str:
    return f"simulations/{fleet_id}/{job_id}/result.json"


def split_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/name` as (bucket, name)."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not uri.startswith("gs://") or not bucket or not name:
        raise InvalidResultUriError(f"not a gs://bucket/object URI: {uri!r}")
    return bucket, name


class GcsSink:
    """Results as objects in one bucket, written once per job."""

    def __init__(self, client: "storage.Client", bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    @classmethod
    def open(cls, bucket: str, *, project: str | None = None) -> "GcsSink":
        """A client on Application Default Credentials, or on the emulator when
        STORAGE_EMULATOR_HOST is set (anonymous; `project` defaults to a placeholder)."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        if os.environ.get("STORAGE_EMULATOR_HOST"):
            client = storage.Client(
                project=project or EMULATOR_PROJECT,
                credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            )
        else:
            client = storage.Client(project=project)
        return cls(client, bucket)

    def close(self) -> None:
        self._client.close()

    def uri(self, fleet_id: UUID, job_id: UUID) -> str:
        return f"gs://{self.bucket}/{object_name(fleet_id, job_id)}"

    def write(self, fleet_id: UUID, job_id: UUID, data: bytes) -> str:
        """Create the job's object with `data`; its `gs://` URI.

        An object already there with the same bytes (an earlier attempt wrote it) is success;
        with other bytes it raises ResultMismatchError.
        """
        from google.api_core import exceptions as api_exceptions
        from google.cloud.storage.retry import DEFAULT_RETRY  # type: ignore[import-untyped]

        blob = self._client.bucket(self.bucket).blob(object_name(fleet_id, job_id))
        uri = self.uri(fleet_id, job_id)
        try:
            with map_exceptions(translations()):
                blob.upload_from_string(
                    data,
                    content_type=CONTENT_TYPE,
                    if_generation_match=0,
                    timeout=TIMEOUT_S,
                    retry=DEFAULT_RETRY.with_timeout(RETRY_S),
                )
        except api_exceptions.PreconditionFailed:
            existing = self.read(uri)
            if existing != data:
                raise ResultMismatchError(uri, len(existing), len(data)) from None
        return uri

    def read(self, uri: str) -> bytes:
        """The object's bytes; raises ResultObjectMissingError when it is gone."""
        from google.api_core import exceptions as api_exceptions
        from google.cloud.storage.retry import DEFAULT_RETRY

        bucket, name = split_uri(uri)
        blob = self._client.bucket(bucket).blob(name)
        try:
            with map_exceptions(translations()):
                data: bytes = blob.download_as_bytes(
                    timeout=TIMEOUT_S, retry=DEFAULT_RETRY.with_timeout(RETRY_S)
                )
        except api_exceptions.NotFound as exc:
            raise ResultObjectMissingError(uri) from exc
        return data
