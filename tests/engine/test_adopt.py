"""Adopting drift (reconciler/engine/adopt.py), in memory: which manifest edits the plan
read backwards asks for."""

from __future__ import annotations

import json

from reconciler.engine.state_note import TEXT_PREFIX
from reconciler.kinds.call_script import HISTORY_NAME, STATE_NOTE_NAME
from reconciler.engine.adopt import _keep_omitted, adopt, still_differs
from reconciler.engine.planner import make_plan
from reconciler.kinds import Policy
from tests.engine.builders import FakeManifests, call_script, extension, group, live


def state_note_item(entries: dict) -> dict:
    return call_script(STATE_NOTE_NAME, []) | {"note": TEXT_PREFIX + json.dumps(entries)}


def adoption(manifests: FakeManifests, state):
    return adopt(make_plan(manifests, state), state, manifests)


def test_a_changed_field_takes_the_live_value_and_nothing_else_moves():
    m = FakeManifests().add("groups", name="A", members=["101"], member_timeout=20)
    state = live(groups=[group("A", ["101"], timeout=25)], extensions=[extension("101")])
    result = adoption(m, state)
    [edit] = result.edits
    assert (edit.kind, edit.name, edit.fields) == ("groups", "A", {"member_timeout": 25})
    assert not result.removals and not result.additions and not result.problems


def test_a_protected_object_is_adopted_as_the_drift_report_shows_it():
    m = (FakeManifests(policy=Policy(protect=["A"]))
         .add("groups", name="A", members=["101"], member_timeout=20))
    state = live(groups=[group("A", ["101"], timeout=25)], extensions=[extension("101")])
    plan = make_plan(m, state)
    assert plan.changes == []  # apply leaves it alone
    [edit] = adopt(plan, state, m).edits
    assert (edit.kind, edit.name, edit.fields) == ("groups", "A", {"member_timeout": 25})
    assert still_differs(plan) == ["groups/A: update (member_timeout)"]  # --write's check sees it too


def test_two_renames_with_the_same_content_are_not_guessed():
    m = FakeManifests(policy=Policy(prune=["groups"]))
    m.add("groups", name="A", members=["101"]).add("groups", name="B", members=["101"])
    state = live(groups=[group("C", ["101"]), group("D", ["101"])], extensions=[extension("101")])
    result = adoption(m, state)
    assert not result.renames
    assert sorted(result.removals) == [("groups", "A"), ("groups", "B")]
    assert sorted(data["name"] for _, data in result.additions) == ["C", "D"]


def test_one_rename_with_the_same_content_is_a_rename():
    # On a tenant an apply wrote a state note in: elsewhere no pair is made (below).
    m = FakeManifests(policy=Policy(prune=["groups"])).add("groups", name="A", members=["101"])
    state = live(groups=[group("B", ["101"])], extensions=[extension("101")], call_scripts=[state_note_item({})])
    result = adoption(m, state)
    assert result.renames == [("groups", "A", "B")]
    [edit] = result.edits
    assert edit.fields == {"name": "B", "previous_names": ["A"]}
    assert not result.removals and not result.additions


def test_an_apply_history_alone_is_enough_to_pair_a_rename():
    # Applied without any field the API never returns: no state note, but the history
    # says the reconciler applied here (found in review: such a rename read as missing + extra).
    m = FakeManifests(policy=Policy(prune=["groups"])).add("groups", name="A", members=["101"])
    history = call_script(HISTORY_NAME, []) | {"note": "[]"}
    state = live(groups=[group("B", ["101"])], extensions=[extension("101")], call_scripts=[history])
    assert adoption(m, state).renames == [("groups", "A", "B")]


def test_no_rename_is_made_on_a_tenant_without_a_state_note():
    # Never applied (or the note was lost): nothing says the two are one object.
    m = FakeManifests(policy=Policy(prune=["groups"])).add("groups", name="A", members=["101"])
    state = live(groups=[group("B", ["101"])], extensions=[extension("101")])
    result = adoption(m, state)
    assert not result.renames
    assert result.removals == [("groups", "A")] and [d["name"] for _, d in result.additions] == ["B"]


def test_defaults_the_file_leaves_out_stay_out_unless_they_changed():
    full = {"enabled": True, "when_busy": True, "waiting_time": 90}
    given = {"waiting_time": 90}
    assert _keep_omitted({"enabled": False, "when_busy": True, "waiting_time": 60}, full, given) == \
        {"enabled": False, "waiting_time": 60}
    assert _keep_omitted([{"a": 1, "b": 2}], [{"a": 1, "b": 2}], [{"a": 1}]) == [{"a": 1}]


def test_still_differs_ignores_fields_the_api_never_returns():
    m = FakeManifests().add("groups", name="A", members=["101"], queue={"enabled": False})
    state = live(groups=[group("A", ["101"])], extensions=[extension("101")])
    plan = make_plan(m, state)
    assert plan.has_changes  # the queue was never applied: unverified
    assert still_differs(plan) == []


def test_policy_lint_ignore_entries_follow_a_rename_and_a_removal():
    policy = Policy(prune=["groups"], lint={"unanswered-loop": {"ignore": ["A", "Gone", "Typo"]},
                                            "unreachable": {"ignore": ["Kept"]}})
    m = FakeManifests(policy=policy).add("groups", name="A", members=["101"])
    m.add("groups", name="Gone", members=["102"]).add("groups", name="Kept", members=["103"])
    state = live(groups=[group("B", ["101"]), group("Kept", ["103"])],
                 extensions=[extension("101"), extension("102"), extension("103")],
                 call_scripts=[state_note_item({})])  # applied before: a pair can be made
    result = adoption(m, state)
    assert result.renames == [("groups", "A", "B")] and result.removals == [("groups", "Gone")]
    # renamed with the rename, dropped with the removal; a name that named nothing before
    # is lint's to report (unused-lint-ignore), not adoption's to drop; untouched lists stay out
    assert result.lint_ignores == {"unanswered-loop": ["B", "Typo"]}
