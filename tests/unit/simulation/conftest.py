"""Fixtures for the simulation tests."""

from collections.abc import Callable

import pytest
from builders import build

from fleetsim.models import ResolvedRequest


@pytest.fixture
def make() -> Callable[..., ResolvedRequest]:
    return build
