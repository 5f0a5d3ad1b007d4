"""Reading a Dockerfile and a .dockerignore the way `docker build` does, without a Docker engine."""

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str
    """Upper case: FROM, COPY, CMD, ..."""
    arguments: str
    """Everything after the keyword, continuation lines joined."""
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT/RUN, None in shell form."""
        text = self.arguments.strip()
        return json.loads(text) if text.startswith("[") else None


@dataclass
class Stage:
    base: str
    """The image reference, build arguments expanded."""
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None


@dataclass
class Dockerfile:
    path: Path
    build_args: dict[str, str]
    """ARG defaults declared before the first FROM."""
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def env(self, stage: Stage) -> dict[str, str]:
        """The ENV values a stage sets (`KEY=value` form)."""
        values: dict[str, str] = {}
        for instruction in stage.all("ENV"):
            for token in shlex.split(instruction.arguments):
                key, _, value = token.partition("=")
                values[key] = value
        return values


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with `\\` continuations joined; comment lines dropped, also inside continuations."""
    joined: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if not current:
            start = number
        if stripped.endswith("\\"):
            current.append(stripped[:-1])
            continue
        current.append(stripped)
        joined.append((start, " ".join(part.strip() for part in current)))
        current = []
    return joined


def _expand(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m[1] or m[2], m[0]), value)


def parse(path: Path) -> Dockerfile:
    build_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line, text in _logical_lines(path.read_text()):
        keyword, _, arguments = text.partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip(), line)
        if instruction.keyword == "ARG" and not stages:
            name, _, default = instruction.arguments.partition("=")
            build_args[name] = default.strip('"')
        elif instruction.keyword == "FROM":
            words = [w for w in instruction.arguments.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=_expand(words[0], build_args), name=name))
        elif stages:
            stages[-1].instructions.append(instruction)
    return Dockerfile(path=path, build_args=build_args, stages=stages)


@dataclass(frozen=True)
class Copy:
    sources: list[str]
    destination: str
    from_stage: str | None
    line: int


def copies(stage: Stage) -> list[Copy]:
    found = []
    for instruction in stage.all("COPY") + stage.all("ADD"):
        words = instruction.exec_form() or shlex.split(instruction.arguments)
        flags = {w.partition("=")[0]: w.partition("=")[2] for w in words if w.startswith("--")}
        paths = [w for w in words if not w.startswith("--")]
        found.append(Copy(paths[:-1], paths[-1], flags.get("--from"), instruction.line))
    return found


class DockerIgnore:
    """`.dockerignore` rules: the last matching pattern decides; `!` re-includes; a pattern
    that matches a directory matches everything under it."""

    def __init__(self, path: Path) -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        if not path.exists():
            return
        for raw in path.read_text().splitlines():
            pattern = raw.strip()
            if not pattern or pattern.startswith("#"):
                continue
            negated = pattern.startswith("!")
            pattern = pattern.lstrip("!").strip().strip("/")
            self.rules.append((negated, re.compile(_pattern_regex(pattern))))

    def excludes(self, relative_path: str) -> bool:
        parts = relative_path.strip("/").split("/")
        prefixes = ["/".join(parts[: k + 1]) for k in range(len(parts))]
        excluded = False
        for negated, regex in self.rules:
            if any(regex.fullmatch(prefix) for prefix in prefixes):
                excluded = not negated
        return excluded


def _pattern_regex(pattern: str) -> str:
    """Go's filepath.Match syntax plus `**` (any number of directories), as Docker reads it."""
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            regex, i = regex + "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]", end + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return regex
