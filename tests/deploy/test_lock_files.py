"""requirements.lock and requirements-dev.lock agree with pyproject.toml (offline: both files
parsed, no index asked): every dependency pinned within its specifier, nothing pinned that
pyproject no longer needs, one version per package in both, and CI installs the dev lock.
After a change to the dependencies in pyproject.toml, `scripts/lock` writes both anew."""

import shlex
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from .lockfile import (
    DEV_LOCK,
    PROJECT,
    ROOT,
    SERVICE_LOCK,
    TARGET,
    Pin,
    pyproject_requirements,
    read_lock,
)

LOCKS = {SERVICE_LOCK.name: False, DEV_LOCK.name: True}
"""Each lock and whether it holds the dev extra."""
RELOCK = "run scripts/lock"


@pytest.fixture(params=sorted(LOCKS), ids=str)
def lock(request: pytest.FixtureRequest) -> tuple[str, dict[NormalizedName, Pin], bool]:
    return request.param, read_lock(ROOT / request.param), LOCKS[request.param]


def test_every_pin_is_exact_and_hashed(lock: tuple[str, dict[NormalizedName, Pin], bool]) -> None:
    name, pins, _ = lock
    assert pins, f"{name}: no pins"
    unhashed = [pin.line for pin in pins.values() if not pin.hashes]
    assert not unhashed, f"{name}: pins without --hash (pip --require-hashes refuses): {unhashed}"
    assert all(h.startswith("sha256:") for pin in pins.values() for h in pin.hashes)


def test_every_pyproject_dependency_is_pinned_within_its_specifier(
    lock: tuple[str, dict[NormalizedName, Pin], bool],
) -> None:
    name, pins, dev = lock
    problems = []
    for requirement in pyproject_requirements(dev=dev):
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement} is not pinned")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{requirement} but {pin.line}")
    assert not problems, f"{name} disagrees with pyproject.toml ({RELOCK}): {problems}"


def test_nothing_is_pinned_that_pyproject_no_longer_needs(
    lock: tuple[str, dict[NormalizedName, Pin], bool],
) -> None:
    """Reachable from pyproject's requirements along the lock's own `# via` annotations."""
    name, pins, dev = lock
    needed_by: dict[NormalizedName, set[NormalizedName]] = {}
    for pin in pins.values():
        for parent in pin.required_by - {PROJECT}:
            needed_by.setdefault(parent, set()).add(pin.name)
    reached: set[NormalizedName] = set()
    pending = [canonicalize_name(r.name) for r in pyproject_requirements(dev=dev)]
    while pending:
        current = pending.pop()
        if current not in reached:
            reached.add(current)
            pending += needed_by.get(current, ())
    stale = sorted(set(pins) - reached)
    assert not stale, (
        f"{name} pins what neither pyproject.toml nor any pin needs ({RELOCK}): {stale}"
    )


def installed_version(name: str) -> Version | None:
    try:
        return Version(metadata.version(name))
    except metadata.PackageNotFoundError:
        return None


def test_pins_satisfy_what_every_installed_pin_requires(
    lock: tuple[str, dict[NormalizedName, Pin], bool],
) -> None:
    """From pyproject down, with extras and the images' markers: each requirement of a pinned
    distribution is pinned within its specifier. Metadata comes from the distributions
    installed here, so a pin installed at another version is not looked into (in CI's
    virtualenv, made from the dev lock, every one is)."""
    name, pins, dev = lock
    pending = [(requirement, "") for requirement in pyproject_requirements(dev=dev)]
    seen: set[tuple[str, str]] = set()
    problems: list[str] = []
    looked_into = 0
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({**TARGET, "extra": extra}):
            continue
        key = canonicalize_name(requirement.name)
        pin = pins.get(key)
        if pin is None or not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{requirement} but {pin.line if pin else 'no pin'}")
            continue
        extras = sorted(requirement.extras)
        if (key, ",".join(extras)) in seen:
            continue
        seen.add((key, ",".join(extras)))
        if installed_version(key) != pin.version:
            continue
        looked_into += 1
        requires = metadata.requires(key) or []
        for wanted in ("", *extras):
            pending += [(Requirement(text), wanted) for text in requires]
    assert not problems, f"{name} is missing what its pins need ({RELOCK}): {problems}"
    if not looked_into:
        pytest.skip(f"no pin of {name} is installed here at its version")


def test_the_service_lock_pins_the_dev_lock_versions() -> None:
    """CI tests the versions the images run."""
    service, dev = read_lock(SERVICE_LOCK), read_lock(DEV_LOCK)
    differ = [
        f"{pin.line} against {dev[name].line if name in dev else 'none'}"
        for name, pin in service.items()
        if name not in dev or (dev[name].version, dev[name].hashes) != (pin.version, pin.hashes)
    ]
    assert not differ, f"{SERVICE_LOCK.name} and {DEV_LOCK.name} differ ({RELOCK}): {differ}"


def pip_installs(script: str) -> list[list[str]]:
    """The arguments after `pip install` of every such command in a shell script."""
    found = []
    for line in script.splitlines():
        words = shlex.split(line, comments=True)
        for i in range(len(words) - 1):
            if words[i].endswith("pip") and words[i + 1] == "install":
                found.append(words[i + 2 :])
    return found


def test_ci_installs_the_dev_lock_then_the_package_without_dependencies() -> None:
    installs = pip_installs((ROOT / ".ci" / "run").read_text())
    resolving = [
        words
        for words in installs
        if "--no-deps" not in words and words[-2:] != ["--upgrade", "pip"]
    ]
    assert [w for w in resolving if "-r" in w] == resolving, (
        f".ci/run installs something not from a lock: {resolving}"
    )
    assert any(
        "--require-hashes" in w and w[w.index("-r") + 1] == DEV_LOCK.name for w in resolving
    ), f".ci/run does not install {DEV_LOCK.name} with --require-hashes"
    assert len(resolving) == 1, f".ci/run installs from more than one requirements file: {installs}"
    assert any("--no-deps" in w and w[-2:] == ["-e", "."] for w in installs), (
        ".ci/run does not install the package itself with --no-deps -e ."
    )
