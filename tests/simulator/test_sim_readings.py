"""Each reading of an open question in the doc: the simulator really answers that way,
over HTTP, and the default reading is today's behaviour."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest

from reconciler.simulator import Simulator
from reconciler.simulator.demo import CALLBOT, GROUP_CSKH, GROUP_DEFAULT, VOICE_MAIL
from reconciler.simulator.readings import ALL_READINGS, DEFAULTS, PRESETS, QUESTIONS, resolve

from .helpers import MP3, Api, open_api

HOTLINE = "842873003388"


def _api(*readings: str, seed: Any = None) -> Api:
    sim = Simulator(seed, readings=readings)
    return open_api(sim, "http")


@pytest.fixture
def stop_all():
    opened: list[Api] = []
    yield opened
    for api in opened:
        api.client.close()
        api.sim.stop()


def _open(stop_all: list, *readings: str, seed: Any = None) -> Api:
    api = _api(*readings, seed=seed)
    stop_all.append(api)
    return api


def _hotline(api: Api) -> dict[str, Any]:
    return api.ok("GET", "hotline/by-phone", params={"hotline": HOTLINE})


def _restrict(api: Api, **lists: Any) -> None:
    api.ok("POST", "hotline/update", json={"hotline": HOTLINE, "access_type": "applies_according_to_employee_criteria",
                                          "extensions": ["101"], "group_ids": [GROUP_CSKH], **lists})


def test_every_question_has_a_default_and_the_preset_names_real_readings() -> None:
    assert len(DEFAULTS) == len(QUESTIONS)
    assert resolve(None) == DEFAULTS
    assert set(PRESETS["strict"]) <= set(ALL_READINGS)
    assert resolve(["strict"]) >= set(PRESETS["strict"])


def test_unknown_or_clashing_readings_are_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="unknown reading 'scripts-empty'.*scripts-nonempty"):
        resolve(["scripts-empty"])
    with pytest.raises(ValueError, match="same question"):
        resolve(["accesses-ids", "accesses-hidden"])


@pytest.mark.parametrize("reading", ["scripts-empty-ok", "scripts-nonempty"])
def test_reading_scripts(stop_all, reading: str) -> None:
    api = _open(stop_all, reading)
    body = {"script_name": "Trống", "note": "", "scripts": []}
    if reading == "scripts-nonempty":
        assert api.fail("POST", "call_script/add", json=body) == "scripts is required"
        ivr = {"script_name": "Menu trống", "greeting_id": "634944c8df71333e7787e03d", "max_failure": 1,
               "time_out": 3, "scripts": []}
        assert api.fail("POST", "key-interaction/add", json=ivr) == "scripts is required"
    else:
        assert api.ok("POST", "call_script/add", json=body)["scripts"] == []


@pytest.mark.parametrize("reading", ["extension-step-agent-id", "extension-step-sip-user"])
def test_reading_extension_step(stop_all, reading: str) -> None:
    api = _open(stop_all, reading)
    agent = "62d563113127de2eac6b8cbf"  # extension 101 of the demo tenant
    good, bad = ("101", agent) if reading == "extension-step-sip-user" else (agent, "101")
    step = lambda target: {"script_name": f"Gọi {target}", "scripts": [{"action_type": "Extension", "action_id": target}]}  # noqa: E731
    assert api.ok("POST", "call_script/add", json=step(good))["scripts"][0]["action_id"] == good
    assert "not found" in api.fail("POST", "call_script/add", json=step(bad))


@pytest.mark.parametrize("reading", ["accesses-typed", "accesses-ids", "accesses-hidden"])
def test_reading_accesses(stop_all, reading: str) -> None:
    api = _open(stop_all, reading)
    _restrict(api)
    item = _hotline(api)
    searched = api.ok("GET", "hotline/search", params={"keyword": HOTLINE})["items"][0]
    expected = {
        "accesses-typed": [{"type": "extension", "sip_user": "101"}, {"type": "group", "group_id": GROUP_CSKH}],
        "accesses-ids": ["101", GROUP_CSKH],
    }
    if reading == "accesses-hidden":
        assert "accesses" not in item and "accesses" not in searched
    else:
        assert item["accesses"] == searched["accesses"] == expected[reading]


@pytest.mark.parametrize("reading", ["accesses-typed", "accesses-ids", "accesses-hidden"])
def test_a_group_named_in_a_hotlines_accesses_is_in_use_under_every_shape(stop_all, reading: str) -> None:
    api = _open(stop_all, reading)
    api.ok("PUT", "call_script/update/6333d3d3f4bfc27c57841093",
           json={"name": "Nhóm CSKH", "scripts": [{"action_type": "Recording", "action_id": "634944c8df71333e7787e03d"}]})
    api.ok("POST", "key-interaction/update/632969ce7534d97b0933d51d",
           json={"script_name": "KỊCH BẢN BẤM PHÍM", "greeting_id": "634944c8df71333e7787e03d", "max_failure": 1,
                 "time_out": 3, "scripts": [{"ivr": "1", "action_type": "Recording", "action": "634944c8df71333e7787e03d"}]})
    _restrict(api)
    assert "it is used by hotline '842873003388'" in api.fail("DELETE", f"internal_group/delete/{GROUP_CSKH}")
    # Access "all" with the lists sent empty frees it.
    api.ok("POST", "hotline/update", json={"hotline": HOTLINE, "access_type": "applies_to_all_employees",
                                          "extensions": [], "group_ids": []})
    assert api.ok("DELETE", f"internal_group/delete/{GROUP_CSKH}") is True


@pytest.mark.parametrize("reading", ["live-documented-types", "live-unknown-types"])
def test_reading_type_words(stop_all, reading: str) -> None:
    api = _open(stop_all, reading)
    default = next(g for g in api.ok("GET", "internal_group/list", params={"size": 50})["items"]
                   if g["_id"] == GROUP_DEFAULT)
    menu = api.ok("GET", "key-interaction/list")["items"][0]
    keys = {k["ivr"]: (k["action_type"], k["action"]) for k in menu["scripts"]}
    update = {"group_name": "Nhóm nhân viên mặc định", "strategy": "enterprise", "sip_members": ["100"],
              "timeout": 30, "target_timeout_type": "Voice_mail", "target_timeout": VOICE_MAIL}
    path = f"internal_group/update/{GROUP_DEFAULT}"
    if reading == "live-unknown-types":
        assert (default["target_timeout_type"], default["target_timeout"]) == ("Voice_mail", VOICE_MAIL)
        assert keys["3"] == ("Callbot", CALLBOT)
        assert api.ok("POST", path, json=update)["target_timeout_type"] == "Voice_mail"  # its own value back
    else:
        assert default["target_timeout_type"] == "" and keys["3"] == ("", "")
        assert "target_timeout_type must be one of" in api.fail("POST", path, json=update)


@pytest.mark.parametrize("reading", ["void-payload-true", "void-empty-body", "void-empty-object"])
def test_reading_void_answers(stop_all, reading: str) -> None:
    api = _open(stop_all, reading)
    calls = [
        ("PUT", "internal_phone/status", {"params": {"enabled": "false", "sip_user": "101"}}),
        ("POST", "internal_phone/update", {"json": {"sip_user": "101", "call_timeout": 25}}),
        ("GET", "internal_phone/refresh", {"params": {"sip_user": "101"}}),
        ("POST", "hotline/extension/update", {"json": {"hotline": HOTLINE, "user_email": "binh@example.vn",
                                                        "directions": ["outbound"]}}),
    ]
    for method, path, kwargs in calls:
        response = api.call(method, path, **kwargs)
        assert response.status_code == 200
        if reading == "void-empty-body":
            assert response.content == b""
        elif reading == "void-empty-object":
            assert response.json() == {}
        else:
            assert response.json()["payload"] is True
    # Refusals still come as failure envelopes.
    assert api.fail("PUT", "internal_phone/status", params={"enabled": "true", "sip_user": "999"})


@pytest.mark.parametrize("reading", ["documented-fields", "extra-fields"])
def test_reading_extra_fields(stop_all, reading: str) -> None:
    api = _open(stop_all, reading)
    body = api.call("GET", "internal_group/list").json()
    item = body["payload"]["items"][0]
    if reading == "extra-fields":
        assert body["sync_status"] == item["sync_status"] == "synced"
    else:
        assert "sync_status" not in item and "sync_status" not in body


@pytest.mark.parametrize("reading", ["group-update-keeps-queue", "group-update-resets-queue"])
def test_reading_group_update_queue(stop_all, reading: str) -> None:
    api = _open(stop_all, reading)
    base = {"group_name": "Nhóm CSKH", "strategy": "enterprise", "sip_members": ["100"], "timeout": 30}
    queue = {"enable": True, "is_in_call": True, "is_offline": False, "waiting_time": 60}
    api.ok("POST", f"internal_group/update/{GROUP_CSKH}", json={**base, "call_queue_config": queue})
    after = api.ok("POST", f"internal_group/update/{GROUP_CSKH}", json=base)["call_queue_config"]
    assert after["enable"] is (reading == "group-update-keeps-queue")


@pytest.mark.parametrize("reading", ["mp3-file-id", "mp3-no-id"])
def test_reading_mp3_upload_answer(stop_all, reading: str) -> None:
    api = _open(stop_all, reading)
    payload = api.ok("POST", "greeting/upload", params={"greeting_name": "Nhạc"},
                     files={"file": ("nhac.mp3", MP3, "audio/mpeg")})
    if reading == "mp3-no-id":
        assert payload is True
    else:
        assert payload["file"]["greeting_name"] == "Nhạc" and payload["file"]["_id"]
    names = [g["greeting_name"] for g in api.ok("GET", "greeting/list", params={"size": 50})["items"]]
    assert "Nhạc" in names


@pytest.mark.parametrize("reading,cap", [("page-cap-100", 100), ("page-cap-10", 10), ("page-size-honoured", 500)])
def test_reading_page_sizes(stop_all, reading: str, cap: int) -> None:
    seed = {"extensions": [{"sip_user": str(200 + i)} for i in range(120)],
            "hotlines": [{"number": f"8428{i:08d}"} for i in range(60)]}
    api = _open(stop_all, reading, seed=seed)
    listed = api.ok("GET", "internal_phone/list", params={"size": 500})
    assert listed["page_size"] == min(cap, 500) and len(listed["items"]) == min(cap, 120)
    assert api.ok("GET", "hotline/search", params={"size": 500})["page_size"] == 50  # documented cap


def test_strict_preset_takes_every_hard_reading(stop_all) -> None:
    api = _open(stop_all, "strict")
    assert api.sim.tenant.readings == resolve(PRESETS["strict"])
    assert api.fail("POST", "call_script/add", json={"script_name": "x", "scripts": []}) == "scripts is required"
    _restrict(api)
    assert "accesses" not in _hotline(api)


def test_reconciler_sim_takes_readings_and_refuses_unknown_ones() -> None:
    code = "from reconciler.cli import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "sim", "--api-key", "k", "--reading", "accesses-ids",
                             "--reading", "scripts-nonempty"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert proc.stdout.readline().strip() == "API key: k"
        assert proc.stdout.readline().strip() == f"export OMICALL_URL={url} OMICALL_API_KEY=k"
        assert proc.stdout.readline().strip() == "Readings: accesses-ids, scripts-nonempty"
        token = httpx.get(f"{url}/api/auth", params={"apiKey": "k"}).json()["payload"]["access_token"]
        answer = httpx.post(f"{url}/api/call_center/call_script/add", headers={"Authorization": f"Bearer {token}"},
                            json={"script_name": "x", "scripts": []}).json()
        assert answer["message"] == "scripts is required"
    finally:
        proc.terminate()
        proc.wait(10)
    bad = subprocess.run([sys.executable, "-c", code, "sim", "--reading", "nonsense"], capture_output=True, text=True)
    assert bad.returncode == 1 and "unknown reading 'nonsense'" in bad.stderr and "Traceback" not in bad.stderr
