"""Shared fixtures."""

from __future__ import annotations

from typing import Iterator

import pytest

from reconciler.simulator import Simulator


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
