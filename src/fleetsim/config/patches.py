"""Inline request entries applied to the catalogue: merge patches, new entries, removals."""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from fleetsim.config.errors import ConfigProblem, Where, problems_from_validation
from fleetsim.models import EntryPatch

REQUEST = "request"
"""The file named in problems about inline parts of a request."""

Entry = TypeVar("Entry", bound=BaseModel)


def merge_patch(target: Any, patch: Any) -> Any:
    """`target` with the JSON Merge Patch `patch` applied (RFC 7396): objects merge key by
    key, `null` removes a key, anything else (arrays included) replaces."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def patched_entries(
    catalogue: Mapping[str, Entry],
    patches: Sequence[EntryPatch],
    model: type[Entry],
    *,
    section: str,
    kind: str,
    problems: list[ConfigProblem],
) -> dict[str, Entry]:
    """The catalogue's entries with the request's `patches` applied in order: a patch of an
    existing id is merged over it and the result validated as a whole; a new id must be a
    complete entry; `remove: true` drops the entry. Problems name `section[index].field`."""
    entries = dict(catalogue)
    seen: set[str] = set()
    for index, patch in enumerate(patches):
        where = Where(REQUEST, kind, patch.id)
        at = f"{section}[{index}]"
        if patch.id in seen:
            problems.append(where.problem(f"{at}.id", "duplicate id in the request"))
            continue
        seen.add(patch.id)
        fields = patch.model_extra or {}
        if patch.remove:
            if fields:
                reason = f"remove takes no other fields, not {', '.join(sorted(fields))}"
                problems.append(where.problem(at, reason))
            elif entries.pop(patch.id, None) is None:
                problems.append(where.problem(f"{at}.id", f"no {kind} {patch.id!r} to remove"))
            continue
        base = entries.get(patch.id)
        data = {"id": patch.id, **fields}
        if base is not None:
            data = merge_patch(base.model_dump(mode="json", exclude_unset=True), data)
        try:
            entry = model.model_validate(data)
        except ValidationError as exc:
            found = problems_from_validation(exc, where, prefix=at)
            if base is None:
                hint = f" (no catalogue {kind} {patch.id!r} to patch: a new entry is complete)"
                found = [
                    ConfigProblem(p.file, p.entry, p.field, p.reason + hint, p.kind)
                    if p.reason == "Field required"
                    else p
                    for p in found
                ]
            problems.extend(found)
            continue
        entries[patch.id] = base if entry == base else entry
    return entries
