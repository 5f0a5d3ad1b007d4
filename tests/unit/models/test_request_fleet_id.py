"""A request's fleet id: a UUID as it is, a slug as one stable UUID, anything else refused."""

from uuid import UUID, uuid5

import pytest
from pydantic import ValidationError

from fleetsim.models import SimulationRequest
from fleetsim.models.request import FLEET_NAMESPACE, fleet_uuid

A_UUID = "6f1c2a52-4a3e-5b8e-9d7a-2f0e8c1d4b90"


def test_a_slug_is_stored_as_its_uuid5() -> None:
    request = SimulationRequest.model_validate({"fleet_id": "munich-depot"})
    assert request.fleet_id == "munich-depot"
    assert request.effective_fleet_id == uuid5(FLEET_NAMESPACE, "fleet:munich-depot")
    assert fleet_uuid("munich-depot") != fleet_uuid("munich_depot")


def test_a_uuid_stays_itself_in_any_spelling() -> None:
    for spelling in (A_UUID, A_UUID.upper(), A_UUID.replace("-", "")):
        request = SimulationRequest.model_validate({"fleet_id": spelling})
        assert request.effective_fleet_id == UUID(A_UUID)


def test_no_fleet_id_derives_one_from_the_scenario() -> None:
    smoke = SimulationRequest(scenario="smoke")
    assert smoke.effective_fleet_id == uuid5(FLEET_NAMESPACE, "scenario:smoke")
    assert smoke.effective_fleet_id != fleet_uuid("smoke"), "a slug is not a scenario name"


@pytest.mark.parametrize("fleet_id", ["Munich", "depot 7", "-leading", "x" * 65, "", 7])
def test_neither_uuid_nor_slug_is_refused_saying_both(fleet_id: object) -> None:
    with pytest.raises(ValidationError) as raised:
        SimulationRequest.model_validate({"fleet_id": fleet_id})
    (error,) = raised.value.errors()
    assert error["loc"] == ("fleet_id",)
    assert "UUID" in error["msg"] and "slug" in error["msg"]


def test_a_label_is_bounded() -> None:
    assert SimulationRequest(label="x" * 200).label == "x" * 200
    with pytest.raises(ValidationError):
        SimulationRequest(label="x" * 201)
