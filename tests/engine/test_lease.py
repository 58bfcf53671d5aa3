"""The lock (engine/lease.py) on its own: many contenders at once never hold it together,
each gets it in turn, and expiry is judged on the server's clock."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from reconciler.api import OmicallClient
from reconciler.engine.lease import HELD, WAITING, Lease, Lock, LockBusy, read_leases
from reconciler.simulator import Simulator

API_KEY = "lease-key"

# The lock at its real timing: the suite shortens its settle (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("real_lock_settle")


async def _contend(url: str, delay: float, hold: float, held: list, timeout: float = 60) -> None:
    async with OmicallClient(url, api_key=API_KEY) as client:
        await asyncio.sleep(delay)
        lock = Lock(client, timeout=timeout)
        await lock.acquire()
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(hold)
        held.append((start, loop.time()))
        assert await lock.release() is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_contenders_started_together_hold_the_lock_one_at_a_time(seed: int):
    rng = random.Random(seed)
    with Simulator(api_key=API_KEY, latency=0.03) as sim:
        url = sim.start()
        held: list[tuple[float, float]] = []

        async def race() -> None:
            await asyncio.gather(*(_contend(url, rng.uniform(0, 0.4), 0.2, held) for _ in range(4)))

        asyncio.run(race())
        leftover = [s for s in sim.snapshot()["call_scripts"] if "lock" in s["script_name"]]
    assert len(held) == 4
    spans = sorted(held)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:])), spans
    assert leftover == []


def test_a_busy_lock_is_refused_at_once_naming_its_holder():
    with Simulator(api_key=API_KEY) as sim:
        url = sim.start()

        async def scenario() -> LockBusy:
            async with OmicallClient(url, api_key=API_KEY) as a, OmicallClient(url, api_key=API_KEY) as b:
                first = Lock(a, plan="c" * 64)
                await first.acquire()
                try:
                    await Lock(b).acquire()
                except LockBusy as busy:
                    leases, _ = await read_leases(b)
                    assert [lease.id for lease in leases] == [first.lease.id]  # the refused one withdrew
                    return busy
                finally:
                    await first.release()
                raise AssertionError("the second lock was granted")

        busy = asyncio.run(scenario())
    assert busy.blocker.state == HELD and "plan cccccccccccc" in str(busy)
    assert f"reconciler unlock --force {busy.blocker.id}" in str(busy)


def _lease(updated_ms: int | None, expiry: float = 120, renewed: float | None = None) -> Lease:
    item = {"_id": "x", "created_date": updated_ms, "last_updated_date": updated_ms} if updated_ms else {"_id": "x"}
    return Lease(id="a", holder={}, started=0, expiry=expiry, state=HELD, renewed=renewed or time.time(), item=item)


def test_expiry_is_judged_on_the_server_clock_never_early():
    # The server's dates decide, whatever the holder's clock said when it renewed.
    assert not _lease(1_000_000, renewed=0).expired(1_000_000 + 120_000)
    assert _lease(1_000_000, renewed=time.time() + 3600).expired(1_000_000 + 120_001)
    # Without dates, the holder's clock, with a minute's margin.
    assert not _lease(None, renewed=time.time() - 150).expired(None)
    assert _lease(None, renewed=time.time() - 181).expired(None)


def test_a_lease_note_edited_out_of_shape_is_no_lease():
    assert Lease.parse({"script_name": "reconciler lock (safe to delete)", "note": "hello"}) is None
    assert Lease.parse({"script_name": "reconciler lock (safe to delete)", "note": "reconciler-lock v1 {}"}) is None
    lease = Lease.new(120, "p" * 64)
    again = Lease.parse({"note": lease.text()})
    assert again is not None and (again.id, again.state, again.plan) == (lease.id, WAITING, lease.plan)


def test_a_lock_found_taken_after_a_prompt_stops_the_apply_before_it_writes():
    """While a prompt blocks the renewals, the lease may expire and be taken: checking in
    again (`set_plan`) says so instead of writing alongside the new holder."""
    from reconciler.engine.lease import LockLost

    with Simulator(api_key=API_KEY) as sim:
        url = sim.start()

        async def scenario() -> str:
            async with OmicallClient(url, api_key=API_KEY) as a, OmicallClient(url, api_key=API_KEY) as b:
                first = Lock(a)
                await first.acquire()
                first._heartbeat.cancel()
                # Its lease expired meanwhile, and another apply took the lock.
                other = Lock(b)
                other.lease.expiry = 60
                first.lease.expiry = 0.001
                await first._write()  # (an expiry this short: expired at once)
                await asyncio.sleep(0.05)
                await other.acquire()
                try:
                    await first.set_plan("d" * 64)
                except LockLost as lost:
                    assert await first.release() is None
                    leases, _ = await read_leases(b)
                    assert [lease.id for lease in leases] == [other.lease.id]
                    await other.release()
                    return str(lost)
                raise AssertionError("the lock was not found taken")

        message = asyncio.run(scenario())
    assert "expired while it waited for your answer and is no longer its own" in message
    assert "nothing was changed" in message


def test_the_holder_names_the_ci_job(monkeypatch):
    from reconciler.engine.lease import describe_holder, who

    for name in ("CI_JOB_URL", "GITHUB_RUN_ID", "GITHUB_REPOSITORY", "GITHUB_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)
    assert who()["ci"] is None and "(" not in describe_holder(who())
    monkeypatch.setenv("CI_JOB_URL", "https://gitlab.example.com/acme/tenant/-/jobs/7")
    assert who()["ci"] == "https://gitlab.example.com/acme/tenant/-/jobs/7"
    monkeypatch.delenv("CI_JOB_URL")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/tenant")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    assert who()["ci"] == "https://github.com/acme/tenant/actions/runs/42"  # GITHUB_SERVER_URL unset: github.com
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://ghe.example.com")
    assert describe_holder(who()).endswith("(https://ghe.example.com/acme/tenant/actions/runs/42)")
