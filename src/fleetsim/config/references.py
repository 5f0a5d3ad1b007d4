"""Cross-references between entries: chargers to sites and tariffs, scenarios to the rest."""

from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from fleetsim.config.errors import ConfigErrors, ConfigProblem, Where, known
from fleetsim.config.schedule_csv import ScheduleRows, read_schedule_csv
from fleetsim.models import ChargerSpec, Scenario, SiteSpec


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


def complete_scenario(
    scenario: Scenario,
    config_dir: Path,
    *,
    vehicle_ids: Collection[str],
    site_ids: Collection[str],
    route_ids: Collection[str],
    scenario_file: str = "scenarios.yaml",
    fleet_file: str | None = None,
    schedule_file: str | None = None,
) -> tuple[Scenario, list[ConfigProblem]]:
    """The scenario with its schedule CSV merged, and every unknown reference in it.

    `fleet_file` and `schedule_file` name where the fleet and schedule came from when a
    request replaced them.
    """
    problems: list[ConfigProblem] = []
    where = Where(scenario_file, "scenario", scenario.id)
    rows = ScheduleRows(fleet=[], trips=[])
    csv_read = True
    if scenario.schedule_csv is not None:
        try:
            rows = read_schedule_csv(
                scenario.schedule_csv,
                config_dir,
                where,
                fleet=scenario.fleet,
                default_depot=scenario.default_depot,
                vehicle_types=vehicle_ids,
                route_ids=route_ids,
            )
        except ConfigErrors as exc:
            problems.extend(exc.problems)
            csv_read = False
    if scenario.default_depot is not None and scenario.default_depot not in site_ids:
        reason = f"unknown site {scenario.default_depot!r} {known(site_ids)}"
        problems.append(where.problem("default_depot", reason))
    fleet_where = Where(fleet_file or scenario_file, "scenario", scenario.id)
    seen: set[str] = set()
    for index, vehicle in enumerate(scenario.fleet):
        if vehicle.id in seen:
            reason = f"vehicle {vehicle.id!r} is listed twice"
            problems.append(fleet_where.problem(f"fleet[{index}].id", reason))
        seen.add(vehicle.id)
        if vehicle.type not in vehicle_ids:
            reason = f"unknown vehicle {vehicle.type!r} {known(vehicle_ids)}"
            problems.append(fleet_where.problem(f"fleet[{index}].type", reason))
        if vehicle.depot not in site_ids:
            reason = f"unknown site {vehicle.depot!r} {known(site_ids)}"
            problems.append(fleet_where.problem(f"fleet[{index}].depot", reason))
    fleet_ids = seen | {vehicle.id for vehicle in rows.fleet}
    schedule_where = Where(schedule_file or scenario_file, "scenario", scenario.id)
    for index, trip in enumerate(scenario.schedule):
        if trip.route_id not in route_ids:
            reason = f"unknown route {trip.route_id!r} {known(route_ids)}"
            problems.append(schedule_where.problem(f"schedule[{index}].route_id", reason))
        if csv_read and trip.vehicle_id not in fleet_ids:
            reason = f"vehicle {trip.vehicle_id!r} is not in the fleet {known(fleet_ids)}"
            problems.append(schedule_where.problem(f"schedule[{index}].vehicle_id", reason))
    completed = scenario.model_copy(
        update={
            "fleet": [*scenario.fleet, *rows.fleet],
            "schedule": [*scenario.schedule, *rows.trips],
            "schedule_csv": None,
        }
    )
    return completed, problems
