"""Loading a config directory: every problem is found, located and reported together."""

import json
import math
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from fleetsim.config import ConfigErrors, load_catalogue

Docs = dict[str, dict[str, Any]]
WriteConfig = Callable[[Docs], Path]


def _vehicle(docs: Docs, index: int = 0) -> dict[str, Any]:
    return docs["vehicles.yaml"]["vehicles"][index]


def _route(docs: Docs, route_id: str) -> dict[str, Any]:
    return next(r for r in docs["routes.yaml"]["routes"] if r["id"] == route_id)


def _default(docs: Docs) -> dict[str, Any]:
    return docs["scenarios.yaml"]["scenarios"][0]


def _load_problems(write_config: WriteConfig, docs: Docs, **files: str) -> list[str]:
    root = write_config(docs)
    for relative, text in files.items():
        (root / relative.replace("__", "/")).write_text(text)
    with pytest.raises(ConfigErrors) as caught:
        load_catalogue(root)
    return [str(p) for p in caught.value.problems]


def test_valid_config_loads_every_entry_by_id(config_dir: Path) -> None:
    catalogue = load_catalogue(config_dir)

    assert sorted(catalogue.vehicles) == ["bus_12m", "sedan", "van"]
    assert sorted(catalogue.sites) == ["depot_a", "hub"]
    assert sorted(catalogue.chargers) == ["depot_a_dc", "hub_ac"]
    assert sorted(catalogue.tariffs) == ["tou"]
    assert sorted(catalogue.route_specs) == ["city", "line", "loop"]
    assert sorted(catalogue.scenarios) == ["buses", "default"]
    assert catalogue.vehicles["van"].hvac.max_kw == 4


def test_unquoted_times_stay_clock_times_not_sexagesimal_numbers(
    config_data: Docs, write_config: WriteConfig
) -> None:
    root = write_config(config_data)
    text = (root / "scenarios.yaml").read_text().replace("'07:30'", "07:30")
    assert "departure: 07:30" in text
    (root / "scenarios.yaml").write_text(text)

    catalogue = load_catalogue(root)

    assert catalogue.scenarios["default"].schedule[0].departure == time(7, 30)


MALFORMED: list[tuple[str, Callable[[Docs], object], dict[str, str], str]] = [
    (
        "wrong type",
        lambda d: _vehicle(d).update(mass_kg="heavy"),
        {},
        "vehicles.yaml: vehicle 'van' field 'mass_kg': Input should be a valid number",
    ),
    (
        "NaN number",
        lambda d: _vehicle(d).update(mass_kg=math.nan),
        {},
        "vehicles.yaml: vehicle 'van' field 'mass_kg': Input should be a finite number",
    ),
    (
        "negative battery",
        lambda d: _vehicle(d).update(battery_usable_kwh=-5),
        {},
        "vehicles.yaml: vehicle 'van' field 'battery_usable_kwh': Input should be greater than 0",
    ),
    (
        "nested field",
        lambda d: _vehicle(d)["hvac"].update(max_kw=-1),
        {},
        "vehicles.yaml: vehicle 'van' field 'hvac.max_kw': Input should be greater than or equal",
    ),
    (
        "soc bounds misordered",
        lambda d: _vehicle(d).update(reserve_soc=0.95),
        {},
        "vehicles.yaml: vehicle 'van': SoC bounds must satisfy reserve_soc < soc_max",
    ),
    (
        "retired vehicle field soc_min",
        lambda d: _vehicle(d).update(soc_min=0.0),
        {},
        "vehicles.yaml: vehicle 'van' field 'soc_min': Extra inputs are not permitted",
    ),
    (
        "retired charger field kind",
        lambda d: d["chargers.yaml"]["chargers"][0].update(kind="depot"),
        {},
        "chargers.yaml: charger 'depot_a_dc' field 'kind': Extra inputs are not permitted",
    ),
    (
        "duplicate id",
        lambda d: d["vehicles.yaml"]["vehicles"].append(dict(_vehicle(d))),
        {},
        "vehicles.yaml: vehicle 'van' field 'id': duplicate id (first at vehicles[0])",
    ),
    (
        "entry without id",
        lambda d: _vehicle(d, 1).pop("id"),
        {},
        "vehicles.yaml: field 'vehicles[1].id': Field required",
    ),
    (
        "longitude out of range",
        lambda d: d["chargers.yaml"]["sites"][0].update(location=[200.0, 48.1]),
        {},
        "chargers.yaml: site 'depot_a' field 'location[0]': Input should be less than or equal",
    ),
    (
        "tariff window",
        lambda d: d["chargers.yaml"]["tariffs"][0]["windows"][0].update(start="25:00"),
        {},
        "chargers.yaml: tariff 'tou' field 'windows[0].start': Input should be in a valid time",
    ),
    (
        "unknown tariff",
        lambda d: d["chargers.yaml"]["chargers"][0].update(tariff="nope"),
        {},
        "chargers.yaml: charger 'depot_a_dc' field 'tariff': unknown tariff 'nope' (known: tou)",
    ),
    (
        "unknown site",
        lambda d: d["chargers.yaml"]["chargers"][1].update(site="hubb"),
        {},
        "chargers.yaml: charger 'hub_ac' field 'site': unknown site 'hubb' (known: depot_a, hub)",
    ),
    (
        "latitude out of range",
        lambda d: _route(d, "line")["geometry"].update(coordinates=[[11.5, 48.1], [11.5, 95.0]]),
        {},
        "routes.yaml: route 'line' field 'geometry': vertex 1 has latitude 95.0 outside ±90",
    ),
    (
        "NaN coordinate",
        lambda d: _route(d, "line")["geometry"].update(coordinates=[[11.5, 48.1], [math.nan, 48]]),
        {},
        "routes.yaml: route 'line' field 'geometry': vertex 1 is not a finite number",
    ),
    (
        "empty geometry",
        lambda d: _route(d, "line")["geometry"].update(coordinates=[]),
        {},
        "routes.yaml: route 'line' field 'geometry': empty geometry",
    ),
    (
        "zero-length line",
        lambda d: _route(d, "line")["geometry"].update(coordinates=[[11.5, 48.1], [11.5, 48.1]]),
        {},
        "routes.yaml: route 'line' field 'geometry': line has zero length",
    ),
    (
        "geometry of the wrong type",
        lambda d: _route(d, "line").update(geometry=42),
        {},
        "routes.yaml: route 'line' field 'geometry': Input should be a valid string",
    ),
    (
        "point is not drivable",
        lambda d: _route(d, "line").update(geometry={"type": "Point", "coordinates": [1, 2]}),
        {},
        "routes.yaml: route 'line' field 'geometry': GeoJSON type must be one of",
    ),
    (
        "missing geometry file",
        lambda d: _route(d, "loop").update(geometry="routes/missing.geojson"),
        {},
        "routes.yaml: route 'loop' field 'geometry': file 'routes/missing.geojson' not found",
    ),
    (
        "longitude out of range in a GeoJSON file",
        lambda d: None,
        {
            "routes__loop.geojson": '{"type": "LineString", '
            '"coordinates": [[11.5, 48.1], [181.5, 48.1]]}'
        },
        "routes/loop.geojson: route 'loop' field 'geometry': vertex 1 has longitude 181.5 "
        "outside ±180",
    ),
    (
        "GeoJSON file that is not JSON",
        lambda d: None,
        {"routes__loop.geojson": "<OGRVRTDataSource/>"},
        "routes/loop.geojson: route 'loop' field 'geometry': invalid JSON at line 1, column 1",
    ),
    (
        "bad cycle row",
        lambda d: None,
        {"cycles__city.csv": "time_s,speed_mps,grade\n0,0,0\n1,-2,0\n2,x,0\n"},
        "cycles/city.csv:3: route 'city' field 'speed_mps': -2.0 is negative",
    ),
    (
        "unknown vehicle in scenario",
        lambda d: _default(d)["fleet"][0].update(type="vann"),
        {},
        "scenarios.yaml: scenario 'default' field 'fleet[0].type': unknown vehicle 'vann' "
        "(known: bus_12m, sedan, van)",
    ),
    (
        "unknown route in schedule",
        lambda d: _default(d)["schedule"][0].update(route_id="nowhere"),
        {},
        "scenarios.yaml: scenario 'default' field 'schedule[0].route_id': unknown route "
        "'nowhere' (known: city, line, loop)",
    ),
    (
        "unknown depot",
        lambda d: _default(d)["fleet"][0].update(depot="depot_z"),
        {},
        "scenarios.yaml: scenario 'default' field 'fleet[0].depot': unknown site 'depot_z'",
    ),
    (
        "bad schedule row",
        lambda d: None,
        {
            "schedules__default.csv": "vehicle_id,vehicle_type,route_id,departure,weekdays\n"
            "van1,van,line,12:15,mon\n"
            "van2,van,loop,25:00,all\n"
        },
        "schedules/default.csv:3: scenario 'default' field 'departure': '25:00' is not a time "
        "HH:MM",
    ),
    (
        "missing schedule file",
        lambda d: _default(d).update(schedule_csv="schedules/none.csv"),
        {},
        "scenarios.yaml: scenario 'default' field 'schedule_csv': file 'schedules/none.csv' not "
        "found",
    ),
    (
        "unknown top-level key",
        lambda d: d["routes.yaml"].update(route=[]),
        {},
        "routes.yaml: field 'route': unknown key; expected routes",
    ),
    (
        "no default scenario",
        lambda d: _default(d).update(id="weekday"),
        {},
        "scenarios.yaml: field 'scenarios': no scenario 'default' (known: buses, weekday)",
    ),
    (
        "invalid YAML",
        lambda d: None,
        {"vehicles.yaml": "vehicles:\n  - id: van\n   mass_kg: 1\n"},
        "vehicles.yaml: invalid YAML at line 3, column",
    ),
    (
        "duplicate YAML key",
        lambda d: None,
        {"vehicles.yaml": "vehicles: []\nvehicles: []\n"},
        "vehicles.yaml: invalid YAML at line 2, column 1: duplicate key 'vehicles'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "files", "expected"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_input_names_file_entry_and_field(
    config_data: Docs,
    write_config: WriteConfig,
    mutate: Callable[[Docs], object],
    files: dict[str, str],
    expected: str,
) -> None:
    mutate(config_data)

    problems = _load_problems(write_config, config_data, **files)

    assert any(line.startswith(expected) for line in problems), problems


def test_missing_yaml_file_is_reported(config_data: Docs, write_config: WriteConfig) -> None:
    del config_data["routes.yaml"]

    problems = _load_problems(write_config, config_data)

    assert "routes.yaml: file 'routes.yaml' not found in the config directory" in problems


def test_missing_config_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors, match="config directory not found"):
        load_catalogue(tmp_path / "nowhere")


def test_all_problems_across_files_are_reported_together(
    config_data: Docs, write_config: WriteConfig
) -> None:
    _vehicle(config_data).update(mass_kg=-1)
    _vehicle(config_data, 1).update(drag_coefficient="x")
    config_data["chargers.yaml"]["chargers"][0].update(tariff="nope")
    _route(config_data, "line")["geometry"].update(coordinates=[[11.5, 48.1], [-190, 48.1]])
    config_data["scenarios.yaml"]["scenarios"][1]["fleet"][0].update(type="bus")

    problems = _load_problems(write_config, config_data)

    fields = [line.split(":")[1].strip() for line in problems]
    assert fields == [
        "vehicle 'van' field 'mass_kg'",
        "vehicle 'sedan' field 'drag_coefficient'",
        "charger 'depot_a_dc' field 'tariff'",
        "route 'line' field 'geometry'",
        "scenario 'buses' field 'fleet[0].type'",
    ]


def test_problems_render_one_line_each_in_the_exception_message(
    config_data: Docs, write_config: WriteConfig
) -> None:
    _vehicle(config_data).update(mass_kg=-1, battery_usable_kwh=0)
    root = write_config(config_data)

    with pytest.raises(ConfigErrors) as caught:
        load_catalogue(root)

    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]
    assert len(caught.value.problems) == 2


def test_invalid_vehicle_does_not_cascade_into_unknown_references(
    config_data: Docs, write_config: WriteConfig
) -> None:
    _vehicle(config_data).update(mass_kg=-1)

    problems = _load_problems(write_config, config_data)

    assert len(problems) == 1
    assert problems[0].startswith("vehicles.yaml: vehicle 'van' field 'mass_kg'")


def test_overrides_are_merged_over_the_yaml(config_dir: Path) -> None:
    overrides = json.dumps(
        {"chargers": {"depot_a_dc": {"power_kw": 50}}, "vehicles": {"van": {"hvac": {"max_kw": 2}}}}
    )

    catalogue = load_catalogue(config_dir, overrides=overrides)

    assert catalogue.chargers["depot_a_dc"].power_kw == 50
    assert catalogue.chargers["depot_a_dc"].ports == 2
    assert catalogue.vehicles["van"].hvac.max_kw == 2
    assert catalogue.vehicles["van"].hvac.heating_kw_per_c == 0.2


def test_overridden_values_are_validated_like_the_yaml(config_dir: Path) -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_catalogue(config_dir, overrides='{"chargers": {"depot_a_dc": {"power_kw": -5}}}')

    assert [str(p) for p in caught.value.problems] == [
        "chargers.yaml: charger 'depot_a_dc' field 'power_kw': Input should be greater than 0"
    ]


def test_unreadable_file_does_not_cascade_into_unknown_references(
    config_data: Docs, write_config: WriteConfig
) -> None:
    problems = _load_problems(write_config, config_data, **{"vehicles.yaml": "vehicles: [\n"})

    assert len(problems) == 1
    assert problems[0].startswith("vehicles.yaml: invalid YAML at line 2")
