"""Schedule CSV files: one trip per row, adding fleet vehicles the scenario does not list."""

import csv
import io
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from fleetsim.config.errors import (
    MAX_PROBLEMS,
    ConfigErrors,
    ConfigProblem,
    Where,
    known,
    problems_from_validation,
)
from fleetsim.config.files import read_text, safe_path
from fleetsim.models import FleetVehicle, Trip
from fleetsim.models.charger import ALL_WEEKDAYS, weekdays_from_text

SCHEDULE_COLUMNS = ("vehicle_id", "vehicle_type", "route_id", "departure", "weekdays")
_DEPARTURE = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class ScheduleRows:
    """What a schedule CSV adds to its scenario: vehicles missing from the fleet, and trips."""

    fleet: list[FleetVehicle]
    trips: list[Trip]


def read_schedule_csv(
    relative: str,
    config_dir: Path,
    where: Where,
    *,
    fleet: Sequence[FleetVehicle],
    default_depot: str | None,
    vehicle_types: Collection[str],
    route_ids: Collection[str],
) -> ScheduleRows:
    """Rows of the schedule CSV at `relative` under `config_dir` (see `parse_schedule_csv`)."""
    path = safe_path(config_dir, relative, where, "schedule_csv")
    file = PurePosixPath(relative).as_posix()
    return parse_schedule_csv(
        read_text(path, where, "schedule_csv", file=file),
        file,
        where,
        fleet=fleet,
        default_depot=default_depot,
        vehicle_types=vehicle_types,
        route_ids=route_ids,
    )


def parse_schedule_csv(
    text: str,
    file: str,
    where: Where,
    *,
    fleet: Sequence[FleetVehicle],
    default_depot: str | None,
    vehicle_types: Collection[str],
    route_ids: Collection[str],
) -> ScheduleRows:
    """Parse every row; any bad row (each reported as `file:line`) fails the whole file.

    A row's vehicle not in `fleet` is added with its `vehicle_type` at `default_depot`.
    """
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if sorted(header) != sorted(SCHEDULE_COLUMNS):
        reason = f"header must be {','.join(SCHEDULE_COLUMNS)}, not {','.join(header)!r}"
        raise where.error(None, reason, file=f"{file}:1")
    types = {vehicle.id: vehicle.type for vehicle in fleet}
    added: dict[str, FleetVehicle] = {}
    trips: list[Trip] = []
    problems: list[ConfigProblem] = []
    unlisted = 0
    for row in reader:
        line = f"{file}:{reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            reason = f"expected {len(header)} values, got {len(row)}"
            unlisted += _kept(problems, [where.problem(None, reason, file=line)])
            continue
        cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
        row_problems: list[ConfigProblem] = []
        trip = _trip(cells, where, line, row_problems)
        vehicle_id, vehicle_type = cells["vehicle_id"], cells["vehicle_type"]
        if cells["route_id"] and cells["route_id"] not in route_ids:
            reason = f"unknown route {cells['route_id']!r} {known(route_ids)}"
            row_problems.append(where.problem("route_id", reason, file=line))
        fleet_type = types.get(vehicle_id) or (
            added[vehicle_id].type if vehicle_id in added else None
        )
        if fleet_type is not None:
            unfit = _type_conflict(vehicle_id, vehicle_type, fleet_type)
        else:
            unfit = _cannot_add(vehicle_id, vehicle_type, vehicle_types, default_depot)
        if unfit is not None:
            row_problems.append(where.problem(*unfit, file=line))
        elif fleet_type is None and default_depot is not None and trip is not None:
            added[vehicle_id] = FleetVehicle(id=vehicle_id, type=vehicle_type, depot=default_depot)
        unlisted += _kept(problems, row_problems)
        if trip is not None and not row_problems:
            trips.append(trip)
    if problems:
        raise ConfigErrors(problems, more=unlisted)
    return ScheduleRows(fleet=list(added.values()), trips=trips)


def _kept(problems: list[ConfigProblem], found: list[ConfigProblem]) -> int:
    """Keep `found` while fewer than MAX_PROBLEMS are kept; the count not kept: a file of
    bad rows must not become a file of messages."""
    room = max(0, MAX_PROBLEMS - len(problems))
    problems.extend(found[:room])
    return len(found) - len(found[:room])


def _type_conflict(vehicle_id: str, vehicle_type: str, fleet_type: str) -> tuple[str, str] | None:
    if vehicle_type and vehicle_type != fleet_type:
        reason = f"vehicle {vehicle_id!r} is a {fleet_type!r} in the fleet, not {vehicle_type!r}"
        return "vehicle_type", reason
    return None


def _cannot_add(
    vehicle_id: str, vehicle_type: str, vehicle_types: Collection[str], default_depot: str | None
) -> tuple[str, str] | None:
    """Why a vehicle missing from the fleet cannot be added, or None."""
    if not vehicle_type:
        return "vehicle_type", f"vehicle {vehicle_id!r} is not in the fleet; give its vehicle_type"
    if vehicle_type not in vehicle_types:
        return "vehicle_type", f"unknown vehicle {vehicle_type!r} {known(vehicle_types)}"
    if default_depot is None:
        reason = f"vehicle {vehicle_id!r} is not in the fleet and the scenario has no default_depot"
        return "vehicle_id", reason
    return None


def _trip(
    cells: dict[str, str], where: Where, line: str, problems: list[ConfigProblem]
) -> Trip | None:
    match = _DEPARTURE.match(cells["departure"])
    if match is None:
        reason = f"{cells['departure']!r} is not a time HH:MM"
        problems.append(where.problem("departure", reason, file=line))
    try:
        weekdays = weekdays_from_text(cells["weekdays"])
    except ValueError as exc:
        problems.append(where.problem("weekdays", str(exc), file=line))
        weekdays = list(ALL_WEEKDAYS)
    try:
        trip = Trip(
            vehicle_id=cells["vehicle_id"],
            route_id=cells["route_id"],
            departure=time(int(match[1]), int(match[2])) if match else time(0),
            weekdays=weekdays,
        )
    except ValidationError as exc:
        located = Where(line, where.kind, where.entry)
        problems.extend(problems_from_validation(exc, located))
        return None
    return trip if not problems else None
