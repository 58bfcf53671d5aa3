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

# The lock's settle (engine/lease.py: a write of the lease, a wait, a re-read) allows for a
# real server whose lists lag its writes. The simulator's never do, so the suite's applies
# wait 0.02 s instead of 0.3 s at each step (the suite took 9 min with 0.3, most of it in
# those waits). The lock's own tests and the fault campaign keep the real default: they set
# it back (tests/e2e/test_lock_and_history.py, tests/engine/test_lease.py, tests/e2e/test_campaign.py).
REAL_LOCK_SETTLE = "0.3"
os.environ.setdefault("RECONCILER_LOCK_SETTLE", "0.02")


@pytest.fixture
def real_lock_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock's default settle, for the tests of the lock itself."""
    monkeypatch.setenv("RECONCILER_LOCK_SETTLE", REAL_LOCK_SETTLE)


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
