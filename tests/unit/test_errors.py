"""Third-party errors become the project's own at the boundary, and only the listed ones."""

import pytest
from google.api_core import exceptions as api_exceptions

from fleetsim.errors import (
    BucketUnavailableError,
    DatabaseUnavailableError,
    StoreUnavailableError,
    map_exceptions,
)
from fleetsim.sinks import gcs


def test_a_listed_exception_becomes_the_mapped_error_chained_to_its_cause() -> None:
    cause = ConnectionRefusedError("refused")
    with (
        pytest.raises(DatabaseUnavailableError) as caught,
        map_exceptions({(OSError,): DatabaseUnavailableError}),
    ):
        raise cause

    assert caught.value.__cause__ is cause
    assert str(caught.value) == "ConnectionRefusedError: refused"
    assert isinstance(caught.value, StoreUnavailableError)


def test_an_unlisted_exception_passes_through_unchanged() -> None:
    with pytest.raises(KeyError), map_exceptions({(OSError,): DatabaseUnavailableError}):
        raise KeyError("a bug, not an outage")


@pytest.mark.parametrize(
    "fault",
    [
        api_exceptions.ServiceUnavailable("503"),
        api_exceptions.TooManyRequests("429"),
        ConnectionResetError("reset"),
    ],
)
def test_transient_bucket_faults_are_bucket_unavailable(fault: Exception) -> None:
    with pytest.raises(BucketUnavailableError), map_exceptions(gcs.translations()):
        raise fault


def test_a_refused_write_is_not_an_outage() -> None:
    with pytest.raises(api_exceptions.Forbidden), map_exceptions(gcs.translations()):
        raise api_exceptions.Forbidden("no permission")
