"""YAML files read with bounds: aliases cannot expand without limit, nesting is capped."""

from pathlib import Path

import pytest

from fleetsim.config import ConfigErrors
from fleetsim.config.errors import Where
from fleetsim.config.files import MAX_YAML_DEPTH, MAX_YAML_VALUES, read_yaml

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def _problem(path: Path) -> str:
    with pytest.raises(ConfigErrors) as caught:
        read_yaml(path, Where("scenarios.yaml"))
    (problem,) = caught.value.problems
    return str(problem)


def test_a_billion_laughs_is_refused_before_it_is_built(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text(BILLION_LAUGHS)

    assert _problem(path) == (
        f"scenarios.yaml: expands to more than {MAX_YAML_VALUES:,} values through its aliases"
    )


def test_aliases_that_expand_modestly_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text("fleet: &f [1, 2, 3]\nagain: *f\nthird: *f\n")

    assert read_yaml(path, Where("scenarios.yaml")) == {
        "fleet": [1, 2, 3],
        "again": [1, 2, 3],
        "third": [1, 2, 3],
    }


def test_nesting_deeper_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text("a: " + "[" * 5_000 + "]" * 5_000)

    assert _problem(path) == f"scenarios.yaml: nested deeper than {MAX_YAML_DEPTH} levels"
