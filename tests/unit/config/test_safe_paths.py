"""Paths named in config or requests stay inside the config directory."""

import json
from pathlib import Path
from typing import Any

import pytest

from fleetsim.config import ConfigErrors, load_catalogue, route_profile
from fleetsim.models import RouteSpec

LINE = {"type": "LineString", "coordinates": [[11.5, 48.1], [11.51, 48.1]]}


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """tmp/config (the config dir) next to tmp/outside.geojson, a valid file outside it."""
    config = tmp_path / "config"
    (config / "routes").mkdir(parents=True)
    (config / "routes" / "inside.geojson").write_text(json.dumps(LINE))
    (tmp_path / "outside.geojson").write_text(json.dumps(LINE))
    return config


def _refusal(spec: dict[str, Any], config_dir: Path) -> str:
    with pytest.raises(ConfigErrors) as caught:
        route_profile(RouteSpec.model_validate({"id": "r", **spec}), config_dir)
    [problem] = caught.value.problems
    return str(problem)


def test_relative_path_inside_the_config_dir_is_read(layout: Path) -> None:
    profile = route_profile(RouteSpec(id="r", geometry="routes/inside.geojson"), layout)

    assert profile.length_km > 0


def test_parent_directory_escape_is_refused(layout: Path) -> None:
    assert _refusal({"geometry": "../outside.geojson"}, layout) == (
        "routes.yaml: route 'r' field 'geometry': path '../outside.geojson' must not contain '..'"
    )


def test_dotdot_is_refused_even_when_it_stays_inside(layout: Path) -> None:
    assert "must not contain '..'" in _refusal(
        {"geometry": "routes/../routes/inside.geojson"}, layout
    )


def test_absolute_path_is_refused_even_inside_the_config_dir(layout: Path) -> None:
    absolute = str(layout / "routes" / "inside.geojson")

    assert _refusal({"geometry": absolute}, layout) == (
        f"routes.yaml: route 'r' field 'geometry': path {absolute!r} must be relative to the "
        "config directory"
    )


def test_symlink_pointing_outside_is_refused(layout: Path) -> None:
    (layout / "routes" / "link.geojson").symlink_to(layout.parent / "outside.geojson")

    assert _refusal({"geometry": "routes/link.geojson"}, layout) == (
        "routes.yaml: route 'r' field 'geometry': path 'routes/link.geojson' resolves outside "
        "the config directory"
    )


def test_symlinked_directory_pointing_outside_is_refused(layout: Path) -> None:
    (layout / "elsewhere").symlink_to(layout.parent, target_is_directory=True)

    assert "resolves outside the config directory" in _refusal(
        {"geometry": "elsewhere/outside.geojson"}, layout
    )


def test_symlink_staying_inside_is_followed(layout: Path) -> None:
    (layout / "alias.geojson").symlink_to(layout / "routes" / "inside.geojson")

    assert route_profile(RouteSpec(id="r", geometry="alias.geojson"), layout).length_km > 0


def test_config_dir_reached_through_a_symlink_still_works(layout: Path, tmp_path: Path) -> None:
    (tmp_path / "current").symlink_to(layout, target_is_directory=True)

    profile = route_profile(
        RouteSpec(id="r", geometry="routes/inside.geojson"), tmp_path / "current"
    )

    assert profile.length_km > 0


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"directions": "../outside.geojson"}, "directions"),
        ({"cycle": "../outside.geojson", "location": (11.5, 48.1)}, "cycle"),
    ],
)
def test_every_path_field_is_confined(layout: Path, spec: dict[str, Any], field: str) -> None:
    assert _refusal(spec, layout).startswith(f"routes.yaml: route 'r' field '{field}': path")


def test_yaml_file_symlinked_outside_is_refused(layout: Path) -> None:
    (layout.parent / "vehicles.yaml").write_text("vehicles: []\n")
    (layout / "vehicles.yaml").symlink_to(layout.parent / "vehicles.yaml")

    with pytest.raises(ConfigErrors) as caught:
        load_catalogue(layout)

    assert (
        "vehicles.yaml: path 'vehicles.yaml' resolves outside the config directory"
        in str(caught.value).splitlines()
    )


def test_schedule_csv_escape_is_refused(
    config_data: dict[str, dict[str, Any]], write_config: Any
) -> None:
    config_data["scenarios.yaml"]["scenarios"][0]["schedule_csv"] = "/etc/passwd"

    with pytest.raises(ConfigErrors) as caught:
        load_catalogue(write_config(config_data))

    assert [str(p) for p in caught.value.problems] == [
        "scenarios.yaml: scenario 'default' field 'schedule_csv': path '/etc/passwd' must be "
        "relative to the config directory"
    ]
