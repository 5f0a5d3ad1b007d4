"""Untrusted JSON read strictly: a key given twice and nesting deeper than MAX_DEPTH are
refused with a message saying where, instead of last-wins or a RecursionError."""

import json
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects a request needs is under 10; GeoJSON is 4."""


class InvalidJsonError(ValueError):
    """Not acceptable JSON; `pos` is the character offset where known, else 0."""

    def __init__(self, message: str, pos: int = 0) -> None:
        self.message = message
        self.pos = pos
        super().__init__(message)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidJsonError(f"key {key[:64]!r} is given twice in one object")
        result[key] = value
    return result


def loads_strict(data: str | bytes) -> Any:
    """Parsed JSON; raises InvalidJsonError (duplicate key, too deep, syntax, encoding)."""
    try:
        value = json.loads(data, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise InvalidJsonError(f"{exc.msg} at {where}", exc.pos) from exc
    except UnicodeDecodeError as exc:
        raise InvalidJsonError(f"not UTF-8: {exc.reason}", exc.start) from exc
    except RecursionError as exc:
        raise InvalidJsonError(f"nested deeper than {MAX_DEPTH} levels") from exc
    _check_depth(value)
    return value


def _check_depth(value: Any) -> None:
    """Level by level, without recursion: raise past MAX_DEPTH nested arrays and objects."""
    level: list[Any] = [value]
    depth = 0
    while containers := [item for item in level if isinstance(item, dict | list)]:
        depth += 1
        if depth > MAX_DEPTH:
            raise InvalidJsonError(f"nested deeper than {MAX_DEPTH} levels")
        level = [
            child
            for item in containers
            for child in (item.values() if isinstance(item, dict) else item)
        ]
