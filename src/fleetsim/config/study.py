"""A study checked before anything runs: its base resolves, its point count is within the
limit, the sizing axis addresses a number, and every point it may run resolves. Problems
name the study's field (`grid[1].path`, `size.path`) and the value."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import JsonValue

from fleetsim.config.catalogue import Catalogue
from fleetsim.config.errors import ConfigErrors, ConfigProblem
from fleetsim.config.paths import ENTRY_SECTIONS, FLEET, SCENARIO, PathError, parse_path
from fleetsim.config.resolve import resolve_request
from fleetsim.jobs.limits import WorkLimitError, WorkLimits, check_work, estimate_work
from fleetsim.models import ResolvedRequest
from fleetsim.models.study import StudyRequest
from fleetsim.studies.points import grid, point_request

STUDY = "study"


def check_study(
    study: StudyRequest,
    catalogue: Catalogue,
    config_dir: Path,
    *,
    max_points: int,
    limits: WorkLimits | None = None,
) -> ResolvedRequest:
    """The base request resolved, once every check passes (each point's work within
    `limits` when given); raises ConfigErrors."""
    count = study.max_points()
    if count > max_points:
        reason = f"the study may run {count} simulations, above the limit of {max_points}"
        raise ConfigErrors([ConfigProblem(STUDY, None, "grid", reason)])
    try:
        base = resolve_request(study.base, catalogue, config_dir)
    except ConfigErrors as exc:
        raise ConfigErrors([_in_base(p) for p in exc.problems]) from exc
    problems = _unknown_paths(study, base)
    if not problems and study.size is not None:
        problems = _numeric_size(study, base)
    if not problems:
        problems = _unresolved_points(study, catalogue, config_dir, limits)
    if problems:
        raise ConfigErrors(problems)
    return base


def _in_base(problem: ConfigProblem) -> ConfigProblem:
    if problem.file != "request":
        return problem
    field = f"base.{problem.field}" if problem.field else "base"
    return ConfigProblem(STUDY, problem.entry, field, problem.reason, problem.kind)


def _axes(study: StudyRequest) -> Iterator[tuple[str, str]]:
    """(study field, path) of every axis."""
    for index, axis in enumerate(study.grid):
        yield f"grid[{index}].path", axis.path
    if study.size is not None:
        yield "size.path", study.size.path


def _ids(base: ResolvedRequest, section: str) -> list[str]:
    if section == FLEET:
        return [v.id for v in base.scenario.fleet]
    entries: dict[str, Any] = getattr(base, section)
    return list(entries)


def _unknown_paths(study: StudyRequest, base: ResolvedRequest) -> list[ConfigProblem]:
    problems = []
    for field, path in _axes(study):
        try:
            parse_path(path, lambda section: _ids(base, section))
        except PathError as exc:
            problems.append(ConfigProblem(STUDY, None, field, str(exc)))
    return problems


def _numeric_size(study: StudyRequest, base: ResolvedRequest) -> list[ConfigProblem]:
    """The sizing axis must address a number: its value in the base, when it has one."""
    assert study.size is not None
    path = parse_path(study.size.path, lambda section: _ids(base, section))
    value = _value_at(base, path.section, path.entry_id, path.fields)
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return []
    reason = f"{study.size.path!r} holds {value!r}, not a number: a sizing axis must be numeric"
    return [ConfigProblem(STUDY, None, "size.path", reason)]


def _value_at(
    base: ResolvedRequest, section: str, entry_id: str | None, fields: tuple[str, ...]
) -> JsonValue:
    data: Any
    if section == SCENARIO:
        data = base.scenario.model_dump(mode="json")
    elif section == FLEET:
        data = next(v for v in base.scenario.fleet if v.id == entry_id).model_dump(mode="json")
    else:
        assert section in ENTRY_SECTIONS and entry_id is not None
        data = getattr(base, section)[entry_id].model_dump(mode="json")
    for name in fields:
        data = data.get(name) if isinstance(data, dict) else None
    return data  # type: ignore[no-any-return]


def _unresolved_points(
    study: StudyRequest, catalogue: Catalogue, config_dir: Path, limits: WorkLimits | None
) -> list[ConfigProblem]:
    """Every point the study may run, resolved and its work checked: a value an axis cannot
    take is named once."""
    sizes: list[dict[str, JsonValue]] = [{}]
    if study.size is not None:
        sizes = [{study.size.path: value} for value in study.size.points()]
    fields = dict((path, field) for field, path in _axes(study))
    problems: dict[str, ConfigProblem] = {}
    for values in grid(study):
        for size in sizes:
            point = {**values, **size}
            try:
                resolved = resolve_request(point_request(study.base, point), catalogue, config_dir)
                if limits is not None:
                    check_work(estimate_work(resolved), limits)
            except WorkLimitError as exc:
                where = ", ".join(f"{path} = {value!r}" for path, value in point.items())
                problem = ConfigProblem(STUDY, None, "grid", f"at {where}: {exc}")
                problems.setdefault(str(problem), problem)
            except ConfigErrors as exc:
                for problem in exc.problems:
                    moved = _on_axis(problem, point, fields)
                    problems.setdefault(str(moved), moved)
    return list(problems.values())


def _on_axis(
    problem: ConfigProblem, point: dict[str, JsonValue], fields: dict[str, str]
) -> ConfigProblem:
    """A point's problem named by the axis whose value caused it, else by the point."""
    for path, field in fields.items():
        if problem.field == f"set[{path}]":
            axis = field.removesuffix(".path")
            return ConfigProblem(STUDY, None, axis, f"{path} = {point[path]!r}: {problem.reason}")
    where = ", ".join(f"{path} = {value!r}" for path, value in point.items())
    return ConfigProblem(STUDY, problem.entry, problem.field, f"at {where}: {problem.reason}")
