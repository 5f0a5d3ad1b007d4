"""Mapbox/OSRM Directions responses resolved into paths with per-segment speeds."""

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod

from fleetsim.config import ConfigErrors, route_profile
from fleetsim.models import RouteProfile, RouteSpec

INLINE = Path("unused")
COORDS = [[11.50, 48.10], [11.51, 48.10], [11.52, 48.10], [11.52, 48.11]]
GOOGLE_EXAMPLE = (
    "_p~iF~ps|U_ulLnnqC_mqNvxq`@"  # (38.5, -120.2), (40.7, -120.95), (43.252, -126.453)
)
GOOGLE_POINTS = [(-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252)]


def _response(geometry: Any = None, legs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    route: dict[str, Any] = {
        "geometry": geometry or {"type": "LineString", "coordinates": COORDS},
        "distance": 2300.0,
        "duration": 180.0,
    }
    if legs is not None:
        route["legs"] = legs
    return {"code": "Ok", "routes": [route], "waypoints": []}


def _profile(response: Any, config_dir: Path = INLINE, **spec: Any) -> RouteProfile:
    return route_profile(RouteSpec(id="d", directions=response, **spec), config_dir)


def _encode(points: list[tuple[float, float]], precision: int) -> str:
    """Reference polyline encoder (lat, lon order) for the decoder under test."""
    out, previous = [], (0, 0)
    for lon, lat in points:
        current = (round(lat * 10**precision), round(lon * 10**precision))
        for value in (current[0] - previous[0], current[1] - previous[1]):
            value = ~(value << 1) if value < 0 else value << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        previous = current
    return "".join(out)


def test_annotation_speeds_become_per_segment_speeds_across_legs() -> None:
    legs = [
        {"annotation": {"speed": [8.0, 12.5], "distance": [740.0, 740.0]}},
        {"annotation": {"speed": [5.0]}},
    ]

    path = _profile(_response(legs=legs)).path

    assert path is not None
    assert path.speed_mps == [8.0, 12.5, 5.0]


def test_speed_is_distance_over_duration_when_speed_is_missing() -> None:
    legs = [{"annotation": {"distance": [740.0, 740.0, 1110.0], "duration": [74.0, 37.0, 111.0]}}]

    path = _profile(_response(legs=legs)).path

    assert path is not None
    assert path.speed_mps == [10.0, 20.0, 10.0]


def test_without_annotations_the_route_speed_applies() -> None:
    path = _profile(_response(legs=[{"summary": "A9"}]), speed_kph=54).path

    assert path is not None
    assert path.speed_mps == pytest.approx([15.0, 15.0, 15.0])


def test_directions_length_is_geodesic_not_the_reported_distance() -> None:
    profile = _profile(_response())

    geod = Geod(ellps="WGS84")
    expected = sum(geod.inv(*a, *b)[2] for a, b in itertools.pairwise(COORDS))
    assert profile.length_km * 1000 == pytest.approx(expected)
    assert profile.start == (11.50, 48.10)
    assert profile.end == (11.52, 48.11)


def test_directions_file_is_read_from_the_config_dir(tmp_path: Path) -> None:
    legs = [{"annotation": {"speed": [8.0, 9.0, 10.0]}}]
    (tmp_path / "directions").mkdir()
    (tmp_path / "directions" / "a.json").write_text(json.dumps(_response(legs=legs)))

    from_file = _profile("directions/a.json", tmp_path)

    assert from_file == _profile(_response(legs=legs))


@pytest.mark.parametrize("precision", [5, 6])
def test_encoded_polyline_decodes_at_precision_5_or_6(precision: int) -> None:
    encoded = _encode(GOOGLE_POINTS, precision)
    if precision == 5:
        assert encoded == GOOGLE_EXAMPLE

    response = _response(geometry=encoded)
    del response["routes"][0]["distance"]

    profile = _profile(response)

    assert profile.start == pytest.approx(GOOGLE_POINTS[0])
    assert profile.end == pytest.approx(GOOGLE_POINTS[-1])


def test_ambiguous_polyline_precision_follows_the_reported_distance() -> None:
    points = [(0.5, 0.5), (0.52, 0.5), (0.52, 0.53)]  # in range at precision 5 and 6
    geod = Geod(ellps="WGS84")
    true_m = sum(geod.inv(*a, *b)[2] for a, b in itertools.pairwise(points))
    response = _response(geometry=_encode(points, 6))
    response["routes"][0]["distance"] = true_m

    profile = _profile(response)

    assert profile.end == pytest.approx(points[-1])


def test_annotation_not_covering_every_segment_is_refused() -> None:
    legs = [{"annotation": {"speed": [8.0, 9.0]}}]

    with pytest.raises(ConfigErrors) as caught:
        _profile(_response(legs=legs))

    assert str(caught.value).startswith(
        "routes.yaml: route 'd' field 'directions': annotations cover 2 segments but the "
        "geometry has 3"
    )


def test_zero_speed_on_a_moving_segment_is_refused() -> None:
    legs = [{"annotation": {"speed": [8.0, 0.0, 9.0]}}]

    with pytest.raises(ConfigErrors, match=r"segment 1 has speed 0\.0 m/s"):
        _profile(_response(legs=legs))


def test_error_response_is_refused_with_its_code() -> None:
    with pytest.raises(ConfigErrors, match="response code 'NoRoute': Impossible route"):
        _profile({"code": "NoRoute", "message": "Impossible route", "routes": []})


def test_response_without_routes_is_refused() -> None:
    with pytest.raises(ConfigErrors, match="routes must be a non-empty list"):
        _profile({"code": "Ok", "routes": []})
