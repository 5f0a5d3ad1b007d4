"""What a dashboard reads: a few kilobytes about one result, built from its envelope.

`ResultSummary` answers the first questions about a run (did every trip work, what did the
sites draw against their limits, which vehicles fell short, which chargers stood idle) without
the envelope's time series. `HeadlineKpis` is the part a job row carries, so a list of jobs
needs no result at all. Both are built by `fleetsim.simulation.summary.summarise`.
"""

from datetime import datetime

from pydantic import Field

from fleetsim.models.result import (
    Kpis,
    Result,
    RunIdentity,
    SiteKpis,
    VehicleSummary,
)

MAX_STRANDED_LISTED = 100
"""Stranded trips a summary lists (earliest first); `stranded_trips_not_listed` counts the rest."""


class HeadlineKpis(Result):
    """The few figures a job list row or a KPI card shows; energy kWh, power kW."""

    feasible: bool = Field(description="every trip was driven without going below reserve")
    stranded_trips: int = Field(description="trips that would have gone below reserve SoC")
    stranded_vehicles: int = Field(description="vehicles with at least one stranded trip")
    min_soc: float = Field(description="lowest state of charge of any vehicle, 0-1")
    energy_from_grid_kwh: float = Field(description="drawn from the grid by all chargers, kWh")
    charging_cost: float = Field(description="energy cost + demand charges, in `currency`")
    currency: str = Field(description="ISO 4217 code of every cost")
    peak_kw: float = Field(description="highest step load of any site, kW")
    site_limit_respected: bool = Field(description="no site drew above its power limit")
    missed_charging_sessions: int = Field(
        description="stays that left a charger queue without getting a port"
    )
    max_wait_s: float = Field(description="longest wait for a port, seconds")


class SiteSummary(SiteKpis):
    """One site: its peak against its limit, energy and bill."""

    site_id: str = Field(description="the site's id in the catalogue or request")
    headroom_kw: float | None = Field(
        description="site_power_limit_kw - peak_kw, kW (negative: above the limit); "
        "null without a limit"
    )


class VehicleOutcome(VehicleSummary):
    """One vehicle: lowest SoC, stranded trips, energy, and its waits for a port."""

    charging_events: int = Field(description="stays on a charger port")
    total_wait_s: float = Field(description="seconds queued for a port, summed over its stays")
    max_wait_s: float = Field(description="longest single wait for a port, seconds")


class ChargerSummary(Result):
    """One charger, idle ones included: how much of its port-time was used."""

    charger_id: str = Field(description="the charger's id in the catalogue or request")
    utilisation: float = Field(description="share of its port-time with a vehicle plugged in, 0-1")
    charging_events: int = Field(description="stays on its ports")
    vehicles: int = Field(description="distinct vehicles that plugged in")
    energy_from_grid_kwh: float = Field(description="drawn from the grid, kWh")
    energy_to_battery_kwh: float = Field(description="stored into batteries, kWh")
    mean_wait_s: float = Field(description="mean wait for its ports, seconds (0 without stays)")
    max_wait_s: float = Field(description="longest wait for its ports, seconds")


class StrandedTrip(Result):
    """A trip that would have gone below reserve: who, where and by how much."""

    vehicle_id: str = Field(description="the vehicle that was stranded")
    route_id: str = Field(description="the route it was driving")
    departure: datetime = Field(description="the trip's scheduled departure")
    soc_start: float = Field(description="state of charge at departure, 0-1")
    stranded_at_km: float | None = Field(description="distance along the route where it stopped")
    shortfall_kwh: float | None = Field(description="energy it lacked to finish the trip, kWh")


class ResultSummary(Result):
    """A result's answers without its time series: a few kB for a week of 20 vehicles."""

    metadata: RunIdentity = Field(description="which run this is")
    headline: HeadlineKpis = Field(description="the figures a job list row carries")
    kpis: Kpis = Field(description="every fleet-level KPI of the envelope's metadata.kpis")
    sites: list[SiteSummary] = Field(description="per site, by id: peak against limit, bill")
    vehicles: list[VehicleOutcome] = Field(description="per vehicle, in the envelope's order")
    chargers: list[ChargerSummary] = Field(description="per charger, by id, idle ones included")
    stranded_trips: list[StrandedTrip] = Field(
        description=f"stranded trips by departure, the first {MAX_STRANDED_LISTED}"
    )
    stranded_trips_not_listed: int = Field(description="stranded trips beyond the listed ones")
    warnings: list[str] = Field(description="the run's warnings, as in the envelope")
