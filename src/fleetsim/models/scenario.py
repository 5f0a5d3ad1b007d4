"""Scenarios (fleet, schedule, horizon, weather, strategy) and the simulation request."""

from datetime import date, time
from typing import Annotated, Literal
from uuid import UUID, uuid5

from pydantic import AwareDatetime, Field, model_validator

from fleetsim.models.base import Strict
from fleetsim.models.charger import (
    ALL_WEEKDAYS,
    ChargerSpec,
    Identifier,
    SiteSpec,
    Tariff,
    Weekday,
)
from fleetsim.models.route import RouteSpec
from fleetsim.models.vehicle import Fraction, VehicleSpec

Strategy = Literal["greedy", "balanced", "time_of_use"]
FLEET_NAMESPACE = UUID("6f1c2a52-4a3e-5b8e-9d7a-2f0e8c1d4b90")
"""uuid5 namespace for the fleet id of a scenario when a request gives none."""


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
    weekdays: list[Weekday] = Field(default_factory=lambda: list(ALL_WEEKDAYS), min_length=1)
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


class SimulationRequest(Strict):
    """What every door accepts: a scenario by name, optionally overridden or extended inline.

    Inline vehicles, chargers, sites, tariffs and routes replace catalogue entries of the
    same id and add new ones; the other top-level fields replace the scenario's own.
    """

    scenario: Identifier = "default"
    fleet_id: UUID | None = None
    horizon: Horizon | None = None
    fleet: list[FleetVehicle] | None = None
    schedule: list[Trip] | None = None
    weather: Weather | None = None
    strategy: Strategy | None = None
    step_s: int | None = Field(None, ge=10, le=3_600)
    time_series_resolution_s: int | None = Field(None, ge=10, le=86_400)
    max_points: int | None = Field(None, ge=1, le=10_000_000)
    vehicles: list[VehicleSpec] = Field(default_factory=list)
    chargers: list[ChargerSpec] = Field(default_factory=list)
    sites: list[SiteSpec] = Field(default_factory=list)
    tariffs: list[Tariff] = Field(default_factory=list)
    routes: list[RouteSpec] = Field(default_factory=list)

    @property
    def effective_fleet_id(self) -> UUID:
        """The request's fleet id, else a stable id derived from the scenario name."""
        return self.fleet_id or uuid5(FLEET_NAMESPACE, f"scenario:{self.scenario}")
