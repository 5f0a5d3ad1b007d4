"""The job message in both shapes it arrives in, and what makes a message unusable."""

import json
import uuid

import pytest

from fleetsim.models import (
    DirectRequest,
    InvalidMessageError,
    JobMessage,
    SimulationRequest,
    parse_message,
)

REQUEST = {"scenario": "smoke", "fleet_id": "7b0c7f2e-3a51-4d7c-9d4e-6a1f4b8c2d10"}


def test_the_api_shape_round_trips_with_only_the_given_request_fields() -> None:
    message = JobMessage(
        job_id=uuid.uuid4(), mode="gcs", request=SimulationRequest.model_validate(REQUEST)
    )
    data = message.data()
    assert json.loads(data) == {"job_id": str(message.job_id), "mode": "gcs", "request": REQUEST}
    assert parse_message(data, message.attributes("req-1")) == message
    assert message.attributes("req-1") == {"job_id": str(message.job_id), "request_id": "req-1"}


def test_the_nextjs_shape_is_the_request_plus_mode_keyed_by_the_job_id_attribute() -> None:
    job_id = uuid.uuid4()
    data = json.dumps({**REQUEST, "mode": "gcs"}).encode()
    parsed = parse_message(data, {"job_id": str(job_id)})
    assert parsed == DirectRequest(job_id, "gcs", SimulationRequest.model_validate(REQUEST))
    assert parse_message(json.dumps(REQUEST).encode(), {}) == DirectRequest(
        None, "db", SimulationRequest.model_validate(REQUEST)
    )


@pytest.mark.parametrize(
    ("data", "attributes", "reason", "keyed"),
    [
        (b"\xff\xfe{", {"job_id": "0b4a3c52-1111-4e8e-9d7a-2f0e8c1d4b90"}, "not JSON", True),
        (b"[1, 2]", {}, "not a JSON object", False),
        (json.dumps({**REQUEST, "mode": "s3"}).encode(), {}, "mode must be", False),
        (json.dumps({**REQUEST, "strategy": "fastest"}).encode(), {}, "invalid simulation", False),
        (json.dumps(REQUEST).encode(), {"job_id": "not-a-uuid"}, "not a UUID", False),
        (
            json.dumps({"job_id": "0b4a3c52-1111-4e8e-9d7a-2f0e8c1d4b90", "mode": "db"}).encode(),
            {},
            "invalid job message",
            True,
        ),
    ],
    ids=["not-json", "not-object", "mode", "request", "attribute", "no-request"],
)
def test_unusable_messages_say_why_and_name_their_job_when_they_can(
    data: bytes, attributes: dict[str, str], reason: str, keyed: bool
) -> None:
    with pytest.raises(InvalidMessageError, match=reason) as raised:
        parse_message(data, attributes)
    assert (raised.value.job_id is not None) == keyed
