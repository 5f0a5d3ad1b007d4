"""Files under the config directory: paths that cannot escape it, YAML and JSON reading."""

import json
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import yaml

from fleetsim.config.errors import Where

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 scalars and no duplicate keys.

    YAML 1.1 reads `07:30` as the integer 450 and `no` as false; times and ids stay strings.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT, _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*\.(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
        re.VERBOSE,
    ),
    list("-+0123456789."),
)


def safe_path(config_dir: Path, relative: str, where: Where, field: str | None) -> Path:
    """An existing file named relative to `config_dir` that resolves inside it.

    Absolute paths, `..` components and symlinks pointing outside are refused.
    """
    if not relative.strip() or "\x00" in relative:
        raise where.error(field, "path must be a non-empty relative path")
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or relative.startswith("~"):
        raise where.error(field, f"path {relative!r} must be relative to the config directory")
    if ".." in posix.parts or ".." in windows.parts:
        raise where.error(field, f"path {relative!r} must not contain '..'")
    base = config_dir.resolve()
    try:
        target = (base / posix).resolve()
        if not target.is_relative_to(base):
            raise where.error(field, f"path {relative!r} resolves outside the config directory")
        if not target.is_file():
            raise where.error(field, f"file {relative!r} not found in the config directory")
    except OSError as exc:  # a name too long for the file system, a loop of links, ...
        raise where.error(field, f"path {relative!r} cannot be opened ({exc.strerror})") from exc
    return target


def read_text(path: Path, where: Where, field: str | None, *, file: str | None = None) -> str:
    """The UTF-8 text of `path` (a leading byte-order mark is dropped)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise where.error(field, f"not UTF-8 text ({exc.reason})", file=file) from exc
    except OSError as exc:
        raise where.error(field, f"cannot be read ({exc.strerror})", file=file) from exc


MAX_YAML_BYTES = 16 * 2**20
MAX_YAML_VALUES = 1_000_000
"""Values a YAML file may hold with its aliases expanded (a "billion laughs" holds 10⁹)."""
MAX_YAML_DEPTH = 64


def read_yaml(path: Path, where: Where) -> Any:
    """Parsed YAML of `path`; syntax errors carry their line and column. Files above
    MAX_YAML_BYTES, nested deeper than MAX_YAML_DEPTH or expanding (through aliases) to more
    than MAX_YAML_VALUES values are refused before anything is built from them."""
    if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
        raise where.error(None, f"larger than {MAX_YAML_BYTES // 2**20} MiB")
    text = read_text(path, where, None)
    loader = _Loader(text)  # derives from SafeLoader
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, where)
        return loader.construct_document(node)
    except RecursionError as exc:
        raise where.error(None, f"nested deeper than {MAX_YAML_DEPTH} levels") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise where.error(None, f"invalid YAML{at}: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise where.error(None, f"invalid YAML: {exc}") from exc
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node, where: Where) -> None:
    """Count the values the composed document stands for, each alias expanded, in one pass
    over its distinct nodes (an alias is the same node object as its anchor)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}

    def visit(node: yaml.Node, level: int) -> int:
        if level > MAX_YAML_DEPTH:
            raise where.error(None, f"nested deeper than {MAX_YAML_DEPTH} levels")
        key = id(node)
        if key in size and depth[key] <= level:
            return size[key]
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        total = 1 + sum(visit(child, level + 1) for child in children)
        if total > MAX_YAML_VALUES:
            reason = f"expands to more than {MAX_YAML_VALUES:,} values through its aliases"
            raise where.error(None, reason)
        size[key], depth[key] = total, level
        return total

    visit(root, 0)


def read_json(path: Path, where: Where, field: str, *, file: str) -> Any:
    """Parsed JSON of `path`; errors are reported against `file`."""
    text = read_text(path, where, field, file=file)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise where.error(field, reason, file=file) from exc
