"""Corrections to the generated OpenAPI document, so it describes what the API does."""

from typing import Any

from fastapi import FastAPI

LOCAL_TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$"


def describe_local_times(node: Any) -> None:
    """Replace `format: time` with a pattern, in place.

    Pydantic labels `datetime.time` fields `format: time`, which JSON Schema reads as RFC 3339
    with a mandatory offset; schedule and tariff times are local (`"05:30:00"`).
    """
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            del node["format"]
            node["pattern"] = LOCAL_TIME_PATTERN
        for value in node.values():
            describe_local_times(value)
    elif isinstance(node, list):
        for value in node:
            describe_local_times(value)


def install_openapi_corrections(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI builds it once and caches it
        describe_local_times(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
