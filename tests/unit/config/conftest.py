"""A small, valid config directory built in tmp_path; tests change what they need."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

VAN = {
    "id": "van",
    "name": "Delivery van",
    "mass_kg": 2500,
    "payload_kg": 500,
    "drag_coefficient": 0.35,
    "frontal_area_m2": 4.5,
    "rolling_resistance": 0.009,
    "drivetrain_efficiency": 0.9,
    "max_motor_power_kw": 150,
    "max_regen_power_kw": 60,
    "battery_usable_kwh": 75,
    "soc_max": 0.95,
    "reserve_soc": 0.1,
    "max_ac_charge_kw": 11,
    "max_dc_charge_kw": 100,
    "hvac": {"heating_kw_per_c": 0.2, "max_kw": 4},
}

BASE: dict[str, dict[str, Any]] = {
    "vehicles.yaml": {
        "vehicles": [
            VAN,
            {**VAN, "id": "sedan", "mass_kg": 1800, "payload_kg": 100},
            {**VAN, "id": "bus_12m", "mass_kg": 13000, "battery_usable_kwh": 350},
        ]
    },
    "chargers.yaml": {
        "sites": [
            {
                "id": "depot_a",
                "location": [11.50, 48.10],
                "site_power_limit_kw": 400,
                "tariff": "tou",
            },
            {"id": "hub", "location": [11.60, 48.14]},
        ],
        "chargers": [
            {
                "id": "depot_a_dc",
                "location": [11.50, 48.10],
                "power_kw": 150,
                "current": "DC",
                "ports": 2,
                "site": "depot_a",
            },
            {
                "id": "hub_ac",
                "location": [11.60, 48.14],
                "power_kw": 22,
                "current": "AC",
                "site": "hub",
                "price_per_kwh": 0.45,
            },
        ],
        "tariffs": [
            {
                "id": "tou",
                "default_price_per_kwh": 0.30,
                "windows": [{"start": "22:00", "end": "06:00", "price_per_kwh": 0.15}],
            }
        ],
    },
    "routes.yaml": {
        "routes": [
            {"id": "loop", "geometry": "routes/loop.geojson", "speed_kph": 40, "stops": 2},
            {
                "id": "line",
                "geometry": {"type": "LineString", "coordinates": [[11.5, 48.1], [11.51, 48.1]]},
            },
            {"id": "city", "cycle": "cycles/city.csv", "location": [11.55, 48.12]},
        ]
    },
    "scenarios.yaml": {
        "scenarios": [
            {
                "id": "default",
                "horizon": {"start": "2024-06-03T00:00:00+02:00", "days": 2},
                "fleet": [{"id": "van1", "type": "van", "depot": "depot_a"}],
                "schedule": [{"vehicle_id": "van1", "route_id": "loop", "departure": "07:30"}],
                "schedule_csv": "schedules/default.csv",
                "default_depot": "depot_a",
            },
            {
                "id": "buses",
                "horizon": {"start": "2024-06-03T00:00:00+02:00", "days": 1},
                "fleet": [{"id": "bus1", "type": "bus_12m", "depot": "depot_a"}],
                "schedule": [{"vehicle_id": "bus1", "route_id": "city", "departure": "06:00"}],
            },
        ]
    },
}

LOOP_GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"speed_kph": 30},
            "geometry": {
                "type": "LineString",
                "coordinates": [[11.50, 48.10, 520], [11.51, 48.10, 525], [11.51, 48.11, 530]],
            },
        },
        {
            "type": "Feature",
            "properties": {},
            "geometry": {
                "type": "LineString",
                "coordinates": [[11.51, 48.11, 530], [11.50, 48.11, 522], [11.50, 48.10, 520]],
            },
        },
    ],
}

CYCLE_CSV = "time_s,speed_mps,grade\n0,0,0\n1,2,0\n2,4,0.01\n3,4,0.01\n4,2,0\n5,0,0\n"
SCHEDULE_CSV = (
    "vehicle_id,vehicle_type,route_id,departure,weekdays\n"
    "van1,van,line,12:15,mon|tue\n"
    "van2,van,loop,08:00,all\n"
    "sedan1,sedan,line,09:45,\n"
)


@pytest.fixture
def van() -> dict[str, Any]:
    """A valid vehicle entry (id "van"), as in vehicles.yaml."""
    return copy.deepcopy(VAN)


@pytest.fixture
def config_data() -> dict[str, dict[str, Any]]:
    """The YAML documents of the base config, by file name; a fresh copy per test."""
    return copy.deepcopy(BASE)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[dict[str, dict[str, Any]]], Path]:
    """Write YAML documents plus the GeoJSON, cycle and schedule files; return the dir."""

    def write(documents: dict[str, dict[str, Any]]) -> Path:
        root = tmp_path / "config"
        for sub in ("routes", "cycles", "schedules"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for name, document in documents.items():
            (root / name).write_text(yaml.safe_dump(document, sort_keys=False))
        (root / "routes" / "loop.geojson").write_text(json.dumps(LOOP_GEOJSON))
        (root / "cycles" / "city.csv").write_text(CYCLE_CSV)
        (root / "schedules" / "default.csv").write_text(SCHEDULE_CSV)
        return root

    return write


@pytest.fixture
def config_dir(
    config_data: dict[str, dict[str, Any]],
    write_config: Callable[[dict[str, dict[str, Any]]], Path],
) -> Path:
    """The base config, written."""
    return write_config(config_data)
