"""A request resolved against the catalogue: what the simulation core runs, with digests."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from fleetsim.config.catalogue import CHARGERS, ROUTES, SCENARIOS, Catalogue
from fleetsim.config.digests import digest, input_digest, request_hash
from fleetsim.config.errors import ConfigErrors, ConfigProblem, Where, known
from fleetsim.config.references import complete_scenario, infrastructure_problems
from fleetsim.config.routes import route_profile
from fleetsim.models import ResolvedRequest, RouteProfile, SimulationRequest

REQUEST = "request"
"""The file named in problems about inline parts of a request."""

SCENARIO_FIELDS = (
    "horizon",
    "fleet",
    "schedule",
    "weather",
    "strategy",
    "step_s",
    "time_series_resolution_s",
    "max_points",
)

Entry = TypeVar("Entry", bound=BaseModel)


def resolve_request(
    request: SimulationRequest, catalogue: Catalogue, config_dir: Path
) -> ResolvedRequest:
    """Apply the request to its scenario, merge the schedule CSV, check every reference,
    resolve the routes used and digest the inputs. Raises ConfigErrors with every problem.

    A request `schedule` replaces the scenario's whole schedule, its CSV included.
    """
    base = catalogue.scenarios.get(request.scenario)
    if base is None:
        reason = f"unknown scenario {request.scenario!r} {known(catalogue.scenarios)}"
        raise Where(REQUEST).error("scenario", reason)
    problems: list[ConfigProblem] = []
    vehicles = _with_inline(catalogue.vehicles, request.vehicles, "vehicles", "vehicle", problems)
    sites = _with_inline(catalogue.sites, request.sites, "sites", "site", problems)
    chargers = _with_inline(catalogue.chargers, request.chargers, "chargers", "charger", problems)
    tariffs = _with_inline(catalogue.tariffs, request.tariffs, "tariffs", "tariff", problems)
    route_specs = _with_inline(catalogue.route_specs, request.routes, "routes", "route", problems)
    inline = {
        "charger": {c.id for c in request.chargers},
        "site": {s.id for s in request.sites},
        "route": {r.id for r in request.routes},
    }
    problems += infrastructure_problems(
        chargers.values(),
        sites.values(),
        site_ids=sites.keys(),
        tariff_ids=tariffs.keys(),
        file_of=lambda kind, entry_id: REQUEST if entry_id in inline[kind] else CHARGERS.file,
    )
    update: dict[str, Any] = {
        name: getattr(request, name)
        for name in SCENARIO_FIELDS
        if getattr(request, name) is not None
    }
    if request.schedule is not None:
        update["schedule_csv"] = None
    scenario, scenario_problems = complete_scenario(
        base.model_copy(update=update),
        config_dir,
        vehicle_ids=vehicles.keys(),
        site_ids=sites.keys(),
        route_ids=route_specs.keys(),
        scenario_file=SCENARIOS.file,
        fleet_file=REQUEST if request.fleet is not None else None,
        schedule_file=REQUEST if request.schedule is not None else None,
    )
    problems += scenario_problems
    used_vehicles = {v.type for v in scenario.fleet}
    used_routes = {t.route_id for t in scenario.schedule}
    profiles: dict[str, RouteProfile] = {}
    for route_id in sorted((used_routes | inline["route"]) & route_specs.keys()):
        if route_id not in inline["route"] and route_id in catalogue.route_profiles:
            profile = catalogue.route_profiles[route_id]
        else:
            origin = REQUEST if route_id in inline["route"] else ROUTES.file
            try:
                profile = route_profile(route_specs[route_id], config_dir, origin=origin)
            except ConfigErrors as exc:
                problems += exc.problems
                continue
        if route_id in used_routes:
            profiles[route_id] = profile
    if problems:
        raise ConfigErrors(problems)

    kept_vehicles = _sorted({i: vehicles[i] for i in used_vehicles})
    kept: dict[str, Mapping[str, BaseModel]] = {
        "vehicle": kept_vehicles,
        "charger": _sorted(chargers),
        "site": _sorted(sites),
        "tariff": _sorted(tariffs),
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
        chargers=_sorted(chargers),
        sites=_sorted(sites),
        tariffs=_sorted(tariffs),
        routes=_sorted(profiles),
        request_hash=request_hash(request),
        input_digest=input_digest(lineage),
        lineage=lineage,
    )


def _with_inline(
    catalogue: Mapping[str, Entry],
    inline: Sequence[Entry],
    key: str,
    kind: str,
    problems: list[ConfigProblem],
) -> dict[str, Entry]:
    """Catalogue entries with the request's inline ones replacing or adding by id."""
    merged = dict(catalogue)
    seen: set[str] = set()
    for index, entry in enumerate(inline):
        entry_id: str = getattr(entry, "id")  # noqa: B009 - every inline model has an id
        if entry_id in seen:
            where = Where(REQUEST, kind, entry_id)
            problems.append(where.problem(f"{key}[{index}].id", "duplicate id in the request"))
        seen.add(entry_id)
        merged[entry_id] = entry
    return merged


def _sorted(entries: Mapping[str, Entry]) -> dict[str, Entry]:
    return {entry_id: entries[entry_id] for entry_id in sorted(entries)}
