"""Injected faults, rate limiting, latency and the request log."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from reconciler.simulator import Simulator
from tests.simulator.helpers import CC, Api, open_api

GROUP = {"group_name": "Nhóm Lỗi", "strategy": "random", "sip_members": ["100"], "timeout": 20}


def _group_names(sim: Simulator) -> list[str]:
    return [g["group_name"] for g in sim.tenant.groups.values()]


def test_5xx_fault_fails_without_applying_then_clears(api: Api) -> None:
    api.sim.faults.inject("5xx", method="POST", path="/internal_group/add")
    failed = api.call("POST", "internal_group/add", json=GROUP)
    assert failed.status_code == 503 and "Nhóm Lỗi" not in _group_names(api.sim)
    assert api.call("GET", "internal_group/list").status_code == 200  # GET not targeted
    assert api.ok("POST", "internal_group/add", json=GROUP)  # times=1: spent
    assert _group_names(api.sim).count("Nhóm Lỗi") == 1


def test_429_fault_carries_retry_after(api: Api) -> None:
    api.sim.faults.inject("429", path="greeting/list", retry_after=0.25, times=2)
    for _ in range(2):
        limited = api.call("GET", "greeting/list")
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "0.25"
        assert limited.json()["status_code"] == -9999
    assert api.call("GET", "greeting/list").status_code == 200


def test_reset_drops_the_connection_without_applying(api: Api) -> None:
    api.sim.faults.inject("reset", method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        api.call("POST", "internal_group/add", json=GROUP)
    assert "Nhóm Lỗi" not in _group_names(api.sim)
    assert api.sim.requests[-1].status is None and api.sim.requests[-1].fault == "reset"
    assert api.ok("POST", "internal_group/add", json=GROUP)  # the client can carry on


@pytest.mark.parametrize("then", ["502", "reset"])
def test_lost_response_applies_the_write(api: Api, then: str) -> None:
    api.sim.faults.inject("lost_response", method="POST", path="/add", then=then)
    if then == "502":
        response = api.call("POST", "internal_group/add", json=GROUP)
        assert response.status_code == 502 and "application/json" not in response.headers["content-type"]
    else:
        with pytest.raises(httpx.RemoteProtocolError):
            api.call("POST", "internal_group/add", json=GROUP)
    assert _group_names(api.sim).count("Nhóm Lỗi") == 1


def test_every_and_unlimited_times(sim_inproc: Simulator) -> None:
    api = open_api(sim_inproc, "inproc")
    sim_inproc.faults.inject("5xx", path="greeting/list", every=3, times=None, status=500)
    codes = [api.call("GET", "greeting/list").status_code for _ in range(9)]
    assert codes == [200, 200, 500] * 3
    sim_inproc.faults.clear()
    assert api.call("GET", "greeting/list").status_code == 200
    with pytest.raises(ValueError):
        sim_inproc.faults.inject("timeout")


@pytest.mark.parametrize("mode", ["http", "inproc"])
def test_rate_limit_answers_429_with_retry_after(mode: str) -> None:
    sim = Simulator()
    try:
        api = open_api(sim, mode)
        sim.rate_limit = 5
        codes = [api.call("GET", "greeting/list") for _ in range(8)]
        statuses = [r.status_code for r in codes]
        assert statuses.count(200) <= 5 and statuses[-1] == 429
        assert 0 < float(codes[-1].headers["Retry-After"]) <= 1
        time.sleep(float(codes[-1].headers["Retry-After"]) + 0.05)
        assert api.call("GET", "greeting/list").status_code == 200
    finally:
        sim.stop()


def test_latency_slows_each_request(api: Api) -> None:
    api.sim.latency = 0.1
    started = time.perf_counter()
    api.call("GET", "greeting/list")
    assert time.perf_counter() - started >= 0.1


def test_async_transport_overlaps_latency(sim_inproc: Simulator) -> None:
    token = httpx.Client(transport=sim_inproc.transport(), base_url="http://sim").get(
        "/api/auth", params={"apiKey": "sim-key"}).json()["payload"]["access_token"]
    sim_inproc.latency = 0.2

    async def run() -> list[int]:
        async with httpx.AsyncClient(transport=sim_inproc.transport(), base_url="http://sim",
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            responses = await asyncio.gather(*[client.get(f"{CC}/greeting/list") for _ in range(5)])
            return [r.status_code for r in responses]

    started = time.perf_counter()
    assert asyncio.run(run()) == [200] * 5
    assert time.perf_counter() - started < 0.9  # concurrent, not 5 x 0.2 s (margin for a busy machine)


def test_request_log_records_calls_without_secrets(api: Api) -> None:
    api.ok("POST", "internal_phone/update", json={"sip_user": "101", "password": "hunter2-secret"})
    api.ok("GET", "greeting/list", params={"page": 1})
    records = list(api.sim.requests)
    auth = records[0]
    assert (auth.method, auth.path, auth.status) == ("GET", "/api/auth", 200)
    update = records[1]
    assert (update.method, update.path, update.status) == ("POST", f"{CC}/internal_phone/update", 200)
    assert update.json == {"sip_user": "101", "password": "***"}
    assert records[2].query == {"page": "1"} and records[2].json is None
    token = api.client.headers["Authorization"].split()[1]
    dump = repr(records)
    for secret in (api.sim.api_key, token, "hunter2-secret"):
        assert secret not in dump
    assert [r.path for r in api.sim.mutations()] == [f"{CC}/internal_phone/update"]
    api.sim.requests.clear()
    assert api.sim.mutations() == []


def test_concurrent_creates_over_http_are_all_stored_with_distinct_numbers(sim: Simulator) -> None:
    import concurrent.futures

    api = open_api(sim, "http")

    def create(i: int) -> str:
        return api.ok("POST", "internal_group/add", json={**GROUP, "group_name": f"G{i}"})["group_number"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(create, range(40)))
    assert len(set(numbers)) == 40 and len(sim.tenant.groups) == 44


def test_handle_answers_without_httpx_and_raises_on_reset(sim_inproc: Simulator) -> None:
    import json

    status, headers, body = sim_inproc.handle("GET", "/api/auth?apiKey=sim-key", {}, b"")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    token = json.loads(body)["payload"]["access_token"]
    status, _, body = sim_inproc.handle("GET", f"{CC}/hotline/search?size=1", {"Authorization": f"Bearer {token}"}, b"")
    assert json.loads(body)["payload"]["page_size"] == 1
    sim_inproc.faults.inject("reset")
    with pytest.raises(httpx.RemoteProtocolError):
        sim_inproc.handle("GET", "/api/auth?apiKey=sim-key", {}, b"")
