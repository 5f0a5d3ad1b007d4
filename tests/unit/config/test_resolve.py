"""Requests resolved against the catalogue: overrides, CSV merge, subsets and digests."""

import hashlib
import json
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from fleetsim.config import ConfigErrors, load_catalogue, request_hash, resolve_request
from fleetsim.models import ResolvedRequest, SimulationRequest
from fleetsim.models.versions import MODEL_VERSION, SCHEMA_VERSION

LINE = {"type": "LineString", "coordinates": [[11.5, 48.1], [11.52, 48.1]]}


def _resolve(config_dir: Path, **request: Any) -> ResolvedRequest:
    catalogue = load_catalogue(config_dir)
    return resolve_request(SimulationRequest.model_validate(request), catalogue, config_dir)


def _problems(config_dir: Path, **request: Any) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        _resolve(config_dir, **request)
    return [str(p) for p in caught.value.problems]


def _sha256(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_default_request_merges_the_schedule_csv_into_the_scenario(config_dir: Path) -> None:
    resolved = _resolve(config_dir)

    scenario = resolved.scenario
    assert scenario.schedule_csv is None
    assert [(v.id, v.type, v.depot) for v in scenario.fleet] == [
        ("van1", "van", "depot_a"),
        ("van2", "van", "depot_a"),
        ("sedan1", "sedan", "depot_a"),
    ]
    assert [(t.vehicle_id, t.route_id, t.departure) for t in scenario.schedule] == [
        ("van1", "loop", time(7, 30)),
        ("van1", "line", time(12, 15)),
        ("van2", "loop", time(8, 0)),
        ("sedan1", "line", time(9, 45)),
    ]
    assert scenario.schedule[1].weekdays == ["mon", "tue"]


def test_catalogues_keep_what_the_scenario_uses_and_all_infrastructure(config_dir: Path) -> None:
    resolved = _resolve(config_dir)

    assert list(resolved.vehicles) == ["sedan", "van"]
    assert list(resolved.routes) == ["line", "loop"]
    assert list(resolved.chargers) == ["depot_a_dc", "hub_ac"]
    assert list(resolved.sites) == ["depot_a", "hub"]
    assert list(resolved.tariffs) == ["tou"]
    loop = resolved.routes["loop"]
    assert loop.path is not None
    assert loop.path.elevation_m == [520.0, 525.0, 530.0, 522.0, 520.0]
    assert loop.path.speed_mps[:2] == pytest.approx([30 / 3.6, 30 / 3.6])
    assert loop.path.speed_mps[2:] == pytest.approx([40 / 3.6, 40 / 3.6])
    assert len(loop.path.stop_position_m) == 2


def test_cycle_route_resolves_for_a_scenario_that_uses_it(config_dir: Path) -> None:
    resolved = _resolve(config_dir, scenario="buses")

    assert list(resolved.routes) == ["city"]
    assert resolved.routes["city"].cycle is not None
    assert list(resolved.vehicles) == ["bus_12m"]


def test_lineage_digests_each_used_entry_and_the_input_digest_digests_lineage_and_versions(
    config_dir: Path,
) -> None:
    resolved = _resolve(config_dir)

    assert list(resolved.lineage) == [
        "charger:depot_a_dc",
        "charger:hub_ac",
        "route:line",
        "route:loop",
        "scenario:default",
        "site:depot_a",
        "site:hub",
        "tariff:tou",
        "vehicle:sedan",
        "vehicle:van",
    ]
    assert resolved.lineage["vehicle:van"] == _sha256(
        resolved.vehicles["van"].model_dump(mode="json")
    )
    assert resolved.lineage["route:loop"] == _sha256(
        resolved.routes["loop"].model_dump(mode="json")
    )
    assert resolved.lineage["scenario:default"] == _sha256(
        resolved.scenario.model_dump(mode="json")
    )
    assert resolved.input_digest == _sha256(
        {
            "inputs": resolved.lineage,
            "model_version": MODEL_VERSION,
            "schema_version": SCHEMA_VERSION,
        }
    )


def test_unknown_scenario_lists_the_known_ones(config_dir: Path) -> None:
    assert _problems(config_dir, scenario="weekend") == [
        "request: field 'scenario': unknown scenario 'weekend' (known: buses, default)"
    ]


def test_inline_entries_replace_catalogue_entries_by_id_and_add_new_ones(
    config_dir: Path, van: dict[str, Any]
) -> None:
    resolved = _resolve(
        config_dir,
        vehicles=[{**van, "mass_kg": 3100}],
        chargers=[
            {
                "id": "hub_dc",
                "location": [11.6, 48.14],
                "power_kw": 300,
                "current": "DC",
                "site": "hub",
                "tariff": "night",
            }
        ],
        tariffs=[{"id": "night", "default_price_per_kwh": 0.2}],
        routes=[{"id": "loop", "geometry": LINE, "speed_kph": 30}],
    )

    assert resolved.vehicles["van"].mass_kg == 3100
    assert list(resolved.chargers) == ["depot_a_dc", "hub_ac", "hub_dc"]
    assert list(resolved.tariffs) == ["night", "tou"]
    assert resolved.routes["loop"].start == (11.5, 48.1)
    assert resolved.routes["loop"].path is not None
    assert resolved.routes["loop"].path.elevation_m is None


def test_request_fields_replace_the_scenario_fields(config_dir: Path) -> None:
    resolved = _resolve(
        config_dir,
        horizon={"start": "2024-01-01T00:00:00+01:00", "days": 7},
        weather={"ambient_c": -5},
        strategy="time_of_use",
        step_s=60,
        max_points=1000,
    )

    assert resolved.scenario.horizon.days == 7
    assert resolved.scenario.weather.ambient_c == -5
    assert resolved.scenario.strategy == "time_of_use"
    assert resolved.scenario.step_s == 60
    assert resolved.scenario.max_points == 1000


def test_request_schedule_replaces_the_whole_schedule_csv_included(config_dir: Path) -> None:
    resolved = _resolve(
        config_dir, schedule=[{"vehicle_id": "van1", "route_id": "line", "departure": "05:00"}]
    )

    assert [(t.vehicle_id, t.route_id) for t in resolved.scenario.schedule] == [("van1", "line")]
    assert [v.id for v in resolved.scenario.fleet] == ["van1"]
    assert list(resolved.routes) == ["line"]


def test_request_fleet_is_checked_and_reported_against_the_request(config_dir: Path) -> None:
    problems = _problems(
        config_dir,
        fleet=[
            {"id": "van1", "type": "van", "depot": "depot_a"},
            {"id": "x", "type": "vann", "depot": "depot_q"},
            {"id": "x", "type": "van", "depot": "depot_a"},
        ],
    )

    assert problems == [
        "request: scenario 'default' field 'fleet[1].type': unknown vehicle 'vann' "
        "(known: bus_12m, sedan, van)",
        "request: scenario 'default' field 'fleet[1].depot': unknown site 'depot_q' "
        "(known: depot_a, hub)",
        "request: scenario 'default' field 'fleet[2].id': vehicle 'x' is listed twice",
    ]


def test_request_schedule_references_are_checked(config_dir: Path) -> None:
    problems = _problems(
        config_dir,
        schedule=[{"vehicle_id": "ghost", "route_id": "nowhere", "departure": "05:00"}],
    )

    assert problems == [
        "request: scenario 'default' field 'schedule[0].route_id': unknown route 'nowhere' "
        "(known: city, line, loop)",
        "request: scenario 'default' field 'schedule[0].vehicle_id': vehicle 'ghost' is not in "
        "the fleet (known: van1)",
    ]


def test_inline_problems_are_all_reported_against_the_request(
    config_dir: Path, van: dict[str, Any]
) -> None:
    problems = _problems(
        config_dir,
        chargers=[
            {
                "id": "c",
                "location": [11.6, 48.14],
                "power_kw": 50,
                "current": "DC",
                "site": "nowhere",
            }
        ],
        vehicles=[van, van],
        routes=[
            {"id": "spur", "geometry": {"type": "LineString", "coordinates": [[0, 0], [0, 0]]}}
        ],
    )

    assert problems == [
        "request: vehicle 'van' field 'vehicles[1].id': duplicate id in the request",
        "request: charger 'c' field 'site': unknown site 'nowhere' (known: depot_a, hub)",
        "request: route 'spur' field 'geometry': line has zero length: it needs at least two "
        "distinct points",
    ]


def test_request_hash_is_stable_and_insensitive_to_key_order() -> None:
    first = SimulationRequest.model_validate(
        {
            "scenario": "default",
            "routes": [
                {"id": "r", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}
            ],
        }
    )
    second = SimulationRequest.model_validate(
        {
            "routes": [
                {"geometry": {"coordinates": [[0, 0], [1, 1]], "type": "LineString"}, "id": "r"}
            ]
        }
    )

    assert request_hash(first) == request_hash(second)
    assert request_hash(first) == _sha256(first.model_dump(mode="json", exclude_none=False))
    assert request_hash(SimulationRequest()) == request_hash(SimulationRequest(scenario="default"))
    assert request_hash(SimulationRequest(step_s=60)) != request_hash(SimulationRequest())


def test_resolution_is_deterministic(config_dir: Path) -> None:
    assert _resolve(config_dir) == _resolve(config_dir)


def test_changed_geojson_changes_the_route_digest_but_not_the_request_hash(
    config_dir: Path,
) -> None:
    catalogue = load_catalogue(config_dir)
    before = resolve_request(SimulationRequest(), catalogue, config_dir)
    geojson = config_dir / "routes" / "loop.geojson"
    geojson.write_text(geojson.read_text().replace("525", "535"))

    unchanged = resolve_request(SimulationRequest(), catalogue, config_dir)
    after = resolve_request(SimulationRequest(), load_catalogue(config_dir), config_dir)

    assert unchanged == before, "a catalogue is a snapshot of the files at load time"
    assert after.lineage["route:loop"] != before.lineage["route:loop"]
    assert after.input_digest != before.input_digest
    assert after.request_hash == before.request_hash
    assert {k: v for k, v in after.lineage.items() if k != "route:loop"} == {
        k: v for k, v in before.lineage.items() if k != "route:loop"
    }


def test_unused_inputs_do_not_change_the_input_digest(config_dir: Path) -> None:
    catalogue = load_catalogue(config_dir)
    before = resolve_request(SimulationRequest(), catalogue, config_dir)
    (config_dir / "cycles" / "city.csv").write_text("time_s,speed_mps,grade\n0,1,0\n1,1,0\n")

    after = resolve_request(SimulationRequest(), catalogue, config_dir)

    assert after.input_digest == before.input_digest
