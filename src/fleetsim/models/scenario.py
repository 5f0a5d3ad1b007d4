"""Scenarios: fleet, schedule, horizon, weather and strategy."""

from datetime import date, time
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from fleetsim.models.base import Strict
from fleetsim.models.charger import ALL_WEEKDAYS, Identifier, Weekdays
from fleetsim.models.vehicle import Fraction

Strategy = Literal["greedy", "balanced", "time_of_use"]


class Horizon(Strict):
    """Simulated period: `days` whole days from a timezone-aware `start`."""

    start: AwareDatetime
    days: int = Field(ge=1, le=366)


class Weather(Strict):
    """Ambient temperature, °C: one constant or an hourly profile repeated over the horizon."""

    ambient_c: float | list[Annotated[float, Field(ge=-60.0, le=60.0)]] = 20.0

    @model_validator(mode="after")
    def _in_range(self) -> "Weather":
        values = self.ambient_c if isinstance(self.ambient_c, list) else [self.ambient_c]
        if not values or any(not -60.0 <= v <= 60.0 for v in values):
            raise ValueError("ambient_c must be a number or a non-empty list within [-60, 60]")
        return self


class FleetVehicle(Strict):
    """One vehicle of the fleet: its type, home depot site and starting SoC."""

    id: Identifier
    type: Identifier
    depot: Identifier
    initial_soc: Fraction | None = Field(None, description="defaults to the type's soc_max")


class Trip(Strict):
    """A scheduled departure of one vehicle on one route, repeated on weekdays or dates."""

    vehicle_id: Identifier
    route_id: Identifier
    departure: time = Field(description="local time in the horizon's timezone")
    weekdays: Weekdays = Field(default_factory=lambda: list(ALL_WEEKDAYS))
    dates: list[date] | None = Field(None, description="if given, only these dates")


class Scenario(Strict):
    """A ready-to-run scenario; `schedule_csv` (a path) adds rows to `schedule`."""

    id: Identifier
    name: str = ""
    description: str = ""
    horizon: Horizon
    fleet: list[FleetVehicle] = Field(default_factory=list)
    schedule: list[Trip] = Field(default_factory=list)
    schedule_csv: str | None = None
    default_depot: Identifier | None = Field(None, description="depot of CSV-only vehicles")
    weather: Weather = Weather()
    strategy: Strategy = "greedy"
    step_s: int = Field(300, ge=10, le=3_600)
    time_series_resolution_s: int = Field(300, ge=10, le=86_400)
    max_points: int = Field(200_000, ge=1, le=10_000_000)
