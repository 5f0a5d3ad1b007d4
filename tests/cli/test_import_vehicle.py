"""`import-vehicle FILE`: a FASTSim 3 vehicle file printed as a vehicles.yaml entry."""

from pathlib import Path

import yaml
from typer.testing import CliRunner

from fleetsim.cli import app
from fleetsim.config.fastsim import load_fastsim_vehicle
from fleetsim.models import VehicleSpec

VEHICLES = Path(__file__).resolve().parents[2] / "validation" / "fastsim" / "vehicles"
runner = CliRunner()


def test_prints_an_entry_that_loads_as_the_imported_vehicle() -> None:
    path = VEHICLES / "2022 Tesla Model 3 RWD thrml.yaml"
    done = runner.invoke(app, ["import-vehicle", str(path)])
    assert done.exit_code == 0, done.output
    # pasted under `vehicles:` it is the file's one new entry
    [entry] = yaml.safe_load("vehicles:\n" + done.stdout)["vehicles"]
    assert VehicleSpec.model_validate(entry) == load_fastsim_vehicle(path)
    assert "    - [0.0, 0.84]\n" in done.stdout  # map pairs on one line, as in vehicles.yaml


def test_a_conventional_vehicle_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "conventional.yaml"
    path.write_text("name: Sedan\npt_type:\n  Conv: {}\n")
    done = runner.invoke(app, ["import-vehicle", str(path)])
    assert done.exit_code == 2
    assert "field 'pt_type': Conv is not a battery-electric vehicle (BEV)" in done.output
