"""A request with every reference resolved: the pure input of the simulation core."""

from pydantic import Field

from fleetsim.models.base import Strict
from fleetsim.models.charger import ChargerSpec, SiteSpec, Tariff
from fleetsim.models.route import RouteProfile
from fleetsim.models.scenario import Scenario
from fleetsim.models.vehicle import VehicleSpec


class ResolvedRequest(Strict):
    """Scenario with overrides applied, the schedule CSV merged and routes turned into profiles.

    Catalogues hold only what the scenario uses, so digests change only when inputs that
    matter change.
    """

    scenario: Scenario
    vehicles: dict[str, VehicleSpec]
    chargers: dict[str, ChargerSpec]
    sites: dict[str, SiteSpec]
    tariffs: dict[str, Tariff]
    routes: dict[str, RouteProfile]
    request_hash: str = Field(description="sha256 of the canonical request JSON as it was sent")
    input_digest: str = Field(
        description="sha256 of the lineage, the model and the schema version: what identifies "
        "the result (equivalent requests share it)"
    )
    lineage: dict[str, str] = Field(description="input id -> sha256 of its canonical JSON")
