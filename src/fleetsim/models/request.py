"""The simulation request every door accepts: a scenario by name, with what-if edits."""

from typing import Annotated
from uuid import UUID, uuid5

from pydantic import ConfigDict, Field, JsonValue, StringConstraints

from fleetsim.models.base import Strict
from fleetsim.models.charger import Identifier
from fleetsim.models.scenario import (
    ChargingSession,
    FleetVehicle,
    Horizon,
    OptimalOptions,
    Strategy,
    Trip,
    Weather,
)

FLEET_NAMESPACE = UUID("6f1c2a52-4a3e-5b8e-9d7a-2f0e8c1d4b90")
"""uuid5 namespace for the fleet id of a scenario when a request gives none."""

MAX_SET_PATHS = 1_000
"""Parameter paths one request may set."""

ParameterPath = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class EntryPatch(Strict):
    """An inline catalogue entry. With the id of a catalogue entry it is a JSON Merge Patch
    (RFC 7396) over that entry: given fields replace, `null` removes a field (its default
    applies), nested objects merge. A new id must be a complete entry. `remove: true` (and
    nothing else) removes the catalogue entry."""

    model_config = ConfigDict(extra="allow")

    id: Identifier
    remove: bool = Field(False, description="remove the catalogue entry of this id")


def _entries(kind: str) -> str:
    return (
        f"{kind} entries (see GET /v1/config/{kind}): merged over the catalogue entry of the "
        "same id, added when the id is new, or removed with `remove: true`"
    )


class SimulationRequest(Strict):
    """What every door accepts: a scenario by name, optionally edited.

    Inline vehicles, chargers, sites, tariffs and routes patch catalogue entries of the same
    id, add new ones or remove them; `set` changes single parameters by path; `fleet_add` and
    `schedule_add` extend the scenario's fleet and schedule; the other top-level fields
    replace the scenario's own.
    """

    scenario: Identifier = "default"
    fleet_id: UUID | None = None
    horizon: Horizon | None = None
    fleet: list[FleetVehicle] | None = Field(None, description="replaces the scenario's fleet")
    schedule: list[Trip] | None = Field(
        None, description="replaces the scenario's whole schedule, its CSV included"
    )
    fleet_add: list[FleetVehicle] = Field(
        default_factory=list, description="vehicles added to the (scenario's or given) fleet"
    )
    schedule_add: list[Trip] = Field(
        default_factory=list, description="trips added to the (scenario's or given) schedule"
    )
    default_depot: Identifier | None = Field(
        None, description="depot of vehicles a schedule CSV adds to the fleet"
    )
    sessions: list[ChargingSession] | None = Field(
        None, description="charging sessions; replace the scenario's (CLI: --sessions FILE.csv)"
    )
    weather: Weather | None = None
    strategy: Strategy | None = None
    optimal: OptimalOptions | None = Field(None, description="the `optimal` strategy's options")
    step_s: int | None = Field(None, ge=10, le=3_600)
    time_series_resolution_s: int | None = Field(None, ge=10, le=86_400)
    max_points: int | None = Field(None, ge=1, le=10_000_000)
    vehicles: list[EntryPatch] = Field(default_factory=list, description=_entries("vehicles"))
    chargers: list[EntryPatch] = Field(default_factory=list, description=_entries("chargers"))
    sites: list[EntryPatch] = Field(default_factory=list, description=_entries("sites"))
    tariffs: list[EntryPatch] = Field(default_factory=list, description=_entries("tariffs"))
    routes: list[EntryPatch] = Field(default_factory=list, description=_entries("routes"))
    set: dict[ParameterPath, JsonValue] = Field(
        default_factory=dict,
        max_length=MAX_SET_PATHS,
        description="parameter path -> value, applied last: `sites.<id>.<field>`, "
        "`chargers.<id>.<field>`, `vehicles.<id>.<field>` (nested fields by dots, e.g. "
        "`vehicles.large_van.hvac.max_kw`), `tariffs.<id>.<field>`, `routes.<id>.<field>`, "
        "`fleet.<vehicle_id>.<field>`, or a scenario field (`strategy`, `step_s`, "
        "`weather.ambient_c`, `horizon.days`, `horizon.start`, ...)",
    )

    @property
    def effective_fleet_id(self) -> UUID:
        """The request's fleet id, else a stable id derived from the scenario name."""
        return self.fleet_id or uuid5(FLEET_NAMESPACE, f"scenario:{self.scenario}")
