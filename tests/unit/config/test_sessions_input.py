"""Charging sessions in requests and CSV files: every bad row with its line, nothing run."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench.acn_case import acn_sessions, write_sessions_csv
from bench.acn_sessions import acn_vehicle
from fleetsim.cli import app
from fleetsim.config import ConfigErrors, load_catalogue, resolve_request
from fleetsim.config.sessions_csv import parse_sessions_csv, with_sessions_csv
from fleetsim.models import SimulationRequest, VehicleSpec
from fleetsim.models.scenario import ChargingSession

HEADER = "vehicle_id,vehicle_type,site,charger_id,arrival,departure,energy_kwh,target_soc\n"
CEST = timezone(timedelta(hours=2))
ROOT = Path(__file__).resolve().parents[3]


def parse(text: str, van: dict[str, Any]) -> list[ChargingSession]:
    return parse_sessions_csv(
        text,
        "s.csv",
        timezone=CEST,
        fleet_ids={"van1"},
        vehicle_ids={"van", "bus_12m"},
        vehicles={"van": VehicleSpec(**van)},
        site_ids={"depot_a", "hub"},
        charger_ids={"depot_a_dc", "hub_ac"},
    )


def problems_of(text: str, van: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        parse(text, van)
    return [str(p) for p in caught.value.problems]


def test_rows_become_sessions_with_times_in_the_horizon_zone(van: dict[str, Any]) -> None:
    sessions = parse(
        HEADER
        + ",van,depot_a,,2024-06-03T18:00,2024-06-04T07:30,20.5,\n"
        + "guest,van,,depot_a_dc,2024-06-04 18:00:00+02:00,2024-06-05T06:00+02:00,,0.8\n",
        van,
    )
    assert sessions == [
        ChargingSession(
            vehicle_type="van",
            site="depot_a",
            arrival=datetime(2024, 6, 3, 18, tzinfo=CEST),
            departure=datetime(2024, 6, 4, 7, 30, tzinfo=CEST),
            energy_kwh=20.5,
        ),
        ChargingSession(
            vehicle_id="guest",
            vehicle_type="van",
            charger_id="depot_a_dc",
            arrival=datetime(2024, 6, 4, 18, tzinfo=CEST),
            departure=datetime(2024, 6, 5, 6, tzinfo=CEST),
            target_soc=0.8,
        ),
    ]


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(
    van: dict[str, Any],
) -> None:
    text = (
        "departure,energy_kwh,arrival,site,vehicle_type\n"
        "2024-06-04T07:00,10,2024-06-03T19:00,hub,van\n"
    )
    [session] = parse(text, van)
    assert (session.site, session.energy_kwh, session.vehicle_id) == ("hub", 10.0, None)


def test_every_bad_row_is_reported_with_its_line_number(van: dict[str, Any]) -> None:
    text = (
        HEADER
        + ",van,depot_a,,2024-06-03T18:00,2024-06-04T07:00,20,\n"  # fine
        + ",van,depot_a,,at six,2024-06-04T07:00,20,\n"
        + ",van,depot_a,,2024-06-03T18:00,2024-06-04T07:00,lots,\n"
        + ",vann,depot_a,,2024-06-03T18:00,2024-06-04T07:00,20,\n"
        + ",van,garage,,2024-06-03T18:00,2024-06-04T07:00,20,\n"
        + ",van,,dc_9,2024-06-03T18:00,2024-06-04T07:00,20,\n"
        + ",van,depot_a,depot_a_dc,2024-06-03T18:00,2024-06-04T07:00,20,\n"
        + ",van,depot_a,,2024-06-03T18:00,2024-06-03T17:00,20,\n"
        + ",van,depot_a,,2024-06-03T18:00,2024-06-04T07:00,80,\n"
        + "van1,van,depot_a,,2024-06-03T18:00,2024-06-04T07:00,20,\n"
        + "g,van,depot_a,,2024-06-03T18:00,2024-06-04T07:00,20,\n"
        + "g,bus_12m,depot_a,,2024-06-04T06:00,2024-06-04T09:00,20,\n"
        + ",van,depot_a\n"
    )
    assert problems_of(text, van) == [
        "s.csv:3: field 'arrival': 'at six' is not an ISO 8601 date and time",
        "s.csv:4: field 'energy_kwh': 'lots' is not a number",
        "s.csv:5: field 'vehicle_type': unknown vehicle 'vann' (known: bus_12m, van)",
        "s.csv:6: field 'site': unknown site 'garage' (known: depot_a, hub)",
        "s.csv:7: field 'charger_id': unknown charger 'dc_9' (known: depot_a_dc, hub_ac)",
        "s.csv:8: give site or charger_id, not both or neither",
        "s.csv:9: departure must be after arrival",
        "s.csv:10: field 'energy_kwh': asks to charge to 71.25 kWh from 0 kWh; a 'van' holds "
        "at most 71.25 kWh (soc_max x battery_usable_kwh)",
        "s.csv:11: field 'vehicle_id': vehicle 'van1' is in the fleet: a session vehicle is away "
        "outside its sessions, so it cannot also be a fleet vehicle; give another vehicle_id",
        "s.csv:13: field 'vehicle_type': vehicle 'g' is a 'van' in an earlier session, not "
        "'bus_12m'",
        "s.csv:13: field 'arrival': vehicle 'g' arrives before it left its previous session "
        "(departure 2024-06-04T07:00:00+02:00)",
        "s.csv:14: expected 8 values, got 3",
    ]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("vehicle_type,site,arrival,energy_kwh", "header must name columns of"),
        ("vehicle_type,site,arrival,departure,energy_kwh,colour", "header must name columns of"),
        ("vehicle_type,arrival,departure,energy_kwh", "header needs a site or a charger_id"),
        ("vehicle_type,site,arrival,departure", "header needs an energy_kwh or a target_soc"),
    ],
)
def test_a_wrong_header_is_refused_on_line_1(header: str, reason: str, van: dict[str, Any]) -> None:
    [problem] = problems_of(header + "\n", van)
    assert problem.startswith(f"s.csv:1: {reason}")


def test_cli_sessions_csv_replaces_the_request_sessions(config_dir: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "logs.csv"
    csv_path.write_text(
        "vehicle_type,site,arrival,departure,energy_kwh\nvan,depot_a,2024-06-03T18:00,"
        "2024-06-04T06:00,30\n"
    )
    catalogue = load_catalogue(config_dir)
    request = SimulationRequest(fleet=[], schedule=[])
    resolved = resolve_request(
        with_sessions_csv(request, csv_path, catalogue), catalogue, config_dir
    )
    [session] = resolved.scenario.sessions
    assert session.arrival == datetime(2024, 6, 3, 18, tzinfo=timezone(timedelta(hours=2)))
    assert resolved.routes == {} and list(resolved.vehicles) == ["van"]


def test_request_sessions_are_checked_where_they_stand(config_dir: Path) -> None:
    catalogue = load_catalogue(config_dir)
    base: dict[str, Any] = {
        "vehicle_type": "van",
        "arrival": "2024-06-03T18:00:00+02:00",
        "departure": "2024-06-04T06:00:00+02:00",
        "energy_kwh": 30,
    }
    request = SimulationRequest.model_validate(
        {
            "vehicles": [{"id": "van", "max_dc_charge_kw": 0}],
            "sessions": [
                {**base, "site": "depot_a"},
                {**base, "site": "hub", "vehicle_id": "van1"},
                {**base, "charger_id": "depot_a_dc"},
            ],
        }
    )
    with pytest.raises(ConfigErrors) as caught:
        resolve_request(request, catalogue, config_dir)
    assert [str(p) for p in caught.value.problems] == [
        "request: scenario 'default' field 'sessions[0].site': no charger of site 'depot_a' can "
        "charge vehicle type 'van'",
        "request: scenario 'default' field 'sessions[1].vehicle_id': vehicle 'van1' is in the "
        "fleet: a session vehicle is away outside its sessions, so it cannot also be a fleet "
        "vehicle; give another vehicle_id",
        "request: scenario 'default' field 'sessions[2].charger_id': vehicle type 'van' takes no "
        "DC: charger cannot charge it",
    ]


@pytest.mark.parametrize("target", [0.05, 0.99])
def test_a_fleet_charge_target_must_lie_in_the_usable_window(
    config_dir: Path, target: float
) -> None:
    request = SimulationRequest(set={"fleet.van1.target_soc": target})
    with pytest.raises(ConfigErrors) as caught:
        resolve_request(request, load_catalogue(config_dir), config_dir)
    assert [str(p) for p in caught.value.problems] == [
        f"scenarios.yaml: scenario 'default' field 'fleet[0].target_soc': target_soc {target} "
        "must be above the type's reserve_soc 0.1 and at most its soc_max 0.95"
    ]


def test_a_fleet_charge_target_stops_charging_there(config_dir: Path) -> None:
    from fleetsim.simulation import simulate

    request = SimulationRequest(
        fleet=[
            {"id": "van1", "type": "van", "depot": "depot_a", "initial_soc": 0.3, "target_soc": 0.8}
        ],
        schedule=[],
    )
    result = simulate(resolve_request(request, load_catalogue(config_dir), config_dir))
    assert result.metadata.vehicles[0].soc_end == pytest.approx(0.8)


def acn_request_file(path: Path) -> Path:
    """A request that adds the ACN-style case's vehicle type, garage and ports to the
    bundled catalogue and runs only sessions for 31 days."""
    request = {
        "scenario": "default",
        "fleet": [],
        "schedule": [],
        "horizon": {"start": "2026-03-02T00:00:00+01:00", "days": 31},
        "strategy": "edf",
        "time_series_resolution_s": 86_400,
        "vehicles": [acn_vehicle().model_dump(mode="json")],
        "sites": [
            {"id": "acn_garage", "location": [-118.1253, 34.1377], "site_power_limit_kw": 144}
        ],
        "chargers": [
            {
                "id": "acn_evse",
                "location": [-118.1253, 34.1377],
                "power_kw": 19.2,
                "current": "AC",
                "ports": 50,
                "site": "acn_garage",
                "efficiency": 1.0,
                "price_per_kwh": 0.2,
            }
        ],
    }
    path.write_text(json.dumps(request))
    return path


def test_a_sessions_csv_of_1000_rows_runs_from_the_cli_without_any_route(tmp_path: Path) -> None:
    sessions_csv = tmp_path / "acn.csv"
    write_sessions_csv(str(sessions_csv), acn_sessions())
    done = CliRunner().invoke(
        app,
        [
            "run",
            "--request",
            str(acn_request_file(tmp_path / "request.json")),
            "--sessions",
            str(sessions_csv),
            "--config-dir",
            str(ROOT / "config"),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert done.exit_code == 0, done.output
    [path] = (tmp_path / "out").glob("*/result.json")
    metadata = json.loads(path.read_bytes())["metadata"]
    assert len(metadata["sessions"]) == 1000 and metadata["counts"]["routes"] == 0
    assert metadata["kpis"]["energy_unmet_kwh"] == 0.0
    assert metadata["kpis"]["peak_site_kw"]["acn_garage"] <= 144.0


def test_a_bad_sessions_csv_exits_2_naming_each_line(tmp_path: Path) -> None:
    sessions_csv = tmp_path / "bad.csv"
    sessions_csv.write_text(
        "vehicle_type,site,arrival,departure,energy_kwh\n"
        "compact_sedan,neuperlach_depot,2026-03-02T18:00,2026-03-03T06:00,20\n"
        "compact_sedan,nowhere,2026-03-02T18:00,2026-03-03T06:00,20\n"
        "compact_sedan,neuperlach_depot,2026-03-02T18:00,2026-03-03T06:00,-3\n"
    )
    done = CliRunner().invoke(
        app, ["run", "--sessions", str(sessions_csv), "--config-dir", str(ROOT / "config")]
    )
    assert done.exit_code == 2
    assert f"{sessions_csv}:3: field 'site': unknown site 'nowhere'" in done.output
    assert f"{sessions_csv}:4: field 'energy_kwh': Input should be greater than 0" in done.output
