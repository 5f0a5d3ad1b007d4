"""Study requests: axes and their ranges, the grid's order, each point's request and the
study's identity."""

import pytest
from pydantic import ValidationError

from fleetsim.models import SimulationRequest
from fleetsim.models.study import StudyRequest
from fleetsim.studies.points import PointKey, grid, next_points, point_request, study_id

LIMIT = "sites.neuperlach_depot.site_power_limit_kw"


def test_ranges_include_both_ends_and_land_on_decimal_steps() -> None:
    study = StudyRequest.model_validate(
        {"grid": [{"path": "weather.ambient_c", "from": 0.1, "to": 0.5, "step": 0.1}]}
    )
    assert study.grid_values() == [[0.1, 0.2, 0.3, 0.4, 0.5]]


def test_the_last_axis_varies_fastest() -> None:
    study = StudyRequest.model_validate(
        {
            "grid": [
                {"path": LIMIT, "values": [300, 400]},
                {"path": "strategy", "values": ["a", "b"]},
            ]
        }
    )
    assert grid(study) == [
        {LIMIT: 300, "strategy": "a"},
        {LIMIT: 300, "strategy": "b"},
        {LIMIT: 400, "strategy": "a"},
        {LIMIT: 400, "strategy": "b"},
    ]
    assert study.max_points() == 4


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"grid": [{"path": "strategy", "values": []}]}, "`values` is empty"),
        ({"grid": [{"path": "strategy"}]}, "give `values`"),
        ({"grid": [{"path": "step_s", "values": [60], "from": 1}]}, "give `values` or"),
        ({"grid": [{"path": "step_s", "values": [60, 60]}]}, "repeats a value"),
        ({"grid": [{"path": "step_s", "from": 60, "to": 30, "step": 10}]}, "below `from`"),
        ({"grid": [{"path": "step_s", "from": 0, "to": 5000, "step": 1}]}, "above the limit"),
        (
            {
                "grid": [{"path": "step_s", "values": [60]}],
                "size": {"path": "step_s", "from": 1, "to": 2, "step": 1},
            },
            "more than one axis",
        ),
    ],
)
def test_malformed_axes_are_refused_naming_the_path(body: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StudyRequest.model_validate(body)


def test_a_point_request_adds_its_values_to_the_base_set() -> None:
    base = SimulationRequest.model_validate({"scenario": "smoke", "set": {"step_s": 120}})
    request = point_request(base, {LIMIT: 300, "step_s": 60})
    assert request.scenario == "smoke"
    assert request.set == {"step_s": 60, LIMIT: 300}
    # As a user would have sent it: unset fields stay unset, so the job row is the same.
    assert request.model_fields_set == {"scenario", "set"}


def test_the_study_id_follows_the_request_and_the_base_input() -> None:
    study = StudyRequest.model_validate({"grid": [{"path": "strategy", "values": ["llf"]}]})
    again = StudyRequest.model_validate_json(study.model_dump_json(by_alias=True))
    assert study_id(study, "a") == study_id(again, "a")
    assert study_id(study, "a") != study_id(study, "b")
    other = StudyRequest.model_validate({"grid": [{"path": "strategy", "values": ["edf"]}]})
    assert study_id(other, "a") != study_id(study, "a")


def test_sizing_rounds_wait_for_their_grid_point_only() -> None:
    study = StudyRequest.model_validate(
        {
            "grid": [{"path": "strategy", "values": ["greedy", "llf"]}],
            "size": {
                "path": "chargers.c.ports",
                "from": 1,
                "to": 8,
                "step": 1,
                "probes_per_round": 2,
            },
        }
    )
    first = next_points(study, set(), {})
    assert [p.key for p in first] == [
        PointKey(0, 2),
        PointKey(0, 5),
        PointKey(1, 2),
        PointKey(1, 5),
    ]
    assert first[0].values == {"strategy": "greedy", "chargers.c.ports": 3}
    planned = {p.key for p in first}
    # Grid point 0 has finished its round (3 ports fail, 6 meet); grid point 1 still runs.
    met = {PointKey(0, 2): False, PointKey(0, 5): True, PointKey(1, 2): True}
    second = next_points(study, planned, met)
    assert [p.key for p in second] == [PointKey(0, 3), PointKey(0, 4)]
