"""The command line: `fleetsim` / `python main.py` (run, validate, list, requeue)."""

import asyncio
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from fleetsim.allocator import map_large_blocks
from fleetsim.config import Catalogue, ConfigErrors, load_catalogue, resolve_request
from fleetsim.config.errors import field_path
from fleetsim.config.paths import parse_value
from fleetsim.config.resolve import with_schedule_csv
from fleetsim.config.sessions_csv import with_sessions_csv
from fleetsim.errors import (
    DatabaseNotSetUpError,
    DatabaseUnavailableError,
    StoreUnavailableError,
)
from fleetsim.jobs.errors import NoBucketError
from fleetsim.jobs.limits import WorkLimitError, check_work, estimate_work, job_limits
from fleetsim.jobs.modes import ModeRun, RunMode, run_in_mode
from fleetsim.json_input import InvalidJsonError, loads_strict
from fleetsim.models import (
    CanonicalResult,
    ChargerSpec,
    ResolvedRequest,
    RouteSpec,
    Scenario,
    SimulationRequest,
    VehicleSpec,
)
from fleetsim.report.facts import MISSED_SESSIONS_LEGEND, charger_use, stranded_vehicles
from fleetsim.report.inputs import InputFigures, figures_of
from fleetsim.report.size_limit import REPORT_MAX_RESULT_MB, too_large_to_draw

if TYPE_CHECKING:
    from fleetsim.pubsub.publisher import Requeued
    from fleetsim.settings import Settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help=__doc__,
    callback=map_large_blocks,  # every command: a run's large arrays are handed back freed
)
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


def _settings() -> "Settings":
    """The environment's settings; an invalid variable is a problem like any other input."""
    from fleetsim.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        _fail([f"environment: {e['loc'][0]}: {e['msg']}" for e in exc.errors(include_url=False)])


def _catalogue(config_dir: Path | None) -> tuple[Catalogue, Path]:
    settings = _settings()
    directory = config_dir or settings.config_dir
    try:
        return load_catalogue(directory, settings.config_overrides), directory
    except ConfigErrors as exc:
        _fail([str(p) for p in exc.problems])


def _request(path: Path | None, scenario: str | None, assignments: list[str]) -> SimulationRequest:
    try:
        data = loads_strict(path.read_bytes()) if path else {}
        if isinstance(data, dict):
            if scenario is not None:
                data = {**data, "scenario": scenario}
            if assignments:
                data = {**data, "set": {**data.get("set", {}), **_paths(assignments)}}
        return SimulationRequest.model_validate(data)
    except OSError as exc:
        _fail([f"{path}: cannot read: {exc.strerror}"])
    except InvalidJsonError as exc:
        _fail([f"{path}: not JSON: {exc}"])
    except ValidationError as exc:
        name = path.name if path else "request"
        _fail(
            [
                f"{name}: field {field_path(e['loc'])!r}: {e['msg']}"
                for e in exc.errors(include_url=False)
            ]
        )


def _paths(assignments: list[str]) -> dict[str, object]:
    """`--set PATH=VALUE` options as a request's `set` (later options win)."""
    values: dict[str, object] = {}
    for assignment in assignments:
        path, equals, value = assignment.partition("=")
        if not equals or not path.strip():
            _fail([f"--set {assignment!r}: expected PATH=VALUE, e.g. strategy=balanced"])
        values[path.strip()] = parse_value(value)
    return values


STRANDED_VEHICLES_SHOWN = 5
"""The KPI table names this many stranded vehicles, most stranded trips first."""
CHARGERS_SHOWN = 8
"""The KPI table lists this many chargers, most used first (the report lists all)."""


def _kpi_table(result: CanonicalResult, figures: InputFigures) -> Table:
    """The headline figures: feasibility and who was stranded, energy, cost, waits, each
    site's peak beside its limit and each charger's port-time in use."""
    k = result.metadata.kpis
    table = Table(
        title=f"{result.metadata.scenario}: {result.metadata.counts.vehicles} vehicles,"
        f" {result.metadata.counts.trips} trips, {result.metadata.strategy}"
    )
    table.add_column("KPI")
    table.add_column("value", justify="right")
    rows = [
        ("feasible", "yes" if k.feasible else f"no ({k.stranded_trips} stranded trips)"),
        ("stranded vehicles", _stranded_vehicles(result)),
        ("distance", f"{k.distance_km:,.1f} km"),
        ("energy driven (battery)", f"{k.energy_driven_kwh:,.1f} kWh"),
        ("consumption", f"{k.kwh_per_km:.3f} kWh/km"),
        ("energy from grid", f"{k.energy_from_grid_kwh:,.1f} kWh"),
        ("charging cost", f"{k.charging_cost:,.2f} {k.currency}"),
        ("lowest SoC", f"{k.min_soc:.1%}"),
        ("port wait mean / max", f"{k.mean_wait_s / 60:.1f} / {k.max_wait_s / 60:.1f} min"),
        ("missed charging sessions", str(k.missed_charging_sessions)),
    ]
    for site, site_kpis in k.sites.items():
        limit = site_kpis.site_power_limit_kw
        of_limit = "no limit" if limit is None else f"limit {limit:,.1f} kW"
        rows.append((f"peak {site}", f"{site_kpis.peak_kw:,.1f} kW ({of_limit})"))
    chargers = sorted(charger_use(result, figures), key=lambda c: -c.utilisation)
    for charger in chargers[:CHARGERS_SHOWN]:
        ports = "" if charger.ports is None else f" of {charger.ports} ports"
        rows.append((f"utilisation {charger.charger_id}", f"{charger.utilisation:.1%}{ports}"))
    if len(chargers) > CHARGERS_SHOWN:
        rows.append(("utilisation, other chargers", f"{len(chargers) - CHARGERS_SHOWN} less used"))
    for name, value in rows:
        table.add_row(name, value)
    return table


def _stranded_vehicles(result: CanonicalResult) -> str:
    """`bus_03 (4), bus_01 (2), +3 more`: the most stranded vehicles and their trip counts."""
    vehicles = stranded_vehicles(result.metadata)
    if not vehicles:
        return "none"
    named = [f"{v.vehicle_id} ({v.stranded_trips})" for v in vehicles[:STRANDED_VEHICLES_SHOWN]]
    if len(vehicles) > STRANDED_VEHICLES_SHOWN:
        named.append(f"+{len(vehicles) - STRANDED_VEHICLES_SHOWN} more")
    return ", ".join(named)


@app.command()
def run(
    scenario: Annotated[str | None, typer.Option(help="Scenario name [default: default]")] = None,
    request: Annotated[Path | None, typer.Option(help="Request JSON file")] = None,
    config_dir: ConfigDirOption = None,
    out: Annotated[Path, typer.Option(help="Results directory")] = Path("results"),
    schedule: Annotated[
        Path | None, typer.Option(help="Schedule CSV replacing the scenario's schedule")
    ] = None,
    sessions: Annotated[
        Path | None,
        typer.Option(
            help="Charging sessions CSV replacing the scenario's sessions (vehicle_type, site or"
            " charger_id, arrival, departure, energy_kwh or target_soc, ...)"
        ),
    ] = None,
    plot: Annotated[bool, typer.Option(help="Also write PNG charts next to the result")] = False,
    report: Annotated[
        bool,
        typer.Option(
            help="Also write report.html next to the result: KPIs, charts, stranded trips,"
            " sites, chargers, warnings and lineage in one self-contained file"
        ),
    ] = False,
    set_paths: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="PATH=VALUE",
            help="Set one parameter (repeatable), e.g. sites.neuperlach_depot."
            "site_power_limit_kw=300; VALUE is JSON, else text",
        ),
    ] = None,
    mode: Annotated[
        RunMode,
        typer.Option(
            help="local: OUT/<job_id>/result.json; db: the job table at DATABASE_URL;"
            " gcs: an object in FLEETSIM_GCS_BUCKET, tracked by a job row"
        ),
    ] = "local",
) -> None:
    """Simulate a scenario and write results/<job_id>/result.json (or to the job table or
    the bucket with --mode)."""
    sim_request = _request(request, scenario, set_paths or [])
    catalogue, directory = _catalogue(config_dir)
    if schedule is not None:
        try:
            sim_request = with_schedule_csv(sim_request, schedule, catalogue)
        except ConfigErrors as exc:
            _fail([str(p) for p in exc.problems])
    if sessions is not None:
        try:
            sim_request = with_sessions_csv(sim_request, sessions, catalogue)
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
            resolved = resolve_request(sim_request, catalogue, directory)
            check_work(estimate_work(resolved), job_limits(_settings()))
        except ConfigErrors as exc:
            progress.stop()
            _fail([str(p) for p in exc.problems])
        except WorkLimitError as exc:
            progress.stop()
            _fail([f"request: {exc}"])
        progress.update(task, description=f"simulating the fleet ({mode})")
        done = _run_in_mode(mode, sim_request, resolved, out, catalogue)
        figures = figures_of(resolved)
        artefacts: list[tuple[str, Path]] = []
        refusal = None
        if (plot or report) and done.result is not None:
            refusal = too_large_to_draw(len(done.result.json_bytes()), REPORT_MAX_RESULT_MB)
            if refusal is None:
                progress.update(task, description="drawing charts")
                artefacts = _write_artefacts(done, figures, out, plot=plot, report=report)
    if done.result is None:
        error = f": {done.error.type}: {done.error.message}" if done.error else ""
        errors.print(f"job {done.job_id} is {done.status}{error}", markup=False)
        raise typer.Exit(code=1)
    console.print(_kpi_table(done.result, figures))
    console.print(MISSED_SESSIONS_LEGEND, style="dim", soft_wrap=True, highlight=False)
    for warning in done.result.metadata.warnings:
        console.print(f"note: {warning}", soft_wrap=True, markup=False, highlight=False)
    if mode != "local":
        console.print(f"job: {done.job_id} ({done.status}, {done.attempts} attempts)")
    # One line each, to copy or parse.
    console.print(f"result: {done.location}", soft_wrap=True, highlight=False)
    for kind, path in artefacts:
        console.print(f"{kind}: {path}", soft_wrap=True, highlight=False)
    if refusal is not None:
        errors.print(f"no charts or report: {refusal}", soft_wrap=True, markup=False)


def _write_artefacts(
    done: ModeRun, figures: InputFigures, out: Path, *, plot: bool, report: bool
) -> list[tuple[str, Path]]:
    """The charts and the report of a finished run, in OUT/<job_id>/, as (kind, path)."""
    assert done.result is not None
    directory = out / str(done.job_id)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, Path]] = []
    if plot:
        from fleetsim.plots import write_plots

        written += [("chart", path) for path in write_plots(done.result, figures, directory)]
    if report:
        from fleetsim.report.html import render_report

        path = directory / "report.html"
        path.write_text(render_report(done.result, figures, job_id=done.job_id), encoding="utf-8")
        written.append(("report", path))
    return written


def _run_in_mode(
    mode: RunMode,
    request: SimulationRequest,
    resolved: ResolvedRequest,
    out: Path,
    catalogue: Catalogue,
) -> ModeRun:
    run = run_in_mode(
        mode, request, resolved, out_dir=out, settings=_settings(), catalogue=catalogue
    )
    try:
        return asyncio.run(run)
    except NoBucketError:
        _fail(["--mode gcs needs FLEETSIM_GCS_BUCKET"])
    except DatabaseNotSetUpError as exc:
        errors.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except StoreUnavailableError as exc:
        errors.print(f"database or bucket unavailable: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


@app.command()
def validate(config_dir: ConfigDirOption = None) -> None:
    """Check every config file and every scenario; exit 2 with one line per problem."""
    catalogue, directory = _catalogue(config_dir)
    problems: list[str] = []
    for name in sorted(catalogue.scenarios):
        try:
            resolve_request(SimulationRequest(scenario=name), catalogue, directory)
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


DURATION_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration(text: str) -> float:
    """`90s`, `10m`, `2h`, `1d` in seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise typer.BadParameter(f"{text!r} is not a duration like 90s, 10m, 2h or 1d")
    return float(match[1]) * DURATION_UNITS_S[match[2]]


@app.command(name="requeue")
def requeue_jobs(
    older_than: Annotated[
        float,
        typer.Option(
            "--older-than",
            parser=parse_duration,
            metavar="DURATION",
            help="Only jobs untouched this long (90s, 10m, 2h)",
        ),
    ],
) -> None:
    """Publish queued jobs again whose message may be lost (the process died between writing
    the job and publishing it). Duplicates are harmless: the worker skips finished jobs."""
    settings = _settings()
    if settings.pubsub_topic is None:
        _fail(["FLEETSIM_PUBSUB_TOPIC is not set: there is no topic to publish to"])
    try:
        report = asyncio.run(_requeue(settings, settings.pubsub_topic, older_than))
    except DatabaseUnavailableError as exc:
        errors.print(f"database unavailable: {exc}", markup=False)
        raise typer.Exit(code=1) from exc
    for job_id, reason in report.invalid:
        errors.print(f"job {job_id}: stored request is invalid, not published: {reason}")
    for failure in report.failed:
        errors.print(str(failure), markup=False)
    console.print(f"republished {len(report.published)} jobs to {settings.pubsub_topic}")
    if report.failed:
        raise typer.Exit(code=1)


async def _requeue(settings: "Settings", topic: str, idle_s: float) -> "Requeued":
    # Imported here, as in run: the database and cloud clients load slowly.
    from fleetsim.jobs.store import JobStore
    from fleetsim.pubsub.publisher import Publisher, requeue

    store = await JobStore.open(settings.database_url, pool_size=2)
    publisher = Publisher(topic, timeout_s=settings.publish_timeout_s)
    try:
        return await requeue(store, publisher, idle_s=idle_s)
    finally:
        publisher.close()
        await store.close()


@app.command()
def openapi() -> None:
    """Print the HTTP API's OpenAPI document (JSON, sorted keys): `> openapi.json`."""
    from fleetsim.api.app import create_app

    schema = create_app(_settings()).openapi()
    sys.stdout.write(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


@app.command(name="import-vehicle")
def import_vehicle(
    file: Annotated[Path, typer.Argument(help="FASTSim 3 vehicle file (.yaml, .yml or .json)")],
) -> None:
    """Print the vehicles.yaml entry of a FASTSim 3 battery-electric vehicle file."""
    import textwrap

    import yaml

    from fleetsim.config.fastsim import load_fastsim_vehicle

    try:
        vehicle = load_fastsim_vehicle(file)
    except ConfigErrors as exc:
        _fail([str(p) for p in exc.problems])
    entry = yaml.safe_dump(
        [vehicle.model_dump(mode="json", exclude_none=True)],
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,  # [fraction, efficiency] pairs on one line, as in vehicles.yaml
        width=120,
    )
    sys.stdout.write(
        f"  # imported from the FASTSim 3 file {file.name}; charging limits are defaults\n"
    )
    sys.stdout.write(textwrap.indent(entry, "  "))


# The study command lives in its own module, which uses the helpers above.
from fleetsim.study_cli import study  # noqa: E402

app.command()(study)
