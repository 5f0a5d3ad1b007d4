"""Parameter paths (`sites.depot.site_power_limit_kw`): what `set` in a request and the
CLI's `--set PATH=VALUE` address, parsed and applied in one place so studies reuse them."""

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from fleetsim.config.errors import ConfigProblem, Where, known

ENTRY_SECTIONS = {
    "vehicles": "vehicle",
    "chargers": "charger",
    "sites": "site",
    "tariffs": "tariff",
    "routes": "route",
}
"""Catalogue sections a path can address, each with the kind of its entries."""
FLEET = "fleet"
SCENARIO_FIELDS = (
    "horizon",
    "weather",
    "strategy",
    "optimal",
    "step_s",
    "time_series_resolution_s",
    "max_points",
    "default_depot",
)
"""Scenario fields a path can address by name (nested fields by dots: `horizon.days`)."""
SCENARIO = "scenario"
PREFIXES = (
    *(f"{section}.<id>." for section in ENTRY_SECTIONS),
    f"{FLEET}.<vehicle_id>.",
    *SCENARIO_FIELDS,
)


@dataclass(frozen=True)
class ParameterPath:
    """A parsed path: the section (a catalogue section, `fleet` or `scenario`), the entry id
    (None for scenario fields) and the field names from the entry down."""

    text: str
    section: str
    entry_id: str | None
    fields: tuple[str, ...]

    @property
    def field(self) -> str:
        """How problems name the path: `set[<path>]`."""
        return f"set[{self.text}]"


class PathError(ValueError):
    """A path that addresses nothing; the message lists what can be addressed."""


def parse_path(text: str, ids_of: Callable[[str], Collection[str]]) -> ParameterPath:
    """`text` split into section, entry id and fields. Ids may hold dots, so the entry is the
    longest known id of `ids_of(section)` the path continues with. Raises PathError."""
    section, _, rest = text.partition(".")
    if section in SCENARIO_FIELDS:
        return ParameterPath(text, SCENARIO, None, (section, *_names(rest, text)))
    if section in ENTRY_SECTIONS or section == FLEET:
        ids = ids_of(section)
        if rest in ids:
            raise PathError(f"{text!r} names an entry, not a field: {text}.<field>")
        matches = [i for i in ids if rest.startswith(f"{i}.") and len(rest) > len(i) + 1]
        if not matches:
            kind = ENTRY_SECTIONS.get(section, "fleet vehicle")
            head = rest.split(".", 1)[0]
            raise PathError(
                f"no {kind} {head!r}: {section} paths are {section}.<id>.<field> {known(ids)}"
            )
        entry_id = max(matches, key=len)
        return ParameterPath(text, section, entry_id, _names(rest[len(entry_id) + 1 :], text))
    raise PathError(f"unknown path {text!r}: a path starts with {', '.join(PREFIXES)}")


def _names(dotted: str, text: str) -> tuple[str, ...]:
    names = tuple(dotted.split(".")) if dotted else ()
    if any(not name for name in names):
        raise PathError(f"empty field name in {text!r}")
    return names


def parse_paths(
    values: Mapping[str, Any],
    ids_of: Callable[[str], Collection[str]],
    problems: list[ConfigProblem],
) -> list[tuple[ParameterPath, Any]]:
    """Every path of a request's `set` with its value; bad paths become problems."""
    parsed = []
    for text, value in values.items():
        try:
            parsed.append((parse_path(text, ids_of), value))
        except PathError as exc:
            problems.append(Where("request").problem(f"set[{text}]", str(exc)))
    return parsed


def assign(data: Mapping[str, Any], fields: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of `data` with the value at `fields` (objects created on the way) set to
    `value`. Raises PathError where the way passes through a value that is not an object."""
    head, *tail = fields
    copy = dict(data)
    if not tail:
        copy[head] = value
        return copy
    inner = copy.get(head)
    if inner is None:
        inner = {}
    if not isinstance(inner, Mapping):
        raise PathError(f"{head!r} holds {json.dumps(inner)[:40]}, not an object with fields")
    copy[head] = assign(inner, tuple(tail), value)
    return copy


def parse_value(text: str) -> Any:
    """A CLI `--set` value: JSON when it parses (`300`, `true`, `[1, 2]`), else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
