"""IVR menus (reconciler/kinds/ivr_menu.py): the manifest model (keys a caller presses),
the vendor's examples read in manifest terms (padded keys dropped), the request body,
references with their paths (`keys.1`)."""

from __future__ import annotations

from reconciler.kinds import KINDS
from tests.kinds.helpers import Ids, desired, index, items, model, refs, refused

MENUS = KINDS["ivr_menus"]


# --- the model ----------------------------------------------------------------------
def test_a_menu_needs_a_name_and_a_greeting_and_gets_the_documented_defaults():
    menu = model("ivr_menus", {"name": "Menu", "greeting": "Chào"})
    assert (menu.input_timeout, menu.max_failures, menu.keys, menu.fallback) == (3, 1, {}, None)
    assert "Field required" in refused("ivr_menus", {"name": "Menu"})


def test_keys_are_the_text_a_caller_presses_and_lead_to_groups_or_menus():
    menu = model("ivr_menus", {"name": "M", "greeting": "G", "keys": {1: {"group": "A"}, "#": {"ivr": "M2"}}})
    assert menu.keys == {"1": {"group": "A"}, "#": {"ivr": "M2"}}  # YAML's 1: is the key "1"
    assert "String should match pattern" in refused("ivr_menus", {"name": "M", "greeting": "G",
                                                                  "keys": {"10": {"group": "A"}}})
    assert "a reference here must be {group: NAME} or {ivr: NAME}" in refused(
        "ivr_menus", {"name": "M", "greeting": "G", "keys": {"1": {"greeting": "G"}}})


def test_timeouts_stay_in_range():
    assert "less than or equal to 60" in refused("ivr_menus", {"name": "M", "greeting": "G", "input_timeout": 61})
    assert "greater than or equal to 1" in refused("ivr_menus", {"name": "M", "greeting": "G", "max_failures": 0})


def test_desired_keys_are_in_keypad_order():
    data = desired("ivr_menus", {"name": "M", "greeting": "G",
                                 "keys": {"#": {"group": "A"}, "*": {"group": "A"}, "2": {"group": "A"}}})
    assert list(data["keys"]) == ["2", "*", "#"]


# --- from_live: the vendor's examples ---------------------------------------------------
def test_ivr_padding_means_unset_and_greeting_ids_become_names():
    menu = MENUS.from_live(items("key_interaction_list.json")[0], index())
    assert menu["keys"] == {"1": {"group": "Nhóm CSKH"}, "2": {"group": "Nhóm CSKH"}}
    assert (menu["greeting"], menu["return_greeting"], menu["fallback"]) == ("Lời chào", None, None)
    assert (menu["input_timeout"], menu["max_failures"]) == (3, 1)


def test_the_create_answer_reads_with_its_sub_menu_and_without_its_padded_key():
    menu = MENUS.from_live(items("key_interaction_add.json")[0], index())
    assert menu == {"name": "KỊCH BẢN BẤM PHÍM", "greeting": "Khác", "return_greeting": None,
                    "invalid_greeting": "Lời chào", "input_timeout": 3, "max_failures": 1,
                    "keys": {"1": {"ivr": "Menu phụ"}}, "fallback": None}


# --- the request body ----------------------------------------------------------------
def test_body_carries_the_documented_fields_with_ids_for_names():
    data = desired("ivr_menus", {"name": "Menu", "greeting": "Chào", "invalid_greeting": "Sai",
                                 "input_timeout": 5, "max_failures": 2,
                                 "keys": {"1": {"group": "CSKH"}, "9": {"ivr": "Menu"}},
                                 "fallback": {"greeting": "Tạm biệt"}})
    assert MENUS.body(data, Ids(), update=False) == {
        "script_name": "Menu", "greeting_id": "id-greetings-Chào", "greeting_short_id": "",
        "invalid_sound_id": "id-greetings-Sai", "time_out": 5, "max_failure": 2,
        "scripts": [{"ivr": "1", "action": "id-groups-CSKH", "action_type": "Ring_group"},
                    {"ivr": "9", "action": "id-ivr_menus-Menu", "action_type": "Ivr_menu"}],
        "action_type": "Recording", "action": "id-greetings-Tạm biệt"}
    assert (MENUS.create_path, MENUS.update_path, MENUS.update_method) == (
        "/api/call_center/key-interaction/add", "/api/call_center/key-interaction/update/{id}", "POST")


def test_a_menu_without_keys_is_sent_with_a_warning_never_left_with_an_empty_scripts_on_release():
    data = desired("ivr_menus", {"name": "M", "greeting": "G"})
    assert MENUS.body(data, Ids(), update=True)["scripts"] == []
    (warning,) = MENUS.send_warnings("M", data)
    assert "has no keys" in warning and "scripts is required" in warning
    keyed = desired("ivr_menus", {"name": "M", "greeting": "G", "keys": {"1": {"group": "A"}}})
    released = MENUS.release(keyed, {("groups", "A")}, "M")
    assert released["keys"] == {"1": {"ivr": "M"}}  # loops back to itself until it is deleted


# --- references ----------------------------------------------------------------------
def test_references_say_where_they_are_written():
    data = desired("ivr_menus", {"name": "M", "greeting": "Chào", "return_greeting": "Lại",
                                 "keys": {"1": {"group": "CSKH"}, "2": {"live": {"type": "Callbot", "id": "c"}},
                                          "3": {"ivr": "M2"}},
                                 "fallback": {"group": "Tổng đài"}})
    assert refs("ivr_menus", data) == [
        ("greetings", "Chào", "greeting"), ("greetings", "Lại", "return_greeting"),
        ("groups", "CSKH", "keys.1"), ("ivr_menus", "M2", "keys.3"), ("groups", "Tổng đài", "fallback")]


def test_its_greeting_is_required_so_a_menu_cannot_let_go_of_it():
    data = desired("ivr_menus", {"name": "M", "greeting": "G", "return_greeting": "R"})
    assert MENUS.optional_references(data, {("greetings", "G")}) is None
    assert MENUS.optional_references(data, {("greetings", "R")})["return_greeting"] is None


# --- write-only and secret fields ----------------------------------------------------------
def test_the_api_returns_every_field_of_a_menu():
    assert MENUS.write_only == set() and MENUS.secret == set() and MENUS.keep_when_omitted == set()
    live = MENUS.from_live(items("key_interaction_list.json")[0], index())
    assert set(live) == set(desired("ivr_menus", {"name": "M", "greeting": "G"}))
