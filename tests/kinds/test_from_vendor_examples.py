"""Each kind reads the vendor's own JSON examples (copied from call-center.md) in
manifest terms: ids to names, agent ids to extensions, padded keys dropped, strings to
numbers and booleans."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.engine.catalogue import LiveNames
from reconciler.engine.live import LiveState
from reconciler.kinds import KINDS

FIXTURES = Path(__file__).resolve().parents[1] / "simulator" / "fixtures"


def items(name: str) -> list[dict]:
    payload = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["payload"]
    return payload["items"] if isinstance(payload, dict) and "items" in payload else [payload]


def index() -> LiveNames:
    """The names the examples' ids read as, from a live tenant that has those objects."""
    live = LiveState.from_raw({
        "groups": [{"_id": "62ff119508d4bf3ea694a44a", "group_name": "Nhóm CSKH"}],
        "greetings": [{"_id": "6209c99b067f745da47367f3", "greeting_name": "Lời chào"},
                      {"_id": "62da34652a310904dfbbf13b", "greeting_name": "Khác"}],
        "call_scripts": [{"_id": "677d6052f762e43be043ac35", "script_name": "Giờ hành chính"}],
        "ivr_menus": [{"_id": "6391fa5f44b0fb4429b580c0", "script_name": "Menu phụ"}],
        "extensions": [{"sip_user": "101", "agent_id": "62d563113127de2eac6b8cbf"},
                       {"sip_user": "100", "agent_id": "6209c98561c1cb163ded25fa"}],
    })
    return live.catalogue.names_for_reading()


def test_group_list_members_are_extensions_in_order():
    tech = KINDS["groups"].from_live(items("internal_group_list.json")[0], index())
    assert tech == {"name": "Nhóm Tech", "strategy": "enterprise", "members": ["101", "100"],
                    "member_timeout": 30, "priority": "none", "on_timeout": None}


def test_group_with_unsupported_timeout_target_is_shown_as_it_is():
    default = KINDS["groups"].from_live(items("internal_group_list.json")[3], index())
    assert default["on_timeout"] == {"live": {"type": "Voice_mail", "id": "62da34652a310904dfbbf13b"}}


def test_ivr_padding_means_unset_and_greeting_ids_become_names():
    menu = KINDS["ivr_menus"].from_live(items("key_interaction_list.json")[0], index())
    assert menu["keys"] == {"1": {"group": "Nhóm CSKH"}, "2": {"group": "Nhóm CSKH"}}
    assert (menu["greeting"], menu["return_greeting"], menu["fallback"]) == ("Lời chào", None, None)
    assert (menu["input_timeout"], menu["max_failures"]) == (3, 1)


def test_call_script_criteria_strings_become_numbers():
    script = KINDS["call_scripts"].from_live(items("call_script_list.json")[0], index())
    assert script["steps"] == [{"group": "Nhóm CSKH"}]
    assert script["routing_criteria"] == [{"type": "account_manager", "agent_timeout": 10, "offline_wait": 10}]


def test_hotline_config_reads_script_by_name_and_booleans():
    hotline = KINDS["hotlines"].from_live(items("hotline_search.json")[0], index())
    assert hotline == {"number": "842871002283", "call_script": "Giờ hành chính", "inbound": True,
                       "outbound": True, "outbound_access": "all", "schedule": {}}


def test_tts_greeting_reads_text_voice_speed():
    greeting = KINDS["greetings"].from_live(items("greeting_list.json")[0], index())
    assert greeting == {"name": "Name 1", "text": "Name 1", "voice": "banmai", "speed": 0}


def test_extension_reads_only_its_identity_never_the_password():
    ext = KINDS["extensions"].from_live(items("internal_phone_list.json")[1], index())
    assert ext == {"sip_user": "145"}


def test_references_in_any_reading_become_names_or_opaque_live_references():
    # Issue 9: an Extension step names its extension by agent_id or by sip_user; a target
    # no list returns, or of a type word the doc does not list, is carried as it is.
    from reconciler.kinds.base import ref_from_api

    ix = index()
    assert ref_from_api(ix, "Extension", "62d563113127de2eac6b8cbf") == {"extension": "101"}
    assert ref_from_api(ix, "Extension", "101") == {"extension": "101"}
    assert ref_from_api(ix, "Extension", "999") == {"live": {"type": "Extension", "id": "999"}}
    assert ref_from_api(ix, "Ring_group", "62ff119508d4bf3ea694a44a") == {"group": "Nhóm CSKH"}
    assert ref_from_api(ix, "Ring_group", "5f00000000000000000000ff") == {
        "live": {"type": "Ring_group", "id": "5f00000000000000000000ff"}}
    assert ref_from_api(ix, "Callbot", "x1") == {"live": {"type": "Callbot", "id": "x1"}}
    assert ref_from_api(ix, "", "") is None


def test_hotline_accesses_are_read_in_every_shape():
    hotline = {"number": "842871002283", "access_type": "applies_according_to_employee_criteria",
               "configs": {"default_script": ""}}
    ix = index()
    kind = KINDS["hotlines"]
    typed = kind.from_live({**hotline, "accesses": [{"type": "extension", "sip_user": "101"},
                                                    {"type": "group", "group_id": "62ff119508d4bf3ea694a44a"}]}, ix)
    plain = kind.from_live({**hotline, "accesses": ["101", "62ff119508d4bf3ea694a44a"]}, ix)
    hidden = kind.from_live(hotline, ix)
    for data in (typed, plain):
        assert kind.references(data) == [("extensions", "101"), ("groups", "Nhóm CSKH")]
        assert kind.unknown_references(data) == frozenset()
    assert kind.references(hidden) == [] and kind.unknown_references(hidden) == {"groups"}
