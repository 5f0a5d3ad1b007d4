"""The facts a planner asks first beyond the envelope's own KPIs: stranded vehicles and
each charger's use with its ports (stranded trips come from `simulation.summary`)."""

from dataclasses import dataclass

from fleetsim.models import CanonicalResult, Metadata, VehicleSummary
from fleetsim.report.inputs import InputFigures
from fleetsim.simulation.summary import summarise

MISSED_SESSIONS_LEGEND = (
    "missed charging sessions: stays that left a charger's queue without ever getting a"
    " port (the vehicle departed without charging there)"
)


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
