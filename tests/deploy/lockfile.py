"""Reading the lock files that `scripts/lock` writes (`uv pip compile --generate-hashes`) and the
requirements of pyproject.toml they are made from, offline."""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
SERVICE_LOCK = ROOT / "requirements.lock"
"""pyproject's [project] dependencies: what both images install."""
DEV_LOCK = ROOT / "requirements-dev.lock"
"""The dependencies and the dev extra: what `.ci/run` installs."""
PROJECT = canonicalize_name("fleetsim")
TARGET = {
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "python_version": "3.11",
    "python_full_version": "3.11.14",
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
}
"""Marker values of the images' interpreter (python:3.11.14-slim-bookworm on amd64), for which
the locks are resolved."""

_ENTRY = re.compile(r"^(\S+==\S+)((?:\s*\\\n\s+--hash=\S+)*)\n((?:[ \t]+#.*\n)*)", re.MULTILINE)
_VIA = re.compile(r"#\s+(?:via\s+)?(.+)$")


@dataclass(frozen=True)
class Pin:
    name: NormalizedName
    version: Version
    hashes: tuple[str, ...]
    required_by: frozenset[NormalizedName]
    """The lock's `# via` annotation: the pins that need this one, and `fleetsim` where
    pyproject.toml asks for it; constraint files (`-c ...`) left out."""
    line: str
    """The requirement as written, extras included (`uvicorn==0.30.0`)."""


def read_lock(path: Path) -> dict[NormalizedName, Pin]:
    text = path.read_text()
    pins: dict[NormalizedName, Pin] = {}
    for match in _ENTRY.finditer(text):
        requirement = Requirement(match[1])
        (specifier,) = requirement.specifier
        parents = set()
        for comment in match[3].splitlines():
            found = _VIA.search(comment.strip())
            if found and found[1].strip() != "via" and not found[1].startswith("-"):
                parents.add(canonicalize_name(found[1].split(" (")[0].strip()))
        name = canonicalize_name(requirement.name)
        pins[name] = Pin(
            name=name,
            version=Version(specifier.version),
            hashes=tuple(re.findall(r"--hash=(\S+)", match[2])),
            required_by=frozenset(parents),
            line=match[1],
        )
    unparsed = [
        line
        for line in text.splitlines()
        if line and not line[0].isspace() and not line.startswith("#")
        if line.rstrip(" \\") not in {pin.line for pin in pins.values()}
    ]
    assert not unparsed, f"{path.name}: lines that are no `name==version` pin: {unparsed}"
    return pins


def pyproject_requirements(*, dev: bool) -> list[Requirement]:
    """[project] dependencies, and the dev extra's with `dev`, whose markers hold on the target."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = list(project["dependencies"])
    if dev:
        texts += project["optional-dependencies"]["dev"]
    requirements = [Requirement(text) for text in texts]
    return [r for r in requirements if r.marker is None or r.marker.evaluate(TARGET)]
