"""Hotlines (reconciler/kinds/hotline.py): the manifest model (every field optional), the
vendor's examples read in manifest terms (the weekly schedule, outbound access in every
shape), what an update sends, references with their paths, and what the API never
returns (the dedicated extension, the outbound lists)."""

from __future__ import annotations

import asyncio

from reconciler.kinds import KINDS
from reconciler.kinds.hotline import ALL, RESTRICTED
from tests.kinds.helpers import Ids, Recorder, desired, index, items, model, refs, refused

HOTLINES = KINDS["hotlines"]
NUMBER = "842871002283"


# --- the model ----------------------------------------------------------------------
def test_a_hotline_is_its_number_and_every_other_field_is_optional():
    assert desired("hotlines", {"number": 842871002283}) == {"number": NUMBER}  # YAML's number is text
    assert "String should match pattern" in refused("hotlines", {"number": "0287-100"})


def test_outbound_access_is_all_or_lists_of_extensions_and_groups():
    assert model("hotlines", {"number": NUMBER, "outbound_access": "all"}).outbound_access == "all"
    access = model("hotlines", {"number": NUMBER, "outbound_access": {"extensions": [101], "groups": ["CSKH"]}})
    assert (access.outbound_access.extensions, access.outbound_access.groups) == (["101"], ["CSKH"])
    assert "Extra inputs are not permitted" in refused("hotlines", {"number": NUMBER,
                                                                    "outbound_access": {"users": ["101"]}})


def test_dedicated_to_needs_an_email_and_directions_once_each():
    ok = {"user_email": "an@congty.vn", "directions": ["inbound"]}
    assert model("hotlines", {"number": NUMBER, "dedicated_to": ok}).dedicated_to.directions == ["inbound"]
    assert "a direction is listed twice" in refused(
        "hotlines", {"number": NUMBER, "dedicated_to": {**ok, "directions": ["inbound", "inbound"]}})
    assert "String should match pattern" in refused(
        "hotlines", {"number": NUMBER, "dedicated_to": {**ok, "user_email": "an.congty.vn"}})


def test_a_schedule_is_a_script_per_day_or_time_frames():
    schedule = {"sat": "Cuối tuần", "mon": [{"from": "08:00", "to": "12:00", "call_script": "Sáng"}]}
    assert desired("hotlines", {"number": NUMBER, "schedule": schedule})["schedule"]["mon"] == [
        {"from": "08:00", "to": "12:00", "call_script": "Sáng"}]
    assert "String should match pattern" in refused(
        "hotlines", {"number": NUMBER, "schedule": {"mon": [{"from": "8:00", "to": "12:00"}]}})


# --- from_live: the vendor's examples ---------------------------------------------------
def test_hotline_config_reads_script_by_name_and_booleans():
    hotline = HOTLINES.from_live(items("hotline_search.json")[0], index())
    assert hotline == {"number": NUMBER, "call_script": "Giờ hành chính", "inbound": True,
                       "outbound": True, "outbound_access": "all", "schedule": {}}


def test_hotline_accesses_are_read_in_every_shape():
    hotline = {"number": NUMBER, "access_type": RESTRICTED, "configs": {"default_script": ""}}
    ix = index()
    typed = HOTLINES.from_live({**hotline, "accesses": [{"type": "extension", "sip_user": "101"},
                                                        {"type": "group", "group_id": "62ff119508d4bf3ea694a44a"}]}, ix)
    plain = HOTLINES.from_live({**hotline, "accesses": ["101", "62ff119508d4bf3ea694a44a"]}, ix)
    hidden = HOTLINES.from_live(hotline, ix)
    for data in (typed, plain):
        assert [tuple(r[:2]) for r in HOTLINES.references(data)] == [("extensions", "101"), ("groups", "Nhóm CSKH")]
        assert HOTLINES.unknown_references(data) == frozenset()
    assert HOTLINES.references(hidden) == [] and HOTLINES.unknown_references(hidden) == {"groups"}


def test_restricted_lists_are_read_from_accesses_when_they_can_be_and_compared_as_sets():
    hotline = {"number": NUMBER, "access_type": RESTRICTED, "configs": {"default_script": ""}}
    ix = index()
    typed = HOTLINES.from_live({**hotline, "accesses": [{"type": "group", "group_id": "62ff119508d4bf3ea694a44a"},
                                                        {"type": "extension", "sip_user": "101"}]}, ix)
    plain = HOTLINES.from_live({**hotline, "accesses": ["62ff119508d4bf3ea694a44a", "101"]}, ix)
    for data in (typed, plain):
        assert data["outbound_access"] == {"extensions": ["101"], "groups": ["Nhóm CSKH"]}
        assert HOTLINES.to_manifest(data)["outbound_access"] == data["outbound_access"]
        assert HOTLINES.compare("outbound_access", {"groups": ["Nhóm CSKH"], "extensions": ["101"]}, data) is True
        assert HOTLINES.compare("outbound_access", {"extensions": ["101"]}, data) is False
        assert HOTLINES.compare("outbound_access", "all", data) is False
    # Not returned, empty (the doc's only example), or naming what no list has: unread.
    for accesses in (None, [], ["101", "0000000000000000000000ff"]):
        unread = HOTLINES.from_live({**hotline, "accesses": accesses}, ix)
        assert unread["outbound_access"] == "restricted" and "outbound_access" not in HOTLINES.to_manifest(unread)
        assert HOTLINES.compare("outbound_access", {"extensions": ["101"]}, unread) is None


def test_a_day_that_differs_from_the_default_script_is_in_the_schedule():
    item = items("hotline_search.json")[0]
    configs = item["configs"]
    days = [{"weekday": 7, "type": "full_day", "script": "", "time_frames": []},
            {"weekday": 2, "type": "time_frame", "script": "",
             "time_frames": [{"from": "08:00", "to": "12:00", "script": configs["default_script"]}]}]
    hotline = HOTLINES.from_live({**item, "configs": {**configs, "working_days": days}}, index())
    assert hotline["schedule"] == {"mon": [{"from": "08:00", "to": "12:00", "call_script": "Giờ hành chính"}],
                                   "sat": None}


# --- what an update sends ----------------------------------------------------------------
def test_an_update_sends_the_changed_script_and_every_returned_field():
    live = items("hotline_search.json")[0]
    data = desired("hotlines", {"number": NUMBER, "call_script": "Ngoài giờ", "inbound": False})
    client = Recorder(True)
    asyncio.run(HOTLINES.update(client, NUMBER, data, live, {"call_script", "inbound"}, Ids()))
    (sent,) = client.sent
    assert (sent["method"], sent["path"]) == ("POST", "/api/call_center/hotline/update")
    assert sent["json"] == {"hotline": NUMBER, "call_script": "id-call_scripts-Ngoài giờ", "allow_call_in": "false",
                            "allow_call_out": "true", "access_type": ALL}


def test_restricted_outbound_and_a_dedicated_extension_are_sent_as_the_doc_says():
    data = desired("hotlines", {"number": NUMBER, "outbound_access": {"extensions": ["101"], "groups": ["CSKH"]},
                                "dedicated_to": {"user_email": "an@congty.vn", "directions": ["outbound"]}})
    client = Recorder(True)
    asyncio.run(HOTLINES.update(client, NUMBER, data, items("hotline_search.json")[0],
                                {"outbound_access", "dedicated_to"}, Ids()))
    update, dedicated = client.sent
    assert update["json"]["access_type"] == RESTRICTED
    assert (update["json"]["extensions"], update["json"]["group_ids"]) == (["101"], ["id-groups-CSKH"])
    assert "call_script" not in update["json"]  # unchanged: a weekly schedule is not wiped
    assert dedicated["path"] == "/api/call_center/hotline/extension/update"
    assert dedicated["json"] == {"hotline": NUMBER, "user_email": "an@congty.vn", "directions": ["outbound"]}


def test_hotlines_are_never_created_or_deleted_and_another_spelling_is_named():
    assert HOTLINES.updatable and not HOTLINES.creatable and not HOTLINES.deletable
    assert HOTLINES.same_identity("02871002283", {NUMBER}) == NUMBER


# --- references ----------------------------------------------------------------------
def test_references_say_where_they_are_written():
    data = desired("hotlines", {"number": NUMBER, "call_script": "Giờ hành chính",
                                "schedule": {"sat": "Cuối tuần", "mon": [{"from": "08:00", "to": "12:00",
                                                                          "call_script": "Sáng"}]},
                                "outbound_access": {"extensions": ["101"], "groups": ["CSKH"]}})
    assert refs("hotlines", data) == [
        ("call_scripts", "Giờ hành chính", "call_script"), ("call_scripts", "Cuối tuần", "schedule.sat"),
        ("call_scripts", "Sáng", "schedule.mon.0.call_script"),
        ("extensions", "101", "outbound_access.extensions.0"), ("groups", "CSKH", "outbound_access.groups.0")]


# --- write-only and secret fields ----------------------------------------------------------
def test_the_dedicated_extension_is_write_only_and_the_outbound_lists_are_fingerprinted():
    assert HOTLINES.write_only == {"dedicated_to"} and HOTLINES.secret == set()
    assert HOTLINES.fingerprinted == {"dedicated_to", "outbound_access"}
    live = HOTLINES.from_live(items("hotline_search.json")[0], index())
    assert "dedicated_to" not in live
    assert HOTLINES.compare("dedicated_to", {"user_email": "a@b.c"}, live) is None
    lists = {"extensions": ["101"], "groups": []}
    assert HOTLINES.compare("outbound_access", lists, live) is False  # the tenant says "all"
    assert HOTLINES.compare("outbound_access", lists, {**live, "outbound_access": "restricted"}) is None


def test_a_field_left_out_is_left_as_it_is():
    assert HOTLINES.keep_when_omitted == {"call_script", "inbound", "outbound", "outbound_access",
                                          "dedicated_to", "schedule"}
    assert HOTLINES.to_manifest({"number": NUMBER, "outbound_access": "restricted", "schedule": {}}) == {
        "number": NUMBER}
