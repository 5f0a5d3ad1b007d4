"""Schedule CSV rows: trips, vehicles added to the fleet, every bad row with its line."""

from datetime import time
from pathlib import Path

import pytest

from fleetsim.config import ConfigErrors, load_catalogue, resolve_request
from fleetsim.config.errors import Where
from fleetsim.config.resolve import with_schedule_csv
from fleetsim.config.schedule_csv import ScheduleRows, read_schedule_csv
from fleetsim.models import FleetVehicle, SimulationRequest, Trip

HEADER = "vehicle_id,vehicle_type,route_id,departure,weekdays\n"
FLEET = [FleetVehicle(id="van1", type="van", depot="depot_a")]
WHERE = Where("scenarios.yaml", "scenario", "default")


def _read(tmp_path: Path, text: str, default_depot: str | None = "depot_b") -> ScheduleRows:
    (tmp_path / "s.csv").write_text(text)
    return read_schedule_csv(
        "s.csv",
        tmp_path,
        WHERE,
        fleet=FLEET,
        default_depot=default_depot,
        vehicle_types={"van", "bus_12m"},
        route_ids={"loop", "line"},
    )


def _problems(tmp_path: Path, text: str, default_depot: str | None = "depot_b") -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        _read(tmp_path, text, default_depot)
    return [str(p) for p in caught.value.problems]


def test_rows_become_trips_and_unlisted_vehicles_join_at_the_default_depot(
    tmp_path: Path,
) -> None:
    rows = _read(
        tmp_path,
        HEADER + "van1,van,loop,07:30,mon|wed\nbus7,bus_12m,line,6:05,all\nvan1,,line,18:00,\n",
    )

    assert rows.fleet == [FleetVehicle(id="bus7", type="bus_12m", depot="depot_b")]
    assert rows.trips == [
        Trip(vehicle_id="van1", route_id="loop", departure=time(7, 30), weekdays=["mon", "wed"]),
        Trip(vehicle_id="bus7", route_id="line", departure=time(6, 5)),
        Trip(vehicle_id="van1", route_id="line", departure=time(18, 0)),
    ]


def test_columns_may_come_in_any_order(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        "route_id,departure,vehicle_id,weekdays,vehicle_type\nloop,08:00,van1,sat|sun,van\n",
    )

    assert rows.trips == [
        Trip(vehicle_id="van1", route_id="loop", departure=time(8, 0), weekdays=["sat", "sun"])
    ]


def test_every_bad_row_is_reported_with_its_line_number(tmp_path: Path) -> None:
    text = (
        HEADER
        + "van1,van,loop,07:30,mon\n"
        + "van1,bus_12m,loop,08:00,\n"
        + "van2,,loop,08:00,\n"
        + "van3,vann,loop,08:00,\n"
        + "van1,van,nowhere,08:00,\n"
        + "van1,van,loop,8am,\n"
        + "van1,van,loop,09:00,mon|funday\n"
        + "van 1,van,loop,09:00,\n"
        + "van1,van,loop\n"
    )

    assert _problems(tmp_path, text) == [
        "s.csv:3: scenario 'default' field 'vehicle_type': vehicle 'van1' is a 'van' in the "
        "fleet, not 'bus_12m'",
        "s.csv:4: scenario 'default' field 'vehicle_type': vehicle 'van2' is not in the fleet; "
        "give its vehicle_type",
        "s.csv:5: scenario 'default' field 'vehicle_type': unknown vehicle 'vann' "
        "(known: bus_12m, van)",
        "s.csv:6: scenario 'default' field 'route_id': unknown route 'nowhere' (known: line, loop)",
        "s.csv:7: scenario 'default' field 'departure': '8am' is not a time HH:MM",
        "s.csv:8: scenario 'default' field 'weekdays': unknown weekday 'funday'; use "
        "mon|tue|wed|thu|fri|sat|sun or all",
        "s.csv:9: scenario 'default' field 'vehicle_id': String should match pattern "
        "'^[A-Za-z0-9_.\\-]+$'",
        "s.csv:10: scenario 'default': expected 5 values, got 3",
    ]


def test_vehicle_outside_the_fleet_needs_a_default_depot(tmp_path: Path) -> None:
    assert _problems(tmp_path, HEADER + "bus7,bus_12m,line,06:00,\n", default_depot=None) == [
        "s.csv:2: scenario 'default' field 'vehicle_id': vehicle 'bus7' is not in the fleet and "
        "the scenario has no default_depot"
    ]


def test_added_vehicle_keeps_one_type_across_rows(tmp_path: Path) -> None:
    problems = _problems(tmp_path, HEADER + "bus7,bus_12m,line,06:00,\nbus7,van,loop,09:00,\n")

    assert problems == [
        "s.csv:3: scenario 'default' field 'vehicle_type': vehicle 'bus7' is a 'bus_12m' in the "
        "fleet, not 'van'"
    ]


def test_wrong_header_is_refused_on_line_1(tmp_path: Path) -> None:
    assert _problems(tmp_path, "vehicle,route,time\nvan1,loop,07:00\n") == [
        "s.csv:1: scenario 'default': header must be "
        "vehicle_id,vehicle_type,route_id,departure,weekdays, not 'vehicle,route,time'"
    ]


def test_header_only_adds_nothing(tmp_path: Path) -> None:
    assert _read(tmp_path, HEADER) == ScheduleRows(fleet=[], trips=[])


def test_cli_schedule_csv_replaces_the_request_schedule_and_extends_its_fleet(
    config_dir: Path, tmp_path: Path
) -> None:
    csv_path = tmp_path / "elsewhere.csv"
    csv_path.write_text(HEADER + "van1,,line,05:00,sat\nbus9,bus_12m,city,06:00,\n")
    catalogue = load_catalogue(config_dir)

    request = with_schedule_csv(SimulationRequest(), csv_path, catalogue)
    resolved = resolve_request(request, catalogue, config_dir)

    assert [(t.vehicle_id, t.route_id) for t in resolved.scenario.schedule] == [
        ("van1", "line"),
        ("bus9", "city"),
    ]
    assert [(v.id, v.type) for v in resolved.scenario.fleet] == [
        ("van1", "van"),
        ("bus9", "bus_12m"),
    ]


def test_cli_schedule_csv_problems_name_the_given_path_and_line(
    config_dir: Path, tmp_path: Path
) -> None:
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text(HEADER + "van1,van,tram,05:00,\n")

    with pytest.raises(ConfigErrors) as caught:
        with_schedule_csv(SimulationRequest(), csv_path, load_catalogue(config_dir))

    assert [str(p) for p in caught.value.problems] == [
        f"{csv_path}:2: scenario 'default' field 'route_id': unknown route 'tram' "
        "(known: city, line, loop)"
    ]


def test_a_file_of_bad_rows_reports_the_first_hundred_problems_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    rows = "".join(f"v{i},truck,nowhere,25:00,mon\n" for i in range(3_000))

    problems = _problems(tmp_path, HEADER + rows)

    assert len(problems) == 101
    assert problems[0].startswith("s.csv:2: ")
    assert problems[-1] == "s.csv: and 8900 more problems of the same input, not listed"
