"""Glue between doors and core: resolve a request against the catalogue, then simulate."""

from pathlib import Path
from uuid import UUID, uuid5

from fleetsim.config import Catalogue, resolve_request
from fleetsim.models import CanonicalResult, ResolvedRequest, SimulationRequest
from fleetsim.simulation import simulate as simulate_resolved

JOB_NAMESPACE = UUID("0b6f7d1e-3c55-5a0e-8f0a-4c1f1d9e2a77")
"""uuid5 namespace for job ids derived from a fleet id and an input digest."""


def resolve(request: SimulationRequest, catalogue: Catalogue, config_dir: Path) -> ResolvedRequest:
    """Apply the request to the catalogue; raises ConfigErrors naming every problem."""
    return resolve_request(request, catalogue, config_dir)


def simulate(resolved: ResolvedRequest) -> CanonicalResult:
    """Run the pure core on resolved inputs."""
    return simulate_resolved(resolved)


def run_request(
    request: SimulationRequest, catalogue: Catalogue, config_dir: Path
) -> CanonicalResult:
    """Resolve and simulate in one call."""
    return simulate(resolve(request, catalogue, config_dir))


def job_id_for(fleet_id: UUID, input_digest: str) -> UUID:
    """The job of one fleet's resolved input: the same for equivalent requests, so re-runs
    land in the same place, and new whenever config, request or model version change it."""
    return uuid5(JOB_NAMESPACE, f"{fleet_id}:{input_digest}")
