"""The client against the simulator: real HTTP on loopback and in-process, faults on."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterator

import pytest

from reconciler.api import ApiError, AuthError, OmicallClient
from reconciler.simulator import Simulator

SCRIPTS = "/api/call_center/call_script/list"
ADD_SCRIPT = "/api/call_center/call_script/add"
LISTS = {
    "extensions": "/api/call_center/internal_phone/list",
    "groups": "/api/call_center/internal_group/list",
    "ivr_menus": "/api/call_center/key-interaction/list",
    "greetings": "/api/call_center/greeting/list",
    "call_scripts": SCRIPTS,
}


@pytest.fixture(params=["http", "inproc"])
def sim_client(request: pytest.FixtureRequest) -> Iterator[tuple[Simulator, dict]]:
    """A demo simulator and the keyword arguments of a client talking to it either way."""
    sim = Simulator()
    if request.param == "http":
        kw = {"url": sim.start()}
    else:
        kw = {"url": "http://127.0.0.1", "transport": sim.transport()}
    try:
        yield sim, {**kw, "api_key": sim.api_key, "backoff": 0.001}
    finally:
        sim.stop()


def _client(kw: dict, **more) -> OmicallClient:
    kw = {**kw, **more}
    return OmicallClient(kw.pop("url"), **kw)


def _count(sim: Simulator, kind: str) -> int:
    return len(sim.snapshot()[kind])


def test_reads_every_kind(sim_client):
    sim, kw = sim_client

    async def go():
        async with _client(kw) as client:
            return {kind: await client.list_all(path, page_size=2) for kind, path in LISTS.items()}

    read = asyncio.run(go())
    for kind, items in read.items():
        assert len(items) == _count(sim, kind), kind
    assert len({g["_id"] for g in read["groups"]}) == len(read["groups"])  # pages neither overlap nor repeat


def test_create_update_delete_round_trip(sim_client):
    sim, kw = sim_client

    async def go():
        async with _client(kw) as client:
            created = await client.create("POST", ADD_SCRIPT, json={"script_name": "Ngoài giờ", "scripts": []},
                                          subject="call_script 'Ngoài giờ'", find_existing=_nothing)
            await client.send("PUT", f"/api/call_center/call_script/update/{created['_id']}",
                              json={"name": "Ngoài giờ làm việc", "scripts": []})
            names = [s["script_name"] for s in await client.list_all(SCRIPTS)]
            await client.send("DELETE", f"/api/call_center/call_script/delete/{created['_id']}")
            return names, await client.list_all(SCRIPTS)

    names, after = asyncio.run(go())
    assert "Ngoài giờ làm việc" in names
    assert len(after) == len(names) - 1


async def _nothing():
    return None


def test_the_simulators_refusal_is_an_api_error_naming_the_subject(sim_client):
    sim, kw = sim_client

    async def go():
        async with _client(kw) as client:
            await client.create("POST", ADD_SCRIPT, json={"note": "no name"}, subject="call_script '?'",
                                find_existing=_nothing)

    with pytest.raises(ApiError) as caught:
        asyncio.run(go())
    assert caught.value.status == 200 and "script_name" in (caught.value.server_message or "")
    assert str(caught.value).startswith("call_script '?':")


def test_a_wrong_api_key_is_an_auth_error(sim_client):
    sim, kw = sim_client

    async def go():
        async with _client(kw, api_key="not-the-key") as client:
            await client.get(SCRIPTS)

    with pytest.raises(AuthError) as caught:
        asyncio.run(go())
    assert "not-the-key" not in str(caught.value)


def test_an_expired_token_is_renewed(sim_client):
    sim, kw = sim_client
    sim.token_ttl = 0.3

    async def go():
        async with _client(kw) as client:
            for _ in range(4):
                await client.list_all(SCRIPTS)
                await asyncio.sleep(0.2)

    asyncio.run(go())
    statuses = [r.status for r in sim.requests if r.path != "/api/auth"]
    assert 401 not in statuses  # renewed from the token's exp before it ran out
    assert sum(r.path == "/api/auth" for r in sim.requests) >= 2


def test_every_fault_at_once_reads_complete_and_creates_are_not_duplicated(sim_client):
    """5xx, 429, resets, lost responses, a rate limit and short tokens, all at once."""
    sim, kw = sim_client
    sim.token_ttl = 0.4
    sim.rate_limit = 40  # requests per second: the run needs a few seconds of them
    # Faults on about one request in four; creates lose their answer more often than not.
    sim.faults.inject("5xx", method="GET", every=11, times=None)
    sim.faults.inject("reset", method="GET", every=13, times=None)
    sim.faults.inject("429", every=17, times=None, retry_after=0.02)
    sim.faults.inject("lost_response", method="POST", path="/call_script/add", every=2, times=None)
    sim.faults.inject("lost_response", method="POST", path="/call_script/add", every=5, times=None, then="reset")
    sim.faults.inject("5xx", method="POST", path="/call_script/add", every=7, times=None)
    before = {kind: _count(sim, kind) for kind in LISTS}
    names = [f"Kịch bản {n}" for n in range(12)]

    async def go():
        # About 1 GET in 6 meets a 5xx or a reset (429s do not use up retries): with 8 retries the
        # chance that any request fails 9 times in a row is ~1e-7, so the test does not flake.
        async with _client(kw, concurrency=8, max_retries=8) as client:

            async def create(name: str):
                async def find_existing():
                    scripts = await client.list_all(SCRIPTS, page_size=5)
                    return next((s for s in scripts if s["script_name"] == name), None)

                return await client.create("POST", ADD_SCRIPT, json={"script_name": name, "scripts": []},
                                           subject=f"call_script {name!r}", find_existing=find_existing)

            async def read_all():
                return {kind: await client.list_all(path, page_size=2) for kind, path in LISTS.items()}

            # Reads and creates interleaved, several rounds, long enough for tokens to expire.
            reads = []
            created = []
            for round_names in (names[:4], names[4:8], names[8:]):
                results = await asyncio.gather(read_all(), *(create(n) for n in round_names))
                reads.append(results[0])
                created.extend(results[1:])
                await asyncio.sleep(0.15)
            return reads, created

    reads, created = asyncio.run(go())

    for read in reads:  # every read completed, and completely
        for kind, items in read.items():
            if kind != "call_scripts":
                assert len(items) == before[kind], kind
    scripts = sim.snapshot()["call_scripts"]
    by_name = collections.Counter(s["script_name"] for s in scripts)
    assert all(by_name[name] == 1 for name in names), f"duplicated creates: {by_name}"
    assert len(scripts) == before["call_scripts"] + len(names)
    assert sorted(c["script_name"] for c in created) == sorted(names)

    fired = collections.Counter(r.fault for r in sim.requests if r.fault)
    assert {"5xx", "429", "reset", "lost_response", "rate_limit"} <= set(fired), fired
    assert sum(r.path == "/api/auth" for r in sim.requests) >= 2  # the short-lived token was renewed
