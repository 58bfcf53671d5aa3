"""Plan files on disk keep their format: one saved before actions and steps were typed
(the fixture, written by that version with every action in it) still loads, applies in
the same steps, and is written back byte for byte."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine.order import Step, build_graph
from reconciler.engine.plan import Action
from reconciler.engine.planfile import load_plan, save_plan

FIXTURE = Path(__file__).parent / "fixtures" / "plan_file_before_typed_steps.json"
URL = "http://127.0.0.1:1"


def test_a_plan_file_saved_before_typed_actions_still_loads():
    plan = load_plan(FIXTURE, url=URL)
    assert sorted(c.action for c in plan.changes) == sorted(
        [Action.CREATE, Action.DELETE, Action.RENAME, Action.REPLACE, Action.UPDATE, Action.UPDATE])
    assert all(type(c.action) is Action for c in plan.changes)
    ops, _ = build_graph(plan)
    assert sorted((str(step), k, name) for step, k, name in ops) == [
        ("create", "greetings", "Chào"),
        ("create", "groups", "Mới"),
        ("delete", "greetings", "Chào"),
        ("delete", "groups", "Cũ"),
        ("update", "call_scripts", "Giờ hành chính"),
        ("update", "groups", "Bán hàng"),
        ("update", "groups", "CSKH"),
    ]
    assert all(type(step) is Step for step, _, _ in ops)


def test_a_plan_file_is_written_as_before(tmp_path: Path):
    plan = load_plan(FIXTURE, url=URL)
    again = tmp_path / "plan.json"
    save_plan(plan, again, url=URL)
    assert again.read_text(encoding="utf-8") == FIXTURE.read_text(encoding="utf-8")
