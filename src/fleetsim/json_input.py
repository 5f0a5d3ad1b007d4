"""Untrusted JSON read strictly: a key given twice, nesting deeper than MAX_DEPTH and a
`\\u` escape that leaves a lone surrogate (no character: it cannot be stored, hashed or
written back as UTF-8) are refused with a message, instead of last-wins, a RecursionError
or an encoding error deep inside."""

import json
from collections.abc import Iterable
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
    """Level by level, without recursion: raise past MAX_DEPTH nested arrays and objects,
    or at a string or key holding a lone surrogate."""
    level: list[Any] = [value]
    depth = 0
    while True:
        _check_strings(item for item in level if isinstance(item, str))
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            return
        _check_strings(key for item in containers if isinstance(item, dict) for key in item)
        depth += 1
        if depth > MAX_DEPTH:
            raise InvalidJsonError(f"nested deeper than {MAX_DEPTH} levels")
        level = [
            child
            for item in containers
            for child in (item.values() if isinstance(item, dict) else item)
        ]


def _check_strings(texts: Iterable[str]) -> None:
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidJsonError(
                f"string {text[:32]!r} holds a lone surrogate (a \\u escape of half a "
                "character pair): not text"
            ) from exc
