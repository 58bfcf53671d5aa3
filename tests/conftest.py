"""Shared fixtures."""

from __future__ import annotations

import os
from typing import Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings

from reconciler.simulator import Simulator

# Property tests: the same modest set of examples on every run (derandomized: CI is never
# flaky), or many random ones with HYPOTHESIS_PROFILE=thorough.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=10, derandomize=True, database=None, deadline=None,
                          suppress_health_check=_SLOW_OK, phases=[Phase.explicit, Phase.generate])
settings.register_profile("thorough", max_examples=300, deadline=None, suppress_health_check=_SLOW_OK)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A started simulator holding the demo tenant (``sim.url`` is its base URL)."""
    simulator = Simulator()
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def sim_inproc() -> Simulator:
    """A simulator with the demo tenant, not started: use ``sim_inproc.transport()``."""
    return Simulator()
