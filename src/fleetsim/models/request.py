"""The simulation request every door accepts: a scenario by name, with what-if edits."""

import re
from typing import Annotated, Any
from uuid import UUID, uuid5

from pydantic import ConfigDict, Field, JsonValue, PlainValidator, StringConstraints

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

MAX_LABEL_LENGTH = 200
"""Characters of a request's `label`."""

FLEET_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
"""A fleet's name as a developer writes it (`munich-depot`); stored as `fleet_uuid(slug)`."""


def _fleet_id(value: Any) -> UUID | str:
    """A UUID (as text or a UUID) or else a slug, as given."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            if FLEET_SLUG.fullmatch(value):
                return value
    raise ValueError(
        "must be a UUID or a slug: up to 64 lower-case letters, digits, '-' and '_', "
        "starting with a letter or digit"
    )


FleetId = Annotated[
    UUID | str,
    PlainValidator(
        _fleet_id,
        json_schema_input_type=UUID
        | Annotated[str, StringConstraints(pattern=f"^{FLEET_SLUG.pattern}$")],
    ),
]
"""A request's `fleet_id`: a UUID, or a slug (see `fleet_uuid`)."""


def fleet_uuid(fleet_id: UUID | str) -> UUID:
    """The stored fleet id of a request's `fleet_id`: a UUID as it is, a slug as its uuid5
    in FLEET_NAMESPACE (`fleet:<slug>`), so one slug is always the same fleet."""
    return fleet_id if isinstance(fleet_id, UUID) else uuid5(FLEET_NAMESPACE, f"fleet:{fleet_id}")


class EntryPatch(Strict):
    """An inline catalogue entry. With the id of a catalogue entry it is a JSON Merge Patch
    (RFC 7396) over that entry: given fields replace, `null` removes a field (its default
    applies), nested objects merge. A new id must be a complete entry. `remove: true` (and
    nothing else) removes the catalogue entry."""

    model_config = ConfigDict(extra="allow")

    id: Identifier = Field(description="the catalogue entry to patch or remove, or a new id")
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

    scenario: Identifier = Field("default", description="the scenario to run and edit")
    fleet_id: FleetId | None = Field(
        None,
        description="whose job this is: a UUID, or a slug (lower-case letters, digits, `-`, `_`; "
        "stored as uuid5(FLEET_NAMESPACE, 'fleet:<slug>')); default: derived from the scenario",
    )
    label: Annotated[str, StringConstraints(max_length=MAX_LABEL_LENGTH)] | None = Field(
        None,
        description="a name for people, shown in job lists; not part of the job's identity "
        "(the same input under another label is the same job, which keeps its first label)",
    )
    horizon: Horizon | None = Field(None, description="replaces the scenario's horizon")
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
    weather: Weather | None = Field(None, description="replaces the scenario's weather")
    strategy: Strategy | None = Field(None, description="replaces the scenario's strategy")
    optimal: OptimalOptions | None = Field(None, description="the `optimal` strategy's options")
    step_s: int | None = Field(None, ge=10, le=3_600, description="simulation step, seconds")
    time_series_resolution_s: int | None = Field(
        None, ge=10, le=86_400, description="seconds between time-series samples"
    )
    max_points: int | None = Field(
        None, ge=1, le=10_000_000, description="refuse the run above this many series rows"
    )
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
        """The request's fleet id (a slug's uuid5), else a stable id from the scenario name."""
        if self.fleet_id is None:
            return uuid5(FLEET_NAMESPACE, f"scenario:{self.scenario}")
        return fleet_uuid(self.fleet_id)
