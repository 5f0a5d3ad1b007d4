"""Cross-references between entries: chargers to sites and tariffs, scenarios to the rest."""

import itertools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from fleetsim.config.errors import ConfigErrors, ConfigProblem, Where, known
from fleetsim.config.schedule_csv import ScheduleRows, read_schedule_csv
from fleetsim.models import ChargerSpec, FleetVehicle, Scenario, SiteSpec, Trip, VehicleSpec
from fleetsim.models.scenario import ChargingSession, session_vehicle_ids

BATTERY_TOLERANCE_KWH = 1e-9
"""Rounding allowed when a session's energy is checked against its battery."""

Item = TypeVar("Item")


@dataclass(frozen=True)
class Located(Generic[Item]):
    """A fleet vehicle, trip or session with where it was given, for problems about it."""

    item: Item
    where: Where
    field: str
    """e.g. `fleet[3]` or `fleet_add[0]`; empty for a CSV row (its `where` names the line)."""
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


def fleet_target_problems(
    fleet: Sequence[Located[FleetVehicle]], vehicles: Mapping[str, VehicleSpec]
) -> list[ConfigProblem]:
    """Charge targets outside the type's usable window (above reserve_soc, up to soc_max)."""
    problems = []
    for located in fleet:
        vehicle = located.item
        spec = vehicles.get(vehicle.type)
        if spec is None or vehicle.target_soc is None:
            continue
        if not spec.reserve_soc < vehicle.target_soc <= spec.soc_max:
            reason = (
                f"target_soc {vehicle.target_soc} must be above the type's reserve_soc "
                f"{spec.reserve_soc} and at most its soc_max {spec.soc_max}"
            )
            problems.append(located.where.problem(_at(located.field, "target_soc"), reason))
    return problems


def session_problems(
    sessions: Sequence[Located[ChargingSession]],
    *,
    fleet_ids: Collection[str],
    vehicle_ids: Collection[str],
    vehicles: Mapping[str, VehicleSpec],
    site_ids: Collection[str],
    charger_ids: Collection[str],
    chargers: Mapping[str, ChargerSpec] | None,
) -> list[ConfigProblem]:
    """Unknown references, sessions a vehicle type cannot charge in or whose energy does not
    fit its battery, session vehicles that are also fleet vehicles, and sessions of one
    vehicle that change type or overlap. `vehicles` holds the type specs known so far (a type
    without one is checked by reference only); `chargers`, every charger, or None to leave
    out the checks that need them all."""
    problems: list[ConfigProblem] = []
    ids = session_vehicle_ids([s.item for s in sessions])
    for vehicle_id, located in zip(ids, sessions, strict=True):
        session = located.item

        def problem(field: str, reason: str, where: Located[ChargingSession] = located) -> None:
            problems.append(where.where.problem(_at(where.field, field), reason))

        if session.vehicle_type not in vehicle_ids:
            problem(
                "vehicle_type", f"unknown vehicle {session.vehicle_type!r} {known(vehicle_ids)}"
            )
        if session.site is not None and session.site not in site_ids:
            problem("site", f"unknown site {session.site!r} {known(site_ids)}")
        if session.charger_id is not None and session.charger_id not in charger_ids:
            problem("charger_id", f"unknown charger {session.charger_id!r} {known(charger_ids)}")
        if vehicle_id in fleet_ids:
            reason = (
                f"vehicle {vehicle_id!r} is in the fleet: a session vehicle is away outside its "
                "sessions, so it cannot also be a fleet vehicle; give another vehicle_id"
            )
            problem("vehicle_id" if session.vehicle_id is not None else "", reason)
        spec = vehicles.get(session.vehicle_type)
        if spec is None:
            continue
        misfits = _battery_fit(session, spec)
        at_known_place = session.site in site_ids or session.charger_id in charger_ids
        if chargers is not None and at_known_place:
            misfits += _current_fit(session, spec, chargers)
        for field, reason in misfits:
            problem(field, reason)
    problems += _same_vehicle_problems(
        sorted(
            ((v, s) for v, s in zip(ids, sessions, strict=True) if s.item.vehicle_id is not None),
            key=lambda pair: (pair[0], pair[1].item.arrival),
        )
    )
    return problems


def _same_vehicle_problems(
    by_vehicle: Sequence[tuple[str, Located[ChargingSession]]],
) -> list[ConfigProblem]:
    """Sessions of one named vehicle (sorted by vehicle, then arrival) that change its type
    or overlap the one before."""
    problems = []
    for (previous_id, previous), (vehicle_id, located) in itertools.pairwise(by_vehicle):
        if previous_id != vehicle_id:
            continue
        before, session = previous.item, located.item
        if before.vehicle_type != session.vehicle_type:
            reason = (
                f"vehicle {vehicle_id!r} is a {before.vehicle_type!r} in an earlier session, "
                f"not {session.vehicle_type!r}"
            )
            problems.append(located.where.problem(_at(located.field, "vehicle_type"), reason))
        if session.arrival < before.departure:
            reason = (
                f"vehicle {vehicle_id!r} arrives before it left its previous session "
                f"(departure {before.departure.isoformat()})"
            )
            problems.append(located.where.problem(_at(located.field, "arrival"), reason))
    return problems


def _current_fit(
    session: ChargingSession, spec: VehicleSpec, chargers: Mapping[str, ChargerSpec]
) -> list[tuple[str, str]]:
    """(field, reason) where no charger the session may use takes the type's current."""
    usable = {"AC": spec.max_ac_charge_kw > 0, "DC": spec.max_dc_charge_kw > 0}
    if session.charger_id is not None:
        current = chargers[session.charger_id].current
        if not usable[current]:
            return [
                (
                    "charger_id",
                    f"vehicle type {spec.id!r} takes no {current}: charger cannot charge it",
                )
            ]
        return []
    if not any(usable[c.current] for c in chargers.values() if c.site == session.site):
        return [
            ("site", f"no charger of site {session.site!r} can charge vehicle type {spec.id!r}")
        ]
    return []


def _battery_fit(session: ChargingSession, spec: VehicleSpec) -> list[tuple[str, str]]:
    """(field, reason) where the session's energy does not fit the type's battery."""
    arrival_kwh, target_kwh = session.energy_window_kwh(spec)
    most_kwh = spec.soc_max * spec.battery_usable_kwh
    if target_kwh > most_kwh + BATTERY_TOLERANCE_KWH or arrival_kwh < 0:
        field = "energy_kwh" if session.energy_kwh is not None else "target_soc"
        reason = (
            f"asks to charge to {target_kwh:.4g} kWh from {max(arrival_kwh, 0):.4g} kWh; "
            f"a {spec.id!r} holds at most {most_kwh:.4g} kWh (soc_max x battery_usable_kwh)"
        )
        return [(field, reason)]
    if target_kwh <= arrival_kwh:
        reason = (
            f"target_soc {session.target_soc} is not above the arrival SoC "
            f"{arrival_kwh / spec.battery_usable_kwh:.4g} (initial_soc, else the type's "
            "reserve_soc)"
        )
        return [("target_soc", reason)]
    return []


def _at(prefix: str, field: str) -> str:
    """`prefix.field`, or `field` alone where the prefix is empty (a CSV row)."""
    return f"{prefix}.{field}" if prefix and field else prefix or field
