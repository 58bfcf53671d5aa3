"""Fixtures for the simulator tests: every ``api`` test runs over loopback HTTP and
in-process."""

from __future__ import annotations

from typing import Iterator

import pytest

from reconciler.simulator import Simulator
from tests.simulator.helpers import Api, open_api


@pytest.fixture(params=["http", "inproc"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """An authenticated client on a fresh demo tenant, over each transport."""
    simulator = Simulator()
    client = open_api(simulator, request.param)
    try:
        yield client
    finally:
        client.client.close()
        simulator.stop()
