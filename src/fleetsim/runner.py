"""Job identity and the one-call run that the CLI, tests and benchmarks share."""

from pathlib import Path
from uuid import UUID, uuid5

from fleetsim.config import Catalogue, resolve_request
from fleetsim.models import CanonicalResult, SimulationRequest
from fleetsim.simulation import simulate

JOB_NAMESPACE = UUID("0b6f7d1e-3c55-5a0e-8f0a-4c1f1d9e2a77")
"""uuid5 namespace for job ids derived from a fleet id and an input digest."""


def run_request(
    request: SimulationRequest, catalogue: Catalogue, config_dir: Path
) -> CanonicalResult:
    """Resolve (raises ConfigErrors naming every problem) and simulate in one call."""
    return simulate(resolve_request(request, catalogue, config_dir))


def job_id_for(fleet_id: UUID, input_digest: str) -> UUID:
    """The job of one fleet's resolved input: the same for equivalent requests, so re-runs
    land in the same place, and new whenever config, request or model version change it."""
    return uuid5(JOB_NAMESPACE, f"{fleet_id}:{input_digest}")
