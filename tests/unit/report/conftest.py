"""Session fixtures: the bundled catalogue and the runs of `report_runs`."""

import pytest
from report_runs import CONFIG, STRANDING, Run, run_of

from fleetsim.config import Catalogue, load_catalogue


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(CONFIG)


@pytest.fixture(scope="session")
def smoke(catalogue: Catalogue) -> Run:
    return run_of(catalogue, {"scenario": "smoke"})


@pytest.fixture(scope="session")
def stranding(catalogue: Catalogue) -> Run:
    return run_of(catalogue, STRANDING)


@pytest.fixture(scope="session")
def week(catalogue: Catalogue) -> Run:
    """The default week: buses queue for the depot's DC ports."""
    return run_of(catalogue, {"scenario": "default"})
