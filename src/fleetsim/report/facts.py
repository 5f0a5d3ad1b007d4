"""The facts a planner asks first, read from a result envelope's canonical data: stranded
trips and vehicles, and each charger's use. The KPIs and per-site figures are the
envelope's own (`metadata.kpis`); these are the few that need its rows.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleetsim.models import CanonicalResult, Metadata, VehicleSummary
from fleetsim.report.inputs import InputFigures
from fleetsim.simulation.summary import summarise

MISSED_SESSIONS_LEGEND = (
    "missed charging sessions: stays that left a charger's queue without ever getting a"
    " port (the vehicle departed without charging there)"
)


@dataclass(frozen=True)
class StrandedTrip:
    """A trip the battery could not finish: where it stopped, km from its start, and how
    much energy was missing, kWh."""

    vehicle_id: str
    route_id: str
    departure: str
    """ISO 8601 local time, as the envelope writes it."""
    soc_start: float
    stranded_at_km: float | None
    shortfall_kwh: float | None


@dataclass(frozen=True)
class ChargerUse:
    """One charger over the horizon: its port-time in use (0-1), stays and their waits."""

    charger_id: str
    ports: int | None
    """None: unknown (the charger's input changed since the run)."""
    utilisation: float
    stays: int
    energy_from_grid_kwh: float
    mean_wait_s: float
    max_wait_s: float


def stranded_trips(data: Mapping[str, Any]) -> list[StrandedTrip]:
    """Every stranded trip, in the envelope's order (departure, then vehicle)."""
    return [
        StrandedTrip(
            vehicle_id=trip["vehicle_id"],
            route_id=trip["route_id"],
            departure=trip["departure"],
            soc_start=trip["soc_start"],
            stranded_at_km=trip["stranded_at_km"],
            shortfall_kwh=trip["shortfall_kwh"],
        )
        for trip in data["trips"]
        if trip["stranded"]
    ]


def stranded_vehicles(metadata: Metadata) -> list[VehicleSummary]:
    """Vehicles with a stranded trip, most stranded trips first (then by id)."""
    stranded = [v for v in metadata.vehicles if v.stranded_trips > 0]
    return sorted(stranded, key=lambda v: (-v.stranded_trips, v.vehicle_id))


def charger_use(result: CanonicalResult, figures: InputFigures) -> list[ChargerUse]:
    """Every charger of the run, idle ones included, by id: the summary's charger rows (the
    same figures `GET .../summary` gives) with their port counts."""
    return [
        ChargerUse(
            charger_id=charger.charger_id,
            ports=figures.ports.get(charger.charger_id),
            utilisation=charger.utilisation,
            stays=charger.charging_events,
            energy_from_grid_kwh=charger.energy_from_grid_kwh,
            mean_wait_s=charger.mean_wait_s,
            max_wait_s=charger.max_wait_s,
        )
        for charger in summarise(result).chargers
    ]
