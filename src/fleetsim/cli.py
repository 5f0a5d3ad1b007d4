"""The command line: `fleetsim` / `python main.py` (run, validate, list)."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from fleetsim import runner
from fleetsim.config import (
    Catalogue,
    ConfigErrors,
    config_dir_from_env,
    load_catalogue,
    overrides_from_env,
)
from fleetsim.config.errors import field_path
from fleetsim.config.schedule_csv import with_schedule_csv
from fleetsim.models import (
    ChargerSpec,
    RouteSpec,
    Scenario,
    SimulationRequest,
    SimulationResult,
    VehicleSpec,
    canonical_json_bytes,
)
from fleetsim.sinks.local import write_result

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
console = Console()
errors = Console(stderr=True)

ConfigDirOption = Annotated[
    Path | None,
    typer.Option("--config-dir", help="Reference data directory [env FLEETSIM_CONFIG_DIR]"),
]


def _fail(lines: list[str]) -> NoReturn:
    """Invalid input: one readable line per problem on stderr, exit code 2, nothing written."""
    for line in lines:
        errors.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _catalogue(config_dir: Path | None) -> tuple[Catalogue, Path]:
    directory = config_dir or config_dir_from_env()
    try:
        return load_catalogue(directory, overrides_from_env()), directory
    except ConfigErrors as exc:
        _fail([str(p) for p in exc.problems])


def _request(path: Path | None, scenario: str | None) -> SimulationRequest:
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path else {}
        if scenario is not None:
            data = {**data, "scenario": scenario} if isinstance(data, dict) else data
        return SimulationRequest.model_validate(data)
    except OSError as exc:
        _fail([f"{path}: cannot read: {exc.strerror}"])
    except json.JSONDecodeError as exc:
        _fail([f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"])
    except ValidationError as exc:
        name = path.name if path else "request"
        _fail(
            [
                f"{name}: field {field_path(e['loc'])!r}: {e['msg']}"
                for e in exc.errors(include_url=False)
            ]
        )


def _kpi_table(result: SimulationResult) -> Table:
    k = result.metadata.kpis
    table = Table(
        title=f"{result.metadata.scenario}: {result.metadata.counts.vehicles} vehicles,"
        f" {result.metadata.counts.trips} trips, {result.metadata.strategy}"
    )
    table.add_column("KPI")
    table.add_column("value", justify="right")
    rows = [
        ("feasible", "yes" if k.feasible else f"no ({k.stranded_trips} stranded trips)"),
        ("distance", f"{k.distance_km:,.1f} km"),
        ("energy driven (battery)", f"{k.energy_driven_kwh:,.1f} kWh"),
        ("consumption", f"{k.kwh_per_km:.3f} kWh/km"),
        ("energy from grid", f"{k.energy_kwh:,.1f} kWh"),
        ("charging cost", f"{k.charging_cost:,.2f} {k.currency}"),
        ("lowest SoC", f"{k.min_soc:.1%}"),
        ("port wait mean / max", f"{k.mean_wait_s / 60:.1f} / {k.max_wait_s / 60:.1f} min"),
        ("missed charging sessions", str(k.missed_charging_sessions)),
    ]
    rows += [(f"peak {site}", f"{kw:,.1f} kW") for site, kw in k.peak_site_kw.items()]
    for name, value in rows:
        table.add_row(name, value)
    return table


@app.command()
def run(
    scenario: Annotated[str | None, typer.Option(help="Scenario name [default: default]")] = None,
    request: Annotated[Path | None, typer.Option(help="Request JSON file")] = None,
    config_dir: ConfigDirOption = None,
    out: Annotated[Path, typer.Option(help="Results directory")] = Path("results"),
    schedule: Annotated[
        Path | None, typer.Option(help="Schedule CSV replacing the scenario's schedule")
    ] = None,
    plot: Annotated[bool, typer.Option(help="Also write PNG charts next to the result")] = False,
) -> None:
    """Simulate a scenario and write results/<job_id>/result.json."""
    sim_request = _request(request, scenario)
    catalogue, directory = _catalogue(config_dir)
    if schedule is not None:
        try:
            sim_request = with_schedule_csv(sim_request, schedule, catalogue)
        except ConfigErrors as exc:
            _fail([str(p) for p in exc.problems])
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as progress:
        task = progress.add_task("resolving routes and schedule")
        try:
            resolved = runner.resolve(sim_request, catalogue, directory)
        except ConfigErrors as exc:
            progress.stop()
            _fail([str(p) for p in exc.problems])
        progress.update(task, description="simulating the fleet")
        result = runner.simulate(resolved)
        progress.update(task, description="writing the result")
        job_id = runner.job_id_for(resolved.request_hash)
        path = write_result(out, job_id, canonical_json_bytes(result))
        if plot:
            progress.update(task, description="drawing charts")
            from fleetsim.plots import write_plots

            write_plots(result, resolved, path.parent)
    console.print(_kpi_table(result))
    for warning in result.metadata.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"result: {path}")


@app.command()
def validate(config_dir: ConfigDirOption = None) -> None:
    """Check every config file and every scenario; exit 2 with one line per problem."""
    catalogue, directory = _catalogue(config_dir)
    problems: list[str] = []
    for name in sorted(catalogue.scenarios):
        try:
            runner.resolve(SimulationRequest(scenario=name), catalogue, directory)
        except ConfigErrors as exc:
            problems += [str(p) for p in exc.problems]
    if problems:
        _fail(problems)
    console.print(f"config OK: {directory} ({len(catalogue.scenarios)} scenarios)")


@app.command(name="list")
def list_entries(
    kind: Annotated[Literal["routes", "vehicles", "chargers", "scenarios"], typer.Argument()],
    config_dir: ConfigDirOption = None,
) -> None:
    """List the ids and names of one kind of reference data."""
    catalogue, _ = _catalogue(config_dir)
    sections: dict[str, Mapping[str, RouteSpec | VehicleSpec | ChargerSpec | Scenario]] = {
        "routes": catalogue.route_specs,
        "vehicles": catalogue.vehicles,
        "chargers": catalogue.chargers,
        "scenarios": catalogue.scenarios,
    }
    table = Table(title=kind)
    table.add_column("id")
    table.add_column("name")
    for entry_id, entry in sorted(sections[kind].items()):
        table.add_row(entry_id, entry.name)
    console.print(table)
