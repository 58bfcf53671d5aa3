"""Issue 21, items 1 and 3, as units: a change of greeting type is a replace whatever the
state note holds, and a field that cannot be compared is neither a change nor unchanged,
in the plan, its renderings and the drift report."""

from __future__ import annotations

import json

from reconciler.engine.drift import drift_report
from reconciler.engine.plan import Action, Plan
from reconciler.engine.planner import make_plan
from reconciler.engine.render import render_json, render_text, summary_line
from reconciler.engine.render_drift import render_text as render_drift_text
from reconciler.engine.state_note import TEXT_PREFIX, fingerprint
from reconciler.kinds.call_script import STATE_NOTE_NAME
from tests.engine.builders import FakeManifests, call_script, extension, live, tts

SHA = "ab" * 32


def _mp3_greeting(m: FakeManifests, name: str) -> FakeManifests:
    m.add("greetings", name=name, file="audio/a.mp3")
    m.objects["greetings"][name].model.remember_file("/x/audio/a.mp3", SHA)
    return m


def test_a_text_greeting_wanted_as_an_mp3_is_replaced_whatever_the_state_note_holds():
    greeting = tts("Chào", "Xin chào")
    # A fingerprint of the very mp3 under the live greeting's id: it must not matter.
    entries = {f"greetings:{greeting['_id']}": {"file_sha256": fingerprint("greetings", greeting["_id"],
                                                                           "file_sha256", SHA, False)}}
    note = call_script(STATE_NOTE_NAME, []) | {"note": TEXT_PREFIX + json.dumps(entries)}
    for calls in ([greeting], [greeting, note]):
        plan = make_plan(_mp3_greeting(FakeManifests(), "Chào"), live(greetings=calls[:1], call_scripts=calls[1:]))
        (change,) = plan.changes
        assert change.action == Action.REPLACE
        assert {f.field: (f.old, f.new) for f in change.fields}["text"] == ("Xin chào", None)  # what goes
        assert plan.unverifiable == {} and plan.warnings == []


def test_an_unset_secret_is_unverifiable_not_unchanged_in_every_rendering():
    m = FakeManifests().add("extensions", sip_user="101", password="${env:PW_101}")
    state = live(extensions=[extension("101")])
    plan = make_plan(m, state)
    assert plan.changes == [] and plan.unchanged["extensions"] == 0
    assert plan.unverifiable == {"extensions": {"101": {"password": "environment variable PW_101 is not set here"}}}
    assert not plan.fully_verified
    assert summary_line(plan) == ("Plan: 0 to create, 0 to update, 0 to replace, 0 to rename, 0 to delete "
                                  "(0 unchanged); 1 unverifiable.")
    assert "  ? unverifiable extension 101\n      ? password: not verified (environment variable PW_101" \
        in render_text(plan)
    data = json.loads(render_json(plan))
    assert data["summary"]["unverifiable"] == 1 and data["unverifiable"] == plan.unverifiable
    assert Plan.from_json(plan.to_json()).unverifiable == plan.unverifiable  # a saved plan keeps it

    report = drift_report(plan, state.state_note)
    assert not report.in_sync and report.items == []
    assert render_drift_text(report).rstrip().endswith(
        "Not verified: 1 object with a field that could not be compared (? above); no drift in the rest (0 in sync).")

    # With the variable set, the same manifests can tell: the password is sent.
    told = make_plan(m, state, secrets={"PW_101": "s3cret"})
    assert [c.action for c in told.changes] == [Action.UPDATE] and told.fully_verified


def test_a_plan_without_anything_unverifiable_says_no_changes_and_is_saved_as_before():
    plan = make_plan(FakeManifests().add("extensions", sip_user="101"), live(extensions=[extension("101")]))
    assert plan.fully_verified and summary_line(plan).startswith("No changes.")
    assert "unverifiable" not in plan.to_saved_json() and "unverifiable" not in plan.to_saved_json()["summary"]
