"""The reference data of a config directory, loaded and checked as a whole."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from fleetsim.config.digests import digest
from fleetsim.config.errors import (
    ConfigErrors,
    ConfigProblem,
    Where,
    known,
    problems_from_validation,
)
from fleetsim.config.files import read_yaml, safe_path
from fleetsim.config.overrides import apply_overrides
from fleetsim.config.references import complete_scenario, infrastructure_problems
from fleetsim.config.routes import route_profile
from fleetsim.models import (
    ChargerSpec,
    RouteProfile,
    RouteSpec,
    Scenario,
    SiteSpec,
    Tariff,
    VehicleSpec,
)

DEFAULT_SCENARIO = "default"

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Section(Generic[Model]):
    """One list of entries in a YAML file, e.g. `chargers:` in chargers.yaml."""

    file: str
    key: str
    kind: str
    model: type[Model]


VEHICLES = Section("vehicles.yaml", "vehicles", "vehicle", VehicleSpec)
SITES = Section("chargers.yaml", "sites", "site", SiteSpec)
CHARGERS = Section("chargers.yaml", "chargers", "charger", ChargerSpec)
TARIFFS = Section("chargers.yaml", "tariffs", "tariff", Tariff)
ROUTES = Section("routes.yaml", "routes", "route", RouteSpec)
SCENARIOS = Section("scenarios.yaml", "scenarios", "scenario", Scenario)
SECTIONS: tuple[Section[Any], ...] = (VEHICLES, SITES, CHARGERS, TARIFFS, ROUTES, SCENARIOS)
FILES = ("vehicles.yaml", "chargers.yaml", "routes.yaml", "scenarios.yaml")


@dataclass(frozen=True)
class Catalogue:
    """Every valid entry of a config directory, by id. Scenarios keep their `schedule_csv`."""

    vehicles: dict[str, VehicleSpec] = field(default_factory=dict)
    sites: dict[str, SiteSpec] = field(default_factory=dict)
    chargers: dict[str, ChargerSpec] = field(default_factory=dict)
    tariffs: dict[str, Tariff] = field(default_factory=dict)
    route_specs: dict[str, RouteSpec] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    route_profiles: dict[str, RouteProfile] = field(default_factory=dict)
    """Every route resolved once at load: requests reuse them instead of re-reading files."""
    route_digests: dict[str, str] = field(default_factory=dict)
    """The lineage digest of each of `route_profiles`: its paths are long to serialise."""


def load_catalogue(config_dir: Path, overrides: str | None = None) -> Catalogue:
    """Load and check the four YAML files, their GeoJSON, cycle and schedule files.

    `overrides` is the `FLEETSIM_CONFIG_OVERRIDES` JSON. Raises ConfigErrors listing every
    problem found in every file.
    """
    if not config_dir.is_dir():
        raise Where(str(config_dir)).error(None, "config directory not found")
    problems: list[ConfigProblem] = []
    raw: dict[str, list[Any]] = {section.key: [] for section in SECTIONS}
    unusable = False  # without a whole file every reference into it would look unknown
    for file in FILES:
        try:
            raw.update(_read_sections(config_dir, file, problems))
        except ConfigErrors as exc:
            problems.extend(exc.problems)
            unusable = True
    if overrides is not None:
        try:
            raw = apply_overrides(raw, overrides)
        except ConfigErrors as exc:
            problems.extend(exc.problems)
            unusable = True
    declared = {section.key: _declared_ids(raw[section.key]) for section in SECTIONS}

    def entries(section: Section[Model]) -> dict[str, Model]:
        valid, section_problems = _validate_entries(section, raw[section.key])
        problems.extend(section_problems)
        return valid

    catalogue = Catalogue(
        vehicles=entries(VEHICLES),
        sites=entries(SITES),
        chargers=entries(CHARGERS),
        tariffs=entries(TARIFFS),
        route_specs=entries(ROUTES),
        scenarios=entries(SCENARIOS),
    )
    if not unusable:
        problems.extend(
            infrastructure_problems(
                catalogue.chargers.values(),
                catalogue.sites.values(),
                site_ids=declared["sites"],
                tariff_ids=declared["tariffs"],
                file_of=lambda kind, entry_id: CHARGERS.file,
            )
        )
    for spec in catalogue.route_specs.values():
        try:
            profile = route_profile(spec, config_dir)
            catalogue.route_profiles[spec.id] = profile
            catalogue.route_digests[spec.id] = digest(profile.model_dump(mode="json"))
        except ConfigErrors as exc:
            problems.extend(exc.problems)
    if unusable:
        raise ConfigErrors(problems)
    for scenario in catalogue.scenarios.values():
        _, scenario_problems = complete_scenario(
            scenario,
            config_dir,
            vehicle_ids=declared["vehicles"],
            site_ids=declared["sites"],
            route_ids=declared["routes"],
        )
        problems.extend(scenario_problems)
    if DEFAULT_SCENARIO not in declared["scenarios"]:
        reason = f"no scenario {DEFAULT_SCENARIO!r} {known(declared['scenarios'])}"
        problems.append(Where(SCENARIOS.file).problem("scenarios", reason))
    if problems:
        raise ConfigErrors(problems)
    return catalogue


def _validate_entries(
    section: Section[Model], entries: Iterable[Any]
) -> tuple[dict[str, Model], list[ConfigProblem]]:
    """Valid entries by id, and a problem for each invalid or duplicate one.

    An entry without a usable id is located by its index, e.g. `vehicles[3].mass_kg`.
    """
    valid: dict[str, Model] = {}
    first_index: dict[str, int] = {}
    problems: list[ConfigProblem] = []
    for index, entry in enumerate(entries):
        entry_id = _entry_id(entry)
        where = Where(section.file, section.kind, entry_id)
        prefix = "" if entry_id is not None else f"{section.key}[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(where.problem(prefix, f"must be a mapping, not {entry!r}"))
            continue
        if entry_id is not None and entry_id in first_index:
            reason = f"duplicate id (first at {section.key}[{first_index[entry_id]}])"
            problems.append(where.problem("id", reason))
            continue
        if entry_id is not None:
            first_index[entry_id] = index
        try:
            model = section.model.model_validate(entry)
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, where, prefix))
            continue
        valid[getattr(model, "id")] = model  # noqa: B009 - every section model has an id
    return valid, problems


def _read_sections(
    config_dir: Path, file: str, problems: list[ConfigProblem]
) -> dict[str, list[Any]]:
    """The entry lists of one YAML file; unusable keys are added to `problems`.

    Raises ConfigErrors when the file cannot be used at all.
    """
    where = Where(file)
    document = read_yaml(safe_path(config_dir, file, where, None), where)
    keys = [section.key for section in SECTIONS if section.file == file]
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise where.error(None, f"must be a mapping with keys {', '.join(keys)}")
    problems.extend(
        where.problem(str(key), f"unknown key; expected {', '.join(keys)}")
        for key in document
        if key not in keys
    )
    sections: dict[str, list[Any]] = {}
    for key in keys:
        value = document.get(key)
        if value is not None and not isinstance(value, list):
            raise where.error(key, "must be a list of entries")
        sections[key] = value or []
    return sections


def _entry_id(entry: Any) -> str | None:
    if isinstance(entry, Mapping) and isinstance(entry.get("id"), str) and entry["id"]:
        return str(entry["id"])
    return None


def _declared_ids(entries: Iterable[Any]) -> set[str]:
    """Ids of every entry, valid or not, so one bad entry does not break its references."""
    return {entry_id for entry in entries if (entry_id := _entry_id(entry)) is not None}
