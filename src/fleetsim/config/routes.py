"""Route specs resolved into profiles: a path along distance, or a drive cycle."""

from pathlib import Path

from pydantic import ValidationError

from fleetsim.config.cycle import cycle_distance_m, read_cycle
from fleetsim.config.errors import ConfigErrors, Where, problems_from_validation
from fleetsim.models import RouteProfile, RouteSpec

MAX_LENGTH_KM = 2_000.0
"""Longest route: a long day's drive. Its 1 Hz trace is simulated per vehicle type."""
MAX_DRIVE_S = 86_400.0
"""Longest drive of one trip (moving at the speed limits, plus stops): one day."""


def route_profile(
    spec: RouteSpec, config_dir: Path, *, origin: str = "routes.yaml"
) -> RouteProfile:
    """Resolve a route: read its GeoJSON, Directions response or cycle CSV under `config_dir`.

    `origin` is the file named in errors about inline parts ("routes.yaml" or "request").
    """
    # The geodesy (pyproj) and geometry (shapely) libraries load with the first path route:
    # a server answers before its catalogue is loaded (cold start).
    from fleetsim.config.directions import directions_polyline
    from fleetsim.config.geojson import geojson_polyline
    from fleetsim.config.polyline import path_profile

    where = Where(origin, "route", spec.id)
    default_speed_mps = spec.speed_kph / 3.6
    try:
        if spec.cycle is not None:
            if spec.stops:
                raise where.error("stops", "a cycle route takes its stops from the cycle")
            if spec.location is None:
                raise where.error("location", "a cycle route needs a location")
            cycle = read_cycle(spec.cycle, config_dir, where)
            length_m = cycle_distance_m(cycle)
            if length_m <= 0.0:
                raise where.error("cycle", "the cycle never moves (distance 0)")
            _check_size(length_m, cycle.time_s[-1] - cycle.time_s[0], where, "cycle")
            return RouteProfile(
                id=spec.id,
                name=spec.name,
                start=spec.location,
                end=spec.location,
                length_km=length_m / 1000.0,
                cycle=cycle,
            )
        if spec.geometry is not None:
            line = geojson_polyline(spec.geometry, config_dir, default_speed_mps, where)
        elif spec.directions is not None:
            line = directions_polyline(spec.directions, config_dir, default_speed_mps, where)
        else:
            raise where.error(None, "give exactly one of geometry, directions or cycle")
        dwell_s = (
            spec.stops * spec.stop_dwell_s
            if isinstance(spec.stops, int)
            else sum(stop.dwell_s for stop in spec.stops)
        )
        drive_s = float((line.segment_m / line.speed_mps).sum()) + dwell_s
        _check_size(line.length_m, drive_s, where, "geometry" if spec.geometry else "directions")
        return RouteProfile(
            id=spec.id,
            name=spec.name,
            start=(float(line.lon[0]), float(line.lat[0])),
            end=(float(line.lon[-1]), float(line.lat[-1])),
            length_km=line.length_m / 1000.0,
            path=path_profile(line, spec.stops, spec.stop_dwell_s, where),
        )
    except ValidationError as exc:
        raise ConfigErrors(problems_from_validation(exc, where)) from exc


def _check_size(length_m: float, drive_s: float, where: Where, field: str) -> None:
    """Refuse a route too long to simulate: every trip on it is a 1 Hz trace."""
    if length_m > MAX_LENGTH_KM * 1000.0:
        reason = f"{length_m / 1000:,.0f} km long, above the limit of {MAX_LENGTH_KM:,.0f} km"
        raise where.error(field, reason)
    if drive_s > MAX_DRIVE_S:
        reason = (
            f"a trip takes {drive_s / 3600:,.1f} h to drive, above the limit of "
            f"{MAX_DRIVE_S / 3600:g} h"
        )
        raise where.error(field, reason)
