"""A request resolved against the catalogue: what the simulation core runs, with digests."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from fleetsim.config.catalogue import (
    CHARGERS,
    ROUTES,
    SCENARIOS,
    SITES,
    TARIFFS,
    VEHICLES,
    Catalogue,
    Section,
)
from fleetsim.config.digests import digest, input_digest, request_hash
from fleetsim.config.errors import (
    ConfigErrors,
    ConfigProblem,
    Where,
    known,
    problems_from_validation,
)
from fleetsim.config.patches import REQUEST, patched_entries
from fleetsim.config.paths import (
    FLEET,
    ParameterPath,
    PathError,
    assign,
    parse_paths,
)
from fleetsim.config.references import (
    Located,
    fleet_target_problems,
    infrastructure_problems,
    scenario_problems,
    schedule_csv_rows,
    session_problems,
)
from fleetsim.config.routes import route_profile
from fleetsim.config.schedule_csv import ScheduleRows, parse_schedule_csv
from fleetsim.config.weather_csv import horizon_profile, read_year_csv
from fleetsim.models import (
    ChargerSpec,
    FleetVehicle,
    ResolvedRequest,
    RouteProfile,
    RouteSpec,
    Scenario,
    SimulationRequest,
    SiteSpec,
    Tariff,
    VehicleSpec,
    Weather,
)

SCENARIO_FIELDS = (
    "horizon",
    "fleet",
    "schedule",
    "default_depot",
    "sessions",
    "weather",
    "strategy",
    "optimal",
    "step_s",
    "time_series_resolution_s",
    "max_points",
)
"""Request fields that replace the scenario's own."""

Entry = TypeVar("Entry", bound=BaseModel)


@dataclass(frozen=True)
class EditableSection:
    """A catalogue section a request edits, and the `Inputs` attribute holding it."""

    model: type[BaseModel]
    attribute: str


SECTIONS_BY_KEY = {
    VEHICLES.key: EditableSection(VehicleSpec, "vehicles"),
    CHARGERS.key: EditableSection(ChargerSpec, "chargers"),
    SITES.key: EditableSection(SiteSpec, "sites"),
    TARIFFS.key: EditableSection(Tariff, "tariffs"),
    ROUTES.key: EditableSection(RouteSpec, "route_specs"),
}


@dataclass(frozen=True)
class Inputs:
    """The catalogue's entries after the request's patches and entry paths, by id."""

    vehicles: dict[str, VehicleSpec]
    chargers: dict[str, ChargerSpec]
    sites: dict[str, SiteSpec]
    tariffs: dict[str, Tariff]
    route_specs: dict[str, RouteSpec]
    edited_routes: set[str]
    """Routes the request patched or set: resolved from their spec, located in the request."""


def resolve_request(
    request: SimulationRequest, catalogue: Catalogue, config_dir: Path
) -> ResolvedRequest:
    """Apply the request to its scenario and the catalogue (patches, paths, additions), merge
    the schedule CSV, check every reference, resolve the routes used and digest the inputs.
    Raises ConfigErrors with every problem."""
    base = catalogue.scenarios.get(request.scenario)
    if base is None:
        reason = f"unknown scenario {request.scenario!r} {known(catalogue.scenarios)}"
        raise Where(REQUEST).error("scenario", reason)
    problems: list[ConfigProblem] = []
    fleet_paths = {t: v for t, v in request.set.items() if t.partition(".")[0] == FLEET}
    other_paths = {t: v for t, v in request.set.items() if t not in fleet_paths}
    inputs = _patched_inputs(request, catalogue, problems)
    parsed = _parsed(other_paths, inputs, problems)
    _set_entry_paths(inputs, [(p, v) for p, v in parsed if p.entry_id is not None], problems)
    scenario_paths = [(p, v) for p, v in parsed if p.entry_id is None]
    scenario = _edited_scenario(
        base, request, inputs, scenario_paths, fleet_paths, config_dir, problems
    )
    problems += infrastructure_problems(
        inputs.chargers.values(),
        inputs.sites.values(),
        site_ids=inputs.sites.keys(),
        tariff_ids=inputs.tariffs.keys(),
        file_of=lambda kind, entry_id: _file_of(request, kind, entry_id),
    )
    used_routes = {t.route_id for t in scenario.schedule}
    profiles = _route_profiles(used_routes, inputs, catalogue, config_dir, problems)
    if problems:
        raise ConfigErrors(problems)
    return _digested(request, scenario, inputs, profiles, catalogue)


def _patched_inputs(
    request: SimulationRequest, catalogue: Catalogue, problems: list[ConfigProblem]
) -> Inputs:
    """Phase 1: the catalogue's entries with the request's inline patches applied."""

    def edited(section: Section[Entry], current: Mapping[str, Entry]) -> dict[str, Entry]:
        patches = getattr(request, section.key)
        return patched_entries(
            current,
            patches,
            section.model,
            section=section.key,
            kind=section.kind,
            problems=problems,
        )

    return Inputs(
        vehicles=edited(VEHICLES, catalogue.vehicles),
        chargers=edited(CHARGERS, catalogue.chargers),
        sites=edited(SITES, catalogue.sites),
        tariffs=edited(TARIFFS, catalogue.tariffs),
        route_specs=edited(ROUTES, catalogue.route_specs),
        edited_routes={r.id for r in request.routes},
    )


def _set_entry_paths(
    inputs: Inputs, paths: Sequence[tuple[ParameterPath, Any]], problems: list[ConfigProblem]
) -> None:
    """Phase 2: entry paths (`sites.<id>.<field>`, ...) set in `inputs`, each edited entry
    validated as a whole."""
    for (section_key, entry_id), group in _by_entry(paths).items():
        section = SECTIONS_BY_KEY[section_key]
        entries: dict[str, Any] = getattr(inputs, section.attribute)
        entry = _with_paths(entries[entry_id], group, section.model, problems, exclude_unset=True)
        if entry is not None:
            entries[entry_id] = entry
            if section_key == ROUTES.key:
                inputs.edited_routes.add(entry_id)


def _by_entry(
    paths: Sequence[tuple[ParameterPath, Any]],
) -> dict[tuple[str, str], list[tuple[ParameterPath, Any]]]:
    """Paths grouped by the entry they address, in request order within each entry."""
    grouped: dict[tuple[str, str], list[tuple[ParameterPath, Any]]] = {}
    for path, value in paths:
        grouped.setdefault((path.section, path.entry_id or ""), []).append((path, value))
    return grouped


def _parsed(
    paths: Mapping[str, Any], inputs: Inputs, problems: list[ConfigProblem]
) -> list[tuple[ParameterPath, Any]]:
    def ids_of(section: str) -> Collection[str]:
        entries: dict[str, Any] = getattr(inputs, SECTIONS_BY_KEY[section].attribute)
        return entries.keys()

    return parse_paths(paths, ids_of, problems)


def _with_paths(
    entry: Entry,
    paths: Sequence[tuple[ParameterPath, Any]],
    model: type[Entry],
    problems: list[ConfigProblem],
    *,
    exclude_unset: bool,
) -> Entry | None:
    """`entry` with each path's value set and validated by its model; None on problems,
    each named by the path it came from."""
    data = entry.model_dump(mode="json", exclude_unset=exclude_unset)
    for path, value in paths:
        try:
            data = assign(data, path.fields, value)
        except PathError as exc:
            problems.append(Where(REQUEST).problem(path.field, str(exc)))
            return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found = problems_from_validation(exc, Where(REQUEST))
    for problem in found:
        located = _path_of(problem.field, paths)
        problems.append(Where(REQUEST).problem(located, problem.reason))
    return None


def _path_of(field: str | None, paths: Sequence[tuple[ParameterPath, Any]]) -> str:
    """The `set[...]` a validation problem at `field` came from (all of them if unclear)."""
    for path, _ in paths:
        dotted = ".".join(path.fields)
        if field is not None and (
            field == dotted or field.startswith((f"{dotted}.", f"{dotted}["))
        ):
            return path.field
    return "set[" + ", ".join(path.text for path, _ in paths) + "]"


def _edited_scenario(
    base: Scenario,
    request: SimulationRequest,
    inputs: Inputs,
    scenario_paths: Sequence[tuple[ParameterPath, Any]],
    fleet_paths: Mapping[str, Any],
    config_dir: Path,
    problems: list[ConfigProblem],
) -> Scenario:
    """Phase 3: the scenario with the request's fields and scenario paths, its schedule CSV
    merged, `fleet_add` and `schedule_add` appended, fleet paths set, references (sessions
    and charge targets included) checked."""
    update: dict[str, Any] = {
        name: getattr(request, name)
        for name in SCENARIO_FIELDS
        if getattr(request, name) is not None
    }
    if request.schedule is not None:
        update["schedule_csv"] = None
    scenario = base.model_copy(update=update)
    if scenario_paths:
        edited = _with_paths(scenario, scenario_paths, Scenario, problems, exclude_unset=False)
        if edited is None:
            raise ConfigErrors(problems)  # without a valid scenario nothing else can be checked
        scenario = edited
    rows = schedule_csv_rows(
        scenario,
        config_dir,
        vehicle_ids=inputs.vehicles.keys(),
        route_ids=inputs.route_specs.keys(),
        scenario_file=SCENARIOS.file,
    )
    if isinstance(rows, ConfigErrors):
        problems += rows.problems
    added = rows if isinstance(rows, ScheduleRows) else ScheduleRows(fleet=[], trips=[])
    in_scenario = Where(SCENARIOS.file, "scenario", scenario.id)
    in_request = Where(REQUEST, "scenario", scenario.id)
    fleet_where = in_request if request.fleet is not None else in_scenario
    schedule_where = in_request if request.schedule is not None else in_scenario
    in_csv = Where(scenario.schedule_csv or SCENARIOS.file, "scenario", scenario.id)
    fleet = [
        *(Located(v, fleet_where, f"fleet[{i}]") for i, v in enumerate(scenario.fleet)),
        *(Located(v, in_csv, v.id, checked=False) for v in added.fleet),
        *(Located(v, in_request, f"fleet_add[{i}]") for i, v in enumerate(request.fleet_add)),
    ]
    trips = [
        *(Located(t, schedule_where, f"schedule[{i}]") for i, t in enumerate(scenario.schedule)),
        *(Located(t, in_csv, "", checked=False) for t in added.trips),
        *(Located(t, in_request, f"schedule_add[{i}]") for i, t in enumerate(request.schedule_add)),
    ]
    fleet = _fleet_with_paths(fleet, fleet_paths, problems)
    sessions_where = in_request if request.sessions is not None else in_scenario
    problems += fleet_target_problems(fleet, inputs.vehicles)
    problems += session_problems(
        [Located(s, sessions_where, f"sessions[{i}]") for i, s in enumerate(scenario.sessions)],
        fleet_ids={v.item.id for v in fleet},
        vehicle_ids=inputs.vehicles.keys(),
        vehicles=inputs.vehicles,
        site_ids=inputs.sites.keys(),
        charger_ids=inputs.chargers.keys(),
        chargers=inputs.chargers,
    )
    problems += scenario_problems(
        scenario,
        fleet,
        trips,
        fleet_ids={v.item.id for v in fleet},
        vehicle_ids=inputs.vehicles.keys(),
        site_ids=inputs.sites.keys(),
        route_ids=inputs.route_specs.keys(),
        scenario_file=SCENARIOS.file,
        check_trip_vehicles=isinstance(rows, ScheduleRows),
    )
    weather_where = in_request if request.weather is not None else in_scenario
    return scenario.model_copy(
        update={
            "fleet": [v.item for v in fleet],
            "schedule": [t.item for t in trips],
            "schedule_csv": None,
            "weather": _year_weather(scenario, config_dir, weather_where, problems),
        }
    )


def _year_weather(
    scenario: Scenario, config_dir: Path, where: Where, problems: list[ConfigProblem]
) -> Weather:
    """The scenario's weather with a `year_csv` read into one value per hour of its horizon
    (the run and the input digest see the temperatures, not a file name)."""
    weather = scenario.weather
    if weather.year_csv is None:
        return weather
    try:
        year = read_year_csv(weather.year_csv, config_dir, where)
    except ConfigErrors as exc:
        problems += exc.problems
        return weather
    return Weather(ambient_c=horizon_profile(year, scenario.horizon))


def _fleet_with_paths(
    fleet: list[Located[FleetVehicle]], paths: Mapping[str, Any], problems: list[ConfigProblem]
) -> list[Located[FleetVehicle]]:
    """The fleet with `fleet.<vehicle_id>.<field>` paths set on its vehicles."""
    if not paths:
        return fleet
    index = {v.item.id: i for i, v in enumerate(fleet)}
    parsed = parse_paths(paths, lambda section: index.keys(), problems)
    edited = list(fleet)
    for (_, vehicle_id), group in _by_entry(parsed).items():
        located = fleet[index[vehicle_id]]
        vehicle = _with_paths(located.item, group, FleetVehicle, problems, exclude_unset=False)
        if vehicle is not None:
            edited[index[vehicle_id]] = Located(vehicle, located.where, located.field)
    return edited


def _route_profiles(
    used_routes: set[str],
    inputs: Inputs,
    catalogue: Catalogue,
    config_dir: Path,
    problems: list[ConfigProblem],
) -> dict[str, RouteProfile]:
    """Phase 4: each used route as a profile (the catalogue's, unless the request edited it);
    routes the request edited are resolved even when unused, so their problems show."""
    profiles: dict[str, RouteProfile] = {}
    for route_id in sorted((used_routes | inputs.edited_routes) & inputs.route_specs.keys()):
        spec = inputs.route_specs[route_id]
        if spec is catalogue.route_specs.get(route_id) and route_id in catalogue.route_profiles:
            profile = catalogue.route_profiles[route_id]
        else:
            origin = REQUEST if route_id in inputs.edited_routes else ROUTES.file
            try:
                profile = route_profile(spec, config_dir, origin=origin)
            except ConfigErrors as exc:
                problems += exc.problems
                continue
        if route_id in used_routes:
            profiles[route_id] = profile
    return profiles


def _digested(
    request: SimulationRequest,
    scenario: Scenario,
    inputs: Inputs,
    profiles: dict[str, RouteProfile],
    catalogue: Catalogue,
) -> ResolvedRequest:
    """Phase 5: keep what the scenario uses and digest each input (the lineage)."""
    used_vehicles = {v.type for v in scenario.fleet} | {s.vehicle_type for s in scenario.sessions}
    kept_vehicles = _sorted({i: inputs.vehicles[i] for i in used_vehicles})
    kept: dict[str, Mapping[str, BaseModel]] = {
        "vehicle": kept_vehicles,
        "charger": _sorted(inputs.chargers),
        "site": _sorted(inputs.sites),
        "tariff": _sorted(inputs.tariffs),
        "route": _sorted(profiles),
    }
    lineage = {
        f"{kind}:{entry_id}": catalogue.route_digests[entry_id]
        if kind == "route" and catalogue.route_profiles.get(entry_id) is entry
        else digest(entry.model_dump(mode="json"))
        for kind, entries in kept.items()
        for entry_id, entry in entries.items()
    }
    lineage[f"scenario:{scenario.id}"] = digest(scenario.model_dump(mode="json"))
    lineage = dict(sorted(lineage.items()))
    return ResolvedRequest(
        scenario=scenario,
        vehicles=kept_vehicles,
        chargers=_sorted(inputs.chargers),
        sites=_sorted(inputs.sites),
        tariffs=_sorted(inputs.tariffs),
        routes=_sorted(profiles),
        request_hash=request_hash(request),
        input_digest=input_digest(lineage),
        lineage=lineage,
    )


def _file_of(request: SimulationRequest, kind: str, entry_id: str) -> str:
    """Where a charger or site came from, for problems about its references."""
    patched = request.chargers if kind == "charger" else request.sites
    return REQUEST if any(p.id == entry_id for p in patched) else CHARGERS.file


def _sorted(entries: Mapping[str, Entry]) -> dict[str, Entry]:
    return {entry_id: entries[entry_id] for entry_id in sorted(entries)}


def with_schedule_csv(
    request: SimulationRequest, path: Path, catalogue: Catalogue
) -> SimulationRequest:
    """`request` with its schedule replaced by the rows of the CSV at `path` (a CLI argument,
    so any readable path); vehicles the fleet lacks join it at the request's or else the
    scenario's default depot."""
    scenario = catalogue.scenarios.get(request.scenario)
    if scenario is None:
        reason = f"unknown scenario {request.scenario!r} {known(catalogue.scenarios)}"
        raise Where("request").error("scenario", reason)
    where = Where(str(path), "scenario", scenario.id)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise where.error(None, f"cannot be read ({exc})") from exc
    fleet = request.fleet if request.fleet is not None else scenario.fleet
    rows = parse_schedule_csv(
        text,
        str(path),
        where,
        fleet=fleet,
        default_depot=request.default_depot or scenario.default_depot,
        vehicle_types={*catalogue.vehicles, *(v.id for v in request.vehicles)},
        route_ids={*catalogue.route_specs, *(r.id for r in request.routes)},
    )
    update: dict[str, Any] = {"schedule": rows.trips}
    if rows.fleet:
        update["fleet"] = [*fleet, *rows.fleet]
    return request.model_copy(update=update)
