"""Ring-group membership and hidden fields."""

from __future__ import annotations

from reconciler.simulator.demo import GROUP_TECH, IVR_MENU
from tests.simulator.helpers import Api

BODY = {"group_name": "Nhóm Đặc biệt", "strategy": "rollover", "sip_members": ["103", "101", "102"], "timeout": 25}


def _agents(api: Api) -> dict[str, str]:
    items = api.ok("GET", "internal_phone/list")["items"]
    return {e["agent_id"]: e["sip_user"] for e in items}


def _member_sip_users(api: Api, group: dict) -> list[str]:
    agents = _agents(api)
    return [agents[m["agent_id"]] for m in group["members"]]


def test_create_builds_members_in_order_with_the_group_timeout(api: Api) -> None:
    created = api.ok("POST", "internal_group/add", json=BODY)
    assert created["sip_members"] == ["103", "101", "102"] and created["timeout"] == 25
    assert len(created["_id"]) == 24 and int(created["_id"], 16) >= 0
    assert len(created["group_number"]) == 5 and created["group_name_unsigned"] == "Nhom Dac biet"
    listed = api.group("Nhóm Đặc biệt")
    assert _member_sip_users(api, listed) == ["103", "101", "102"]
    assert [m["order"] for m in listed["members"]] == [0, 1, 2]
    assert {m["timeout"] for m in listed["members"]} == {25}


def test_update_replaces_membership_and_order(api: Api) -> None:
    before = api.group("Nhóm Tech")
    updated = api.ok("POST", f"internal_group/update/{GROUP_TECH}",
                     json={**BODY, "group_name": "Nhóm Tech", "sip_members": ["102", "100"], "timeout": 40})
    assert updated["sip_members"] == ["102", "100"]
    after = api.group("Nhóm Tech")
    assert _member_sip_users(api, after) == ["102", "100"]
    assert {m["timeout"] for m in after["members"]} == {40}
    assert after["last_updated_date"] > before["last_updated_date"]
    assert after["strategy"] == "rollover" and after["last_update_by"] is not None


def test_add_members_appends_missing_and_remove_ignores_absent(api: Api) -> None:
    assert api.ok("POST", "internal_group/add-members", json={"group_id": GROUP_TECH, "sip_users": ["100", "104", "145"]})
    assert _member_sip_users(api, api.group("Nhóm Tech")) == ["101", "100", "104", "145"]
    api.ok("POST", "internal_group/remove-members", json={"group_id": GROUP_TECH, "sip_users": ["101", "147", "999"]})
    assert _member_sip_users(api, api.group("Nhóm Tech")) == ["100", "104", "145"]
    assert "ring group not found" in api.fail(
        "POST", "internal_group/add-members", json={"group_id": "0123456789abcdef01234567", "sip_users": ["100"]})


def test_call_queue_config_is_kept_but_only_returned_on_create_and_update(api: Api) -> None:
    queue = {"enable": True, "is_in_call": False, "is_offline": True, "waiting_time": 45}
    created = api.ok("POST", "internal_group/add", json={**BODY, "call_queue_config": queue})
    assert created["call_queue_config"] == queue
    assert "call_queue_config" not in api.group("Nhóm Đặc biệt")
    # an update leaving it out keeps it
    updated = api.ok("POST", f"internal_group/update/{created['_id']}", json=BODY)
    assert updated["call_queue_config"] == queue


def test_target_and_optional_fields_survive_an_update_that_omits_them(api: Api) -> None:
    body = {**BODY, "ring_group_type": 4, "target_timeout_type": "Ivr_menu", "target_timeout": IVR_MENU}
    created = api.ok("POST", "internal_group/add", json=body)
    api.ok("POST", f"internal_group/update/{created['_id']}", json=BODY)
    listed = api.group("Nhóm Đặc biệt")
    assert (listed["ring_group_type"], listed["target_timeout_type"], listed["target_timeout"]) == (4, "Ivr_menu", IVR_MENU)
    api.ok("POST", f"internal_group/update/{created['_id']}", json={**BODY, "target_timeout_type": "", "target_timeout": ""})
    assert api.group("Nhóm Đặc biệt")["target_timeout"] == ""


def test_delete_removes_the_group(api: Api) -> None:
    created = api.ok("POST", "internal_group/add", json=BODY)
    assert api.ok("DELETE", f"internal_group/delete/{created['_id']}") is True
    names = {g["group_name"] for g in api.ok("GET", "internal_group/list")["items"]}
    assert "Nhóm Đặc biệt" not in names
