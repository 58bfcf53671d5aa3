"""Plans a reviewer can read: a nested change shows the leaf that changed (as Terraform does
for nested attributes), a list of members what joined and left, a text the words."""

from __future__ import annotations

import json

from reconciler.engine.drift import DriftField, DriftItem, DriftReport
from reconciler.engine.leaves import ADDED, CHANGED, REMOVED, Leaf, leaves
from reconciler.engine.plan import Change, FieldChange, Plan
from reconciler.engine.render import render_json, render_markdown, render_text
from reconciler.engine import render_drift

OLD_KEYS = {"1": {"group": "CSKH"}, "2": {"group": "Kinh doanh"}, "4": {"ivr": "Cũ"}}
NEW_KEYS = {"1": {"group": "CSKH"}, "2": {"group": "Hỗ trợ kỹ thuật"}, "3": {"ivr": "Phụ"}}
OLD_TEXT = "Xin chào quý khách đã gọi tới tổng đài"
NEW_TEXT = "Xin chào các bạn đã gọi tới tổng đài"


def plan() -> Plan:
    return Plan(changes=[
        Change("update", "ivr_menus", "Chính", id="m1", data={"name": "Chính"},
               fields=[FieldChange("keys", OLD_KEYS, NEW_KEYS), FieldChange("input_timeout", 3, 5)]),
        Change("update", "groups", "CSKH", id="g1", data={"name": "CSKH"},
               fields=[FieldChange("members", ["101", "102", "103"], ["101", "103", "104"])]),
        Change("replace", "greetings", "Chào", id="x", data={"name": "Chào"},
               fields=[FieldChange("text", OLD_TEXT, NEW_TEXT)]),
    ])


def test_a_menu_key_shows_the_leaf_that_changed_and_the_keys_added_and_removed():
    assert leaves("keys", OLD_KEYS, NEW_KEYS) == [
        Leaf(CHANGED, 'keys."2"', {"group": "Kinh doanh"}, {"group": "Hỗ trợ kỹ thuật"}),
        Leaf(REMOVED, 'keys."4"', old={"ivr": "Cũ"}),
        Leaf(ADDED, 'keys."3"', new={"ivr": "Phụ"}),
    ]
    text = render_text(plan())
    assert '      keys."2": {group: Kinh doanh} -> {group: Hỗ trợ kỹ thuật}\n' in text
    assert '      + keys."3": {ivr: Phụ}\n' in text and '      - keys."4": {ivr: Cũ}\n' in text
    assert '"1"' not in text  # the key that did not change is not shown
    assert "input_timeout: 3 -> 5" in text  # a scalar is shown whole, as before


def test_members_show_who_joined_and_who_left_in_order_and_a_new_order():
    assert [(leaf.sign, leaf.old, leaf.new) for leaf in leaves("members", ["101", "102", "103"], ["101", "103", "104"])] \
        == [("-", "102", None), ("+", None, "104")]
    text = render_text(plan())
    assert '      - members: "102"\n      + members: "104"\n' in text
    order = leaves("members", ["101", "102"], ["102", "101"])
    assert order == [Leaf(CHANGED, "members (order)", ["101", "102"], ["102", "101"])]


def test_lists_of_objects_go_by_index():
    old = [{"at": "08:00", "to": "A"}, {"at": "12:00", "to": "B"}]
    new = [{"at": "08:00", "to": "A"}, {"at": "13:00", "to": "B"}, {"at": "18:00", "to": "C"}]
    assert leaves("steps", old, new) == [Leaf(CHANGED, "steps[1].at", "12:00", "13:00"),
                                         Leaf(ADDED, "steps[2]", new={"at": "18:00", "to": "C"})]


def test_a_changed_greeting_text_shows_the_words_that_changed():
    text = render_text(plan())
    assert "      text: Xin chào [-quý khách-]{+các bạn+} đã gọi tới tổng đài\n" in text
    assert leaves("text", "short", "other") is None  # a word or two reads best whole


def test_json_keeps_its_fields_and_adds_the_leaves():
    data = json.loads(render_json(plan()))
    assert data["format_version"] == 1
    keys = data["changes"][0]["fields"][0]
    assert keys["old"] == OLD_KEYS and keys["new"] == NEW_KEYS and keys["verifiable"] is True
    assert keys["leaves"][0] == {"change": "changed", "path": 'keys."2"', "old": {"group": "Kinh doanh"},
                                 "new": {"group": "Hỗ trợ kỹ thuật"}}
    assert "leaves" not in data["changes"][0]["fields"][1]  # a scalar keeps its former shape
    assert data["changes"][2]["fields"][0]["leaves"][0]["words"].startswith("Xin chào [-quý khách-]")


def test_markdown_has_a_row_per_leaf():
    md = render_markdown(plan())
    assert '| `~` update | Chính | keys."2" | {group: Kinh doanh} | {group: Hỗ trợ kỹ thuật} |' in md
    assert '|  |  | + keys."3" |  | {ivr: Phụ} |' in md
    assert '| `~` update | CSKH | - members | "102" |  |' in md


def test_drift_shows_the_same_leaves_in_live_and_manifest_terms():
    report = DriftReport(items=[DriftItem("ivr_menus", "Chính", "differs", id="m1",
                                          fields=[DriftField("keys", OLD_KEYS, NEW_KEYS)])])
    text = render_drift.render_text(report)
    assert 'keys."2": live {group: Kinh doanh}, manifest {group: Hỗ trợ kỹ thuật}' in text
    # The tenant's viewpoint (issue #21 item 8): `-` only in the manifests, `+` only in the tenant.
    assert '- keys."3": manifest {ivr: Phụ} (not in the tenant)' in text
    assert '+ keys."4": live {ivr: Cũ} (not in the manifests)' in text
    data = json.loads(render_drift.render_json(report))
    assert data["drift"][0]["fields"][0]["live"] == OLD_KEYS
    found = data["drift"][0]["fields"][0]["leaves"]
    assert [leaf["path"] for leaf in found] == ['keys."2"', 'keys."4"', 'keys."3"']
    assert [leaf["only_in"] for leaf in found] == [None, "tenant", "manifests"]
    assert '| `~` differs | Chính | keys."2" |' in render_drift.render_markdown(report)


def test_a_secret_is_never_diffed_leaf_by_leaf():
    plan = Plan(changes=[Change("update", "extensions", "101", id="1", data={"sip_user": "101"},
                                fields=[FieldChange("password", "old hidden words here", "new hidden words here")])])
    for out in (render_text(plan), render_json(plan), render_markdown(plan)):
        assert "hidden" not in out and "(sensitive)" in out


def test_a_menu_of_one_key_and_a_first_key_are_leaves_too():
    assert leaves("keys", {"1": {"group": "A"}}, {"1": {"group": "B"}}) == [
        Leaf(CHANGED, 'keys."1"', {"group": "A"}, {"group": "B"})]
    assert leaves("keys", {}, {"1": {"ivr": "Phụ"}}) == [Leaf(ADDED, 'keys."1"', new={"ivr": "Phụ"})]
    # A reference that now points to another kind is shown whole: its kind is what changed.
    assert leaves("fallback", {"group": "A"}, {"ivr": "A"}) is None


def test_a_value_the_api_never_returns_is_shown_whole():
    from reconciler.engine.plan import NOT_RETURNED

    plan = Plan(changes=[Change("update", "groups", "G", id="g", data={"name": "G"},
                                fields=[FieldChange("queue", NOT_RETURNED, "wait in the queue please", False)])])
    assert 'queue: (not returned by the API) -> "wait in the queue please"' in render_text(plan)
    assert "leaves" not in json.loads(render_json(plan))["changes"][0]["fields"][0]
