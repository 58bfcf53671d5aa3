"""The fault campaign (benchmarks/campaign.py) in CI: 20 seeds under the default
simulator and 8 under each other configuration, each a sequence of manifest changes applied
through injected 5xx, 429, resets and lost responses, one apply process of each seed killed
mid-way and one step started as two racing apply processes (CAMPAIGN_SEEDS=200 for
more). `pytest -m "not campaign"`
leaves it out."""

from __future__ import annotations

import json
import os

import pytest

from benchmarks.campaign import SIM_OPTIONS, campaign

# The lock at its real timing in the racing applies: the suite shortens its settle (tests/conftest.py).
pytestmark = [pytest.mark.campaign, pytest.mark.usefixtures("real_lock_settle")]


def _seeds(sim_options: dict) -> int:
    """20 seeds under the default configuration, 8 under each other one (CI's budget:
    about 2 minutes in all); CAMPAIGN_SEEDS sets every configuration's."""
    return int(os.environ.get("CAMPAIGN_SEEDS", "8" if sim_options else "20"))


@pytest.mark.parametrize("sim_options", SIM_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_every_seed_converges_without_duplicates_or_unowned_changes(sim_options: dict):
    figures = campaign(range(_seeds(sim_options)), steps=3, kills=True, races=True, sim_options=sim_options)
    problems = [p for s in figures.results for p in s.problems]
    assert problems == [], "\n".join(problems)
    assert all(s.converged for s in figures.results)
    assert sum(s.duplicates for s in figures.results) == 0
    assert sum(s.unowned_touched for s in figures.results) == 0
    assert sum(s.fingerprints_lost for s in figures.results) == 0
    assert sum(s.kills for s in figures.results) > 0, "no kill landed mid-apply: the campaign tested nothing there"
    races = [r for s in figures.results for r in s.races]
    assert len(races) == len(figures.results)
    # Raced, one applied and the other was refused by the lock (a fault may fail one instead).
    assert any(r.startswith(("applied+refused", "refused+applied")) for r in races), races


def test_the_checks_catch_a_duplicate_a_leftover_and_an_unowned_change(tmp_path):
    import random

    from benchmarks.campaign import API_KEY, Manifests, SeedResult, check, run_cli, unowned
    from reconciler.simulator import Simulator

    with Simulator(api_key=API_KEY) as sim:
        m = Manifests(random.Random(1))
        m.write(tmp_path)
        env = m.passwords()
        foreign = unowned(sim, m)
        assert run_cli(sim, env, "apply", str(tmp_path), "--auto-approve")[0] == 0
        clean = SeedResult(1)
        check(sim, m, dict(foreign), env, tmp_path, clean, "clean")
        assert clean.problems == []

        group = next(iter(m.objects["groups"]))
        sim.tenant.groups["x" * 24] = {**sim.tenant.find("groups", group), "_id": "x" * 24}  # a second one
        sim.console_edit("groups", "Nhóm nhân viên mặc định", timeout=99)  # protected: not ours to change
        broken = SeedResult(1)
        check(sim, m, dict(foreign), env, tmp_path, broken, "broken")
    assert broken.duplicates == 1 and broken.unowned_touched == 1
    assert any("a fresh plan is not empty" in p for p in broken.problems)


def test_the_checks_catch_a_lost_fingerprint(tmp_path):
    import random

    from benchmarks.campaign import API_KEY, STATE_NOTE_NAME, Manifests, SeedResult, check, run_cli, unowned
    from reconciler.engine.state_note import TEXT_PREFIX, parse
    from reconciler.simulator import Simulator

    with Simulator(api_key=API_KEY) as sim:
        m = Manifests(random.Random(1))
        m.write(tmp_path)
        env = m.passwords()
        foreign = unowned(sim, m)
        assert run_cli(sim, env, "apply", str(tmp_path), "--auto-approve")[0] == 0
        note = sim.tenant.find("call_scripts", STATE_NOTE_NAME)
        entries = parse(note["note"])
        sip = next(iter(m.objects["extensions"]))
        entries[f"extensions:{sip}"].pop("call_timeout")
        note["note"] = TEXT_PREFIX + json.dumps(entries)
        lost = SeedResult(1)
        check(sim, m, dict(foreign), env, tmp_path, lost, "lost")
    assert lost.fingerprints_lost == 1
    assert any(f"the state note lost a fingerprint: extensions '{sip}': call_timeout" in p for p in lost.problems)


def test_under_scripts_nonempty_every_generated_ivr_menu_has_a_key_to_a_group():
    """The campaign measures the reconciler, not manifests the server refuses: under the
    `scripts-nonempty` reading ("scripts is required") no menu is written without a key,
    and each has one to a group, so menus that lead to each other can be created in two
    phases."""
    import random

    from benchmarks.campaign import Manifests

    for seed in range(200):
        m = Manifests(random.Random(seed), keys_required=True)
        for _ in range(4):
            m.step()
            for name, menu in m.objects["ivr_menus"].items():
                assert any("group" in ref for ref in menu["keys"].values()), (seed, name, menu)
                assert all(ref["group"] in m.objects["groups"] for ref in menu["keys"].values() if "group" in ref)
