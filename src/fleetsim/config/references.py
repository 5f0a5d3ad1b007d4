"""Cross-references between entries: chargers to sites and tariffs, scenarios to the rest."""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from fleetsim.config.errors import ConfigErrors, ConfigProblem, Where, known
from fleetsim.config.schedule_csv import ScheduleRows, read_schedule_csv
from fleetsim.models import ChargerSpec, FleetVehicle, Scenario, SiteSpec, Trip

Item = TypeVar("Item")


@dataclass(frozen=True)
class Located(Generic[Item]):
    """A fleet vehicle or trip with where it was given, for problems about it."""

    item: Item
    where: Where
    field: str
    """e.g. `fleet[3]` or `fleet_add[0]`."""
    checked: bool = True
    """False for rows a schedule CSV added: its parser checked them."""


def infrastructure_problems(
    chargers: Iterable[ChargerSpec],
    sites: Iterable[SiteSpec],
    *,
    site_ids: Collection[str],
    tariff_ids: Collection[str],
    file_of: Callable[[str, str], str],
) -> list[ConfigProblem]:
    """Unknown sites and tariffs named by chargers and sites; `file_of(kind, id)` locates each."""
    problems = []
    for charger in chargers:
        where = Where(file_of("charger", charger.id), "charger", charger.id)
        if charger.site not in site_ids:
            reason = f"unknown site {charger.site!r} {known(site_ids)}"
            problems.append(where.problem("site", reason))
        if charger.tariff is not None and charger.tariff not in tariff_ids:
            reason = f"unknown tariff {charger.tariff!r} {known(tariff_ids)}"
            problems.append(where.problem("tariff", reason))
    for site in sites:
        if site.tariff is not None and site.tariff not in tariff_ids:
            where = Where(file_of("site", site.id), "site", site.id)
            reason = f"unknown tariff {site.tariff!r} {known(tariff_ids)}"
            problems.append(where.problem("tariff", reason))
    return problems


def schedule_csv_rows(
    scenario: Scenario,
    config_dir: Path,
    *,
    vehicle_ids: Collection[str],
    route_ids: Collection[str],
    scenario_file: str,
) -> ScheduleRows | ConfigErrors:
    """The rows of the scenario's schedule CSV (none without one), or the CSV's problems."""
    if scenario.schedule_csv is None:
        return ScheduleRows(fleet=[], trips=[])
    try:
        return read_schedule_csv(
            scenario.schedule_csv,
            config_dir,
            Where(scenario_file, "scenario", scenario.id),
            fleet=scenario.fleet,
            default_depot=scenario.default_depot,
            vehicle_types=vehicle_ids,
            route_ids=route_ids,
        )
    except ConfigErrors as exc:
        return exc


def scenario_problems(
    scenario: Scenario,
    fleet: Sequence[Located[FleetVehicle]],
    trips: Sequence[Located[Trip]],
    *,
    fleet_ids: Collection[str],
    vehicle_ids: Collection[str],
    site_ids: Collection[str],
    route_ids: Collection[str],
    scenario_file: str,
    check_trip_vehicles: bool = True,
) -> list[ConfigProblem]:
    """Unknown references of the vehicles and trips still to be `checked`, vehicles listed
    twice, and an unknown default depot. `fleet_ids` is the whole fleet."""
    problems: list[ConfigProblem] = []
    if scenario.default_depot is not None and scenario.default_depot not in site_ids:
        reason = f"unknown site {scenario.default_depot!r} {known(site_ids)}"
        problems.append(
            Where(scenario_file, "scenario", scenario.id).problem("default_depot", reason)
        )
    seen: set[str] = set()
    for located in fleet:
        vehicle, where, at = located.item, located.where, located.field
        if vehicle.id in seen:
            problems.append(where.problem(f"{at}.id", f"vehicle {vehicle.id!r} is listed twice"))
        seen.add(vehicle.id)
        if not located.checked:
            continue
        if vehicle.type not in vehicle_ids:
            reason = f"unknown vehicle {vehicle.type!r} {known(vehicle_ids)}"
            problems.append(where.problem(f"{at}.type", reason))
        if vehicle.depot not in site_ids:
            reason = f"unknown site {vehicle.depot!r} {known(site_ids)}"
            problems.append(where.problem(f"{at}.depot", reason))
    for located_trip in trips:
        trip, where, at = located_trip.item, located_trip.where, located_trip.field
        if not located_trip.checked:
            continue
        if trip.route_id not in route_ids:
            reason = f"unknown route {trip.route_id!r} {known(route_ids)}"
            problems.append(where.problem(f"{at}.route_id", reason))
        if check_trip_vehicles and trip.vehicle_id not in fleet_ids:
            reason = f"vehicle {trip.vehicle_id!r} is not in the fleet {known(fleet_ids)}"
            problems.append(where.problem(f"{at}.vehicle_id", reason))
    return problems


def complete_scenario(
    scenario: Scenario,
    config_dir: Path,
    *,
    vehicle_ids: Collection[str],
    site_ids: Collection[str],
    route_ids: Collection[str],
    scenario_file: str = "scenarios.yaml",
) -> tuple[Scenario, list[ConfigProblem]]:
    """A catalogue scenario with its schedule CSV merged, and every unknown reference in it."""
    rows = schedule_csv_rows(
        scenario,
        config_dir,
        vehicle_ids=vehicle_ids,
        route_ids=route_ids,
        scenario_file=scenario_file,
    )
    problems = rows.problems if isinstance(rows, ConfigErrors) else []
    added = rows if isinstance(rows, ScheduleRows) else ScheduleRows(fleet=[], trips=[])
    where = Where(scenario_file, "scenario", scenario.id)
    problems += scenario_problems(
        scenario,
        [Located(v, where, f"fleet[{i}]") for i, v in enumerate(scenario.fleet)],
        [Located(t, where, f"schedule[{i}]") for i, t in enumerate(scenario.schedule)],
        fleet_ids={v.id for v in [*scenario.fleet, *added.fleet]},
        vehicle_ids=vehicle_ids,
        site_ids=site_ids,
        route_ids=route_ids,
        scenario_file=scenario_file,
        check_trip_vehicles=isinstance(rows, ScheduleRows),
    )
    completed = scenario.model_copy(
        update={
            "fleet": [*scenario.fleet, *added.fleet],
            "schedule": [*scenario.schedule, *added.trips],
            "schedule_csv": None,
        }
    )
    return completed, problems
