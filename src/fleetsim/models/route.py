"""Routes as configured (RouteSpec) and as resolved for the physics (RouteProfile)."""

from typing import Annotated, Any

from pydantic import Field, model_validator

from fleetsim.models.base import Strict
from fleetsim.models.charger import Identifier, Latitude, Longitude

LonLat = tuple[Longitude, Latitude]
NonNegative = Annotated[float, Field(ge=0.0)]


class StopSpec(Strict):
    """A stop on a route: the vehicle comes to rest at the point nearest `location`."""

    location: LonLat = Field(description="[longitude, latitude], degrees (WGS 84)")
    dwell_s: float = Field(30.0, ge=0.0, le=86_400.0, description="standing time, seconds")


class RouteSpec(Strict):
    """A route: exactly one of `geometry` (GeoJSON), `directions` or `cycle` (CSV path).

    `geometry` and `directions` are a path relative to the config directory or inline JSON.
    """

    id: Identifier = Field(description="the route's id, as trips name it")
    name: str = Field("", description="a title for people")
    geometry: str | dict[str, Any] | None = Field(
        None, description="a GeoJSON LineString (with elevation as a third coordinate, m) or file"
    )
    directions: str | dict[str, Any] | None = Field(
        None, description="a Mapbox/OSRM Directions response, or its file"
    )
    cycle: str | None = Field(None, description="a drive cycle CSV file (time s, speed)")
    location: LonLat | None = Field(None, description="where a cycle is driven (start = end)")
    speed_kph: float = Field(
        50.0, gt=0.0, le=200.0, description="speed limit, km/h, where the source gives none"
    )
    stops: int | list[StopSpec] = Field(0, description="evenly spaced count, or points")
    stop_dwell_s: float = Field(30.0, ge=0.0, le=86_400.0, description="dwell of counted stops")

    @model_validator(mode="after")
    def _one_source(self) -> "RouteSpec":
        given = [n for n in ("geometry", "directions", "cycle") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of geometry, directions or cycle")
        if self.cycle is not None and self.location is None:
            raise ValueError("a cycle route needs a location")
        if isinstance(self.stops, int) and not 0 <= self.stops <= 10_000:
            raise ValueError("stops must be between 0 and 10000")
        return self


class PathProfile(Strict):
    """A driven path along distance: vertices with elevation, per-segment speed limits, stops."""

    distance_m: list[NonNegative] = Field(min_length=2, description="cumulative, per vertex")
    elevation_m: list[float] | None = Field(None, description="per vertex; None means flat")
    speed_mps: list[Annotated[float, Field(gt=0.0)]] = Field(description="per segment")
    stop_position_m: list[NonNegative] = Field(default_factory=list)
    stop_dwell_s: list[NonNegative] = Field(default_factory=list)


class CycleProfile(Strict):
    """A prescribed drive cycle at a fixed time step."""

    time_s: list[float] = Field(min_length=2)
    speed_mps: list[NonNegative]
    grade: list[float]


class RouteProfile(Strict):
    """A route resolved to pure numbers: what the physics and the fleet model consume."""

    id: Identifier
    name: str = ""
    start: LonLat
    end: LonLat
    length_km: float = Field(gt=0.0)
    path: PathProfile | None = None
    cycle: CycleProfile | None = None
