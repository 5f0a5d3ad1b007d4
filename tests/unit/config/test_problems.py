"""Problems render as one located line; pydantic errors become field paths."""

import pickle

import pytest
from pydantic import ValidationError

from fleetsim.config import ConfigErrors, ConfigProblem
from fleetsim.config.errors import Where, field_path, problems_from_validation
from fleetsim.models import RouteSpec, Tariff


def test_problem_renders_file_entry_field_and_reason() -> None:
    problem = ConfigProblem(
        "vehicles.yaml", "van", "mass_kg", "Input should be greater than 0", "vehicle"
    )

    assert (
        str(problem)
        == "vehicles.yaml: vehicle 'van' field 'mass_kg': Input should be greater than 0"
    )
    assert problem.loc == ["vehicles.yaml", "van", "mass_kg"]


@pytest.mark.parametrize(
    ("problem", "line"),
    [
        (ConfigProblem("routes.yaml", None, None, "file not found"), "routes.yaml: file not found"),
        (
            ConfigProblem("request", None, "scenario", "unknown"),
            "request: field 'scenario': unknown",
        ),
        (ConfigProblem("a.csv:3", "x", None, "bad", "scenario"), "a.csv:3: scenario 'x': bad"),
    ],
)
def test_problem_leaves_out_what_it_does_not_know(problem: ConfigProblem, line: str) -> None:
    assert str(problem) == line


def test_config_errors_carry_every_problem_one_line_each() -> None:
    problems = [
        ConfigProblem("a.yaml", None, None, "one"),
        ConfigProblem("b.yaml", None, None, "two"),
    ]

    error = ConfigErrors(problems)

    assert error.problems == problems
    assert str(error) == "a.yaml: one\nb.yaml: two"


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("hvac", "max_kw"), "hvac.max_kw"),
        (("windows", 0, "start"), "windows[0].start"),
        (("stops", "list[StopSpec]", 2, "location", 1), "stops[2].location[1]"),
        (("geometry", "dict[str,any]"), "geometry"),
        (("stops", "int"), "stops"),
        ((), ""),
    ],
)
def test_pydantic_loc_becomes_a_field_path_without_union_tags(
    loc: tuple[int | str, ...], path: str
) -> None:
    assert field_path(loc) == path


def test_validation_errors_become_problems_at_their_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        Tariff.model_validate(
            {
                "id": "t",
                "default_price_per_kwh": -1,
                "windows": [{"start": "x", "end": "06:00", "price_per_kwh": 1}],
            }
        )

    problems = problems_from_validation(caught.value, Where("chargers.yaml", "tariff", "t"))

    assert [(p.field, p.entry, p.kind) for p in problems] == [
        ("default_price_per_kwh", "t", "tariff"),
        ("windows[0].start", "t", "tariff"),
    ]


def test_model_level_errors_keep_the_entry_and_drop_the_value_error_prefix() -> None:
    with pytest.raises(ValidationError) as caught:
        RouteSpec.model_validate({"id": "r"})

    [problem] = problems_from_validation(caught.value, Where("routes.yaml", "route", "r"))

    assert (
        str(problem) == "routes.yaml: route 'r': give exactly one of geometry, directions or cycle"
    )


def test_config_errors_survive_pickling_with_their_problems() -> None:
    error = ConfigErrors([ConfigProblem("a.yaml", "x", "f", "bad", "vehicle")])

    copy = pickle.loads(pickle.dumps(error))

    assert copy.problems == error.problems
    assert str(copy) == "a.yaml: vehicle 'x' field 'f': bad"
