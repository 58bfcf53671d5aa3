"""Ring groups (reconciler/kinds/group.py): the manifest model, the vendor's list example
read in manifest terms, the request body, references with their paths, the call queue the
API never returns."""

from __future__ import annotations

from reconciler.kinds import KINDS
from reconciler.kinds.base import Ref
from tests.kinds.helpers import Ids, desired, index, items, model, refs, refused

GROUPS = KINDS["groups"]


# --- the model ----------------------------------------------------------------------
def test_a_group_needs_only_a_name_and_gets_the_documented_defaults():
    group = model("groups", {"name": "CSKH"})
    assert (group.strategy, group.members, group.member_timeout, group.priority, group.on_timeout, group.queue) == (
        "enterprise", [], 30, "none", None, None)


def test_members_are_extension_numbers_each_listed_once():
    assert model("groups", {"name": "CSKH", "members": [101, "102"]}).members == ["101", "102"]
    assert "extension '101' is listed twice" in refused("groups", {"name": "CSKH", "members": ["101", 101]})
    assert "String should match pattern" in refused("groups", {"name": "CSKH", "members": ["1O1"]})


def test_on_timeout_names_a_group_an_ivr_menu_or_a_greeting_only():
    assert model("groups", {"name": "A", "on_timeout": {"ivr": "Menu"}}).on_timeout == {"ivr": "Menu"}
    message = refused("groups", {"name": "A", "on_timeout": {"extension": "101"}})
    assert "a reference here must be {group: NAME} or {ivr: NAME} or {greeting: NAME}" in message


def test_unknown_fields_and_values_out_of_range_are_refused():
    assert "Extra inputs are not permitted" in refused("groups", {"name": "A", "member": ["101"]})
    assert "less than or equal to 600" in refused("groups", {"name": "A", "member_timeout": 601})
    assert "'enterprise', 'rollover' or 'random'" in refused("groups", {"name": "A", "strategy": "all"})


# --- from_live: the vendor's examples ---------------------------------------------------
def test_group_list_members_are_extensions_in_order():
    tech = GROUPS.from_live(items("internal_group_list.json")[0], index())
    assert tech == {"name": "Nhóm Tech", "strategy": "enterprise", "members": ["101", "100"],
                    "member_timeout": 30, "priority": "none", "on_timeout": None}


def test_group_with_unsupported_timeout_target_is_shown_as_it_is():
    default = GROUPS.from_live(items("internal_group_list.json")[3], index())
    assert default["on_timeout"] == {"live": {"type": "Voice_mail", "id": "62da34652a310904dfbbf13b"}}


def test_the_create_answer_reads_like_a_listed_group():
    made = GROUPS.from_live(items("internal_group_add.json")[0], index())
    assert made == {"name": "tientv11", "strategy": "random", "members": ["100"], "member_timeout": 30,
                    "priority": "none", "on_timeout": None}
    assert GROUPS.live_id(items("internal_group_add.json")[0]) == "6391f5be232ce4664531e0cc"


# --- the request body ----------------------------------------------------------------
def test_body_carries_the_documented_fields_with_ids_for_names():
    data = desired("groups", {"name": "CSKH", "strategy": "rollover", "members": ["101", "102"],
                              "member_timeout": 20, "priority": "fewest_answered", "on_timeout": {"ivr": "Menu"},
                              "queue": {"waiting_time": 60, "when_offline": False}})
    assert GROUPS.body(data, Ids(), update=False) == {
        "group_name": "CSKH", "strategy": "rollover", "sip_members": ["101", "102"], "timeout": 20,
        "ring_group_type": 4, "target_timeout_type": "Ivr_menu", "target_timeout": "id-ivr_menus-Menu",
        "call_queue_config": {"enable": True, "is_in_call": True, "is_offline": False, "waiting_time": 60}}
    assert (GROUPS.create_path, GROUPS.update_path, GROUPS.delete_path) == (
        "/api/call_center/internal_group/add", "/api/call_center/internal_group/update/{id}",
        "/api/call_center/internal_group/delete/{id}")


def test_body_without_a_target_or_a_queue_sends_empty_target_and_no_queue():
    body = GROUPS.body(desired("groups", {"name": "CSKH"}), Ids(), update=True)
    assert (body["target_timeout_type"], body["target_timeout"]) == ("", "")
    assert "call_queue_config" not in body


def test_a_live_target_is_sent_back_as_it_was_read():
    data = desired("groups", {"name": "A", "on_timeout": {"live": {"type": "Voice_mail", "id": "v1"}}})
    body = GROUPS.body(data, Ids(), update=True)
    assert (body["target_timeout_type"], body["target_timeout"]) == ("Voice_mail", "v1")


# --- references ----------------------------------------------------------------------
def test_references_say_where_they_are_written():
    data = desired("groups", {"name": "A", "members": ["101", "102"], "on_timeout": {"greeting": "Chào"}})
    assert refs("groups", data) == [("extensions", "101", "members.0"), ("extensions", "102", "members.1"),
                                    ("greetings", "Chào", "on_timeout")]
    assert all(isinstance(r, Ref) for r in GROUPS.references(data))


def test_a_live_target_is_no_reference_and_an_overflow_can_be_dropped():
    assert GROUPS.references(desired("groups", {"name": "A", "on_timeout": {"live": {"type": "X", "id": "1"}}})) == []
    data = desired("groups", {"name": "A", "on_timeout": {"group": "B"}})
    assert GROUPS.optional_references(data, {("groups", "B")})["on_timeout"] is None
    assert "on_timeout" in GROUPS.no_self_reference


# --- write-only and secret fields ----------------------------------------------------------
def test_the_queue_is_write_only_and_left_alone_when_omitted():
    assert GROUPS.write_only == {"queue"} and GROUPS.keep_when_omitted == {"queue"} and GROUPS.secret == set()
    assert "queue" not in desired("groups", {"name": "A"})
    assert desired("groups", {"name": "A", "queue": {}})["queue"] == {
        "enabled": True, "when_busy": True, "when_offline": True, "waiting_time": 90}
    live = GROUPS.from_live(items("internal_group_list.json")[0], index())
    assert "queue" not in live
    assert GROUPS.compare("queue", {"enabled": True}, live) is None  # verified by fingerprint only
