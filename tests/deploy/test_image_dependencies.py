"""The images install requirements.lock (pyproject's [project] dependencies, locked) and nothing
else (no [dev] extra): every third-party module the service code imports must come from it, or
a container fails at start with an import error that no test run in a development environment
shows."""

import ast
import importlib.util
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

from .lockfile import SERVICE_LOCK, read_lock

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [
    *sorted((ROOT / "src" / "fleetsim").rglob("*.py")),
    ROOT / "main_api.py",
    ROOT / "main_pubsub.py",
    ROOT / "migrations" / "env.py",
]
"""The Python files the two images run."""
FIRST_PARTY = {"fleetsim", "main_api", "main_pubsub"}


def imported_modules(path: Path) -> Iterator[str]:
    """Absolute imports, outside `if TYPE_CHECKING:` blocks; `from a import b` gives `a` and
    `a.b`, since `b` may be a module (as in namespace packages: `from google.cloud import x`)."""

    def walk(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from (m for stmt in child.orelse for m in walk_one(stmt))
                continue
            yield from walk_one(child)

    def walk_one(node: ast.AST) -> Iterator[str]:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        yield from walk(node)

    yield from walk(ast.parse(path.read_text(), filename=str(path)))


def owners_by_file() -> dict[Path, str]:
    owners: dict[Path, str] = {}
    for distribution in metadata.distributions():
        name = canonicalize_name(distribution.metadata["Name"])
        for file in distribution.files or []:
            owners[Path(str(distribution.locate_file(file))).resolve()] = name
    return owners


def module_file(module: str) -> Path | None:
    """None for a name that is no module (an attribute) or a namespace package."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
    if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
        return None
    return Path(spec.origin).resolve()


def test_service_code_imports_only_declared_dependencies() -> None:
    modules = {
        module
        for path in SHIPPED
        if path.exists()
        for module in imported_modules(path)
        if module.partition(".")[0] not in FIRST_PARTY | sys.stdlib_module_names
    }
    declared, owners = set(read_lock(SERVICE_LOCK)), owners_by_file()
    undeclared: dict[str, str] = {}
    for module in sorted(modules):
        file = module_file(module)
        owner = owners.get(file) if file else None
        if owner is not None and owner not in declared:
            undeclared[module] = owner
    top_level = {m.partition(".")[0] for m in modules}
    missing = {m for m in top_level if importlib.util.find_spec(m) is None}
    assert not missing, f"not installed here either: {missing}"
    assert not undeclared, (
        "imported by the service but not installed in the images (add the distribution to "
        "[project] dependencies in pyproject.toml, not to [dev], and run scripts/lock): "
        f"{undeclared}"
    )
