"""Every endpoint answers with the shape of the doc's JSON example (fixtures)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.simulator.helpers import FIXTURES, MP3, Api, fixture, shape_mismatches
from reconciler.simulator.demo import CALL_SCRIPT, GROUP_CSKH, GROUP_TECH, IVR_GREETING, IVR_MENU


def _group_body(name: str = "tientv11") -> dict[str, Any]:
    return {
        "group_name": name, "strategy": "random", "sip_members": ["100"], "timeout": 30,
        "call_queue_config": {"enable": True, "is_in_call": True, "is_offline": True, "waiting_time": 90},
    }


def _ivr_body(name: str) -> dict[str, Any]:
    return {
        "script_name": name, "max_failure": 1, "time_out": 3, "greeting_id": IVR_GREETING,
        "invalid_sound_id": IVR_GREETING,
        "scripts": [{"ivr": "1", "action_type": "Ivr_menu", "action": IVR_MENU}, {"ivr": "5", "action_type": "", "action": ""}],
    }


def _script_body(name_key: str) -> dict[str, Any]:
    return {name_key: "KB demo Api", "note": "", "scripts": [{"action_type": "Ring_group", "action_id": GROUP_CSKH}]}


CALLS: dict[str, Callable[[Api], Any]] = {
    "internal_phone_list": lambda a: a.ok("GET", "internal_phone/list"),
    "hotline_list": lambda a: a.ok("GET", "hotline/list", params={"extension": "101"}),
    "hotline_search": lambda a: a.ok("GET", "hotline/search"),
    "hotline_by_phone": lambda a: a.ok("GET", "hotline/by-phone", params={"hotline": "842871002283"}),
    "hotline_update": lambda a: a.ok("POST", "hotline/update", json={
        "hotline": "842871002283", "extensions": ["101"], "group_ids": [GROUP_TECH], "call_script": CALL_SCRIPT,
        "allow_call_in": "true", "allow_call_out": "true", "access_type": "applies_according_to_employee_criteria"}),
    "extensions_detail": lambda a: a.ok("GET", "extensions/detail", params={"type": "sip_user", "keyword": "147"}),
    "internal_group_list": lambda a: a.ok("GET", "internal_group/list"),
    "internal_group_add": lambda a: a.ok("POST", "internal_group/add", json=_group_body()),
    "internal_group_update": lambda a: a.ok("POST", f"internal_group/update/{GROUP_TECH}", json=_group_body("Nhóm Tech")),
    "key_interaction_list": lambda a: a.ok("GET", "key-interaction/list", params={"page": 1, "size": 10}),
    "key_interaction_add": lambda a: a.ok("POST", "key-interaction/add", json=_ivr_body("Menu mới")),
    "key_interaction_update": lambda a: a.ok("POST", f"key-interaction/update/{IVR_MENU}", json=_ivr_body("KỊCH BẢN BẤM PHÍM")),
    "greeting_list": lambda a: a.ok("GET", "greeting/list", params={"page": 1, "size": 10}),
    "greeting_upload_text_to_speech": lambda a: a.ok(
        "POST", "greeting/upload-text-to-speech", params={"greeting_name": "Nhắc lịch đào tạo"},
        json={"text": "Bạn có một lịch họp sắp đến giờ", "speed": "0", "voice": "northern_female_ngocanh"}),
    "call_script_list": lambda a: a.ok("GET", "call_script/list", params={"page": 1, "size": 10}),
    "call_script_add": lambda a: a.ok("POST", "call_script/add", json=_script_body("script_name")),
    "call_script_update": lambda a: a.ok("PUT", f"call_script/update/{CALL_SCRIPT}", json=_script_body("name")),
    "call_script_delete": lambda a: a.ok(
        "DELETE", f"call_script/delete/{a.ok('POST', 'call_script/add', json=_script_body('script_name'))['_id']}"),
}


def test_every_fixture_is_exercised() -> None:
    assert {p.stem for p in FIXTURES.glob("*.json")} == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_response_has_the_doc_shape(api: Api, name: str) -> None:
    payload = CALLS[name](api)
    expected = fixture(name)["payload"]
    assert shape_mismatches(expected, payload) == []
    if isinstance(payload, dict) and "items" in payload:
        assert payload["items"], "a list endpoint of the demo tenant should return items"


def test_mp3_upload_answers_like_text_to_speech(api: Api) -> None:
    payload = api.ok("POST", "greeting/upload", params={"greeting_name": "Lời chào"},
                     files={"file": ("chao.mp3", MP3, "audio/mpeg")})
    assert shape_mismatches(fixture("greeting_upload_text_to_speech")["payload"], payload) == []


def test_shape_check_notices_a_missing_key_a_type_change_and_an_extra_key() -> None:
    doc = {"a": 1, "b": [{"c": "x"}], "d": None}
    assert shape_mismatches(doc, {"a": 2, "b": [{"c": "y"}], "d": {"any": 1}}) == []
    assert shape_mismatches(doc, {"a": "2", "b": [], "d": 1}) == ["$.a: doc has integer, got string"]
    assert shape_mismatches(doc, {"a": 1, "b": [{"c": "x", "e": 1}], "d": 1}) == ["$.b[0]: extra key 'e'"]
    assert shape_mismatches(doc, {"a": True, "b": [], "d": 1}) == ["$.a: doc has integer, got boolean"]
    assert shape_mismatches(doc, {"b": [], "d": 1}) == ["$: missing key 'a'"]


def test_list_items_carry_the_doc_quirks(api: Api) -> None:
    group = api.group("Nhóm Tech")
    assert "sip_members" not in group and "call_queue_config" not in group
    assert [m["sip_user"] for m in group["members"]] == [None, None]
    (menu,) = api.ok("GET", "key-interaction/list")["items"]
    assert [k["ivr"] for k in menu["scripts"]] == list("123456789")
    assert menu["scripts"][2] == {"key": None, "action_type": "", "action": "", "action_name": None, "ivr": "3"}
    (script,) = api.ok("GET", "call_script/list")["items"]
    assert script["criterias"] == [{"type": "2", "wait_time": "10", "timeout_time": "10"}]
    hotline = api.ok("GET", "hotline/by-phone", params={"hotline": "842871002283"})
    assert hotline["configs"]["default_script"] == CALL_SCRIPT
    assert {d["script"] for d in hotline["configs"]["working_days"]} == {CALL_SCRIPT}
