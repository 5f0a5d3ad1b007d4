"""The CLI door: runs, byte-identical reruns, and exit code 2 with located errors."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetsim.cli import app, parse_duration

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
runner = CliRunner()


def result_files(out: Path) -> list[Path]:
    return sorted(out.glob("*/result.json"))


def test_main_py_runs_the_default_and_writes_the_envelope(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "main.py", "run", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [path] = result_files(tmp_path)
    envelope = json.loads(path.read_bytes())
    assert set(envelope) == {
        "metadata",
        "trips",
        "time_series_data",
        "site_load",
        "charging_events",
    }
    assert envelope["metadata"]["scenario"] == "default"
    assert envelope["metadata"]["counts"]["trips"] == len(envelope["trips"]) > 0
    assert "feasible" in done.stdout


def test_two_runs_give_identical_bytes(tmp_path: Path) -> None:
    for out in ("a", "b"):
        done = runner.invoke(
            app,
            [
                "run",
                "--scenario",
                "smoke",
                "--config-dir",
                str(CONFIG),
                "--out",
                str(tmp_path / out),
            ],
        )
        assert done.exit_code == 0, done.output
    [a], [b] = result_files(tmp_path / "a"), result_files(tmp_path / "b")
    assert a.relative_to(tmp_path / "a") == b.relative_to(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_plot_writes_three_pngs(tmp_path: Path) -> None:
    done = runner.invoke(
        app,
        [
            "run",
            "--scenario",
            "smoke",
            "--config-dir",
            str(CONFIG),
            "--out",
            str(tmp_path),
            "--plot",
        ],
    )
    assert done.exit_code == 0, done.output
    [path] = result_files(tmp_path)
    assert f"result: {path}" in done.output
    for name in ("soc.png", "site_load.png", "charger_occupancy.png"):
        assert (path.parent / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"chart: {path.parent / name}\n" in done.output


def test_charts_of_a_result_above_the_limit_are_refused_in_one_line_after_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("fleetsim.cli.REPORT_MAX_RESULT_MB", 0)

    done = runner.invoke(
        app,
        [
            *("run", "--scenario", "smoke", "--config-dir", str(CONFIG)),
            *("--out", str(tmp_path), "--plot", "--report"),
        ],
    )

    assert done.exit_code == 0, done.output
    [path] = result_files(tmp_path)
    assert f"result: {path}" in done.stdout
    assert sorted(p.name for p in path.parent.iterdir()) == ["result.json"]
    [line] = done.stderr.splitlines()
    assert line.startswith("no charts or report: the result is 0 MiB, above the")
    assert line.endswith("limit of 0 MiB")


def test_kpi_table_names_limits_utilisation_and_stranded_vehicles(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "scenario": "smoke",
                "vehicles": [
                    {"id": "compact_sedan", "battery_usable_kwh": 0.5},
                    {"id": "ebus_12m", "battery_usable_kwh": 20},
                ],
            }
        )
    )
    done = runner.invoke(
        app,
        ["run", "--request", str(request), "--config-dir", str(CONFIG), "--out", str(tmp_path)],
        terminal_width=200,
    )
    assert done.exit_code == 0, done.output
    [path] = result_files(tmp_path)
    kpis = json.loads(path.read_bytes())["metadata"]["kpis"]
    site = kpis["sites"]["neuperlach_depot"]
    assert f"{site['peak_kw']:,.1f} kW (limit {site['site_power_limit_kw']:,.1f} kW)" in done.output
    used = kpis["charger_utilisation"]["depot_dc_1"]
    assert re.search(rf"utilisation depot_dc_1\s+│\s+{used:.1%} of 2 ports", done.output)
    assert re.search(r"stranded vehicles\s+│\s+bus_01 \(2\), sedan_01 \(2\)", done.output)
    assert "missed charging sessions: stays that left a charger's queue" in done.output
    assert "note: motor power limit:" in done.output and "not a fault" in done.output


@pytest.fixture
def broken_config(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    vehicles = config / "vehicles.yaml"
    text = vehicles.read_text(encoding="utf-8")
    broken = re.sub(r"battery_usable_kwh:\s*", "battery_usable_kwh: -", text, count=1)
    vehicles.write_text(broken, encoding="utf-8")
    return config


def test_validate_on_a_broken_config_exits_2_naming_the_field(broken_config: Path) -> None:
    done = subprocess.run(
        [sys.executable, "main.py", "validate", "--config-dir", str(broken_config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "vehicles.yaml" in done.stderr and "battery_usable_kwh" in done.stderr


def test_validate_on_the_bundled_config_passes() -> None:
    done = runner.invoke(app, ["validate", "--config-dir", str(CONFIG)])
    assert done.exit_code == 0, done.output


def test_run_on_a_broken_config_writes_nothing(broken_config: Path, tmp_path: Path) -> None:
    done = runner.invoke(
        app, ["run", "--config-dir", str(broken_config), "--out", str(tmp_path / "out")]
    )
    assert done.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_invalid_request_file_exits_2_with_the_field(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"scenario": "smoke", "strategy": "cheapest"}))
    done = runner.invoke(
        app,
        [
            "run",
            "--request",
            str(request),
            "--config-dir",
            str(CONFIG),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert done.exit_code == 2
    assert "strategy" in done.output
    assert not (tmp_path / "out").exists()


def test_unknown_scenario_lists_the_known_ones(tmp_path: Path) -> None:
    done = runner.invoke(
        app, ["run", "--scenario", "nope", "--config-dir", str(CONFIG), "--out", str(tmp_path)]
    )
    assert done.exit_code == 2
    assert "default" in done.output and "smoke" in done.output


def test_schedule_csv_with_a_bad_row_names_its_line(tmp_path: Path) -> None:
    csv = tmp_path / "schedule.csv"
    csv.write_text(
        "vehicle_id,vehicle_type,route_id,departure,weekdays\n"
        "sedan_01,compact_sedan,udds_city,08:00,all\n"
        "sedan_01,compact_sedan,udds_city,25:00,all\n"
    )
    done = runner.invoke(
        app,
        [
            "run",
            "--scenario",
            "smoke",
            "--schedule",
            str(csv),
            "--config-dir",
            str(CONFIG),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert done.exit_code == 2
    assert "schedule.csv:3" in done.output and "departure" in done.output


def test_list_shows_the_bundled_routes() -> None:
    done = runner.invoke(app, ["list", "routes", "--config-dir", str(CONFIG)])
    assert done.exit_code == 0
    assert "udds_city" in done.output


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("2h", 7200), ("1.5d", 129_600)]
)
def test_durations_read_with_their_unit(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_requeue_refuses_a_bad_duration_or_a_missing_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = runner.invoke(app, ["requeue", "--older-than", "10 minutes"])
    assert bad.exit_code == 2
    assert "not a duration" in bad.output
    monkeypatch.delenv("FLEETSIM_PUBSUB_TOPIC", raising=False)
    no_topic = runner.invoke(app, ["requeue", "--older-than", "10m"])
    assert no_topic.exit_code == 2
    assert "FLEETSIM_PUBSUB_TOPIC" in no_topic.output


def test_a_request_nested_too_deep_is_exit_2_with_one_line(tmp_path: Path) -> None:
    request = tmp_path / "deep.json"
    request.write_text('{"scenario": "smoke", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")

    done = CliRunner().invoke(app, ["run", "--request", str(request), "--out", str(tmp_path)])

    assert done.exit_code == 2
    assert done.stderr.strip() == f"{request}: not JSON: nested deeper than 64 levels"
