"""Referential integrity: references must resolve, referenced objects stay."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.simulator.demo import CALL_SCRIPT, GROUP_CSKH, GROUP_SALES, GROUP_TECH, IVR_GREETING, IVR_MENU
from tests.simulator.helpers import Api

MISSING = "0123456789abcdef01234567"
GROUP = {"group_name": "G", "strategy": "rollover", "sip_members": ["101"], "timeout": 20}
IVR = {"script_name": "M", "max_failure": 1, "time_out": 3, "greeting_id": IVR_GREETING, "scripts": []}


@pytest.mark.parametrize(("path", "body", "message"), [
    ("internal_group/add", {**GROUP, "target_timeout_type": "Ring_group", "target_timeout": MISSING}, "not found"),
    ("internal_group/add", {**GROUP, "target_timeout_type": "Recording", "target_timeout": GROUP_CSKH}, "not found"),
    ("internal_group/add", {**GROUP, "sip_members": ["101", "999"]}, "extension not found: 999"),
    ("key-interaction/add", {**IVR, "greeting_id": MISSING}, "greeting_id"),
    ("key-interaction/add", {**IVR, "invalid_sound_id": MISSING}, "invalid_sound_id"),
    ("key-interaction/add", {**IVR, "scripts": [{"ivr": "1", "action_type": "Ivr_menu", "action": GROUP_CSKH}]},
     "not found"),
    ("key-interaction/add", {**IVR, "action_type": "Ring_group", "action": MISSING}, "not found"),
    ("call_script/add", {"script_name": "S", "scripts": [{"action_type": "Extension", "action_id": "101"}]},
     "Extension '101' not found"),
    ("hotline/update", {"hotline": "842871002283", "call_script": MISSING}, "call script"),
    ("hotline/update", {"hotline": "842871002283", "group_ids": [MISSING]}, "ring group not found"),
    ("hotline/update", {"hotline": "842871002283", "extensions": ["101", "998"]}, "extension not found: 998"),
    ("internal_group/add-members", {"group_id": GROUP_TECH, "sip_users": ["999"]}, "extension not found"),
])
def test_unknown_references_are_refused(api: Api, path: str, body: dict[str, Any], message: str) -> None:
    assert message in api.fail("POST", path, json=body)


def test_extension_steps_point_at_agent_ids(api: Api) -> None:
    agent = api.ok("GET", "internal_phone/list", params={"keyword": "101"})["items"][0]["agent_id"]
    created = api.ok("POST", "call_script/add",
                     json={"script_name": "Tới 101", "scripts": [{"action_type": "Extension", "action_id": agent}]})
    assert created["scripts"][0]["action_id"] == agent


@pytest.mark.parametrize(("path", "user"), [
    (f"internal_group/delete/{GROUP_CSKH}", "IVR menu 'KỊCH BẢN BẤM PHÍM'"),
    (f"internal_group/delete/{GROUP_CSKH}", "call script 'Nhóm CSKH'"),
    (f"greeting/delete/{IVR_GREETING}", "IVR menu 'KỊCH BẢN BẤM PHÍM'"),
    (f"call_script/delete/{CALL_SCRIPT}", "hotline '842871002283'"),
])
def test_referenced_objects_cannot_be_deleted(api: Api, path: str, user: str) -> None:
    message = api.fail("DELETE", path)
    assert message.startswith("cannot delete") and user in message


def test_delete_works_once_nothing_references_it(api: Api) -> None:
    api.ok("POST", "hotline/update", json={"hotline": "842871002283", "call_script": ""})
    assert api.ok("DELETE", f"call_script/delete/{CALL_SCRIPT}") is True
    assert api.ok("GET", "call_script/list")["items"] == []
    assert "call script not found" in api.fail("DELETE", f"call_script/delete/{CALL_SCRIPT}")


def test_group_used_by_a_hotline_or_another_group_is_pinned(api: Api) -> None:
    api.ok("POST", "hotline/update", json={"hotline": "842873003388", "group_ids": [GROUP_SALES]})
    assert "hotline '842873003388'" in api.fail("DELETE", f"internal_group/delete/{GROUP_SALES}")
    api.ok("POST", "hotline/update", json={"hotline": "842873003388", "group_ids": []})
    api.ok("POST", f"internal_group/update/{GROUP_TECH}",
           json={**GROUP, "group_name": "Nhóm Tech", "target_timeout_type": "Ring_group", "target_timeout": GROUP_SALES})
    assert "ring group 'Nhóm Tech'" in api.fail("DELETE", f"internal_group/delete/{GROUP_SALES}")


def test_a_menu_looping_to_itself_can_still_be_deleted(api: Api) -> None:
    menu = api.ok("POST", "key-interaction/add", json={**IVR, "script_name": "Vòng"})
    api.ok("POST", f"key-interaction/update/{menu['_id']}",
           json={**IVR, "script_name": "Vòng", "scripts": [{"ivr": "0", "action_type": "Ivr_menu", "action": menu["_id"]}]})
    assert api.ok("DELETE", f"key-interaction/delete/{menu['_id']}") is True


def test_ivr_script_name_is_unique_on_create_and_rename(api: Api) -> None:
    assert "already exists" in api.fail("POST", "key-interaction/add", json={**IVR, "script_name": "KỊCH BẢN BẤM PHÍM"})
    other = api.ok("POST", "key-interaction/add", json={**IVR, "script_name": "Menu 2"})
    assert "already exists" in api.fail("POST", f"key-interaction/update/{other['_id']}",
                                        json={**IVR, "script_name": "KỊCH BẢN BẤM PHÍM"})
    # keeping its own name is not a clash
    api.ok("POST", f"key-interaction/update/{IVR_MENU}", json={**IVR, "script_name": "KỊCH BẢN BẤM PHÍM"})


def test_other_names_need_not_be_unique(api: Api) -> None:
    api.ok("POST", "internal_group/add", json={**GROUP, "group_name": "Nhóm CSKH"})
    api.ok("POST", "call_script/add", json={"script_name": "Nhóm CSKH", "scripts": []})
    names = [g["group_name"] for g in api.ok("GET", "internal_group/list")["items"]]
    assert names.count("Nhóm CSKH") == 2
