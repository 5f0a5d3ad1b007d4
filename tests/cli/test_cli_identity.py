"""The CLI's job id is the fleet's resolved input (issue 10): FLEETSIM_CONFIG_OVERRIDES gives a
new results/<job_id>/ directory with the new config's result; without them again, the run lands
in the first directory with the same bytes."""

import json
from pathlib import Path
from uuid import UUID

from typer.testing import CliRunner

from fleetsim import runner
from fleetsim.cli import app
from fleetsim.models import SimulationRequest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
SITE = "neuperlach_depot"
LIMIT_KW = 300.0
OVERRIDES = json.dumps({"sites": {SITE: {"site_power_limit_kw": LIMIT_KW}}})
ONE_DAY = {"scenario": "default", "horizon": {"start": "2026-03-02T00:00:00+01:00", "days": 1}}
"""The default fleet for one day: its depot's peak is above LIMIT_KW (the smoke fleet's is not)."""


def run(request: Path, out: Path, overrides: str | None = None) -> Path:
    """`fleetsim run` with FLEETSIM_CONFIG_OVERRIDES set to `overrides` (None: unset); the
    result file it reports."""
    done = CliRunner().invoke(
        app,
        ["run", "--request", str(request), "--out", str(out), "--config-dir", str(CONFIG)],
        env={"FLEETSIM_CONFIG_OVERRIDES": overrides},
    )
    assert done.exit_code == 0, done.output
    [line] = [line for line in done.stdout.splitlines() if line.startswith("result: ")]
    return Path(line.removeprefix("result: "))


def metadata(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_bytes())["metadata"]
    return data


def peak_kw(path: Path) -> float:
    kpis = metadata(path)["kpis"]
    assert isinstance(kpis, dict)
    return float(kpis["peak_site_kw"][SITE])


def test_a_config_override_gives_a_new_job_directory_and_dropping_it_the_first(
    tmp_path: Path,
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(ONE_DAY))
    out = tmp_path / "results"

    first = run(request, out)
    first_bytes = first.read_bytes()
    assert peak_kw(first) > LIMIT_KW  # else the override would change nothing

    limited = run(request, out, OVERRIDES)
    assert limited.parent != first.parent
    assert peak_kw(limited) <= LIMIT_KW
    assert metadata(limited)["input_digest"] != metadata(first)["input_digest"]
    assert first.read_bytes() == first_bytes  # the first job's result was left alone

    again = run(request, out)
    assert again == first
    assert again.read_bytes() == first_bytes
    assert sorted(p.parent.name for p in out.glob("*/result.json")) == sorted(
        [first.parent.name, limited.parent.name]
    )
    fleet_id = SimulationRequest.model_validate(ONE_DAY).effective_fleet_id
    for path in (first, limited):  # each directory is the job of its fleet and input digest
        digest = metadata(path)["input_digest"]
        assert isinstance(digest, str)
        assert UUID(path.parent.name) == runner.job_id_for(fleet_id, digest)
