"""Drive-cycle CSV routes: parsed into a CycleProfile, every bad line reported."""

from pathlib import Path

import pytest

from fleetsim.config import ConfigErrors, route_profile
from fleetsim.models import RouteSpec

HEADER = "time_s,speed_mps,grade\n"


def _cycle_route(tmp_path: Path, text: str, **spec: object) -> RouteSpec:
    (tmp_path / "c.csv").write_text(text)
    return RouteSpec.model_validate({"id": "c", "cycle": "c.csv", "location": (11.5, 48.1), **spec})


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        route_profile(_cycle_route(tmp_path, text), tmp_path)
    return [str(p) for p in caught.value.problems]


def test_cycle_csv_becomes_a_cycle_profile_driven_at_its_location(tmp_path: Path) -> None:
    text = HEADER + "0,0,0\n1,2,0\n2,4,0.01\n3,4,0.01\n4,2,-0.02\n5,0,0\n"

    profile = route_profile(_cycle_route(tmp_path, text), tmp_path)

    assert profile.cycle is not None
    assert profile.path is None
    assert profile.cycle.time_s == [0, 1, 2, 3, 4, 5]
    assert profile.cycle.speed_mps == [0, 2, 4, 4, 2, 0]
    assert profile.cycle.grade == [0, 0, 0.01, 0.01, -0.02, 0]
    assert profile.start == profile.end == (11.5, 48.1)
    assert profile.length_km == pytest.approx(0.012)  # trapezoid: 1 + 3 + 4 + 3 + 1 m


def test_every_bad_cycle_line_is_reported_with_its_number(tmp_path: Path) -> None:
    text = HEADER + "0,0,0\n1,-1,0\n2,nan,0\n3,abc,0\n4,1,5\n4,1,0\n5,1\n"

    assert _problems(tmp_path, text) == [
        "c.csv:3: route 'c' field 'speed_mps': -1.0 is negative",
        "c.csv:4: route 'c' field 'speed_mps': nan is not finite",
        "c.csv:5: route 'c' field 'speed_mps': 'abc' is not a number",
        "c.csv:6: route 'c' field 'grade': 5.0 is outside [-1, 1]; grade is a fraction "
        "(rise / run)",
        "c.csv:7: route 'c' field 'time_s': 4.0 does not follow 4.0; time must increase",
        "c.csv:8: route 'c': expected 3 values, got 2",
    ]


def test_cycle_time_step_must_stay_fixed(tmp_path: Path) -> None:
    problems = _problems(tmp_path, HEADER + "0,1,0\n1,1,0\n3,1,0\n")

    assert problems == [
        "c.csv:4: route 'c' field 'time_s': step 2 s differs from the first step 1 s"
    ]


def test_cycle_header_is_checked(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "t,v,g\n0,1,0\n1,1,0\n")

    assert problems == ["c.csv:1: route 'c': header must be time_s,speed_mps,grade"]


def test_cycle_that_never_moves_is_refused(tmp_path: Path) -> None:
    assert _problems(tmp_path, HEADER + "0,0,0\n1,0,0\n") == [
        "routes.yaml: route 'c' field 'cycle': the cycle never moves (distance 0)"
    ]


def test_cycle_with_one_row_is_refused(tmp_path: Path) -> None:
    assert _problems(tmp_path, HEADER + "0,1,0\n") == [
        "c.csv: route 'c' field 'cycle': needs at least two rows"
    ]


def test_cycle_route_with_stops_is_refused(tmp_path: Path) -> None:
    spec = _cycle_route(tmp_path, HEADER + "0,1,0\n1,1,0\n", stops=2)

    with pytest.raises(ConfigErrors, match="field 'stops': a cycle route takes its stops"):
        route_profile(spec, tmp_path)
