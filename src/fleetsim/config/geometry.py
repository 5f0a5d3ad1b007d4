"""GeoJSON and Directions API responses turned into a driven path with geodesic distances."""

import itertools
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pydantic import ValidationError
from pyproj import CRS, Geod
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from fleetsim.config.errors import ConfigErrors, Where, problems_from_validation
from fleetsim.config.files import read_json, safe_path
from fleetsim.models import PathProfile, StopSpec

GEOD = Geod(ellps="WGS84")
MAX_SPEED_KPH = 200.0
MIN_SEGMENT_M = 1e-3
"""Shorter segments are repeats of a vertex: dropped so distance strictly increases."""
_LONLAT = CRS.from_epsg(4326)
_DRIVABLE = ("LineString", "MultiLineString", "Polygon")
_GEOJSON_TYPES = ("Feature", "FeatureCollection", *_DRIVABLE)

FloatArray = NDArray[np.float64]
Fail = Callable[[str], ConfigErrors]


@dataclass(frozen=True)
class Part:
    """Consecutive vertices (lon, lat[, z]) driven at a speed per segment, m/s."""

    coords: FloatArray
    speed_mps: FloatArray
    label: str


@dataclass(frozen=True)
class Polyline:
    """A driven line: vertices without repeats and, per segment, geodesic length and speed."""

    lon: FloatArray
    lat: FloatArray
    elevation_m: FloatArray | None
    segment_m: FloatArray
    speed_mps: FloatArray

    @property
    def length_m(self) -> float:
        return float(self.segment_m.sum())


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


def polyline(parts: Sequence[Part], where: Where, field: str, *, file: str) -> Polyline:
    """Join parts into one line; a gap between parts is driven straight at the next speed.

    Checks ranges and NaN; drops segments under 1 mm; needs two distinct points.
    """

    def fail(reason: str) -> ConfigErrors:
        return where.error(field, reason, file=file)

    if not parts:
        raise fail("empty geometry: no line to drive")
    for part in parts:
        _check_coordinates(part, fail)
    with_z = all(p.coords.shape[1] >= 3 for p in parts)
    coords, speeds = [parts[0].coords], [parts[0].speed_mps]
    for previous, part in itertools.pairwise(parts):
        same = np.array_equal(previous.coords[-1, :2], part.coords[0, :2])
        coords.append(part.coords[1:] if same else part.coords)
        speeds.append(part.speed_mps if same else np.r_[part.speed_mps[0], part.speed_mps])
    if not with_z:
        coords = [c[:, :2] for c in coords]
    vertices = np.concatenate(coords)
    speed = np.concatenate(speeds)
    lon, lat = vertices[:, 0], vertices[:, 1]
    segment_m = np.asarray(GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])[2], dtype=np.float64)
    moving = segment_m >= MIN_SEGMENT_M
    if not moving.any():
        raise fail("line has zero length: it needs at least two distinct points")
    bad = moving & ~(np.isfinite(speed) & (speed > 0.0))
    if bad.any():
        index = int(np.argmax(bad))
        raise fail(f"segment {index} has speed {speed[index]} m/s; it must be a positive number")
    keep = np.r_[True, moving]
    return Polyline(
        lon=lon[keep],
        lat=lat[keep],
        elevation_m=vertices[keep, 2] if with_z else None,
        segment_m=segment_m[moving],
        speed_mps=speed[moving],
    )


def path_profile(
    line: Polyline, stops: int | Sequence[StopSpec], stop_dwell_s: float, where: Where
) -> PathProfile:
    """Cumulative distance per vertex, speeds per segment and stops as positions along."""
    distance_m = np.r_[0.0, np.cumsum(line.segment_m)]
    length_m = float(distance_m[-1])
    if isinstance(stops, int):
        positions = length_m * np.arange(1, stops + 1) / (stops + 1)
        dwells = np.full(stops, stop_dwell_s)
    elif stops:
        positions = _snap([s.location for s in stops], line, distance_m)
        dwells = np.array([s.dwell_s for s in stops])
        order = np.argsort(positions, kind="stable")
        positions, dwells = positions[order], dwells[order]
    else:
        positions = dwells = np.zeros(0)
    try:
        return PathProfile(
            distance_m=distance_m.tolist(),
            elevation_m=None if line.elevation_m is None else line.elevation_m.tolist(),
            speed_mps=line.speed_mps.tolist(),
            stop_position_m=np.clip(positions, 0.0, length_m).tolist(),
            stop_dwell_s=dwells.tolist(),
        )
    except ValidationError as exc:
        raise ConfigErrors(problems_from_validation(exc, where, "path")) from exc


def _snap(
    locations: Sequence[tuple[float, float]], line: Polyline, distance_m: FloatArray
) -> FloatArray:
    """Distance along the line, m, of the point nearest each lon/lat (planar in degrees)."""
    lonlat = np.column_stack([line.lon, line.lat])
    along_deg = shapely.line_locate_point(shapely.linestrings(lonlat), shapely.points(locations))
    planar = np.r_[0.0, np.cumsum(np.hypot(np.diff(line.lon), np.diff(line.lat)))]
    return np.asarray(np.interp(along_deg, planar, distance_m), dtype=np.float64)


def _check_coordinates(part: Part, fail: Fail) -> None:
    coords = part.coords
    if coords.ndim != 2 or coords.shape[0] < 2 or coords.shape[1] < 2:
        raise fail(_at(part.label, "a line needs at least two [lon, lat] positions"))
    finite = np.isfinite(coords[:, :3]).all(axis=1)
    if not finite.all():
        raise fail(_at(part.label, f"vertex {int(np.argmin(finite))} is not a finite number"))
    for axis, name, limit in ((0, "longitude", 180.0), (1, "latitude", 90.0)):
        outside = np.abs(coords[:, axis]) > limit
        if outside.any():
            index = int(np.argmax(outside))
            reason = f"vertex {index} has {name} {coords[index, axis]} outside ±{limit:g}"
            raise fail(_at(part.label, reason))


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
            raise fail(_at(label, "properties must be an object"))
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
            raise fail(_at(label, "empty geometry"))
        if not isinstance(geometry, dict) or not isinstance(geometry.get("coordinates"), list):
            raise fail(_at(label, "geometry needs a type and a coordinates list"))
        if not with_z:
            geometry = {**geometry, "coordinates": _strip_z(geometry["coordinates"])}
        try:
            with np.errstate(invalid="ignore"):  # NaN is reported by _check_coordinates
                shaped = shape(geometry)
        except (ShapelyError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise fail(_at(label, f"invalid coordinates ({exc})")) from exc
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
        raise fail(_at(label, "empty geometry"))
    kind = geometry.geom_type
    if kind == "LineString":
        lines = [geometry]
    elif kind == "MultiLineString":
        lines = list(geometry.geoms)
    elif kind == "Polygon":
        lines = [geometry.exterior]  # driven as a closed loop
    else:
        raise fail(_at(label, f"a {kind} cannot be driven; use {', '.join(_DRIVABLE)}"))
    parts = []
    for index, line in enumerate(lines):
        coords = np.asarray(line.coords, dtype=np.float64)
        part_label = _at(label, f"part {index}", " ") if len(lines) > 1 else label
        parts.append(Part(coords, np.full(max(len(coords) - 1, 0), speed_mps), part_label))
    return parts


def _feature_speed_mps(value: Any, default_speed_mps: float, label: str, fail: Fail) -> float:
    if value is None:
        return default_speed_mps
    valid = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not valid or not 0.0 < float(value) <= MAX_SPEED_KPH:
        raise fail(
            _at(label, f"speed_kph must be a number in (0, {MAX_SPEED_KPH:g}], not {value!r}")
        )
    return float(value) / 3.6


def _at(label: str, text: str, separator: str = ": ") -> str:
    """`text` prefixed by where it was found in the geometry, if anywhere in particular."""
    return f"{label}{separator}{text}" if label else text


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


def _coordinates_array(coordinates: Any, label: str, fail: Fail) -> FloatArray:
    valid = isinstance(coordinates, list) and all(
        isinstance(p, list)
        and len(p) >= 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in p[:2])
        for p in coordinates
    )
    if not valid:
        raise fail(_at(label, "coordinates must be a list of [lon, lat] numbers"))
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
            raise fail(_at(label, "distance and duration differ in length"))
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
