"""Scenarios: fleet, schedule, charging sessions, horizon, weather and strategy."""

from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, field_validator, model_validator

from fleetsim.models.base import Strict
from fleetsim.models.charger import ALL_WEEKDAYS, Identifier, Weekdays
from fleetsim.models.vehicle import Fraction, VehicleSpec

Strategy = Literal["greedy", "balanced", "time_of_use", "edf", "llf", "uncontrolled", "optimal"]
"""How plugged vehicles charge; see `fleetsim.simulation.strategies` for each rule and
`fleetsim.simulation.optimal` for the planned one."""
OptimalObjective = Literal["cost", "peak"]
"""What `optimal` minimises: the bill (energy and demand charge), or each site's peak kW."""


class Horizon(Strict):
    """Simulated period: `days` whole days (of 24 h) from a timezone-aware `start`, in local
    time of `start`'s offset or, with `timezone`, of that zone with its DST changes."""

    start: AwareDatetime = Field(description="first instant, ISO 8601 with a UTC offset")
    days: int = Field(ge=1, le=366, description="whole days simulated from start")
    timezone: str | None = Field(
        None,
        max_length=64,
        description="IANA time zone (e.g. Europe/Berlin) whose local time, daylight-saving "
        "changes included, schedules, tariff windows, demand-charge months and result times "
        "follow; default: the fixed UTC offset of start",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            reason = f"unknown time zone {name!r} (an IANA name like Europe/Berlin)"
            raise ValueError(reason) from None
        return name


class Weather(Strict):
    """Ambient temperature, °C: one constant, an hourly profile repeated over the horizon, or
    a typical year from a CSV file read by local calendar hour."""

    ambient_c: float | list[Annotated[float, Field(ge=-60.0, le=60.0)]] = Field(
        20.0,
        description="outside air, °C: a constant, or hour i after the start (repeated)",
    )
    year_csv: str | None = Field(
        None,
        max_length=256,
        description="a CSV under the config directory (e.g. weather/munich_typical_year.csv) "
        "with header month,day,hour,ambient_c and the 8,760 hours of a year in local time; "
        "each hour of the horizon reads its local calendar hour (29 Feb as 28 Feb). Replaces "
        "ambient_c when the request is resolved",
    )

    @model_validator(mode="after")
    def _in_range(self) -> "Weather":
        values = self.ambient_c if isinstance(self.ambient_c, list) else [self.ambient_c]
        if not values or any(not -60.0 <= v <= 60.0 for v in values):
            raise ValueError("ambient_c must be a number or a non-empty list within [-60, 60]")
        return self


class FleetVehicle(Strict):
    """One vehicle of the fleet: its type, home depot site, starting SoC and charge target."""

    id: Identifier = Field(description="the vehicle's id, unique in the fleet")
    type: Identifier = Field(description="its vehicle type (GET /v1/config/vehicles)")
    depot: Identifier = Field(description="its home site (GET /v1/config/sites)")
    initial_soc: Fraction | None = Field(
        None, description="state of charge at the start, 0-1; defaults to its target_soc"
    )
    target_soc: Fraction | None = Field(
        None,
        description="state of charge its charging stops at, 0-1; defaults to the type's soc_max",
    )


class Trip(Strict):
    """A scheduled departure of one vehicle on one route, repeated on weekdays or dates."""

    vehicle_id: Identifier = Field(description="the fleet vehicle that drives it")
    route_id: Identifier = Field(description="the route it drives (GET /v1/config/routes)")
    departure: time = Field(description="local time in the horizon's timezone")
    weekdays: Weekdays = Field(default_factory=lambda: list(ALL_WEEKDAYS))
    dates: list[date] | None = Field(None, description="if given, only these dates")


class ChargingSession(Strict):
    """A vehicle at a charger from `arrival` to `departure`, asking for `energy_kwh` or to reach
    `target_soc`, as charge-point logs record it. Outside its sessions the vehicle is away."""

    vehicle_id: Identifier | None = Field(
        None, description="sessions naming the same vehicle are one vehicle; none: its own"
    )
    vehicle_type: Identifier = Field(description="the vehicle type (GET /v1/config/vehicles)")
    site: Identifier | None = Field(None, description="any free port of the site")
    charger_id: Identifier | None = Field(None, description="only this charger")
    arrival: AwareDatetime = Field(description="plugs in (or queues) from here, ISO 8601")
    departure: AwareDatetime = Field(description="leaves at this time, ISO 8601")
    energy_kwh: float | None = Field(
        None, gt=0.0, le=2_000.0, description="energy to store in the battery"
    )
    target_soc: Fraction | None = Field(
        None, description="state of charge to reach, 0-1, instead of energy_kwh"
    )
    initial_soc: Fraction | None = Field(
        None,
        description="SoC on arrival; defaults to just room for energy_kwh below the type's "
        "soc_max, or with target_soc to the type's reserve_soc",
    )

    @model_validator(mode="after")
    def _one_place_one_ask(self) -> "ChargingSession":
        if (self.site is None) == (self.charger_id is None):
            raise ValueError("give site or charger_id, not both or neither")
        if (self.energy_kwh is None) == (self.target_soc is None):
            raise ValueError("give energy_kwh or target_soc, not both or neither")
        if self.departure <= self.arrival:
            raise ValueError("departure must be after arrival")
        if (
            self.target_soc is not None
            and self.initial_soc is not None
            and self.initial_soc >= self.target_soc
        ):
            raise ValueError("initial_soc must be below target_soc")
        return self

    def energy_window_kwh(self, spec: VehicleSpec) -> tuple[float, float]:
        """Battery energy on arrival and the energy the session charges to, for its type."""
        capacity = spec.battery_usable_kwh
        if self.target_soc is not None:
            arrival_soc = spec.reserve_soc if self.initial_soc is None else self.initial_soc
            return arrival_soc * capacity, self.target_soc * capacity
        energy = float(self.energy_kwh or 0.0)
        if self.initial_soc is None:
            return spec.soc_max * capacity - energy, spec.soc_max * capacity
        return self.initial_soc * capacity, self.initial_soc * capacity + energy


def session_vehicle_ids(sessions: list[ChargingSession]) -> list[str]:
    """Each session's vehicle: its `vehicle_id`, else `session_<n>` (n from 1, in list order,
    zero-padded so the ids sort in that order)."""
    width = len(str(len(sessions)))
    return [
        s.vehicle_id if s.vehicle_id is not None else f"session_{n:0{width}d}"
        for n, s in enumerate(sessions, start=1)
    ]


DEFAULT_MAX_POINTS = 500_000
"""Time-series rows of a result by default: a week of 20 vehicles at 5 minutes is 40,320;
a year of 1,000 vehicles fits at one sample a day (365,000 rows, ≈ 45 MB of JSON)."""


class OptimalOptions(Strict):
    """The `optimal` strategy's rolling window: a linear program over `window_h` hours, solved
    again every `window_step_h` hours (the plan of the first `window_step_h` hours is kept)."""

    window_h: int = Field(48, ge=1, le=168, description="hours one linear program plans")
    window_step_h: int = Field(24, ge=1, le=168, description="hours between two plans")
    objective: OptimalObjective = Field(
        "cost", description="cost: the bill; peak: each site's highest load (kW)"
    )

    @model_validator(mode="after")
    def _step_within_window(self) -> "OptimalOptions":
        if self.window_step_h > self.window_h:
            raise ValueError("window_step_h must not exceed window_h")
        return self


class Scenario(Strict):
    """A ready-to-run scenario; `schedule_csv` (a path) adds rows to `schedule`."""

    id: Identifier = Field(description="the name a request gives as `scenario`")
    name: str = Field("", description="a title for people")
    description: str = Field("", description="what it models, for people")
    horizon: Horizon = Field(description="the simulated period")
    fleet: list[FleetVehicle] = Field(default_factory=list, description="the vehicles")
    schedule: list[Trip] = Field(default_factory=list, description="weekly trips")
    schedule_csv: str | None = Field(
        None, description="a CSV of more trips, relative to the config directory"
    )
    sessions: list[ChargingSession] = Field(
        default_factory=list, description="charging sessions (vehicles without routes)"
    )
    default_depot: Identifier | None = Field(None, description="depot of CSV-only vehicles")
    weather: Weather = Field(Weather(), description="outside temperature")
    strategy: Strategy = Field("greedy", description="how plugged vehicles charge")
    optimal: OptimalOptions = Field(
        default_factory=OptimalOptions, description="the `optimal` strategy's options"
    )
    step_s: int = Field(300, ge=10, le=3_600, description="simulation step, seconds")
    time_series_resolution_s: int = Field(
        300,
        ge=10,
        le=86_400,
        description="seconds between time-series samples, rounded to whole steps",
    )
    max_points: int = Field(
        DEFAULT_MAX_POINTS,
        ge=1,
        le=10_000_000,
        description="most time-series rows: above it the samples are spaced out to the "
        "shortest of 5, 10, 15, 30 min, 1, 2, 3, 4, 6, 12 h, 1, 2 or 7 days that fits (a year "
        "of 1,000 vehicles: daily); KPIs and site_load stay at step resolution",
    )
