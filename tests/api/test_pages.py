"""list_all: every page, in order, the rest read concurrently within the bound."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from reconciler.api import ApiError

from .fakes import FakeApi, ok, refused, sequence

PATH = "/api/call_center/internal_group/list"


class PagedList:
    """A paginated list whose later pages answer faster, so answers arrive out of order."""

    def __init__(self, api: FakeApi, total: int, *, report_total: bool = True, delay: float = 0.02):
        self.items = [{"_id": f"{n:024x}", "name": f"Nhóm {n}"} for n in range(total)]
        self.report_total = report_total
        self.delay = delay
        self.in_flight = 0
        self.peak = 0
        self.pages_asked: list[int] = []
        api.route("GET", PATH, self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        size = int(request.url.params["size"])
        self.pages_asked.append(page)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            pages = max(1, math.ceil(len(self.items) / size))
            await asyncio.sleep(self.delay / page)
            chunk = self.items[(page - 1) * size: page * size]
            payload = {"items": chunk, "page_number": page, "page_size": size, "has_next": page < pages,
                       "next_page": page + 1 if page < pages else 1}
            if self.report_total:
                payload.update(total_items=len(self.items), total_pages=pages)
            return ok(payload)
        finally:
            self.in_flight -= 1


async def _list(api: FakeApi, page_size: int = 10, **kw):
    async with api.client(**kw) as client:
        return await client.list_all(PATH, {"keyword": "Nhóm"}, page_size=page_size)


def test_every_page_is_read_in_order_and_concurrently():
    api = FakeApi()
    paged = PagedList(api, 95)
    items = asyncio.run(_list(api, concurrency=4))
    assert items == paged.items
    assert sorted(paged.pages_asked) == list(range(1, 11))
    assert paged.peak == 4  # concurrent, and never more than the bound
    assert all(r.url.params["keyword"] == "Nhóm" and r.url.params["size"] == "10" for r in api.calls("GET", PATH))


def test_concurrency_one_reads_one_page_at_a_time():
    api = FakeApi()
    paged = PagedList(api, 35, delay=0.005)
    assert asyncio.run(_list(api, concurrency=1)) == paged.items
    assert paged.peak == 1


def test_a_list_without_total_pages_is_followed_through_has_next():
    api = FakeApi()
    paged = PagedList(api, 25, report_total=False, delay=0.0)
    assert asyncio.run(_list(api)) == paged.items
    assert paged.pages_asked == [1, 2, 3]


def test_a_list_that_grew_while_read_is_read_to_its_end():
    api = FakeApi()
    paged = PagedList(api, 20, delay=0.0)
    original = paged.handle

    async def grow_after_first_page(request):
        response = await original(request)
        if request.url.params["page"] == "1":
            paged.items.extend({"_id": f"new{n}", "name": f"Mới {n}"} for n in range(5))
            # page 1 still says 2 pages; page 2 is full and says has_next
        return response

    api.route("GET", PATH, grow_after_first_page)
    items = asyncio.run(_list(api))
    assert items == paged.items and len(items) == 25


def test_an_empty_list():
    api = FakeApi()
    PagedList(api, 0)
    assert asyncio.run(_list(api)) == []


@pytest.mark.parametrize("payload, shape", [
    (None, "the payload is null"),  # read as "no objects", apply would create duplicates
    ({}, "the payload is an empty object"),
    (["0241234567", "0287654321"], "the payload is a list of 2"),
    ([{"_id": "a"}], "the payload is a list of 1"),  # a paginated endpoint is strict: payload.items
    ({"items": None}, "payload.items is null"),
    ({"items": {"_id": "a"}}, "payload.items is an object with keys _id"),
    ({"rows": []}, "the payload is an object with keys rows"),
])
def test_a_payload_that_is_not_a_page_of_items_is_an_error_naming_the_endpoint(payload, shape):
    api = FakeApi()
    api.route("GET", PATH, lambda r: ok(payload))
    with pytest.raises(ApiError) as caught:
        asyncio.run(_list(api))
    assert "payload.items" in str(caught.value) and shape in str(caught.value)
    assert caught.value.endpoint == PATH and PATH in str(caught.value)


@pytest.mark.parametrize("item, shape", [(None, "null"), ("62ff11b2", "a string"), (5, "a number"),
                                          ([], "a list of 0")])
def test_an_item_that_is_not_an_object_is_an_error(item, shape):
    api = FakeApi()
    api.route("GET", PATH, lambda r: ok({"items": [{"_id": "a"}, item], "total_pages": 1, "has_next": False}))
    with pytest.raises(ApiError, match=f"item 2 of page 1 is {shape}, not an object") as caught:
        asyncio.run(_list(api))
    assert caught.value.endpoint == PATH


def test_a_bad_item_on_a_later_page_is_caught_too():
    api = FakeApi()
    paged = PagedList(api, 25, delay=0.0)
    paged.items[23] = None  # page 3, item 4
    with pytest.raises(ApiError, match="item 4 of page 3 is null"):
        asyncio.run(_list(api))


def test_an_absurd_page_count_fails_instead_of_fetching_thousands_of_pages():
    api = FakeApi()
    api.route("GET", PATH, lambda r: ok({"items": [{"_id": "a"}, {"_id": "b"}, {"_id": "c"}], "page_number": 1,
                                          "total_items": 3, "total_pages": 10**9, "has_next": True}))
    with pytest.raises(ApiError, match="reports 1000000000 pages for 3 items"):
        asyncio.run(_list(api))
    assert len(api.calls("GET", PATH)) == 1


def test_a_page_count_beyond_the_limit_without_total_items_fails_rather_than_truncating():
    api = FakeApi()
    api.route("GET", PATH, lambda r: ok({"items": [{"_id": "a"}], "total_pages": 10**6, "has_next": True}))
    with pytest.raises(ApiError, match="reports 1000000 pages, more than the"):
        asyncio.run(_list(api))
    assert len(api.calls("GET", PATH)) == 1


def test_a_page_count_consistent_with_a_smaller_server_page_size_is_read():
    # Asked for 10 per page, the server caps pages at 4: 10 items are 3 pages, as it says.
    api = FakeApi()
    items = [{"_id": str(n)} for n in range(10)]

    def capped(request):
        page = int(request.url.params["page"])
        return ok({"items": items[(page - 1) * 4: page * 4], "page_number": page, "total_items": 10,
                   "total_pages": 3, "has_next": page < 3})

    api.route("GET", PATH, capped)
    assert asyncio.run(_list(api)) == items


def test_a_server_that_ignores_the_page_parameter_is_caught():
    api = FakeApi()
    api.route("GET", PATH, lambda r: ok({"items": [{"_id": "a"}], "page_number": 1, "total_pages": 3,
                                          "has_next": True}))
    with pytest.raises(ApiError, match="asked for page 2, the API answered page 1"):
        asyncio.run(_list(api))


def test_a_failing_page_fails_the_list_and_stops_the_others():
    api = FakeApi()
    paged = PagedList(api, 200, delay=0.01)

    async def fail_page_3(request):
        if request.url.params["page"] == "3":
            return refused("boom", 400)
        return await paged.handle(request)

    api.route("GET", PATH, fail_page_3)
    with pytest.raises(ApiError, match="boom"):
        asyncio.run(_list(api, concurrency=2))
    assert len(api.calls("GET", PATH)) < 20


def test_retries_inside_a_list():
    api = FakeApi()
    page = {"items": [{"_id": "1"}, {"_id": "2"}], "total_pages": 1, "has_next": False}
    api.route("GET", PATH, sequence(httpx.Response(503), ok(page)))
    assert asyncio.run(_list(api)) == page["items"]


def test_a_payload_that_is_not_a_page_is_an_error():
    api = FakeApi()
    api.route("GET", PATH, lambda r: ok({"rows": []}))
    with pytest.raises(ApiError, match="payload.items"):
        asyncio.run(_list(api))


# -- expected_items: the pages a caller expects are asked for together with page 1 --------

async def _list_expecting(api: FakeApi, expected: int, page_size: int = 10, **kw):
    async with api.client(**kw) as client:
        return await client.list_all(PATH, page_size=page_size, expected_items=expected)


def test_expected_pages_go_out_with_page_one():
    """Page 1 is answered only once page 3 has been asked for: the expected pages do not
    wait for page 1's count (without expected_items this read would never finish)."""
    api = FakeApi()
    paged = PagedList(api, 30, delay=0.0)
    page_three_asked = asyncio.Event()
    plain = paged.handle

    async def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        if page == 3:
            page_three_asked.set()
        if page == 1:
            await asyncio.wait_for(page_three_asked.wait(), timeout=5)
        return await plain(request)

    api.route("GET", PATH, handle)
    assert asyncio.run(_list_expecting(api, 30)) == paged.items
    assert sorted(paged.pages_asked) == [1, 2, 3]


def test_a_list_longer_than_expected_is_read_to_its_end():
    api = FakeApi()
    paged = PagedList(api, 45)
    assert asyncio.run(_list_expecting(api, 12)) == paged.items
    assert sorted(paged.pages_asked) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("beyond", ["empty", "refused", "clamped"])
def test_pages_the_list_turns_out_not_to_have_are_dropped(beyond):
    """Expected 5 pages, the list has 2: pages 3 to 5 were asked for and are dropped,
    whatever the server answers for a page past the end (an empty page, a refusal, or
    its last page again)."""
    api = FakeApi()
    paged = PagedList(api, 15, delay=0.0)
    plain = paged.handle

    async def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        if page > 2 and beyond == "refused":
            paged.pages_asked.append(page)
            return refused("page out of range")
        if page > 2 and beyond == "clamped":
            paged.pages_asked.append(page)
            return ok({"items": paged.items[10:], "page_number": 2, "page_size": 10, "total_items": 15,
                       "total_pages": 2, "has_next": False})
        return await plain(request)

    api.route("GET", PATH, handle)
    assert asyncio.run(_list_expecting(api, 50)) == paged.items
    assert sorted(paged.pages_asked) == [1, 2, 3, 4, 5]


def test_a_refused_page_the_list_has_is_an_error():
    api = FakeApi()
    paged = PagedList(api, 30, delay=0.0)
    plain = paged.handle

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2":
            return refused("temporarily unavailable")
        return await plain(request)

    api.route("GET", PATH, handle)
    with pytest.raises(ApiError, match="temporarily unavailable"):
        asyncio.run(_list_expecting(api, 30))
