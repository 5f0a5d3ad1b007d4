"""Configuration problems: each names the file, the entry, the field and the reason."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

# Pydantic puts the union member it tried into `loc` ("int", "list[StopSpec]"); not a field.
_UNION_TAG = re.compile(r"^(int|float|str|bool|none)$|[\[\]]|^function-|^constrained-")


@dataclass(frozen=True)
class ConfigProblem:
    """One invalid input: `file` (relative to the config dir, or "request"), the entry's kind
    and id (None for file-level problems), the field path (`hvac.max_kw`, `windows[0].start`)
    and the reason."""

    file: str
    entry: str | None
    field: str | None
    reason: str
    kind: str | None = None

    def __str__(self) -> str:
        parts = [f"{self.file}:"]
        if self.entry is not None:
            parts.append(f"{self.kind or 'entry'} {self.entry!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        head = " ".join(parts)
        return f"{head}: {self.reason}" if len(parts) > 1 else f"{head} {self.reason}"

    @property
    def loc(self) -> list[str]:
        """Location for API error bodies: file, then entry id, then field."""
        return [p for p in (self.file, self.entry, self.field) if p]


MAX_PROBLEMS = 100
"""Problems reported in detail; the rest are counted (300,000 bad rows are one answer)."""


class ConfigErrors(Exception):  # noqa: N818 - the name every door catches
    """Every problem found in one load or resolve (the first MAX_PROBLEMS, then a count of
    the rest); the message has one line per problem."""

    def __init__(self, problems: Sequence[ConfigProblem], *, more: int = 0) -> None:
        self.problems = list(problems[:MAX_PROBLEMS])
        more += len(problems) - len(self.problems)
        if more:
            first = self.problems[0]
            reason = f"and {more} more problems of the same input, not listed"
            self.problems.append(ConfigProblem(first.file.split(":")[0], None, None, reason))
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass(frozen=True)
class Where:
    """The file and entry a value came from, to build problems about its fields."""

    file: str
    kind: str | None = None
    entry: str | None = None

    def problem(self, field: str | None, reason: str, *, file: str | None = None) -> ConfigProblem:
        return ConfigProblem(file or self.file, self.entry, field, reason, self.kind)

    def error(self, field: str | None, reason: str, *, file: str | None = None) -> ConfigErrors:
        return ConfigErrors([self.problem(field, reason, file=file)])


def field_path(loc: Iterable[int | str], prefix: str = "") -> str:
    """Pydantic `loc` as a path: ("windows", 0, "start") -> "windows[0].start"."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not _UNION_TAG.search(part):
            path = f"{path}.{part}" if path else part
    return path


def problems_from_validation(
    exc: ValidationError, where: Where, prefix: str = ""
) -> list[ConfigProblem]:
    """One problem per pydantic error, located at its field path under `prefix`."""
    problems = []
    for error in exc.errors(include_url=False):
        reason = error["msg"].removeprefix("Value error, ")
        problems.append(where.problem(field_path(error["loc"], prefix) or None, reason))
    return problems


def known(ids: Iterable[str]) -> str:
    """`(known: a, b)` for unknown-reference messages."""
    listed = ", ".join(sorted(ids))
    return f"(known: {listed})" if listed else "(none defined)"
