"""Issue 22, items 1 and 2: the lock an apply holds in the tenant, and the history of applies.

Two real `apply` processes race on the simulator with latency; a killed apply's lease
expires; `unlock --force` breaks one; `history` lists each apply with its result; the
lock's and the history's objects are never planned, pruned or exported; and taking and
giving back the lock works under every reading of the doc.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.engine.state_note import parse as parse_note
from reconciler.kinds.call_script import HISTORY_NAME, LOCK_NAME, STATE_NOTE_NAME
from reconciler.simulator import Simulator

from .conftest import API_KEY, Tenant
from .test_readings import MATRIX, _readings

# The lock at its real timing: the suite shortens its settle (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("real_lock_settle")


def _env(tenant: Tenant, **extra: str) -> dict[str, str]:
    env = {**os.environ, "OMICALL_URL": tenant.url, "OMICALL_API_KEY": API_KEY, "NO_COLOR": "1", **extra}
    env.pop("OMICALL_TOKEN", None)
    return env


def _apply_process(tenant: Tenant, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(tenant.manifests), "--auto-approve",
                             *args], env=_env(tenant, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _scripts(sim: Simulator, name: str) -> list[dict]:
    return [s for s in sim.snapshot()["call_scripts"] if s["script_name"] == name]


def _leases(sim: Simulator) -> list[dict]:
    return [json.loads(s["note"].split(" ", 2)[2]) for s in _scripts(sim, LOCK_NAME)]


def _wait_for_held_lease(sim: Simulator, proc: subprocess.Popen, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = [lease for lease in _leases(sim) if lease["state"] == "held"]
        if held:
            return held[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    raise AssertionError("the apply never took the lock")


def _note_entries(sim: Simulator) -> dict:
    notes = _scripts(sim, STATE_NOTE_NAME)
    assert len(notes) == 1, notes
    return parse_note(notes[0]["note"])


def _fingerprinted(sim: Simulator) -> set[str]:
    """What the state note must vouch for after examples/ is applied: the mp3 greeting's
    file and both managed extensions' write-only fields."""
    greeting = sim.tenant.find("greetings", "Nhạc chờ")["_id"]
    return {f"greetings:{greeting}", "extensions:101", "extensions:102"}


def _history(tenant: Tenant) -> dict:
    shown = tenant.run("history", "--format", "json")
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.output)


@pytest.fixture
def slow_tenant(tenant: Tenant) -> Tenant:
    """The demo tenant answering every request 0.1 s late (as in the issue's report)."""
    tenant.sim.latency = 0.1
    return tenant


@pytest.mark.parametrize("offset", [0.0, 0.1, 0.3, 0.7])
def test_two_racing_applies_one_applies_the_other_is_refused(slow_tenant: Tenant, offset: float):
    """The issue's race: two `apply examples --auto-approve`, `offset` seconds apart, at
    --latency 0.1. Before the lock both failed, each deleting the other's creates, and the
    state note lost the fingerprint of greeting 'Nhạc chờ'."""
    t = slow_tenant
    first = _apply_process(t)
    time.sleep(offset)
    second = _apply_process(t)
    outcomes = [(p.wait(60), *p.communicate()) for p in (first, second)]
    applied = [o for o in outcomes if o[0] == 0]
    refused = [o for o in outcomes if o[0] != 0]
    assert len(applied) == 1 and len(refused) == 1, outcomes
    assert "Apply complete: 22 done, 0 failed, 0 skipped." in applied[0][1]
    code, out, err = refused[0]
    assert "Error: the tenant is locked: apply by " in err, err
    assert "holds the lock; nothing was changed" in err or "is taking the lock; nothing was changed" in err
    lease = next(e for e in err.split() if len(e) == 16 and all(c in "0123456789abcdef" for c in e))
    assert f"reconciler unlock --force {lease}" in err and "apply by " in err and " ago" in err
    assert not re.search(r"^\[ *\d+/\d+\]", out, re.M)  # it sent no operation
    t.sim.latency = 0.0
    assert _fingerprinted(t.sim) <= set(_note_entries(t.sim)), "the state note lost a fingerprint"
    replan = t.run("plan", str(t.manifests), "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output
    assert "no fingerprint" not in replan.output
    assert _scripts(t.sim, LOCK_NAME) == []  # given back
    entries = _history(t)["entries"]
    assert [e["result"] for e in entries] == ["complete"]


def test_a_second_apply_waits_for_the_lock_then_finds_nothing_left(slow_tenant: Tenant):
    t = slow_tenant
    first = _apply_process(t)
    _wait_for_held_lease(t.sim, first)
    second = _apply_process(t, "--lock-timeout", "60")
    assert first.wait(60) == 0, first.communicate()
    code = second.wait(60)
    out, err = second.communicate()
    assert code == 0, (out, err)
    assert "Waiting up to 60 s for the lock: apply by " in err
    assert "Another apply held the tenant's lock since this plan was made, and changed the tenant" in err
    assert out.rstrip().endswith("No changes. The tenant matches the manifests (15 objects unchanged).")
    t.sim.latency = 0.0
    assert _fingerprinted(t.sim) <= set(_note_entries(t.sim))
    assert t.run("plan", str(t.manifests), "--detailed-exitcode").exit_code == 0
    assert len(_history(t)["entries"]) == 1  # the second apply did nothing


def test_a_killed_apply_blocks_only_until_its_lease_expires(slow_tenant: Tenant):
    t = slow_tenant
    killed = _apply_process(t, RECONCILER_LOCK_EXPIRY="3")
    lease = _wait_for_held_lease(t.sim, killed)
    assert lease["expiry_seconds"] == 3
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    t.sim.latency = 0.0
    assert t.sim.wait_idle()

    refused = t.run("apply", str(t.manifests), "--auto-approve")
    assert refused.exit_code == 1
    assert f"the tenant is locked: apply by " in refused.output and lease["id"] in refused.output
    assert "its lease expires by itself 3 s after its last renewal" in refused.output

    started = time.monotonic()
    waited = t.run("apply", str(t.manifests), "--auto-approve", "--lock-timeout", "30")
    assert waited.exit_code == 0, waited.output
    assert time.monotonic() - started < 3 + 15  # the expiry, polls and the apply; far below --lock-timeout's 30
    assert "Waiting up to 30 s for the lock" in waited.output
    assert _scripts(t.sim, LOCK_NAME) == []  # the dead lease was cleaned up, ours given back
    assert t.run("plan", str(t.manifests), "--detailed-exitcode").exit_code == 0


def test_unlock_force_breaks_a_dead_apply_s_lock(slow_tenant: Tenant):
    t = slow_tenant
    killed = _apply_process(t)  # the default expiry: two minutes
    lease = _wait_for_held_lease(t.sim, killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    t.sim.latency = 0.0
    assert t.sim.wait_idle()
    assert t.run("apply", str(t.manifests), "--auto-approve").exit_code == 1

    without = t.run("unlock", lease["id"])
    assert without.exit_code == 1 and "pass --force" in without.output
    unknown = t.run("unlock", "--force", "0123456789abcdef")
    assert unknown.exit_code == 1 and "no lease '0123456789abcdef' in the tenant" in unknown.output
    assert lease["id"] in unknown.output  # the leases there are, named
    shown = t.run("history")
    assert f"Locked: apply by " in shown.output and f"reconciler unlock --force {lease['id']}" in shown.output

    broken = t.run("unlock", "--force", lease["id"])
    assert broken.exit_code == 0, broken.output
    assert f"Lock broken: lease {lease['id']}" in broken.output
    assert _scripts(t.sim, LOCK_NAME) == []
    again = t.run("apply", str(t.manifests), "--auto-approve")
    assert again.exit_code == 0, again.output
    assert t.run("plan", str(t.manifests), "--detailed-exitcode").exit_code == 0


def test_an_apply_whose_lock_is_broken_stops(slow_tenant: Tenant):
    """Renewing its lease, an apply finds it gone: it stops, and writes neither the state
    note nor the history (another apply may hold the lock now)."""
    t = slow_tenant
    t.sim.latency = 0.3  # an apply of some seconds: the lock is broken while it runs
    running = _apply_process(t, RECONCILER_LOCK_EXPIRY="1.5")  # renewed every 0.5 s
    lease = _wait_for_held_lease(t.sim, running)
    broken = t.run("unlock", "--force", lease["id"])
    assert broken.exit_code == 0, broken.output
    code = running.wait(60)
    out, err = running.communicate()
    assert code == 1, (out, err)
    assert "lock (lease " in err and "was taken from it while it ran" in err
    t.sim.latency = 0.0
    assert _scripts(t.sim, HISTORY_NAME) == []


def test_history_lists_each_apply_with_its_result(tenant: Tenant):
    t = tenant
    t.sim.faults.inject("5xx", method="POST", path="/key-interaction/add", times=1000)
    partial = t.run("apply", str(t.manifests), "--auto-approve")
    assert partial.exit_code == 1
    t.sim.faults.clear()
    complete = t.run("apply", str(t.manifests), "--auto-approve")
    assert complete.exit_code == 0, complete.output

    # A greeting replaced: created, its referrers repointed, the old one deleted, in turn.
    t.edit("greetings.yaml", t.read("greetings.yaml").replace("Công ty Hoa Sen làm việc", "Hoa Sen làm việc"))
    t.sim.latency = 0.2
    before = len(t.sim.requests)
    interrupted = _apply_process(t)
    _wait_for_held_lease(t.sim, interrupted)
    while not any("upload-text-to-speech" in r.path for r in t.sim.requests[before:]):
        time.sleep(0.01)
    interrupted.send_signal(signal.SIGTERM)
    assert interrupted.wait(30) == 1
    t.sim.latency = 0.0
    assert t.run("apply", str(t.manifests), "--auto-approve").exit_code == 0
    assert t.run("apply", str(t.manifests), "--auto-approve").exit_code == 0  # nothing to do: not recorded

    document = _history(t)
    assert document["format_version"] == 1 and document["locks"] == [], json.dumps(document) + str(interrupted.communicate())
    entries = document["entries"]
    assert [e["result"] for e in entries] == ["complete", "interrupted", "complete", "partial"]  # newest first
    newest, _, second, first = entries
    assert first["failed"] >= 1 and first["skipped"] >= 1
    assert second["done"].get("create", 0) >= 2  # at least the two IVR menus the partial one could not create
    for e in entries:
        assert e["at"].endswith("Z") and e["user"] and e["host"] and len(e["lease"]) == 16 and len(e["plan"]) == 16
    assert newest["done"]  # what the interrupted one left

    text = t.run("history")
    assert text.exit_code == 0
    lines = text.output.splitlines()
    assert [line.split()[1] for line in lines] == ["complete", "interrupted", "complete", "partial"]
    assert re.search(r"\d+ done \(", lines[0])
    limited = t.run("history", "--limit", "1", "--format", "json")
    assert len(json.loads(limited.output)["entries"]) == 1


def test_ci_job_url_names_the_holder(tenant: Tenant):
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/tenant", "GITHUB_RUN_ID": "42"}
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve", env=env).exit_code == 0
    entry = _history(tenant)["entries"][0]
    assert entry["ci"] == "https://github.com/acme/tenant/actions/runs/42"
    assert "https://github.com/acme/tenant/actions/runs/42" in tenant.run("history").output


def test_the_lock_and_history_objects_are_never_planned_pruned_or_exported(tenant: Tenant, tmp_path: Path):
    t = tenant
    assert t.run("apply", str(t.manifests), "--auto-approve").exit_code == 0  # the history is written
    assert _scripts(t.sim, HISTORY_NAME)
    # A lease left by a dead apply (expired or not, it is no object of the user's).
    note = _scripts(t.sim, STATE_NOTE_NAME)[0]
    t.sim.tenant.call_scripts["f" * 24] = {**note, "_id": "f" * 24, "script_name": LOCK_NAME,
                                           "script_name_unsigned": LOCK_NAME, "note": "reconciler-lock v1 {}"}
    plan = t.run("plan", str(t.manifests), "--detailed-exitcode")  # call_scripts is in policy.prune
    assert plan.exit_code == 0, plan.output
    assert "reconciler" not in plan.output
    drift = t.run("drift", str(t.manifests))
    assert drift.exit_code == 0 and "reconciler" not in drift.output
    out = tmp_path / "exported"
    assert t.run("export", "--out", str(out)).exit_code == 0
    exported = (out / "call_scripts.yaml").read_text("utf-8")
    assert STATE_NOTE_NAME not in exported and LOCK_NAME not in exported and HISTORY_NAME not in exported
    graph = t.run("graph", "--live")
    assert "reconciler" not in graph.output


def test_history_keeps_the_newest_entries_within_its_bounds():
    from reconciler.engine.history import MAX_CHARS, MAX_ENTRIES, TEXT_PREFIX, parse, text_of

    entries = [{"at": f"2026-12-04T10:{i // 60:02d}:{i % 60:02d}Z", "n": i, "user": "u" * 50} for i in range(100)]
    text = text_of(entries)
    kept = parse(text)
    assert text.startswith(TEXT_PREFIX) and len(text) <= MAX_CHARS
    assert 1 <= len(kept) <= MAX_ENTRIES and kept == entries[-len(kept):]  # the oldest dropped off
    assert parse("edited by hand") == [] and parse(TEXT_PREFIX + "{not json") == []


@pytest.fixture(params=MATRIX)
def reading(request) -> list[str]:
    return _readings(request.param)


def test_the_lock_is_taken_and_given_back_under_every_reading(reading: list[str], tmp_path: Path):
    """Under each reading of the doc: apply takes and gives back the lock and records its
    history; a lease abandoned by a crashed apply blocks only until it expires."""
    import shutil

    from .conftest import EXAMPLES

    manifests = tmp_path / "m"
    shutil.copytree(EXAMPLES, manifests)
    with Simulator(api_key=API_KEY, readings=reading) as sim:
        t = Tenant(sim, sim.start(), manifests)
        env = {"RECONCILER_LOCK_EXPIRY": "2"}
        crashed = _abandoned_lease(t, env)
        assert crashed["state"] == "held"
        refused = t.run("apply", str(manifests), "--auto-approve", env=env)
        assert refused.exit_code == 1 and crashed["id"] in refused.output
        applied = t.run("apply", str(manifests), "--auto-approve", "--lock-timeout", "20", env=env)
        assert applied.exit_code == 0, applied.output
        assert _scripts(sim, LOCK_NAME) == []
        assert [e["result"] for e in _history(t)["entries"]] == ["complete"]
        assert t.run("plan", str(manifests), "--detailed-exitcode").exit_code == 0


def _abandoned_lease(t: Tenant, env: dict) -> dict:
    """Take the lock as an apply does, and never give it back (a crash)."""
    import asyncio

    from reconciler.api import OmicallClient
    from reconciler.engine.lease import Lock

    async def take() -> None:
        async with OmicallClient(t.url, api_key=API_KEY) as client:
            lock = Lock(client)
            await lock.acquire()
            lock._heartbeat.cancel()  # the process dies: no more renewals, no release

    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        asyncio.run(take())
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return _leases(t.sim)[0]


def test_the_history_in_the_tenant_keeps_the_newest_entries(tenant: Tenant):
    from reconciler.engine.history import MAX_ENTRIES, text_of

    old = [{"at": f"2026-11-01T00:00:{i:02d}Z", "user": "old", "host": "h", "lease": f"{i:016x}", "result": "complete",
            "done": {"update": 1}, "failed": 0, "conflicts": 0, "skipped": 0} for i in range(MAX_ENTRIES)]
    note = next(iter(tenant.sim.tenant.call_scripts.values()))
    tenant.sim.tenant.call_scripts["e" * 24] = {**note, "_id": "e" * 24, "script_name": HISTORY_NAME,
                                               "script_name_unsigned": HISTORY_NAME, "note": text_of(old), "scripts": []}
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    entries = _history(tenant)["entries"]
    assert len(entries) == MAX_ENTRIES
    assert entries[0]["user"] != "old" and entries[0]["result"] == "complete"  # this apply's, newest first
    assert entries[-1]["lease"] == f"{1:016x}"  # the oldest dropped off
    assert len(_scripts(tenant.sim, HISTORY_NAME)) == 1


def test_an_apply_that_planned_while_another_ran_plans_again_under_the_lock(tenant: Tenant):
    """Its plan's read saw another apply's lease; that apply changed the tenant and gave the
    lock back before this one asked for it. The stale plan is not applied (it would end in
    conflicts): the plan is made again under the lock, shown, and applied."""
    from reconciler.engine.lease import HELD, Lease

    from .test_interrupted_apply import when_requested

    t = tenant
    assert t.run("apply", str(t.manifests), "--auto-approve").exit_code == 0
    t.edit("groups.yaml", t.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    other = Lease.new(60, "o" * 64)
    other.state = HELD
    note = _scripts(t.sim, STATE_NOTE_NAME)[0]
    now = t.sim.tenant.clock.now_ms()
    t.sim.tenant.call_scripts["d" * 24] = {**note, "_id": "d" * 24, "script_name": LOCK_NAME, "created_date": now,
                                           "script_name_unsigned": LOCK_NAME, "note": other.text(),
                                           "last_updated_date": now}

    def other_apply_finishes() -> None:  # it changed a group, then gave the lock back
        t.sim.console_edit("groups", "Kinh doanh", strategy="random")
        del t.sim.tenant.call_scripts["d" * 24]

    when_requested(t, lambda method, target, body: method == "POST" and "call_script/add" in target,
                   other_apply_finishes)
    result = t.run("apply", str(t.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Another apply held the tenant's lock since this plan was made, and changed the tenant." in result.output
    assert 'strategy: "random" -> "rollover"' in result.output  # the plan made again
    assert "conflict" not in result.output
    assert t.run("plan", str(t.manifests), "--detailed-exitcode").exit_code == 0
