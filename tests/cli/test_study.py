"""`python main.py study`: the sizing study of the issue answered in one command and checked
by running the answer and the value below it directly; reruns reuse every point; bad
studies exit 2 naming the field, with nothing written."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetsim import runner
from fleetsim.cli import app
from fleetsim.config import load_catalogue, resolve_request
from fleetsim.models.study import StudyRequest, meets, point_kpis
from fleetsim.studies.points import installed_kw, point_request

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
STUDY = ROOT / "examples" / "study_dc_ports.json"
PLOT = ("--workers", "2", "--plot")
cli = CliRunner()


@pytest.fixture(scope="module")
def studied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """The example study run once through main.py with two processes and charts."""
    out = tmp_path_factory.mktemp("study")
    done = subprocess.run(
        [sys.executable, "main.py", "study", "--request", str(STUDY), "--out", str(out), *PLOT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    [folder] = (out / "studies").iterdir()
    return folder, json.loads((folder / "study.json").read_bytes()), done.stdout


def meets_directly(study: StudyRequest, values: dict[str, Any]) -> bool:
    """Run the point as a plain `run` would and test the requirement on its KPIs."""
    assert study.size is not None
    request = point_request(study.base, values)
    result = runner.run_request(request, load_catalogue(CONFIG), CONFIG)
    resolved = resolve_request(request, load_catalogue(CONFIG), CONFIG)
    kpis = point_kpis(dict(result.data["metadata"]["kpis"]), installed_kw(resolved))
    return meets(study.size.require, kpis)


def test_each_sizing_answer_meets_the_requirement_and_one_less_does_not(
    studied: tuple[Path, dict[str, Any], str],
) -> None:
    _, result, _ = studied
    study = StudyRequest.model_validate_json(STUDY.read_bytes())
    assert study.size is not None
    answers = result["sizing"]
    assert len(answers) == 6
    assert any(a["least"] is not None for a in answers), "the example should size something"
    for answer in answers:
        least = answer["least"]
        assert answer["monotone"]
        if least is None:  # nothing up to the top of the range
            assert not meets_directly(study, {**answer["values"], study.size.path: 6})
            continue
        assert meets_directly(study, {**answer["values"], study.size.path: least})
        if least > 1:
            assert not meets_directly(study, {**answer["values"], study.size.path: least - 1})


def test_the_table_lists_every_point_with_its_job_and_kpis(
    studied: tuple[Path, dict[str, Any], str],
) -> None:
    folder, result, stdout = studied
    points = result["points"]
    assert result["axes"] == [
        "sites.neuperlach_depot.site_power_limit_kw",
        "strategy",
        "chargers.depot_dc_3.ports",
    ]
    # A k-ary search over 6 values tries fewer than all of them at most grid points.
    assert 6 <= len(points) < 36
    assert all(p["status"] == "succeeded" for p in points)
    assert any(p["pareto"] for p in points)
    for p in points:  # every point is an ordinary local job
        assert (folder.parents[1] / p["job_id"] / "result.json").is_file()
    rows = list(csv.DictReader(io.StringIO((folder / "study.csv").read_text())))
    assert [r["job_id"] for r in rows] == [p["job_id"] for p in points]
    assert "peak_kw[neuperlach_depot]" in rows[0] and "utilisation[depot_dc_3]" in rows[0]
    assert (folder / "sizing.png").stat().st_size > 10_000
    assert (folder / "pareto.png").stat().st_size > 10_000
    assert "least value" in stdout and str(folder / "study.json") in stdout


def test_a_rerun_reuses_every_point_and_writes_the_same_bytes(
    studied: tuple[Path, dict[str, Any], str],
) -> None:
    folder, _, _ = studied
    out = folder.parents[1]
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/result.json")}
    first = (folder / "study.json").read_bytes()
    done = cli.invoke(app, ["study", "--request", str(STUDY), "--out", str(out), "--workers", "1"])
    assert done.exit_code == 0, done.output
    assert (folder / "study.json").read_bytes() == first
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/result.json")} == before


@pytest.mark.parametrize(
    ("study", "message"),
    [
        (
            {"grid": [{"path": "sites.nowhere.site_power_limit_kw", "values": [1]}]},
            "field 'grid[0].path': no site 'nowhere'",
        ),
        ({"grid": [{"path": "strategy", "values": []}]}, "`values` is empty"),
        (
            {
                "grid": [
                    {"path": "step_s", "from": 10, "to": 1000, "step": 1},
                    {"path": "strategy", "values": ["greedy", "llf"]},
                ]
            },
            "may run 1982 simulations, above the limit of 1000",
        ),
        (
            {"size": {"path": "strategy", "from": 1, "to": 3, "step": 1}},
            "field 'size.path': 'strategy' holds 'greedy', not a number",
        ),
        (
            {"grid": [{"path": "strategy", "values": ["greedy", "fastest"]}]},
            "field 'grid[0]': strategy = 'fastest'",
        ),
    ],
)
def test_a_bad_study_exits_2_naming_the_field_and_writes_nothing(
    tmp_path: Path, study: dict[str, Any], message: str
) -> None:
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study))
    out = tmp_path / "out"
    done = cli.invoke(app, ["study", "--request", str(path), "--out", str(out)])
    assert done.exit_code == 2, done.output
    assert message in done.output
    assert not out.exists()
