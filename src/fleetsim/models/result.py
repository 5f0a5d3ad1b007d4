"""The result envelope (DESIGN §5) and its canonical, byte-stable JSON form."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

FLOAT_DECIMALS = 4
"""Every float in a serialised result is rounded to this many decimal places."""

VehicleState = Literal["parked", "driving", "charging", "plugged", "waiting", "stranded", "away"]
"""`plugged`: holds a port without drawing power; `waiting`: queued for a port; `away`: a
session vehicle outside its sessions."""


class Result(BaseModel):
    """Base for output models: unknown fields are errors so the envelope shape stays fixed."""

    model_config = ConfigDict(extra="forbid")


class HorizonSummary(Result):
    start: datetime
    end: datetime
    days: int


class Counts(Result):
    routes: int
    vehicles: int
    chargers: int
    trips: int


class SiteKpis(Result):
    """One site's bill and grid load; energy kWh, power kW, cost in the tariff currency."""

    energy_from_grid_kwh: float
    energy_cost: float = Field(description="energy at each step's price")
    demand_charge: float = Field(
        description="the site tariff's demand_charge_per_kw x each billing month's peak "
        "15-minute average, prorated by the share of the month the horizon covers"
    )
    peak_kw: float = Field(description="highest step load")
    peak_15min_kw: float = Field(description="highest 15-minute average load (local quarters)")
    site_power_limit_kw: float | None
    steps_above_limit: int = Field(description="steps whose load exceeds the limit")
    max_overshoot_kw: float = Field(description="largest load above the limit")
    energy_above_limit_kwh: float = Field(description="energy drawn above the limit")


class SavingsVsGreedy(Result):
    """What a planned strategy (`optimal`) saved against `greedy` on the same input: greedy's
    bill and peaks beside the differences (greedy less this run; negative: this run is
    higher)."""

    greedy_charging_cost: float = Field(description="greedy's whole bill, kpis.currency")
    charging_cost_saved: float = Field(description="greedy's charging_cost less this run's")
    greedy_peak_site_kw: dict[str, float] = Field(description="greedy's highest step load")
    peak_site_kw_saved: dict[str, float] = Field(description="greedy's peak less this run's")
    greedy_energy_unmet_kwh: float = Field(description="what greedy left short of the targets")
    greedy_stranded_trips: int


class Kpis(Result):
    """Fleet-level answers; energy is kWh, cost in the tariff currency, power kW."""

    feasible: bool
    stranded_trips: int
    min_soc: float
    energy_from_grid_kwh: float = Field(description="drawn from the grid by all chargers")
    energy_to_battery_kwh: float = Field(
        description="stored into batteries: grid energy less charger and battery losses"
    )
    energy_driven_kwh: float = Field(
        description="net battery energy used driving: the sum of the trips' energy_used_kwh"
    )
    energy_at_wheels_kwh: float = Field(
        description="positive tractive energy delivered at the wheels (braking not netted)"
    )
    distance_km: float
    kwh_per_km: float = Field(description="net battery energy per km driven")
    charging_cost: float = Field(description="energy_cost + demand_charge: the whole bill")
    energy_cost: float
    demand_charge: float
    charging_cost_by_tariff: dict[str, float] = Field(description="energy cost per tariff")
    currency: str
    peak_site_kw: dict[str, float]
    sites: dict[str, SiteKpis]
    site_limit_respected: bool = Field(
        description="no site drew above its limit (only `uncontrolled` ignores limits)"
    )
    charger_utilisation: dict[str, float] = Field(description="port-time in use, 0-1")
    mean_wait_s: float = Field(description="over charging events and missed sessions")
    max_wait_s: float
    missed_charging_sessions: int = Field(description="left a charger queue without a port")
    charging_sessions: int = Field(
        description="stays at a charger with energy to take: charging events, missed sessions"
    )
    charging_sessions_fully_served: int = Field(description="stays that reached their target")
    energy_requested_kwh: float = Field(
        description="per stay, its charge target less the battery's energy on arrival"
    )
    energy_unmet_kwh: float = Field(description="requested but not stored by departure")
    savings_vs_greedy: SavingsVsGreedy | None = Field(
        None, description="`optimal` only: its bill and peaks against greedy's on the same input"
    )


class VehicleSummary(Result):
    """Per-vehicle totals: SoC at start, end and lowest, energy in and out, distance."""

    vehicle_id: str
    type: str
    depot: str
    soc_start: float
    soc_end: float
    min_soc: float
    energy_to_battery_kwh: float = Field(description="stored into the battery by charging")
    energy_driven_kwh: float = Field(
        description="net battery energy used driving: the sum of its trips' energy_used_kwh"
    )
    distance_km: float
    trips: int
    stranded_trips: int


class SessionResult(Result):
    """One requested charging session and what it got."""

    session_index: int = Field(description="its place in the request's sessions, from 0")
    vehicle_id: str
    vehicle_type: str
    site: str
    charger_id: str | None = Field(description="the charger it plugged into; None: no port")
    arrival: datetime
    departure: datetime
    plugged_in: datetime | None
    energy_requested_kwh: float = Field(description="to store in the battery")
    energy_delivered_kwh: float = Field(description="stored in the battery")
    energy_unmet_kwh: float
    soc_arrival: float
    soc_departure: float


class Metadata(Result):
    schema_version: int = Field(description="the envelope's shape; see fleetsim.models.versions")
    model_version: str = Field(description="the simulation code's results version")
    input_digest: str = Field(
        description="sha256 identifying the resolved input, model and schema version: the same "
        "digest always gives the same result bytes"
    )
    scenario: str
    strategy: str
    horizon: HorizonSummary
    counts: Counts
    kpis: Kpis
    vehicles: list[VehicleSummary]
    sessions: list[SessionResult] = Field(description="the request's charging sessions")
    warnings: list[str]
    lineage: dict[str, dict[str, str]]
    time_series_resolution_s: int
    float_decimals: int = FLOAT_DECIMALS


class TripResult(Result):
    """One driven (or attempted) trip; a stranded trip says where and by how much."""

    vehicle_id: str
    route_id: str
    departure: datetime
    arrival: datetime
    distance_km: float
    energy_used_kwh: float = Field(description="net battery energy the trip used, regen netted")
    kwh_per_km: float
    soc_start: float
    soc_end: float
    missed_s: float = Field(description="seconds the speed trace could not be followed")
    stranded: bool
    stranded_at_km: float | None = None
    shortfall_kwh: float | None = None


class TimeSeriesPoint(Result):
    t: datetime
    vehicle_id: str
    soc: float
    odometer_km: float
    state: VehicleState
    power_kw: float = Field(description="battery power, positive when charging")


class SiteLoadPoint(Result):
    t: datetime
    site: str
    kw: float


class ChargingEvent(Result):
    """One stay at a charger: queued from `arrived`, on a port from `plugged_in` to `end`."""

    vehicle_id: str
    charger_id: str
    arrived: datetime = Field(description="joined the charger queue")
    plugged_in: datetime = Field(description="got a port; plugged_in - arrived is the wait")
    end: datetime = Field(description="left the port: full, departing or end of the run")
    energy_requested_kwh: float = Field(
        description="its charge target less the battery's energy when plugged in"
    )
    energy_from_grid_kwh: float = Field(description="drawn from the grid")
    energy_to_battery_kwh: float = Field(description="stored into the battery")
    soc_start: float = Field(description="SoC when plugged in")
    soc_end: float = Field(description="SoC when the port was left")
    cost: float = Field(description="energy_from_grid_kwh at each step's price, kpis.currency")
    wait_s: float = Field(description="seconds from arrived to plugged_in")


class SimulationResult(Result):
    """The envelope every door returns and every sink stores."""

    metadata: Metadata
    trips: list[TripResult]
    time_series_data: list[TimeSeriesPoint]
    site_load: list[SiteLoadPoint]
    charging_events: list[ChargingEvent]


def rounded_floats(values: Iterable[float]) -> list[float]:
    """Each value rounded to FLOAT_DECIMALS places, never -0.0 (adding 0.0 makes it 0.0)."""
    return [round(value, FLOAT_DECIMALS) + 0.0 for value in values]


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, FLOAT_DECIMALS) + 0.0
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def canonical_data(model: BaseModel, include: set[str] | None = None) -> Any:
    """The model (or its `include`d fields) as JSON data, floats rounded to FLOAT_DECIMALS."""
    return _rounded(model.model_dump(mode="json", include=include))


def canonical_json_text(data: Any) -> str:
    """`canonical_data` as byte-stable JSON text: sorted keys, compact separators, UTF-8."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def canonical_json_bytes(model: BaseModel) -> bytes:
    """Byte-stable JSON: sorted keys, compact separators, floats rounded to FLOAT_DECIMALS."""
    return canonical_json_text(canonical_data(model)).encode("utf-8")


@dataclass(frozen=True)
class CanonicalResult:
    """A result envelope as canonical JSON data: what doors return and sinks store. The
    simulation builds it straight from its arrays, with no model object per row."""

    data: Mapping[str, Any]
    """Every `SimulationResult` field as `canonical_data` gives it; never modified."""

    @classmethod
    def of(cls, result: SimulationResult) -> "CanonicalResult":
        """The canonical data of a model (built or read elsewhere), the slow generic way."""
        return cls(canonical_data(result))

    @classmethod
    def from_json(cls, canonical: bytes) -> "CanonicalResult":
        """Bytes that `json_bytes` wrote (a file, an object, a stored row) back to their data."""
        return cls(orjson.loads(canonical))

    @cached_property
    def metadata(self) -> Metadata:
        """The metadata part as its model (as rounded as the bytes)."""
        return Metadata.model_validate(self.data["metadata"])

    def json_bytes(self) -> bytes:
        """The envelope's byte-stable JSON (`canonical_json_bytes` of its model)."""
        return canonical_json_text(self.data).encode("utf-8")

    def part_json(self, part: str) -> str:
        """One top-level field's canonical JSON text."""
        return canonical_json_text(self.data[part])

    def model(self) -> SimulationResult:
        """The validated model, for code that wants the rows as objects (plots, tests)."""
        return SimulationResult.model_validate(self.data)
