"""The planner as a pure function of (desired, live), with in-memory states."""

from __future__ import annotations

import pytest

from reconciler.engine.state_note import TEXT_PREFIX, fingerprint
from reconciler.kinds.call_script import STATE_NOTE_NAME
from reconciler.engine.planner import make_plan
from reconciler.errors import PlanError, UnsafePlanError
from reconciler.kinds import Policy
from reconciler.kinds.hotline import RESTRICTED
from tests.engine.builders import FakeManifests, call_script, extension, group, hotline, ivr, live, tts

EXTS = [extension("101"), extension("102"), extension("103")]


def actions(plan):
    return [(c.action, c.kind, c.name) for c in plan.changes]


def test_create_when_absent_and_noop_when_equal():
    m = FakeManifests().add("groups", name="CSKH", members=["101"]).add("groups", name="Sales", members=["102"])
    state = live(extensions=EXTS, groups=[group("Sales", ["102"])])
    plan = make_plan(m, state)
    assert actions(plan) == [("create", "groups", "CSKH")]
    assert plan.unchanged["groups"] == 1


def test_update_lists_each_changed_field_with_old_and_new():
    m = FakeManifests().add("groups", name="CSKH", members=["101", "102"], strategy="rollover")
    state = live(extensions=EXTS, groups=[group("CSKH", ["101"])])
    (change,) = make_plan(m, state).changes
    assert change.action == "update"
    assert {(f.field, str(f.old), str(f.new)) for f in change.fields} == {
        ("strategy", "enterprise", "rollover"),
        ("members", "['101']", "['101', '102']"),
    }


def test_member_order_is_ring_order():
    m = FakeManifests().add("groups", name="CSKH", members=["102", "101"])
    state = live(extensions=EXTS, groups=[group("CSKH", ["101", "102"])])
    (change,) = make_plan(m, state).changes
    assert [f.field for f in change.fields] == ["members"]


def test_nfd_live_name_matches_nfc_manifest_name():
    import unicodedata

    m = FakeManifests().add("groups", name="Nhóm CSKH", members=["101"])
    state = live(extensions=EXTS, groups=[group(unicodedata.normalize("NFD", "Nhóm CSKH"), ["101"])])
    assert make_plan(m, state).changes == []


def test_duplicate_live_names_are_an_error_naming_both_ids():
    a, b = group("CSKH", ["101"]), group("CSKH", ["102"])
    m = FakeManifests().add("groups", name="CSKH", members=["101"])
    with pytest.raises(PlanError) as err:
        make_plan(m, live(extensions=EXTS, groups=[a, b]))
    assert a["_id"] in str(err.value) and b["_id"] in str(err.value)
    assert "never guesses" in str(err.value)


def test_reference_resolving_nowhere_is_an_error_at_its_location():
    m = FakeManifests().add("groups", name="CSKH", members=["101"], on_timeout={"ivr": "Không có"})
    with pytest.raises(PlanError) as err:
        make_plan(m, live(extensions=EXTS))
    assert "groups.yaml:1:3" in str(err.value)
    assert "IVR menu 'Không có'" in str(err.value)


def test_missing_extension_is_an_error():
    m = FakeManifests().add("groups", name="CSKH", members=["999"])
    with pytest.raises(PlanError, match="extension '999'.*never created"):
        make_plan(m, live(extensions=EXTS))


def test_reference_to_live_object_is_external():
    g = tts("Chào", "xin chào")
    m = FakeManifests().add("ivr_menus", name="Menu", greeting="Chào")
    plan = make_plan(m, live(extensions=EXTS, greetings=[g]))
    assert plan.external == ["greetings/Chào"]
    assert actions(plan) == [("create", "ivr_menus", "Menu")]


def test_prune_deletes_only_listed_kinds_and_spares_protected():
    m = FakeManifests()
    m.policy = Policy(prune=["groups"], protect=["Mặc định"])
    state = live(extensions=EXTS, groups=[group("Cũ"), group("Mặc định")], greetings=[tts("Lẻ", "x")])
    plan = make_plan(m, state)
    assert actions(plan) == [("delete", "groups", "Cũ")]
    assert plan.unmanaged["greetings"] == ["Lẻ"]
    assert any("Mặc định" in p for p in plan.protected)


def test_protected_object_is_never_updated():
    m = FakeManifests().add("groups", name="Mặc định", members=["101"])
    m.policy = Policy(protect=["Mặc định"])
    plan = make_plan(m, live(extensions=EXTS, groups=[group("Mặc định", ["102"])]))
    assert plan.changes == []
    assert plan.protected
    # Held back, not forgotten: drift reports it and drift --write adopts it (plan.differences).
    assert [(c.action, c.name, [f.field for f in c.fields]) for c in plan.held_back] == [
        ("update", "Mặc định", ["members"])]
    assert plan.differences == plan.held_back and "held_back" not in plan.to_json()


def test_threshold_marks_plan_unsafe():
    m = FakeManifests()
    m.policy = Policy(prune=["groups"])
    groups = [group(f"G{i}") for i in range(10)]
    m.add("groups", name="G0")
    for i in range(1, 6):
        m.add("groups", name=f"G{i}")
    plan = make_plan(m, live(extensions=EXTS, groups=groups))
    assert len([c for c in plan.changes if c.action == "delete"]) == 4
    assert plan.unsafe and "4 of 10" in plan.unsafe[0]


def test_below_min_objects_no_threshold():
    m = FakeManifests()
    m.policy = Policy(prune=["groups"])
    plan = make_plan(m, live(extensions=EXTS, groups=[group("A"), group("B")]))
    assert len(plan.changes) == 2 and not plan.unsafe


def test_rename_by_previous_names_keeps_id():
    g = group("Cũ", ["101"])
    m = FakeManifests().add("groups", name="Mới", members=["101"], previous_names=["Cũ"])
    (change,) = make_plan(m, live(extensions=EXTS, groups=[g])).changes
    assert (change.action, change.id, change.rename_from) == ("rename", g["_id"], "Cũ")


def test_changed_greeting_is_replaced_and_referrers_repointed():
    g = tts("Chào", "cũ")
    menu = ivr("Menu", g["_id"])
    m = FakeManifests().add("greetings", name="Chào", text="mới").add("ivr_menus", name="Menu", greeting="Chào")
    plan = make_plan(m, live(extensions=EXTS, greetings=[g], ivr_menus=[menu]))
    assert actions(plan) == [("replace", "greetings", "Chào"), ("update", "ivr_menus", "Menu")]
    assert "repointed" in plan.changes[1].reason


def test_replace_refused_when_unmanaged_object_uses_it():
    g = tts("Chào", "cũ")
    m = FakeManifests().add("greetings", name="Chào", text="mới")
    with pytest.raises(PlanError, match="IVR menu 'Menu' still uses it"):
        make_plan(m, live(extensions=EXTS, greetings=[g], ivr_menus=[ivr("Menu", g["_id"])]))


def test_prune_refused_when_unmanaged_object_uses_it():
    grp = group("Cũ")
    m = FakeManifests()
    m.policy = Policy(prune=["groups"])
    s = call_script("KB", [("Ring_group", grp["_id"])])
    with pytest.raises(PlanError, match="call script 'KB' still uses it"):
        make_plan(m, live(extensions=EXTS, groups=[grp], call_scripts=[s]))


def test_drift_gets_the_delete_apply_could_not_make_as_blocked_not_raised():
    grp = group("Cũ")
    m = FakeManifests(policy=Policy(prune=["groups"]))
    state = live(extensions=EXTS, groups=[grp], call_scripts=[call_script("KB", [("Ring_group", grp["_id"])])])
    plan = make_plan(m, state, report_blocked=True)
    assert actions(plan) == [("delete", "groups", "Cũ")]
    assert plan.blocked == ["cannot delete group 'Cũ': call script 'KB' still uses it and is not managed here "
                            "(declare it in the manifests, or change it in the console first)"]
    with pytest.raises(UnsafePlanError):
        plan.raise_if_unsafe(force=True)  # such a plan can never be applied


def test_interrupted_replace_leftover_is_cleaned_up():
    old, new = tts("Chào", "cũ", created=1), tts("Chào", "mới", created=2)
    menu = ivr("Menu", old["_id"])
    m = FakeManifests().add("greetings", name="Chào", text="mới").add("ivr_menus", name="Menu", greeting="Chào")
    plan = make_plan(m, live(extensions=EXTS, greetings=[old, new], ivr_menus=[menu]))
    assert ("delete", "greetings", f"Chào (id {old['_id']})") in actions(plan)
    assert ("update", "ivr_menus", "Menu") in actions(plan)


def test_write_only_field_unverified_then_matched_by_the_state_note():
    g = group("CSKH", ["101"])
    queue = {"enabled": True, "when_busy": True, "when_offline": False, "waiting_time": 60}
    m = FakeManifests().add("groups", name="CSKH", members=["101"], queue=queue)
    (change,) = make_plan(m, live(extensions=EXTS, groups=[g])).changes
    assert [(f.field, f.verifiable) for f in change.fields] == [("queue", False)]
    note = TEXT_PREFIX + '{"groups:%s": {"queue": "%s"}}' % (
        g["_id"], fingerprint("groups", g["_id"], "queue", queue, False))
    note_item = call_script(STATE_NOTE_NAME, [])
    note_item["note"] = note
    plan = make_plan(m, live(extensions=EXTS, groups=[g], call_scripts=[note_item]))
    assert plan.changes == []
    assert plan.unverified == {"groups": {"CSKH": ["queue"]}}
    assert plan.unmanaged["call_scripts"] == []  # the state note is never reported


def test_hotline_not_in_tenant_is_an_error_and_omitted_fields_are_kept():
    m = FakeManifests().add("hotlines", number="0999")
    with pytest.raises(PlanError, match="never created"):
        make_plan(m, live(extensions=EXTS))
    s = call_script("KB", [])
    m = FakeManifests().add("hotlines", number="842871002283", inbound=True)
    plan = make_plan(m, live(extensions=EXTS, call_scripts=[s], hotlines=[hotline("842871002283", s["_id"])]))
    assert plan.changes == []


def test_hotline_restricted_access_vs_all():
    m = FakeManifests().add("groups", name="G").add(
        "hotlines", number="842871002283", outbound_access={"extensions": ["101"], "groups": ["G"]})
    plan = make_plan(m, live(extensions=EXTS, hotlines=[hotline("842871002283")]))
    (update,) = [c for c in plan.changes if c.kind == "hotlines"]
    assert update.fields[0].old == "all" and update.fields[0].verifiable


def test_a_matching_fingerprint_never_wins_over_the_lists_the_tenant_shows():
    access = {"extensions": ["101"], "groups": ["G"]}
    g = group("G")
    shown = {**hotline("842871002283", access=RESTRICTED), "accesses": [{"type": "extension", "sip_user": "102"}]}
    note_item = call_script(STATE_NOTE_NAME, [])
    note_item["note"] = TEXT_PREFIX + '{"hotlines:842871002283": {"outbound_access": "%s"}}' % (
        fingerprint("hotlines", "842871002283", "outbound_access", access, False))
    m = FakeManifests().add("groups", name="G").add("hotlines", number="842871002283", outbound_access=access)
    plan = make_plan(m, live(extensions=EXTS, groups=[g], hotlines=[shown], call_scripts=[note_item]))
    (update,) = [c for c in plan.changes if c.kind == "hotlines"]
    assert [(f.field, f.old, f.verifiable) for f in update.fields] == [
        ("outbound_access", {"extensions": ["102"], "groups": []}, True)]
    # The same lists in another order: no change, and nothing left to the fingerprint.
    shown["accesses"] = [{"type": "group", "group_id": g["_id"]}, {"type": "extension", "sip_user": "101"}]
    plan = make_plan(m, live(extensions=EXTS, groups=[g], hotlines=[shown], call_scripts=[note_item]))
    assert plan.changes == [] and plan.unverified == {}
    # A tenant that does not show them: the fingerprint decides, as before.
    del shown["accesses"]
    plan = make_plan(m, live(extensions=EXTS, groups=[g], hotlines=[shown], call_scripts=[note_item]))
    assert plan.changes == [] and plan.unverified == {"hotlines": {"842871002283": ["outbound_access"]}}


def test_a_matching_fingerprint_of_lists_naming_a_group_yet_to_be_created_is_sent_again():
    # The fingerprint was taken of names; the group of that name was renamed in the console,
    # so the one the manifests name is created: the hidden lists cannot hold it yet.
    access = {"extensions": ["101"], "groups": ["G"]}
    note_item = call_script(STATE_NOTE_NAME, [])
    note_item["note"] = TEXT_PREFIX + '{"hotlines:842871002283": {"outbound_access": "%s"}}' % (
        fingerprint("hotlines", "842871002283", "outbound_access", access, False))
    hidden = hotline("842871002283", access=RESTRICTED)
    del hidden["accesses"]
    m = FakeManifests().add("groups", name="G").add("hotlines", number="842871002283", outbound_access=access)
    plan = make_plan(m, live(extensions=EXTS, hotlines=[hidden], call_scripts=[note_item]))
    (update,) = [c for c in plan.changes if c.kind == "hotlines"]
    assert [(f.field, f.verifiable) for f in update.fields] == [("outbound_access", False)]
    plan = make_plan(m, live(extensions=EXTS, groups=[group("G")], hotlines=[hidden], call_scripts=[note_item]))
    assert [c.kind for c in plan.changes] == []


def test_ivr_padding_is_unset_keys():
    g = tts("Chào", "x")
    grp = group("CSKH")
    menu = ivr("Menu", g["_id"], {"1": ("Ring_group", grp["_id"])})
    m = FakeManifests().add("ivr_menus", name="Menu", greeting="Chào", keys={"1": {"group": "CSKH"}})
    assert make_plan(m, live(extensions=EXTS, greetings=[g], groups=[grp], ivr_menus=[menu])).changes == []
