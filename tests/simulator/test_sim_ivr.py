"""IVR menus: key storage, padding in the list, fallback and sounds."""

from __future__ import annotations

from reconciler.simulator.demo import GROUP_CSKH, GROUP_SALES, IVR_GREETING, IVR_MENU
from tests.simulator.helpers import Api

BODY = {
    "script_name": "Menu phím", "max_failure": 2, "time_out": 5, "greeting_id": IVR_GREETING,
    "scripts": [
        {"ivr": "#", "action_type": "Ring_group", "action": GROUP_SALES},
        {"ivr": "1", "action_type": "Ivr_menu", "action": IVR_MENU},
        {"ivr": "0", "action_type": "Recording", "action": IVR_GREETING},
        {"ivr": "2", "action_type": "", "action": ""},
    ],
    "action_type": "Ring_group", "action": GROUP_CSKH, "greeting_short_id": IVR_GREETING,
}


def _listed(api: Api, name: str) -> dict:
    (menu,) = [m for m in api.ok("GET", "key-interaction/list")["items"] if m["script_name"] == name]
    return menu


def test_set_keys_are_returned_and_the_list_pads_1_to_9(api: Api) -> None:
    created = api.ok("POST", "key-interaction/add", json=BODY)
    assert [(k["ivr"], k["action_type"]) for k in created["scripts"]] == [
        ("1", "Ivr_menu"), ("0", "Recording"), ("#", "Ring_group")]
    assert len(created["script_number"]) == 6 and created["script_name_unsigned"] == "Menu phim"
    listed = _listed(api, "Menu phím")
    assert [k["ivr"] for k in listed["scripts"]] == [*"123456789", "0", "#"]
    assert {(k["action_type"], k["action"]) for k in listed["scripts"] if k["ivr"] in "23456789"} == {("", "")}
    assert (listed["action_type"], listed["action"], listed["greeting_short_id"]) == ("Ring_group", GROUP_CSKH, IVR_GREETING)
    assert (listed["max_failure"], listed["time_out"]) == (2, 5)


def test_update_replaces_the_keys_and_moves_the_date(api: Api) -> None:
    created = api.ok("POST", "key-interaction/add", json=BODY)
    updated = api.ok("POST", f"key-interaction/update/{created['_id']}",
                     json={**BODY, "scripts": [{"ivr": "9", "action_type": "Ring_group", "action": GROUP_CSKH}]})
    assert [k["ivr"] for k in updated["scripts"]] == ["9"]
    listed = _listed(api, "Menu phím")
    assert [k["ivr"] for k in listed["scripts"] if k["action"]] == ["9"]
    assert listed["last_updated_date"] > created["last_updated_date"]


def test_delete_menu(api: Api) -> None:
    created = api.ok("POST", "key-interaction/add", json=BODY)
    assert api.ok("DELETE", f"key-interaction/delete/{created['_id']}") is True
    assert [m["_id"] for m in api.ok("GET", "key-interaction/list")["items"]] == [IVR_MENU]
