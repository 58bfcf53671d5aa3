"""The built-in demo tenant: the doc's example objects, made consistent.

Every reference points at an object of a documented type that exists: the doc's
"Nhóm nhân viên mặc định" loses its Voice_mail target, the IVR menu's greeting is one
of the doc's greetings, hotline 842871002283 runs the doc's call script. Under the
"live-unknown-types" reading the group keeps the doc's Voice_mail target (an id no list
returns) and the IVR menu's key 3 uses a newer type word.
"""

from __future__ import annotations

import copy
from typing import Any

_TENANT = "6209c98461c1cb163ded25f7"
_OWNER = {"id": "6209c98561c1cb163ded25fa", "name": "OMI Hotline"}
GROUP_TECH = "62ff11b208d4bf3ea694a6f3"
GROUP_SALES = "62ff11a208d4bf3ea694a539"
GROUP_CSKH = "62ff119508d4bf3ea694a44a"
GROUP_DEFAULT = "6209c99b067f745da47367f4"
IVR_MENU = "632969ce7534d97b0933d51d"
CALL_SCRIPT = "6333d3d3f4bfc27c57841093"
IVR_GREETING = "634944c8df71333e7787e03d"


def _extension(sip_user: str, full_name: str, email: str, agent_id: str, contact_id: str,
               password: str, created: int) -> dict[str, Any]:
    return {
        "domain": "omiteam", "outbound_proxy": "wss://wssvn.omicrm.com", "sip_user": sip_user,
        "password": password, "full_name": full_name, "agent_id": agent_id, "email": email,
        "public_number": "842871002283", "last_updated_date": created + 1000, "created_date": created,
        "contact_id": contact_id,
    }


_EXTENSIONS = [
    # 100 is the doc's console owner: the member of every doc group and of the
    # create example (sip_members ["100"] -> agent 6209c98561c1cb163ded25fa).
    _extension("100", "Trần Văn An", "an@example.vn", "6209c98561c1cb163ded25fa",
               "6209c98c067f745da47367d1", "anpw2024xx", 1644808600000),
    _extension("101", "Nguyễn Thị Bình", "binh@example.vn", "62d563113127de2eac6b8cbf",
               "62d563113127de2eac6b8cbe", "binhpw24xx", 1658151697000),
    _extension("102", "Lê Văn Cường", "cuong@example.vn", "62d5631a3127de2eac6b8cc1",
               "62d5631a3127de2eac6b8cc0", "cuongpw4xx", 1658151706000),
    _extension("103", "Phạm Thị Dung", "dung@example.vn", "62d563233127de2eac6b8cc3",
               "62d563233127de2eac6b8cc2", "dungpw24xx", 1658151715000),
    _extension("104", "Đặng Văn Đức", "duc@example.vn", "62d5632c3127de2eac6b8cc5",
               "62d5632c3127de2eac6b8cc4", "ducpw024xx", 1658151724000),
    _extension("145", "Hồng Ngọc", "ngoc@example.vn", "5ddb7a3e8f1c2a0012ab3c45",
               "5ddb7a3e8f1c2a0012ab3c44", "kiyyzsefxx", 1574133910912),
    _extension("147", "Đỗ Thị Hồng Vy", "vy@example.vn", "5de4c89b8f1c2a0012ab3c47",
               "5de4c89b8f1c2a0012ab3c46", "vypw2019xx", 1575251355778),
]


def _group(group_id: str, name: str, number: str, created: int, updated: int,
           sip_members: list[str], sequence: int, updated_by: bool = True) -> dict[str, Any]:
    return {
        "_id": group_id, "tenant_id": _TENANT, "group_name": name, "group_number": number,
        "created_date": created, "last_updated_date": updated, "create_by": dict(_OWNER),
        "last_update_by": dict(_OWNER) if updated_by else None, "strategy": "enterprise",
        "ring_group_wait_time_sequence": sequence, "target_timeout_type": "", "target_timeout": "",
        "sip_members": sip_members, "timeout": 30,
    }


_GROUPS = [
    _group(GROUP_TECH, "Nhóm Tech", "38011", 1660883378087, 1661221667904, ["101", "100"], 2),
    _group(GROUP_SALES, "Nhóm Sales", "62714", 1660883362155, 1667615822209, ["101", "100"], 0),
    _group(GROUP_CSKH, "Nhóm CSKH", "54807", 1660883349783, 1660883349783, ["100"], 2, updated_by=False),
    _group(GROUP_DEFAULT, "Nhóm nhân viên mặc định", "54919", 1644808603212, 1662705652281, ["100"], 0),
]


def _greeting(greeting_id: str, name: str, created: int, updated: int, recording: str, content: str) -> dict[str, Any]:
    return {
        "_id": greeting_id, "created_date": created, "last_updated_date": updated, "create_by": None,
        "last_update_by": None, "tenant_id": _TENANT, "greeting_name": name, "formality": "Robot đọc",
        "recording_file": recording, "content": content, "voice": "banmai", "speed": 0,
        "is_deleted": False, "is_hidden_in_list": None,
    }


_GREETINGS = [
    _greeting("639981151ee2ed6f5bbeea90", "Nhắc lịch đào tạo", 1671004437213, 1671004437213,
              "a6c2edd9-9af1-4e71-98a7-657c3c1e0466.mp3",
              "Bạn có một lịch họp sắp đến giờ, bạn vui lòng chú ý thời gian để đến đúng giờ"),
    _greeting("6391f975b4c5c92743725fa3", "Name 1", 1670510965969, 1670510965977,
              "6c0d4c55-d837-4ae5-835e-c16180b09e51.mp3", "Name 1"),
    _greeting(IVR_GREETING, "Thêm mới thành công", 1665746120033, 1665746120033,
              "d1969275-e403-438f-935c-6425d1550692.mp3", "Thêm mới thành công"),
    _greeting("634944a5823f5332401ec9c3", "Thêm mới", 1665746085884, 1665746085884,
              "d8bc922b-cabf-4e28-8198-6021f5b82c14.mp3", "Thêm mới thành công hay thất bại"),
]

_IVR_MENUS = [{
    "_id": IVR_MENU, "tenant_id": _TENANT, "script_name": "KỊCH BẢN BẤM PHÍM", "script_number": "166780",
    "greeting_id": IVR_GREETING, "greeting_short_id": "", "note": None, "created_date": 1663658446348,
    "created_by": dict(_OWNER), "last_updated_date": 1663658542212, "last_updated_by": dict(_OWNER),
    "scripts": [
        {"key": None, "action_type": "Ring_group", "action": GROUP_CSKH, "action_name": None, "ivr": "1"},
        {"key": None, "action_type": "Ring_group", "action": GROUP_CSKH, "action_name": None, "ivr": "2"},
    ],
    "time_out": 3, "action_type": "", "action": "", "invalid_sound_id": "", "max_failure": 1,
    "ivr_direct_menu_dial": "false",
}]

_CALL_SCRIPTS = [{
    "_id": CALL_SCRIPT, "extension": "3638325", "created_date": 1664340947781,
    "last_updated_date": 1736159391976, "create_by": {"id": _OWNER["id"], "name": "Trần Văn Tiến"},
    "last_update_by": {"id": _OWNER["id"], "name": "Trần Văn Tiến"}, "tenant_id": _TENANT,
    "script_name": "Nhóm CSKH", "note": "", "callscript_type": 0, "callscript_wait_time": 5,
    "scripts": [{"action_type": "Ring_group", "action_id": GROUP_CSKH}],
    "enable_criteria": True, "criterias": [{"type": "2", "wait_time": "10", "timeout_time": "10"}],
}]

_HOTLINES = [
    {
        "number": "842871002283", "status": "active", "expire_date": 1743440340000,
        "created_date": 1730172218174, "last_updated_date": 1736270113875,
        "configs": {"allow_call_in": True, "allow_call_out": True, "default_script": CALL_SCRIPT},
        "access_type": "applies_to_all_employees", "number_type": "fixed", "accesses": [],
    },
    {
        "number": "842873003388", "status": "active", "expire_date": 1774976340000,
        "created_date": 1730172318174, "last_updated_date": 1730172318174,
        "configs": {"allow_call_in": True, "allow_call_out": True, "default_script": ""},
        "access_type": "applies_to_all_employees", "number_type": "fixed", "accesses": [],
    },
]

_DEMO: dict[str, list[dict[str, Any]]] = {
    "extensions": _EXTENSIONS,
    "greetings": _GREETINGS,
    "groups": _GROUPS,
    "ivr_menus": _IVR_MENUS,
    "call_scripts": _CALL_SCRIPTS,
    "hotlines": _HOTLINES,
}


VOICE_MAIL = "62da34652a310904dfbbf13b"  # the doc's group list example
CALLBOT = "64b0c0ffee0000000000cb01"


def demo_seed(readings: frozenset[str] = frozenset()) -> dict[str, list[dict[str, Any]]]:
    """A fresh copy of the demo tenant in seed format, as a server of ``readings`` holds it."""
    seed = copy.deepcopy(_DEMO)
    if "live-unknown-types" in readings:
        default = next(g for g in seed["groups"] if g["_id"] == GROUP_DEFAULT)
        default.update(target_timeout_type="Voice_mail", target_timeout=VOICE_MAIL)
        seed["ivr_menus"][0]["scripts"].append(
            {"key": None, "action_type": "Callbot", "action": CALLBOT, "action_name": None, "ivr": "3"})
    return seed
