"""Mapbox/OSRM Directions responses: the first route's geometry (GeoJSON LineString or
encoded polyline, precision 5 or 6) with per-segment speeds, m/s, from its leg annotations.
"""

import math
import numbers
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from fleetsim.config.errors import ConfigErrors, Where
from fleetsim.config.files import read_json, safe_path
from fleetsim.config.polyline import GEOD, Fail, FloatArray, Part, Polyline, at, polyline


def directions_polyline(
    source: str | dict[str, Any], config_dir: Path, default_speed_mps: float, where: Where
) -> Polyline:
    """The first route of a Mapbox/OSRM Directions response, with its annotated speeds."""
    if isinstance(source, str):
        path = safe_path(config_dir, source, where, "directions")
        file = PurePosixPath(source).as_posix()
        raw = read_json(path, where, "directions", file=file)
    else:
        file, raw = where.file, source

    def fail(reason: str) -> ConfigErrors:
        return where.error("directions", reason, file=file)

    if not isinstance(raw, dict):
        raise fail("a Directions response must be a JSON object")
    if raw.get("code", "Ok") != "Ok":
        raise fail(f"response code {raw.get('code')!r}: {raw.get('message', '')}".rstrip(": "))
    routes = raw.get("routes")
    if not isinstance(routes, list) or not routes or not isinstance(routes[0], dict):
        raise fail("routes must be a non-empty list of route objects")
    route = routes[0]
    geometry = route.get("geometry")
    if isinstance(geometry, str):
        coords = _decode_polyline(geometry, route.get("distance"), fail)
    elif isinstance(geometry, dict) and geometry.get("type") == "LineString":
        coords = _coordinates_array(geometry.get("coordinates"), "routes[0].geometry", fail)
    else:
        raise fail("routes[0].geometry must be a GeoJSON LineString or an encoded polyline")
    segments = max(len(coords) - 1, 0)
    speeds = _annotation_speeds(route.get("legs"), segments, fail)
    if speeds is None:
        speeds = np.full(segments, default_speed_mps)
    part = Part(coords, speeds, "routes[0].geometry")
    return polyline([part], where, "directions", file=file)


def _coordinates_array(coordinates: Any, label: str, fail: Fail) -> FloatArray:
    valid = isinstance(coordinates, list) and all(
        isinstance(p, list)
        and len(p) >= 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in p[:2])
        for p in coordinates
    )
    if not valid:
        raise fail(at(label, "coordinates must be a list of [lon, lat] numbers"))
    return np.array([p[:2] for p in coordinates], dtype=np.float64).reshape(-1, 2)


def _decode_polyline(text: str, route_distance_m: Any, fail: Fail) -> FloatArray:
    """Decode an encoded polyline, choosing precision 5 or 6 by range and reported distance."""
    values: list[int] = []
    result = shift = 0
    for char in text:
        byte = ord(char) - 63
        if not 0 <= byte < 64:
            raise fail(f"routes[0].geometry: invalid polyline character {char!r}")
        result |= (byte & 0x1F) << shift
        shift += 5
        if byte < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            result = shift = 0
    if shift or len(values) % 2 or len(values) < 4:
        raise fail("routes[0].geometry: truncated polyline or fewer than two points")
    latlon = np.cumsum(np.array(values, dtype=np.int64).reshape(-1, 2), axis=0)
    candidates = []
    for precision in (5, 6):
        lonlat = latlon[:, ::-1] / 10.0**precision
        if (np.abs(lonlat[:, 0]) <= 180).all() and (np.abs(lonlat[:, 1]) <= 90).all():
            candidates.append(lonlat)
    if not candidates:
        raise fail("routes[0].geometry: polyline decodes outside lon/lat ranges")
    if len(candidates) == 2 and isinstance(route_distance_m, numbers.Real):

        def mismatch(lonlat: FloatArray) -> float:
            lon, lat = lonlat[:, 0], lonlat[:, 1]
            length = float(np.sum(GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])[2]))
            return abs(length - float(route_distance_m))

        return min(candidates, key=mismatch)
    return candidates[0]


def _annotation_speeds(legs: Any, segments: int, fail: Fail) -> FloatArray | None:
    """Per-segment speeds, m/s, from leg annotations (speed, else distance / duration)."""
    if legs is None:
        return None
    if not isinstance(legs, list) or not all(isinstance(leg, dict) for leg in legs):
        raise fail("routes[0].legs must be a list of objects")
    annotations = [leg.get("annotation") for leg in legs]

    def has_speed(annotation: Any) -> bool:
        return isinstance(annotation, dict) and (
            "speed" in annotation or {"distance", "duration"} <= annotation.keys()
        )

    annotated = [has_speed(a) for a in annotations]
    if not any(annotated):
        return None
    if not all(annotated):
        raise fail("annotation speeds are given for some legs only")
    speeds: list[FloatArray] = []
    for index, annotation in enumerate(annotations):
        label = f"routes[0].legs[{index}].annotation"
        if "speed" in annotation:
            speeds.append(_numbers(annotation["speed"], f"{label}.speed", fail))
            continue
        distance = _numbers(annotation["distance"], f"{label}.distance", fail)
        duration = _numbers(annotation["duration"], f"{label}.duration", fail)
        if len(distance) != len(duration):
            raise fail(at(label, "distance and duration differ in length"))
        with np.errstate(divide="ignore", invalid="ignore"):
            speeds.append(distance / duration)
    speed = np.concatenate(speeds) if speeds else np.zeros(0)
    if len(speed) != segments:
        raise fail(
            f"annotations cover {len(speed)} segments but the geometry has {segments}; "
            "request the full overview geometry"
        )
    return speed


def _numbers(values: Any, label: str, fail: Fail) -> FloatArray:
    valid = isinstance(values, list) and all(
        v is None or (isinstance(v, numbers.Real) and not isinstance(v, bool)) for v in values
    )
    if not valid:
        raise fail(f"{label} must be a list of numbers")
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)
