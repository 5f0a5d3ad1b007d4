"""`python main.py study`: a design study on this machine, its points over the cores."""

import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from fleetsim.cli import ConfigDirOption, _catalogue, _fail, _settings, console, errors
from fleetsim.config import ConfigErrors
from fleetsim.config.errors import field_path
from fleetsim.config.study import check_study
from fleetsim.jobs.limits import job_limits
from fleetsim.jobs.local_study import Progress as StudyProgress
from fleetsim.jobs.local_study import run_study
from fleetsim.json_input import InvalidJsonError, loads_strict
from fleetsim.models.result import canonical_json_bytes
from fleetsim.models.study import StudyRequest, StudyResult
from fleetsim.studies.points import study_id
from fleetsim.studies.table import study_csv


def study(
    request: Annotated[Path, typer.Option(help="Study JSON file: base, grid, size, label")],
    workers: Annotated[
        int | None, typer.Option(min=1, help="Points at once [default: the machine's cores]")
    ] = None,
    plot: Annotated[bool, typer.Option(help="Also write study charts (PNG)")] = False,
    out: Annotated[Path, typer.Option(help="Results directory")] = Path("results"),
    config_dir: ConfigDirOption = None,
) -> None:
    """Run a design study: every grid point (and sizing probe) as a local job, then write
    OUT/studies/<study_id>/study.json and study.csv and print the table."""
    parsed = _study_request(request)
    catalogue, directory = _catalogue(config_dir)
    settings = _settings()
    try:
        base = check_study(
            parsed,
            catalogue,
            directory,
            max_points=settings.study_max_points,
            limits=job_limits(settings),
        )
    except ConfigErrors as exc:
        _fail([str(p) for p in exc.problems])
    sid = study_id(parsed, base.input_digest)
    started = time.perf_counter()
    with Progress(
        TextColumn("points"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        disable=not errors.is_terminal,
    ) as progress:
        task = progress.add_task("study", total=None, note="")

        def show(p: StudyProgress) -> None:
            note = f"{p.reused} reused, {p.failed} failed" if p.reused or p.failed else ""
            progress.update(task, completed=p.done, total=p.planned, note=note)

        result = run_study(
            parsed, sid, catalogue, directory, out, workers=workers, on_progress=show
        )
    elapsed_s = time.perf_counter() - started
    folder = out / "studies" / str(sid)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.json").write_bytes(canonical_json_bytes(result))
    (folder / "study.csv").write_text(study_csv(result), encoding="utf-8")
    console.print(_table(result))
    if plot:
        from fleetsim.study_plots import write_study_plots

        for path in write_study_plots(result, folder):
            console.print(f"chart: {path}", soft_wrap=True)
    console.print(
        f"{len(result.points)} points in {elapsed_s:.1f} s, {result.points_failed} failed",
        soft_wrap=True,
    )
    console.print(f"study: {folder / 'study.json'}", soft_wrap=True)


def _study_request(path: Path) -> StudyRequest:
    try:
        return StudyRequest.model_validate(loads_strict(path.read_bytes()))
    except OSError as exc:
        _fail([f"{path}: cannot read: {exc.strerror}"])
    except InvalidJsonError as exc:
        _fail([f"{path}: not JSON: {exc}"])
    except ValidationError as exc:
        _fail(
            [
                f"{path.name}: field {field_path(e['loc'])!r}: {e['msg']}"
                for e in exc.errors(include_url=False)
            ]
        )


def _table(result: StudyResult) -> Table:
    """The sizing answers when there are, else one row per point."""
    if result.sizing is not None:
        table = Table(title=f"study {result.label or result.study_id}: least {result.axes[-1]}")
        for axis in result.axes[:-1]:
            table.add_column(axis)
        table.add_column("least value", justify="right")
        table.add_column("tried", justify="right")
        for answer in result.sizing:
            least = "none in range" if answer.least is None else f"{answer.least:g}"
            if not answer.monotone:
                least += " (not monotone)"
            tried = ", ".join(f"{v:g}" for v in answer.evaluated)
            table.add_row(*(str(v) for v in answer.values.values()), least, tried)
        return table
    table = Table(title=f"study {result.label or result.study_id}")
    for axis in result.axes:
        table.add_column(axis)
    for name in ("feasible", "cost", "peak kW", "max wait min", "served %", "pareto"):
        table.add_column(name, justify="right")
    for point in result.points:
        k = point.kpis
        cells = [str(point.values[a]) for a in result.axes]
        if k is None:
            table.add_row(*cells, f"failed: {point.error}", "", "", "", "", "")
            continue
        table.add_row(
            *cells,
            "yes" if k.feasible else f"no ({k.stranded_trips})",
            f"{k.charging_cost:,.2f}",
            f"{k.peak_kw:,.1f}",
            f"{k.max_wait_min:.1f}",
            f"{k.energy_served_pct:.1f}",
            "*" if point.pareto else "",
        )
    return table
