"""Driven lines along distance: geodesic lengths, elevation, joined parts, repeated vertices,
stops and coordinate ranges, whichever reader the line came from (GeoJSON here)."""

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
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


@pytest.mark.parametrize("latitude", [0.0, 45.0])
def test_latitude_step_matches_the_meridian_arc(latitude: float) -> None:
    profile = _profile(_line([[11.0, latitude], [11.0, latitude + 0.01]]))

    assert profile.length_km * 1000 == pytest.approx(_meridian_arc_m(latitude, 0.01), abs=0.01)


def test_hundredth_of_a_degree_of_latitude_at_the_equator_is_1105_7_m() -> None:
    profile = _profile(_line([[0.0, 0.0], [0.0, 0.01]]))

    assert profile.length_km * 1000 == pytest.approx(1105.74, abs=0.01)


def test_hundredth_of_a_degree_of_longitude_on_the_equator_is_1113_2_m() -> None:
    profile = _profile(_line([[0.0, 0.0], [0.01, 0.0]]))

    assert profile.length_km * 1000 == pytest.approx(WGS84_A * math.radians(0.01), abs=1e-3)
    assert profile.length_km * 1000 == pytest.approx(1113.19, abs=0.01)


def test_linestring_with_z_gives_elevation_per_vertex_and_route_speed() -> None:
    profile = _profile(
        _line([[10.0, 50.0, 100.0], [10.01, 50.0, 110.0], [10.02, 50.01, 125.0]]), speed_kph=36
    )

    path = _path(profile)
    assert path.elevation_m == [100.0, 110.0, 125.0]
    assert path.speed_mps == [10.0, 10.0]
    assert path.distance_m[0] == 0.0
    assert path.distance_m[1] == pytest.approx(_geodesic_m(10.0, 50.0, 10.01, 50.0))
    assert profile.start == (10.0, 50.0)
    assert profile.end == (10.02, 50.01)
    assert profile.length_km == pytest.approx(path.distance_m[-1] / 1000)


def test_linestring_without_z_is_flat() -> None:
    assert _path(_profile(_line([[10.0, 50.0], [10.01, 50.0]]))).elevation_m is None


def test_multilinestring_parts_are_driven_in_order_sharing_their_joint() -> None:
    profile = _profile(
        {
            "type": "MultiLineString",
            "coordinates": [[[0.0, 0.0], [0.01, 0.0]], [[0.01, 0.0], [0.01, 0.01]]],
        }
    )

    path = _path(profile)
    assert len(path.distance_m) == 3
    expected = _geodesic_m(0, 0, 0.01, 0) + _geodesic_m(0.01, 0, 0.01, 0.01)
    assert profile.length_km * 1000 == pytest.approx(expected)
    assert profile.end == (0.01, 0.01)


def test_gap_between_multilinestring_parts_is_driven_straight() -> None:
    profile = _profile(
        {
            "type": "MultiLineString",
            "coordinates": [[[0.0, 0.0], [0.01, 0.0]], [[0.02, 0.0], [0.03, 0.0]]],
        }
    )

    assert len(_path(profile).distance_m) == 4
    assert profile.length_km * 1000 == pytest.approx(_geodesic_m(0, 0, 0.03, 0))


def test_repeated_vertices_are_dropped_with_their_segments() -> None:
    path = _path(_profile(_line([[0.0, 0.0], [0.0, 0.0], [0.01, 0.0], [0.01, 0.0]])))

    assert len(path.distance_m) == 2
    assert len(path.speed_mps) == 1


def test_counted_stops_are_evenly_spaced_excluding_start_and_end() -> None:
    path = _path(_profile(_line([[0.0, 0.0], [0.03, 0.0]]), stops=2, stop_dwell_s=45))

    length = path.distance_m[-1]
    assert path.stop_position_m == pytest.approx([length / 3, 2 * length / 3])
    assert path.stop_dwell_s == [45.0, 45.0]


def test_stop_points_snap_to_the_nearest_position_along_the_route_in_order() -> None:
    stops = [
        {"location": (0.02, 0.001), "dwell_s": 10},
        {"location": (0.01, -0.001), "dwell_s": 20},
        {"location": (0.05, 0.0), "dwell_s": 5},
    ]

    path = _path(_profile(_line([[0.0, 0.0], [0.015, 0.0], [0.03, 0.0]]), stops=stops))

    one = WGS84_A * math.radians(0.01)
    assert path.stop_position_m == pytest.approx([one, 2 * one, 3 * one], abs=0.01)
    assert path.stop_dwell_s == [20.0, 10.0, 5.0]


finite_lon = st.floats(-180, 180, allow_nan=False)
finite_lat = st.floats(-89.9, 89.9, allow_nan=False)
offset = st.floats(-0.2, 0.2, allow_nan=False)
# Anywhere on the globe, but within a route's length and drive-time limits (routes.py).
vertices = st.builds(
    lambda lon, lat, offsets: [(lon + dx, lat + dy) for dx, dy in offsets],
    st.floats(-179.7, 179.7, allow_nan=False),
    st.floats(-89.6, 89.6, allow_nan=False),
    st.lists(st.tuples(offset, offset), min_size=2, max_size=12),
)


@settings(max_examples=60, deadline=None)
@given(points=vertices)
def test_any_valid_linestring_resolves_to_its_geodesic_length(
    points: list[tuple[float, float]],
) -> None:
    pairs = list(itertools.pairwise(points))
    expected = sum(_geodesic_m(*a, *b) for a, b in pairs)
    assume(expected > 0.1)

    profile = _profile(_line([list(p) for p in points]))

    path = _path(profile)
    assert profile.length_km > 0
    # segments under 1 mm are dropped as repeated vertices
    assert profile.length_km * 1000 == pytest.approx(expected, rel=1e-9, abs=1e-3 * len(pairs))
    assert all(b > a for a, b in zip(path.distance_m, path.distance_m[1:], strict=False))
    assert len(path.speed_mps) == len(path.distance_m) - 1


outside_lon = st.one_of(
    st.floats(min_value=180, exclude_min=True, allow_infinity=False),
    st.floats(max_value=-180, exclude_max=True, allow_infinity=False),
)
outside_lat = st.one_of(
    st.floats(min_value=90, exclude_min=True, allow_infinity=False),
    st.floats(max_value=-90, exclude_max=True, allow_infinity=False),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points=vertices, bad=outside_lon, data=st.data())
def test_any_longitude_outside_range_is_refused_naming_the_field(
    points: list[tuple[float, float]], bad: float, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(points) - 1))
    coordinates = [list(p) for p in points]
    coordinates[index][0] = bad

    with pytest.raises(ConfigErrors) as caught:
        _profile(_line(coordinates))

    [problem] = caught.value.problems
    assert (problem.file, problem.entry, problem.field) == ("routes.yaml", "r", "geometry")
    assert f"vertex {index} has longitude" in problem.reason


@settings(max_examples=40, deadline=None)
@given(points=vertices, bad=outside_lat, data=st.data())
def test_any_latitude_outside_range_is_refused_naming_the_field(
    points: list[tuple[float, float]], bad: float, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(points) - 1))
    coordinates = [list(p) for p in points]
    coordinates[index][1] = bad

    with pytest.raises(ConfigErrors) as caught:
        _profile(_line(coordinates))

    [problem] = caught.value.problems
    assert problem.field == "geometry"
    assert f"vertex {index} has latitude" in problem.reason
