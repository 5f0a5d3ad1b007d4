"""Charging-session CSV files (charge-point logs, ACN-Data exports): one session per row."""

import csv
import io
from collections.abc import Collection, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from fleetsim.config.catalogue import Catalogue
from fleetsim.config.errors import (
    ConfigErrors,
    ConfigProblem,
    Where,
    known,
    problems_from_validation,
)
from fleetsim.config.references import Located, session_problems
from fleetsim.models import SimulationRequest, VehicleSpec
from fleetsim.models.scenario import ChargingSession

SESSION_COLUMNS = (
    "vehicle_id",
    "vehicle_type",
    "site",
    "charger_id",
    "arrival",
    "departure",
    "energy_kwh",
    "target_soc",
    "initial_soc",
)
REQUIRED_COLUMNS = ("vehicle_type", "arrival", "departure")
TIME_COLUMNS = ("arrival", "departure")
NUMBER_COLUMNS = ("energy_kwh", "target_soc", "initial_soc")


def with_sessions_csv(
    request: SimulationRequest, path: Path, catalogue: Catalogue
) -> SimulationRequest:
    """`request` with its sessions replaced by the rows of the CSV at `path` (a CLI argument,
    so any readable path). Times without an offset are in the timezone of the request's, else
    the scenario's, horizon."""
    scenario = catalogue.scenarios.get(request.scenario)
    if scenario is None:
        reason = f"unknown scenario {request.scenario!r} {known(catalogue.scenarios)}"
        raise Where("request").error("scenario", reason)
    where = Where(str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise where.error(None, f"cannot be read ({exc})") from exc
    patched = {entry.id for entry in request.vehicles}
    horizon = request.horizon or scenario.horizon
    sessions = parse_sessions_csv(
        text,
        str(path),
        timezone=ZoneInfo(horizon.timezone) if horizon.timezone else horizon.start.tzinfo,
        fleet_ids={v.id for v in (scenario.fleet if request.fleet is None else request.fleet)},
        vehicle_ids={*catalogue.vehicles, *(v.id for v in request.vehicles)},
        vehicles={i: v for i, v in catalogue.vehicles.items() if i not in patched},
        site_ids={*catalogue.sites, *(s.id for s in request.sites)},
        charger_ids={*catalogue.chargers, *(c.id for c in request.chargers)},
    )
    return request.model_copy(update={"sessions": sessions})


def parse_sessions_csv(
    text: str,
    file: str,
    *,
    timezone: tzinfo | None,
    fleet_ids: Collection[str],
    vehicle_ids: Collection[str],
    vehicles: Mapping[str, VehicleSpec],
    site_ids: Collection[str],
    charger_ids: Collection[str],
) -> list[ChargingSession]:
    """Parse every row; any bad row (each reported as `file:line`) fails the whole file.

    Columns, in any order: SESSION_COLUMNS; REQUIRED_COLUMNS must be there, and `site` or
    `charger_id`, and `energy_kwh` or `target_soc`. Empty cells are not given. Checks as
    `session_problems` does against the type specs in `vehicles`; whether a session's
    chargers take its type's current is checked when the request is resolved.
    """
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    header_problem = _header_problem(header)
    if header_problem is not None:
        raise Where(f"{file}:1").error(None, header_problem)
    rows: list[Located[ChargingSession]] = []
    problems: list[ConfigProblem] = []
    for row in reader:
        line = Where(f"{file}:{reader.line_num}")
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(line.problem(None, f"expected {len(header)} values, got {len(row)}"))
            continue
        cells = {name: cell.strip() for name, cell in zip(header, row, strict=True) if cell.strip()}
        session = _session(cells, line, timezone, problems)
        if session is not None:
            rows.append(Located(session, line, ""))
    problems += session_problems(
        rows,
        fleet_ids=fleet_ids,
        vehicle_ids=vehicle_ids,
        vehicles=vehicles,
        site_ids=site_ids,
        charger_ids=charger_ids,
        chargers=None,
    )
    if problems:
        raise ConfigErrors(sorted(problems, key=_line_number))
    return [located.item for located in rows]


def _header_problem(header: list[str]) -> str | None:
    unknown = [h for h in header if h not in SESSION_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        return (
            f"header must name columns of {','.join(SESSION_COLUMNS)} once each, with "
            f"{','.join(REQUIRED_COLUMNS)}; not {','.join(header)!r}"
        )
    if "site" not in header and "charger_id" not in header:
        return "header needs a site or a charger_id column"
    if "energy_kwh" not in header and "target_soc" not in header:
        return "header needs an energy_kwh or a target_soc column"
    return None


def _session(
    cells: dict[str, str], line: Where, timezone: tzinfo | None, problems: list[ConfigProblem]
) -> ChargingSession | None:
    """The row as a session, or None with its problems added."""
    values: dict[str, Any] = dict(cells)
    found: list[ConfigProblem] = []
    for name in TIME_COLUMNS:
        if name not in cells:
            continue
        try:
            moment = datetime.fromisoformat(cells[name])
        except ValueError:
            found.append(line.problem(name, f"{cells[name]!r} is not an ISO 8601 date and time"))
            continue
        values[name] = moment if moment.tzinfo else moment.replace(tzinfo=timezone)
    for name in NUMBER_COLUMNS:
        if name not in cells:
            continue
        try:
            values[name] = float(cells[name])
        except ValueError:
            found.append(line.problem(name, f"{cells[name]!r} is not a number"))
    if found:
        problems += found
        return None
    try:
        return ChargingSession.model_validate(values)
    except ValidationError as exc:
        problems += problems_from_validation(exc, line)
        return None


def _line_number(problem: ConfigProblem) -> int:
    """A problem's line in its file (`file:line`), for reporting in file order."""
    return int(problem.file.rpartition(":")[2])
