"""Small runs of the bundled config to read reports and charts of: the smoke day as it is,
and with batteries too small for its trips (the sedan and the bus strand)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetsim.config import Catalogue, resolve_request
from fleetsim.models import CanonicalResult, ResolvedRequest, SimulationRequest
from fleetsim.simulation import simulate

CONFIG = Path(__file__).resolve().parents[3] / "config"
STRANDING = {
    "scenario": "smoke",
    "vehicles": [
        {"id": "compact_sedan", "battery_usable_kwh": 0.5},
        {"id": "ebus_12m", "battery_usable_kwh": 20},
    ],
}


@dataclass(frozen=True)
class Run:
    resolved: ResolvedRequest
    result: CanonicalResult


def run_of(catalogue: Catalogue, body: dict[str, Any]) -> Run:
    resolved = resolve_request(SimulationRequest.model_validate(body), catalogue, CONFIG)
    return Run(resolved, simulate(resolved))
