"""The few input figures a report shows beside a result: each charger's ports, each vehicle
type's reserve SoC. The result envelope does not carry them, so they come from the resolved
request (the CLI) or from catalogue entries proven unchanged by the result's lineage (the API).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from fleetsim.config import Catalogue
from fleetsim.config.digests import digest
from fleetsim.models import ResolvedRequest


@dataclass(frozen=True)
class InputFigures:
    """Ports per charger id and reserve SoC (0-1) per vehicle type; an id missing from
    either is unknown (its input changed since the run)."""

    ports: dict[str, int] = field(default_factory=dict)
    reserve_soc: dict[str, float] = field(default_factory=dict)


def figures_of(resolved: ResolvedRequest) -> InputFigures:
    """The figures of the request a result was simulated from."""
    return InputFigures(
        ports={charger_id: c.ports for charger_id, c in resolved.chargers.items()},
        reserve_soc={type_id: v.reserve_soc for type_id, v in resolved.vehicles.items()},
    )


def figures_from_catalogue(catalogue: Catalogue, lineage: Mapping[str, str]) -> InputFigures:
    """The figures of catalogue entries whose digest equals the result's lineage: those are
    exactly the entries it was simulated with (an entry patched by its request, or edited
    since, is left out)."""

    def unchanged(kind: str, entry_id: str, entry_json: object) -> bool:
        return lineage.get(f"{kind}:{entry_id}") == digest(entry_json)

    return InputFigures(
        ports={
            charger_id: c.ports
            for charger_id, c in catalogue.chargers.items()
            if unchanged("charger", charger_id, c.model_dump(mode="json"))
        },
        reserve_soc={
            type_id: v.reserve_soc
            for type_id, v in catalogue.vehicles.items()
            if unchanged("vehicle", type_id, v.model_dump(mode="json"))
        },
    )
