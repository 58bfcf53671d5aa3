"""A create is never repeated blindly: an unknown outcome is resolved by reading first."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from reconciler.api import ApiError

from .fakes import FakeApi, ok

ADD = "/api/call_center/call_script/add"


class Store:
    """A server-side list of call scripts with scripted failures around the create."""

    def __init__(self, api: FakeApi, failures: list[str]):
        self.items: list[dict] = []
        self.failures = list(failures)
        api.route("POST", ADD, self.add)

    def add(self, request: httpx.Request) -> httpx.Response:
        failure = self.failures.pop(0) if self.failures else None
        if failure == "connect":  # refused before anything was sent
            raise httpx.ConnectError("connection refused")
        if failure == "429":
            return httpx.Response(429, headers={"Retry-After": "0"})
        if failure == "500-before":  # failed without applying
            return httpx.Response(500)
        name = json.loads(request.content)["script_name"]
        self.items.append({"_id": f"id{len(self.items)}", "name": name})
        if failure == "500-after":  # applied, then failed
            return httpx.Response(500)
        if failure == "lost":  # applied, then the response never arrived
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if failure == "timeout":
            raise httpx.ReadTimeout("timed out")
        return ok(self.items[-1])


async def _create(api: FakeApi, store: Store, name: str = "Giờ hành chính", **kw):
    lookups = []

    async def find_existing():
        lookups.append(name)
        return next((i for i in store.items if i["name"] == name), None)

    async with api.client(**kw) as client:
        result = await client.create("POST", ADD, json={"script_name": name}, subject=f"call_script {name!r}",
                                     find_existing=find_existing)
    return result, lookups


@pytest.mark.parametrize("failure", ["connect", "429"])
def test_a_create_that_certainly_did_not_happen_is_retried_without_reading(failure):
    api = FakeApi()
    store = Store(api, [failure])
    result, lookups = asyncio.run(_create(api, store))
    assert lookups == []
    assert [i["name"] for i in store.items] == ["Giờ hành chính"]
    assert result == store.items[0]


@pytest.mark.parametrize("failure", ["500-after", "lost", "timeout"])
def test_an_applied_create_with_a_lost_answer_is_found_not_repeated(failure):
    api = FakeApi()
    store = Store(api, [failure])
    result, lookups = asyncio.run(_create(api, store))
    assert len(lookups) == 1
    assert len(store.items) == 1, "the create was sent twice"
    assert len(api.calls("POST", ADD)) == 1
    assert result == store.items[0]


def test_a_create_that_failed_without_effect_is_retried_after_reading():
    api = FakeApi()
    store = Store(api, ["500-before", "500-before"])
    result, lookups = asyncio.run(_create(api, store))
    assert len(lookups) == 2
    assert len(api.calls("POST", ADD)) == 3
    assert [i["name"] for i in store.items] == ["Giờ hành chính"] and result == store.items[0]


def test_a_create_gives_up_after_max_retries():
    api = FakeApi()
    store = Store(api, ["500-before"] * 10)
    with pytest.raises(ApiError) as caught:
        asyncio.run(_create(api, store, max_retries=2))
    assert "gave up after 3 attempts" in str(caught.value)
    assert str(caught.value).startswith("call_script 'Giờ hành chính':")
    assert store.items == []


def test_a_failing_lookup_stops_the_create():
    api = FakeApi()
    Store(api, ["lost"])

    async def go():
        async def find_existing():
            raise ApiError("list failed", method="GET", endpoint="/api/call_center/call_script/list")

        async with api.client() as client:
            await client.create("POST", ADD, json={"script_name": "A"}, find_existing=find_existing)

    with pytest.raises(ApiError, match="list failed"):
        asyncio.run(go())
    assert len(api.calls("POST", ADD)) == 1


def test_a_lookup_through_the_same_client_does_not_deadlock_at_concurrency_1():
    api = FakeApi()
    store = Store(api, ["lost"])
    api.route("GET", "/api/call_center/call_script/list",
              lambda r: ok({"items": store.items, "total_pages": 1, "has_next": False}))

    async def go():
        async with api.client(concurrency=1) as client:
            async def find_existing():
                items = await client.list_all("/api/call_center/call_script/list")
                return next((i for i in items if i["name"] == "A"), None)

            return await asyncio.wait_for(
                client.create("POST", ADD, json={"script_name": "A"}, find_existing=find_existing), 5)

    assert asyncio.run(go()) == {"_id": "id0", "name": "A"}
    assert len(store.items) == 1
