"""A driven line: parts joined into one polyline with geodesic segment lengths, m, and speeds,
m/s, then profiled along distance with its stops; shared by the GeoJSON and Directions readers.
"""

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pydantic import ValidationError
from pyproj import Geod

from fleetsim.config.errors import ConfigErrors, Where, problems_from_validation
from fleetsim.models import PathProfile, StopSpec

GEOD = Geod(ellps="WGS84")
MIN_SEGMENT_M = 1e-3
"""Shorter segments are repeats of a vertex: dropped so distance strictly increases."""
MAX_VERTICES = 50_000
"""Vertices of one route, inline or from a file: a day's driving at street detail fits."""

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


def polyline(parts: Sequence[Part], where: Where, field: str, *, file: str) -> Polyline:
    """Join parts into one line; a gap between parts is driven straight at the next speed.

    Checks ranges and NaN; drops segments under 1 mm; needs two distinct points.
    """

    def fail(reason: str) -> ConfigErrors:
        return where.error(field, reason, file=file)

    if not parts:
        raise fail("empty geometry: no line to drive")
    vertex_count = sum(len(part.coords) for part in parts)
    if vertex_count > MAX_VERTICES:
        raise fail(f"{vertex_count} vertices, above the limit of {MAX_VERTICES} per route")
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


def at(label: str, text: str, separator: str = ": ") -> str:
    """`text` prefixed by where it was found in the geometry, if anywhere in particular."""
    return f"{label}{separator}{text}" if label else text


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
        raise fail(at(part.label, "a line needs at least two [lon, lat] positions"))
    finite = np.isfinite(coords[:, :3]).all(axis=1)
    if not finite.all():
        raise fail(at(part.label, f"vertex {int(np.argmin(finite))} is not a finite number"))
    for axis, name, limit in ((0, "longitude", 180.0), (1, "latitude", 90.0)):
        outside = np.abs(coords[:, axis]) > limit
        if outside.any():
            index = int(np.argmax(outside))
            reason = f"vertex {index} has {name} {coords[index, axis]} outside ±{limit:g}"
            raise fail(at(part.label, reason))
