"""Drift reports from in-memory plans: the plan read as "live vs manifest", and its
text, JSON and Markdown renderings."""

from __future__ import annotations

import json

from reconciler.engine.drift import NO_FINGERPRINT, drift_report
from reconciler.engine.state_note import TEXT_PREFIX, fingerprint
from reconciler.kinds.call_script import STATE_NOTE_NAME
from reconciler.engine.plan import NOT_RETURNED, Change, FieldChange, Plan
from reconciler.engine.planner import make_plan
from reconciler.engine.render import render_markdown as render_plan_markdown
from reconciler.engine.render_drift import render_json, render_markdown, render_text, summary_line
from reconciler.kinds import Policy
from tests.engine.builders import FakeManifests, call_script, extension, group, ivr, live, tts

EXTS = [extension("101"), extension("102")]


def state_note_item(entries: dict) -> dict:
    return call_script(STATE_NOTE_NAME, []) | {"note": TEXT_PREFIX + json.dumps(entries)}


def test_each_kind_of_drift_and_unmanaged_objects_that_are_not_drift():
    m = (FakeManifests(policy=Policy(prune=["groups"]))
         .add("groups", name="CSKH", members=["101"], strategy="rollover")
         .add("groups", name="Mới", members=["102"])
         .add("groups", name="Đúng", members=["102"]))
    g_cskh, g_old = group("CSKH", ["101"]), group("Cũ", ["101"])
    state = live(extensions=EXTS, groups=[g_cskh, g_old, group("Đúng", ["102"])],
                 greetings=[tts("Không quản lý", "x")])
    report = drift_report(make_plan(m, state), state.state_note)

    by_name = {i.name: i for i in report.items}
    assert {n: i.state for n, i in by_name.items()} == {"CSKH": "differs", "Mới": "missing", "Cũ": "extra"}
    (f,) = by_name["CSKH"].fields
    assert (f.field, f.live, f.manifest) == ("strategy", "enterprise", "rollover")
    assert by_name["CSKH"].id == g_cskh["_id"] and by_name["Cũ"].id == g_old["_id"]
    # Greetings are not pruned: listed, not drift. Groups are: "Cũ" is drift, not unmanaged.
    assert report.unmanaged["greetings"] == ["Không quản lý"] and "groups" not in report.unmanaged
    assert report.in_sync_count == 1 and not report.in_sync
    assert report.counts() == {"differs": 1, "missing": 1, "extra": 1}


def test_in_sync_when_only_unmanaged_objects_differ():
    m = FakeManifests().add("groups", name="CSKH", members=["101"])
    state = live(extensions=EXTS, groups=[group("CSKH", ["101"]), group("Khác", ["102"], strategy="random")])
    report = drift_report(make_plan(m, state), state.state_note)
    assert report.in_sync and report.items == []
    assert report.unmanaged == {"groups": ["Khác"], "extensions": ["101", "102"]}
    assert summary_line(report) == "In sync: the tenant matches the manifests (1 object; 3 unmanaged objects left alone)."
    assert render_text(report).endswith("left alone).\n")  # no fix hint when in sync


def test_write_only_fields_say_whether_the_last_apply_fingerprint_matches():
    m = (FakeManifests()
         .add("extensions", sip_user="101", enabled=True, call_timeout=30)
         .add("extensions", sip_user="102", enabled=False))
    entries = {"extensions:101": {"enabled": fingerprint("extensions", "101", "enabled", True, False),
                                  "call_timeout": fingerprint("extensions", "101", "call_timeout", 20, False)}}
    state = live(extensions=EXTS, call_scripts=[state_note_item(entries)])
    report = drift_report(make_plan(m, state), state.state_note)

    status = {(n, f.field): f.fingerprint for n, fs in report.unverified["extensions"].items() for f in fs}
    assert status == {("101", "enabled"): "matches", ("101", "call_timeout"): "differs",
                      ("102", "enabled"): "missing"}
    # Only the ones apply would send again are drift, and only those compared: one without
    # a fingerprint was not compared, so it is unverifiable, not drift (issue 21's review).
    assert [(i.name, [f.field for f in i.fields]) for i in report.items] == [("101", ["call_timeout"])]
    assert all(not f.verifiable and f.live == NOT_RETURNED for i in report.items for f in i.fields)
    assert report.unverifiable == {"extensions": {"102": {"enabled": NO_FINGERPRINT}}}
    text = render_text(report)
    assert "call_timeout: live not returned by the API (manifest changed since the last apply); manifest 30" in text
    assert "? unverifiable extension 102" in text
    assert f"? enabled: not verified ({NO_FINGERPRINT})" in text
    assert "never applied by the reconciler" not in text
    assert "extensions/101: enabled (matches the last apply)" in text


def test_a_replaced_greeting_is_drift_but_its_repointed_referrers_are_in_sync():
    g = tts("Chào", "cũ")
    m = (FakeManifests()
         .add("greetings", name="Chào", text="mới")
         .add("ivr_menus", name="Menu", greeting="Chào"))
    state = live(extensions=EXTS, greetings=[g], ivr_menus=[ivr("Menu", g["_id"])])
    plan = make_plan(m, state)
    assert {c.action for c in plan.changes} == {"replace", "update"}  # the update only repoints
    report = drift_report(plan, state.state_note)
    (item,) = report.items
    assert (item.kind, item.name, item.state) == ("greetings", "Chào", "differs")
    assert "replace" in item.apply_action and "cannot be updated" in item.note
    assert report.in_sync_count == 1


def test_a_rename_shows_the_live_name():
    m = FakeManifests().add("groups", name="Bán hàng", previous_names=["Kinh doanh"], members=["101"])
    state = live(extensions=EXTS, groups=[group("Kinh doanh", ["101"])])
    report = drift_report(make_plan(m, state), state.state_note)
    (item,) = report.items
    assert (item.name, item.renamed_from, item.fields) == ("Bán hàng", "Kinh doanh", [])
    assert 'name: live "Kinh doanh", manifest "Bán hàng"' in render_text(report)


def secret_plan() -> Plan:
    return Plan(changes=[Change("update", "extensions", "101", id="101", fields=[
        FieldChange("password", NOT_RETURNED, "${env:EXT_101_PASSWORD}", verifiable=False),
        FieldChange("call_timeout", NOT_RETURNED, 45, verifiable=False)])],
        unverified={"extensions": {"101": ["password", "call_timeout"]}})


def test_secrets_are_masked_in_every_format():
    report = drift_report(secret_plan())
    for text in (render_text(report), render_json(report), render_markdown(report)):
        assert "EXT_101_PASSWORD" not in text
        assert "(sensitive)" in text
        assert "45" in text  # the other field is shown


def test_json_is_stable_and_versioned():
    report = drift_report(secret_plan())
    data = json.loads(render_json(report))
    assert list(data) == ["format_version", "in_sync", "summary", "drift", "unmanaged", "unverified", "protected",
                          "external", "warnings", "blocked", "fix_command", "adopt_command", "adopted", "next_command",
                          "unverifiable"]  # keys only added
    assert data["format_version"] == 1 and data["in_sync"] is False
    assert data["summary"] == {"differs": 1, "missing": 0, "extra": 0, "in_sync": 0, "unmanaged": 0, "unverified": 2,
                               "protected_differs": 0, "renamed_in_tenant": 0, "unverifiable": 0}
    (item,) = data["drift"]
    assert item["fields"][0] == {"field": "password", "live": NOT_RETURNED, "manifest": "(sensitive)",
                                 "verifiable": False}
    assert data["unverified"] == {"extensions": {"101": [{"field": "password", "fingerprint": "differs"},
                                                         {"field": "call_timeout", "fingerprint": "differs"}]}}
    assert render_json(report) == render_json(drift_report(secret_plan()))


def test_markdown_is_a_comment_with_a_section_per_kind_and_the_fix():
    m = (FakeManifests(policy=Policy(prune=["groups"]))
         .add("groups", name="CSKH <b>|x", members=["101"], strategy="rollover"))
    state = live(extensions=EXTS, groups=[group("CSKH <b>|x", ["101"]), group("Cũ", [])],
                 greetings=[tts("Khác", "y")])
    md = render_markdown(drift_report(make_plan(m, state), state.state_note))
    lines = md.splitlines()
    assert lines[0] == "### reconciler drift"
    assert lines[2] == "**Drift: 1 differs, 0 missing from the tenant, 1 not in the manifests (0 in sync; " \
                       "3 unmanaged objects left alone).**"
    assert "<details><summary><b>groups</b>: 1 differs, 1 extra</summary>" in lines
    assert '| `~` differs | CSKH &lt;b&gt;\\|x | strategy | "enterprise" | "rollover" |' in lines
    # One viewpoint, the tenant's: `+` is what only the tenant has (issue #21 item 8; it was `-`, apply's side).
    assert ("| tenant vs manifests: `+` only in the tenant, `-` only in the manifests | object | field | tenant (live) "
            "| manifests |") in lines
    assert any(line.startswith("| `+` extra | Cũ (not in the manifests, and policy.prune owns groups)") for line in lines)
    assert "<details><summary>Unmanaged, not drift: 3 objects (kinds policy.prune does not own)</summary>" in lines
    assert "- **greetings**: Khác" in lines
    assert "`reconciler apply`" in lines[-1]
    assert md.count("<details>") == md.count("</details>")


def test_plan_markdown_escapes_names_that_would_break_the_comment():
    m = FakeManifests().add("groups", name="<details>", members=["101"])
    md = render_plan_markdown(make_plan(m, live(extensions=EXTS)))
    assert "| &lt;details&gt; |" in md
    assert md.count("<details>") == md.count("</details>")
    assert "Apply with `reconciler apply`." in md


def test_a_live_target_manifests_cannot_name_is_shown_not_a_crash():
    # Engine fix: references() looked up {"unsupported": ...} (a Voice_mail target, as the
    # vendor's own default group has) as a kind, and plan/drift died with KeyError.
    voicemail = group("Mặc định", ["101"], target=("Voice_mail", "5f0000000000000000000001"))
    menu = ivr("Menu", "", {"1": ("Hangup", "x")}, fallback=("Voice_mail", "5f0000000000000000000001"))
    script = call_script("Kịch bản", [("Voice_mail", "5f0000000000000000000001")])
    m = (FakeManifests(policy=Policy(prune=["groups", "ivr_menus", "call_scripts"]))
         .add("groups", name="Mặc định", members=["101"], strategy="rollover"))
    state = live(extensions=EXTS, groups=[voicemail, group("Thừa", [])], ivr_menus=[menu], call_scripts=[script])
    report = drift_report(make_plan(m, state), state.state_note)
    assert {(i.name, i.state) for i in report.items} == {("Mặc định", "differs"), ("Thừa", "extra"),
                                                         ("Menu", "extra"), ("Kịch bản", "extra")}
    (item,) = [i for i in report.items if i.name == "Mặc định"]
    on_timeout = [f for f in item.fields if f.field == "on_timeout"]
    assert on_timeout[0].live == {"live": {"type": "Voice_mail", "id": "5f0000000000000000000001"}}


def test_a_greeting_of_the_other_type_is_a_visible_difference():
    # Engine fix: a manifest `recording` against a live text-to-speech greeting (or `text`
    # against an uploaded one) was reported as "not returned by the API".
    m = FakeManifests().add("greetings", name="Nhạc chờ", recording="a1.mp3").add("greetings", name="Chào", text="x")
    uploaded = {"_id": "5f00000000000000000000aa", "greeting_name": "Chào", "formality": "Tải lên",
                "recording_file": "b2.mp3", "content": "b2.mp3", "voice": "", "speed": 0}
    state = live(extensions=EXTS, greetings=[tts("Nhạc chờ", "giờ là giọng đọc"), uploaded])
    report = drift_report(make_plan(m, state), state.state_note)
    fields = {(i.name, f.field): (f.live, f.verifiable) for i in report.items for f in i.fields}
    assert fields == {("Nhạc chờ", "recording"): (None, True), ("Chào", "text"): (None, True),
                      ("Chào", "voice"): (None, True), ("Chào", "speed"): (None, True)}
    assert report.unverified == {}


def test_drift_apply_cannot_put_back_is_said_in_every_format():
    plan = Plan(changes=[Change("replace", "greetings", "Nhạc chờ", id="5f00000000000000000000aa",
                                fields=[FieldChange("recording", "b2.mp3", "a1.mp3")])],
                blocked=["greetings.yaml:3:5: greeting 'Nhạc chờ' differs from the tenant's, but a `recording` "
                         "greeting cannot be made again from its name: give it `text` or `file`"])
    report = drift_report(plan)
    assert "Apply cannot put this back: greetings.yaml:3:5: greeting 'Nhạc chờ'" in render_text(report)
    assert "Apply cannot put this back: greetings.yaml:3:5" in render_markdown(report)
    assert json.loads(render_json(report))["blocked"] == plan.blocked


def test_a_protected_object_that_differs_is_drift_apply_does_not_change():
    # A new user's review: it was "No drift apply would change", in_sync, exit 0.
    m = (FakeManifests(policy=Policy(protect=["Giữ"]))
         .add("groups", name="Giữ", members=["101"]).add("groups", name="CSKH", members=["101"], strategy="rollover"))
    state = live(extensions=EXTS, groups=[group("Giữ", ["102"]), group("CSKH", ["101"], strategy="rollover")])
    report = drift_report(make_plan(m, state), state.state_note)
    (item,) = report.items
    assert (item.name, item.state, item.protected, [f.field for f in item.fields]) == ("Giữ", "differs", True,
                                                                                       ["members"])
    assert not report.in_sync and report.fix_command is None
    assert item.apply_action == "not change it: policy.protect covers it"
    assert summary_line(report).startswith("Drift: 1 differs")
    data = json.loads(render_json(report))
    assert data["in_sync"] is False and data["fix_command"] is None and data["drift"][0]["protected"] is True
    assert "Apply does not change this drift: policy.protect covers it." in render_text(report)
    assert "Put the tenant back" not in render_markdown(report)
