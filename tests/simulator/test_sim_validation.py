"""Validation failures: HTTP 200 with status_code -9999 and a message; nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.simulator.demo import CALL_SCRIPT, GROUP_CSKH, GROUP_TECH, IVR_GREETING, IVR_MENU
from tests.simulator.helpers import Api

GROUP = {"group_name": "G", "strategy": "rollover", "sip_members": ["101"], "timeout": 20}
IVR = {"script_name": "M", "max_failure": 1, "time_out": 3, "greeting_id": IVR_GREETING, "scripts": []}
SCRIPT = {"script_name": "S", "scripts": [{"action_type": "Ring_group", "action_id": GROUP_CSKH}]}
TTS = {"text": "Xin chào", "speed": 0, "voice": "southern_male_tienhuy"}


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


CASES = [
    ("internal_group/add", _without(GROUP, "group_name"), "group_name is required"),
    ("internal_group/add", _without(GROUP, "sip_members"), "sip_members is required"),
    ("internal_group/add", {**GROUP, "strategy": "parallel"}, "strategy must be one of"),
    ("internal_group/add", {**GROUP, "timeout": 0}, "timeout out of range"),
    ("internal_group/add", {**GROUP, "timeout": "20"}, "timeout must be an integer"),
    ("internal_group/add", {**GROUP, "ring_group_type": 2}, "ring_group_type must be one of"),
    ("internal_group/add", {**GROUP, "target_timeout_type": "Voice_mail", "target_timeout": IVR_GREETING},
     "target_timeout_type must be one of"),
    ("internal_group/add", {**GROUP, "target_timeout_type": "Recording"}, "target_timeout is required"),
    ("internal_group/add", {**GROUP, "call_queue_config": {"enable": "yes"}}, "call_queue_config.enable"),
    ("key-interaction/add", _without(IVR, "greeting_id"), "greeting_id is required"),
    ("key-interaction/add", {**IVR, "max_failure": -1}, "max_failure out of range"),
    ("key-interaction/add", {**IVR, "scripts": [{"ivr": "10", "action_type": "Ring_group", "action": GROUP_CSKH}]},
     "ivr must be one of"),
    ("key-interaction/add", {**IVR, "scripts": [{"ivr": "1", "action_type": "Ring_group", "action": GROUP_CSKH},
                                                {"ivr": "1", "action_type": "Ivr_menu", "action": IVR_MENU}]},
     "appears twice"),
    ("key-interaction/add", {**IVR, "scripts": [{"ivr": "#", "action_type": "Extension", "action": "x"}]},
     "action_type must be one of"),
    ("call_script/add", _without(SCRIPT, "script_name"), "script_name is required"),
    ("call_script/add", {**SCRIPT, "criterias": [{"type": "5", "wait_time": "10", "timeout_time": "10"}]},
     "type must be one of"),
    ("call_script/add", {**SCRIPT, "criterias": [{"type": "2", "wait_time": "-1", "timeout_time": "10"}]},
     "wait_time out of range"),
    ("call_script/add", {**SCRIPT, "scripts": [{"action_type": "Voice_mail", "action_id": GROUP_CSKH}]},
     "action_type must be one of"),
    ("hotline/update", {"hotline": "842871002283", "allow_call_in": True}, 'allow_call_in must be the string "true"'),
    ("hotline/update", {"hotline": "842871002283", "access_type": "everyone"}, "access_type must be one of"),
    ("hotline/update", {"hotline": "999"}, "hotline not found"),
    ("hotline/extension/update", {"hotline": "842871002283", "user_email": "an@example.vn", "directions": ["sideways"]},
     "directions must be"),
    ("hotline/extension/update", {"hotline": "842871002283", "user_email": "nobody@example.vn",
                                  "directions": ["outbound"]}, "no extension with email"),
    ("internal_phone/update", {"sip_user": "101", "call_timeout": "soon"}, "call_timeout must be a number"),
    ("internal_phone/update", {"sip_user": "999", "password": "x"}, "extension not found"),
]


@pytest.mark.parametrize(("path", "body", "message"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_bad_body_is_refused_in_the_envelope(api: Api, path: str, body: dict[str, Any], message: str) -> None:
    before = api.sim.snapshot()
    assert message in api.fail("POST", path, json=body)
    assert api.sim.snapshot() == before


@pytest.mark.parametrize(("body", "message"), [
    ({**TTS, "text": "x" * 300}, "shorter than 300"),
    ({**TTS, "text": ""}, "text must not be empty"),
    ({**TTS, "speed": 4}, "speed out of range"),
    ({**TTS, "speed": "-4"}, "speed out of range"),
    ({**TTS, "voice": "banmai"}, "voice must be one of"),
    (_without(TTS, "speed"), "speed is required"),
])
def test_text_to_speech_validation(api: Api, body: dict[str, Any], message: str) -> None:
    assert message in api.fail("POST", "greeting/upload-text-to-speech", params={"greeting_name": "x"}, json=body)


def test_text_of_299_characters_and_string_speed_are_accepted(api: Api) -> None:
    payload = api.ok("POST", "greeting/upload-text-to-speech", params={"greeting_name": "Dài"},
                     json={**TTS, "text": "a" * 299, "speed": "-3"})
    assert payload["file"]["speed"] == -3 and payload["file"]["voice"] == "southern_male_tienhuy"


@pytest.mark.parametrize("kwargs", [{}, {"json": {}}, {"content": b"{}", "headers": {"Content-Type": "text/plain"}},
                                    {"data": {"group_name": "G"}}])
def test_missing_body_is_request_body_required(api: Api, kwargs: dict[str, Any]) -> None:
    assert api.fail("POST", "internal_group/add", **kwargs) == "request_body_required"


def test_unknown_id_in_the_path_is_refused(api: Api) -> None:
    assert "ring group not found" in api.fail("POST", "internal_group/update/0123456789abcdef01234567", json=GROUP)
    assert "call script not found" in api.fail("DELETE", "call_script/delete/nonsense")


def test_wrong_verb_and_unknown_path(api: Api) -> None:
    wrong = api.call("POST", f"call_script/update/{CALL_SCRIPT}", json=SCRIPT)
    assert wrong.status_code == 405 and wrong.json()["status_code"] == -9999
    assert api.call("POST", "greeting/update/x", json={}).status_code == 404  # greetings have no update
    assert api.call("GET", "internal_group/list/extra").status_code == 404


def test_call_script_update_takes_name_not_script_name(api: Api) -> None:
    body = {"script_name": "Đổi tên", "scripts": SCRIPT["scripts"]}
    assert api.fail("PUT", f"call_script/update/{CALL_SCRIPT}", json=body) == "name is required"
    updated = api.ok("PUT", f"call_script/update/{CALL_SCRIPT}", json={**body, "name": "Đổi tên"})
    assert updated["script_name"] == "Đổi tên" and updated["script_name_unsigned"] == "Doi ten"


def test_group_update_requires_the_full_body(api: Api) -> None:
    assert api.fail("POST", f"internal_group/update/{GROUP_TECH}", json={"group_name": "X"}) == "strategy is required"
