"""The fault campaign (benchmarks/campaign.py) in CI: 20 seeds, each a sequence of
manifest changes applied through injected 5xx, 429, resets and lost responses, one apply
process of each seed killed mid-way. `pytest -m "not campaign"` leaves it out."""

from __future__ import annotations

import pytest

from benchmarks.campaign import SIM_OPTIONS, campaign

pytestmark = pytest.mark.campaign


@pytest.mark.parametrize("sim_options", SIM_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_every_seed_converges_without_duplicates_or_unowned_changes(sim_options: dict):
    figures = campaign(range(20), steps=3, kills=True, sim_options=sim_options)
    problems = [p for s in figures.results for p in s.problems]
    assert problems == [], "\n".join(problems)
    assert all(s.converged for s in figures.results)
    assert sum(s.duplicates for s in figures.results) == 0
    assert sum(s.unowned_touched for s in figures.results) == 0
    assert sum(s.kills for s in figures.results) > 0, "no kill landed mid-apply: the campaign tested nothing there"
