"""The Examples blocks of the physics docstrings run as written."""

import doctest
from types import ModuleType

import pytest

from fleetsim.physics import powertrain, road_load


@pytest.mark.parametrize("module", [road_load, powertrain])
def test_docstring_examples_hold(module: ModuleType) -> None:
    failed, attempted = doctest.testmod(module, verbose=False)
    assert attempted > 0
    assert failed == 0
