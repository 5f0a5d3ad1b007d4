"""GeoJSON routes, a file or an inline object: features read in order, each a part of the
line with its `speed_kph` (else the route's speed) and elevation when every vertex has one.
"""

import math
import numbers
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from pyproj import CRS
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from fleetsim.config.errors import ConfigErrors, Where
from fleetsim.config.files import read_json, safe_path
from fleetsim.config.polyline import Fail, Part, Polyline, at, polyline

MAX_SPEED_KPH = 200.0
_LONLAT = CRS.from_epsg(4326)
_DRIVABLE = ("LineString", "MultiLineString", "Polygon")
_GEOJSON_TYPES = ("Feature", "FeatureCollection", *_DRIVABLE)


def geojson_polyline(
    source: str | dict[str, Any], config_dir: Path, default_speed_mps: float, where: Where
) -> Polyline:
    """The line a GeoJSON file or inline object describes, its parts driven in order."""
    if isinstance(source, str):
        path = safe_path(config_dir, source, where, "geometry")
        file = PurePosixPath(source).as_posix()
        # Checked as GeoJSON first: GDAL would open any format it recognises, VRT included.
        pieces = _geojson_pieces(read_json(path, where, "geometry", file=file), where, file)
        parts = _file_parts(path, pieces, default_speed_mps, where, file)
    else:
        file = where.file
        parts = _inline_parts(source, default_speed_mps, where)
    return polyline(parts, where, "geometry", file=file)


def _geojson_pieces(raw: Any, where: Where, file: str) -> list[tuple[Any, Any, str]]:
    """(geometry, properties, label) of each feature, checking the GeoJSON structure."""

    def fail(reason: str) -> ConfigErrors:
        return where.error("geometry", reason, file=file)

    kind = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or kind not in _GEOJSON_TYPES:
        raise fail(f"GeoJSON type must be one of {', '.join(_GEOJSON_TYPES)}, not {kind!r}")
    if kind == "Feature":
        features: Any = [raw]
    elif kind == "FeatureCollection":
        features = raw.get("features")
        if not isinstance(features, list):
            raise fail("FeatureCollection features must be a list")
    else:
        return [(raw, {}, "")]
    pieces = []
    for index, feature in enumerate(features):
        label = "feature" if kind == "Feature" else f"feature {index}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise fail(f"{label} is not a GeoJSON Feature")
        properties = feature.get("properties")
        if properties is not None and not isinstance(properties, dict):
            raise fail(at(label, "properties must be an object"))
        pieces.append((feature.get("geometry"), properties or {}, label))
    return pieces


def _inline_parts(raw: Any, default_speed_mps: float, where: Where) -> list[Part]:
    def fail(reason: str) -> ConfigErrors:
        return where.error("geometry", reason)

    pieces = _geojson_pieces(raw, where, where.file)
    with_z = _all_positions_have_z([geometry for geometry, _, _ in pieces])
    parts = []
    for geometry, properties, label in pieces:
        if geometry is None:
            raise fail(at(label, "empty geometry"))
        if not isinstance(geometry, dict) or not isinstance(geometry.get("coordinates"), list):
            raise fail(at(label, "geometry needs a type and a coordinates list"))
        if not with_z:
            geometry = {**geometry, "coordinates": _strip_z(geometry["coordinates"])}
        try:
            with np.errstate(invalid="ignore"):  # NaN is reported by _check_coordinates
                shaped = shape(geometry)
        except (ShapelyError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise fail(at(label, f"invalid coordinates ({exc})")) from exc
        speed = _feature_speed_mps(properties.get("speed_kph"), default_speed_mps, label, fail)
        parts.extend(_geometry_parts(shaped, speed, label, fail))
    return parts


def _file_parts(
    path: Path,
    pieces: Sequence[tuple[Any, Any, str]],
    default_speed_mps: float,
    where: Where,
    file: str,
) -> list[Part]:
    # geopandas (and pandas under it) only when a file is read: the API starts without them.
    import geopandas
    import pyogrio.errors

    def fail(reason: str) -> ConfigErrors:
        return where.error("geometry", reason, file=file)

    try:
        frame = geopandas.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise fail(f"cannot read GeoJSON ({str(exc).replace(str(path), file)})") from exc
    if frame.crs is not None and not frame.crs.is_geographic:
        frame = frame.to_crs(_LONLAT)  # a legacy "crs" member in projected metres
    with_z = _all_positions_have_z([geometry for geometry, _, _ in pieces])
    speeds = frame["speed_kph"] if "speed_kph" in frame.columns else [None] * len(frame)
    parts = []
    for index, (geometry, speed_kph) in enumerate(zip(frame.geometry, speeds, strict=True)):
        label = pieces[index][2] if len(pieces) == len(frame) else f"feature {index}"
        if isinstance(speed_kph, float) and math.isnan(speed_kph):
            speed_kph = None  # a feature without the property
        speed = _feature_speed_mps(speed_kph, default_speed_mps, label, fail)
        for part in _geometry_parts(geometry, speed, label, fail):
            coords = part.coords if with_z else part.coords[:, :2]
            parts.append(Part(coords, part.speed_mps, part.label))
    return parts


def _geometry_parts(
    geometry: BaseGeometry | None, speed_mps: float, label: str, fail: Fail
) -> list[Part]:
    if geometry is None or geometry.is_empty:
        raise fail(at(label, "empty geometry"))
    kind = geometry.geom_type
    if kind == "LineString":
        lines = [geometry]
    elif kind == "MultiLineString":
        lines = list(geometry.geoms)
    elif kind == "Polygon":
        lines = [geometry.exterior]  # driven as a closed loop
    else:
        raise fail(at(label, f"a {kind} cannot be driven; use {', '.join(_DRIVABLE)}"))
    parts = []
    for index, line in enumerate(lines):
        coords = np.asarray(line.coords, dtype=np.float64)
        part_label = at(label, f"part {index}", " ") if len(lines) > 1 else label
        parts.append(Part(coords, np.full(max(len(coords) - 1, 0), speed_mps), part_label))
    return parts


def _feature_speed_mps(value: Any, default_speed_mps: float, label: str, fail: Fail) -> float:
    if value is None:
        return default_speed_mps
    valid = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not valid or not 0.0 < float(value) <= MAX_SPEED_KPH:
        raise fail(
            at(label, f"speed_kph must be a number in (0, {MAX_SPEED_KPH:g}], not {value!r}")
        )
    return float(value) / 3.6


def _is_position(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and not isinstance(value[0], list)


def _positions(coordinates: Any) -> list[list[Any]]:
    if _is_position(coordinates):
        return [coordinates]
    if isinstance(coordinates, list):
        return [p for item in coordinates for p in _positions(item)]
    return []


def _all_positions_have_z(geometries: Sequence[Any]) -> bool:
    """True when every position of every geometry has an elevation (GDAL fills gaps with 0)."""
    positions = [
        p
        for geometry in geometries
        if isinstance(geometry, dict)
        for p in _positions(geometry.get("coordinates"))
    ]
    return bool(positions) and all(len(p) >= 3 for p in positions)


def _strip_z(coordinates: Any) -> Any:
    if _is_position(coordinates):
        return coordinates[:2]
    if isinstance(coordinates, list):
        return [_strip_z(item) for item in coordinates]
    return coordinates
