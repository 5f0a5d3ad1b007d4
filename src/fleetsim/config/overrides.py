"""`FLEETSIM_CONFIG_OVERRIDES`: per-environment adjustments merged over the YAML entries."""

import json
from collections.abc import Mapping
from typing import Any

from fleetsim.config.env import OVERRIDES_ENV
from fleetsim.config.errors import ConfigErrors, ConfigProblem, Where, known


def apply_overrides(raw: Mapping[str, list[Any]], overrides_json: str) -> dict[str, list[Any]]:
    """`raw` (section -> entries) with `{section: {id: {field: value}}}` deep-merged per entry.

    Sections are the YAML list keys (vehicles, sites, chargers, tariffs, routes, scenarios).
    Mappings merge key by key; any other value replaces. Unknown sections or ids are errors.
    """
    where = Where(OVERRIDES_ENV)
    try:
        overrides = json.loads(overrides_json)
    except json.JSONDecodeError as exc:
        raise where.error(None, f"invalid JSON at column {exc.colno}: {exc.msg}") from exc
    if not isinstance(overrides, dict):
        raise where.error(None, "must be a JSON object {section: {id: {field: value}}}")
    merged = {section: list(entries) for section, entries in raw.items()}
    problems: list[ConfigProblem] = []
    for section, by_id in overrides.items():
        if section not in merged:
            problems.append(where.problem(section, f"unknown section {known(merged)}"))
            continue
        if not isinstance(by_id, dict):
            problems.append(where.problem(section, "must be an object {id: {field: value}}"))
            continue
        ids = [e["id"] for e in merged[section] if isinstance(e, dict) and "id" in e]
        for entry_id, fields in by_id.items():
            field = f"{section}.{entry_id}"
            if entry_id not in ids:
                problems.append(
                    where.problem(field, f"no entry {entry_id!r} {known(map(str, ids))}")
                )
            elif not isinstance(fields, dict):
                problems.append(where.problem(field, "must be an object {field: value}"))
            elif fields.get("id", entry_id) != entry_id:
                problems.append(where.problem(f"{field}.id", "an override cannot change the id"))
            else:
                merged[section] = [
                    deep_merge(e, fields) if isinstance(e, dict) and e.get("id") == entry_id else e
                    for e in merged[section]
                ]
    if problems:
        raise ConfigErrors(problems)
    return merged


def deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`base` updated by `patch`; nested mappings are merged, everything else replaced."""
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
