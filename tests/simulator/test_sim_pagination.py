"""Pagination defaults and caps, and keyword filters."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.simulator import Simulator
from tests.simulator.helpers import Api, open_api


def _big_seed(count: int) -> dict[str, Any]:
    return {
        "extensions": [{"sip_user": str(200 + i), "full_name": f"Nhân viên {i}"} for i in range(count)],
        "groups": [{"group_name": f"Nhóm {i}", "sip_members": []} for i in range(count)],
        "greetings": [{"greeting_name": f"Lời chào {i}"} for i in range(count)],
        "ivr_menus": [{"script_name": f"Menu {i}", "greeting_id": ""} for i in range(count)],
        "call_scripts": [{"script_name": f"Kịch bản {i}", "scripts": []} for i in range(count)],
        "hotlines": [{"number": f"8428{i:08d}"} for i in range(count)],
    }


@pytest.fixture(scope="module", params=["http", "inproc"])
def big(request: pytest.FixtureRequest) -> Any:
    sim = Simulator(_big_seed(120))
    api = open_api(sim, request.param)
    yield api
    sim.stop()


@pytest.mark.parametrize(("path", "default", "cap"), [
    ("internal_phone/list", 50, 100),
    ("internal_group/list", 10, 100),
    ("key-interaction/list", 10, 100),
    ("greeting/list", 10, 100),
    ("call_script/list", 10, 100),
    ("hotline/search", 50, 50),
])
def test_default_size_and_cap(big: Api, path: str, default: int, cap: int) -> None:
    first = big.ok("GET", path)
    assert len(first["items"]) == first["page_size"] == default
    assert first["page_number"] == 1 and first["total_items"] == 120
    assert first["has_next"] and first["next_page"] == 2 and not first["has_previous"] and first["previous_page"] == 1
    capped = big.ok("GET", path, params={"size": 500})
    assert len(capped["items"]) == capped["page_size"] == cap


def test_pages_walk_the_whole_list_without_overlap(big: Api) -> None:
    seen, page = [], 1
    while True:
        payload = big.ok("GET", "internal_group/list", params={"page": page, "size": 50})
        seen += [g["_id"] for g in payload["items"]]
        if not payload["has_next"]:
            break
        page = payload["next_page"]
    assert payload["total_pages"] == 3 and payload["page_number"] == 3 and payload["previous_page"] == 2
    assert len(seen) == len(set(seen)) == 120


def test_page_beyond_the_end_is_empty(big: Api) -> None:
    payload = big.ok("GET", "greeting/list", params={"page": 99, "size": 10})
    assert payload["items"] == [] and payload["has_next"] is False


@pytest.mark.parametrize("params", [{"page": 0}, {"size": 0}, {"page": "two"}])
def test_bad_page_parameters_are_refused(big: Api, params: dict[str, Any]) -> None:
    assert "must be" in big.fail("GET", "greeting/list", params=params)


@pytest.mark.parametrize(("path", "keyword", "expected"), [
    ("internal_phone/list", "nhan vien 11", {"Nhân viên 11", "Nhân viên 110", "Nhân viên 111", "Nhân viên 112",
                                             "Nhân viên 113", "Nhân viên 114", "Nhân viên 115", "Nhân viên 116",
                                             "Nhân viên 117", "Nhân viên 118", "Nhân viên 119"}),
    ("internal_phone/list", "219", {"Nhân viên 19"}),
    ("internal_phone/list", "211@example", {"Nhân viên 11"}),
    ("internal_group/list", "NHOM 10", {"Nhóm 10", "Nhóm 100", "Nhóm 101", "Nhóm 102", "Nhóm 103", "Nhóm 104",
                                        "Nhóm 105", "Nhóm 106", "Nhóm 107", "Nhóm 108", "Nhóm 109"}),
    ("key-interaction/list", "menu 7", {"Menu 7", "Menu 70", "Menu 71", "Menu 72", "Menu 73", "Menu 74",
                                        "Menu 75", "Menu 76", "Menu 77", "Menu 78", "Menu 79"}),
    ("hotline/search", "00000042", {"842800000042"}),
])
def test_keyword_filters(big: Api, path: str, keyword: str, expected: set[str]) -> None:
    items = big.ok("GET", path, params={"keyword": keyword, "size": 50})["items"]
    name = {"internal_phone/list": "full_name", "internal_group/list": "group_name",
            "key-interaction/list": "script_name", "hotline/search": "number"}[path]
    assert {i[name] for i in items} == expected


def test_lists_are_newest_first(api: Api) -> None:
    created = api.ok("POST", "internal_group/add",
                     json={"group_name": "Mới", "strategy": "random", "sip_members": [], "timeout": 20})
    items = api.ok("GET", "internal_group/list")["items"]
    assert items[0]["_id"] == created["_id"]
    dates = [g["created_date"] for g in items]
    assert dates == sorted(dates, reverse=True)
