"""A change says which object it holds: `new`, the desired object (create, update, rename,
replace), or `existing`, a delete's live object. Plan files and the JSON keep the one
`data` key they always had."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.engine.plan import Action, Change
from reconciler.engine.planfile import load_plan

FIXTURE = Path(__file__).parent / "fixtures" / "plan_file_before_typed_steps.json"
URL = "http://127.0.0.1:1"


def test_a_delete_holds_the_live_object_and_the_others_the_desired_one():
    saved = {(c["action"], c["kind"], c["name"]): c["data"]
             for c in json.loads(FIXTURE.read_text(encoding="utf-8"))["plan"]["changes"]}
    plan = load_plan(FIXTURE, url=URL)
    for change in plan.changes:
        data = saved[(str(change.action), change.kind, change.name)]
        if change.action is Action.DELETE:
            assert (change.existing, change.new) == (data, None)
        else:
            assert (change.new, change.existing) == (data, None)
    assert {c.action for c in plan.changes} >= {Action.CREATE, Action.DELETE, Action.UPDATE}


def test_the_json_of_a_change_keeps_its_keys():
    change = Change(Action.DELETE, "groups", "Cũ", id="g9", data={"name": "Cũ", "members": ["101"]})
    assert change.existing == {"name": "Cũ", "members": ["101"]} and change.new is None
    assert set(change.to_json()) == {"action", "kind", "name", "id", "fields", "data", "rename_from", "reason",
                                     "live_version", "live_references"}
    assert Change.from_json(change.to_json()) == change
