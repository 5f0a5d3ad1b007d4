"""GeoJSON routes, inline and from files: features and their speeds, polygons, elevation,
projected coordinates and errors located at the feature."""

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod

from fleetsim.config import ConfigErrors, route_profile
from fleetsim.models import RouteProfile, RouteSpec

WGS84_A = 6_378_137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
GEOD = Geod(ellps="WGS84")
INLINE = Path("unused")  # inline geometry never touches the config directory


def _profile(geometry: Any, config_dir: Path = INLINE, **spec: Any) -> RouteProfile:
    return route_profile(RouteSpec(id="r", geometry=geometry, **spec), config_dir)


def _line(coordinates: list[list[float]]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": coordinates}


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _geodesic_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def _meridian_arc_m(lat_deg: float, step_deg: float) -> float:
    """Meridional radius of curvature at the midpoint times the angle (hand formula)."""
    phi = math.radians(lat_deg + step_deg / 2)
    radius = WGS84_A * (1 - WGS84_E2) / (1 - WGS84_E2 * math.sin(phi) ** 2) ** 1.5
    return radius * math.radians(step_deg)


def _path(profile: RouteProfile) -> Any:
    assert profile.path is not None
    return profile.path


def test_elevation_missing_on_one_vertex_means_flat_inline_and_in_a_file(tmp_path: Path) -> None:
    mixed = _line([[10.0, 50.0, 100.0], [10.01, 50.0], [10.02, 50.0, 120.0]])
    (tmp_path / "mixed.geojson").write_text(json.dumps(mixed))

    inline = _profile(mixed)
    from_file = _profile("mixed.geojson", tmp_path)

    assert _path(inline).elevation_m is None
    assert _path(from_file).elevation_m is None
    assert inline.length_km == pytest.approx(from_file.length_km)


def test_polygon_exterior_is_a_closed_loop_as_long_as_its_perimeter() -> None:
    ring = [[0.0, 0.0], [0.01, 0.0], [0.01, 0.01], [0.0, 0.01], [0.0, 0.0]]
    hole = [[0.004, 0.004], [0.006, 0.004], [0.006, 0.006], [0.004, 0.004]]

    profile = _profile({"type": "Polygon", "coordinates": [ring, hole]})

    perimeter = sum(_geodesic_m(*a, *b) for a, b in itertools.pairwise(ring))
    hand = 2 * WGS84_A * math.radians(0.01) + 2 * _meridian_arc_m(0.0, 0.01)
    assert profile.start == profile.end == (0.0, 0.0)
    assert profile.length_km * 1000 == pytest.approx(perimeter)
    assert profile.length_km * 1000 == pytest.approx(hand, abs=0.01)


def test_feature_collection_sets_speed_per_feature_else_route_speed() -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            _feature(_line([[0.0, 0.0], [0.01, 0.0], [0.02, 0.0]]), speed_kph=72),
            _feature(_line([[0.02, 0.0], [0.03, 0.0]])),
        ],
    }

    path = _path(_profile(collection, speed_kph=36))

    assert path.speed_mps == [20.0, 20.0, 10.0]


def test_single_feature_speed_applies_to_all_its_segments() -> None:
    path = _path(_profile(_feature(_line([[0.0, 0.0], [0.01, 0.0], [0.02, 0.0]]), speed_kph=18)))

    assert path.speed_mps == [5.0, 5.0]


def test_geojson_file_is_read_with_feature_speeds_and_elevation(tmp_path: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            _feature(_line([[11.5, 48.1, 500.0], [11.51, 48.1, 505.0]]), speed_kph=30),
            _feature(_line([[11.51, 48.1, 505.0], [11.51, 48.11, 510.0]])),
        ],
    }
    (tmp_path / "routes").mkdir()
    (tmp_path / "routes" / "r.geojson").write_text(json.dumps(collection))

    from_file = _profile("routes/r.geojson", tmp_path, speed_kph=60)
    inline = _profile(collection, speed_kph=60)

    assert _path(from_file).speed_mps == pytest.approx([30 / 3.6, 60 / 3.6])
    assert _path(from_file).elevation_m == [500.0, 505.0, 510.0]
    assert from_file == inline


def test_geojson_file_in_a_projected_crs_is_reprojected_to_lon_lat(tmp_path: Path) -> None:
    x, y = 1_280_000.0, 6_130_000.0  # web mercator metres near Munich
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        "features": [_feature(_line([[x, y], [x + 1000.0, y]]))],
    }
    (tmp_path / "m.geojson").write_text(json.dumps(document))

    profile = _profile("m.geojson", tmp_path)

    lon = math.degrees(x / WGS84_A)
    lat = math.degrees(2 * math.atan(math.exp(y / WGS84_A)) - math.pi / 2)
    assert profile.start == pytest.approx((lon, lat))
    phi = math.radians(lat)
    along_parallel_m = 1000 * math.cos(phi) / math.sqrt(1 - WGS84_E2 * math.sin(phi) ** 2)
    assert profile.length_km * 1000 == pytest.approx(along_parallel_m, rel=1e-6)


def test_feature_speed_outside_range_names_the_feature() -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            _feature(_line([[0.0, 0.0], [0.01, 0.0]])),
            _feature(_line([[0.01, 0.0], [0.02, 0.0]]), speed_kph=0),
        ],
    }

    with pytest.raises(ConfigErrors) as caught:
        _profile(collection)

    assert str(caught.value) == (
        "routes.yaml: route 'r' field 'geometry': feature 1: speed_kph must be a number "
        "in (0, 200], not 0"
    )


def test_feature_without_geometry_is_refused() -> None:
    with pytest.raises(ConfigErrors, match="feature 0: empty geometry"):
        _profile({"type": "FeatureCollection", "features": [_feature(None)]})  # type: ignore[arg-type]


def test_inline_request_geometry_is_reported_against_the_request() -> None:
    spec = RouteSpec(id="r", geometry=_line([[0.0, 0.0], [0.0, 91.0]]))

    with pytest.raises(ConfigErrors) as caught:
        route_profile(spec, INLINE, origin="request")

    assert str(caught.value).startswith("request: route 'r' field 'geometry': vertex 1")
