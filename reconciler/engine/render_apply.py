"""`apply --format json`: what an apply did, per object, for programs (stable, format_version).

One entry per change of the plan applied, in the plan's order: its action, kind, name,
live id (and the new id of what it created), how it ended and each operation it took with
its outcome and message (a failure's reason, or what a skipped operation waited for).
"""

from __future__ import annotations

import json
from typing import Any

from reconciler import FORMAT_VERSION
from reconciler.engine.applier import ApplyReport, OpResult, Status
from reconciler.engine.order import STEPS
from reconciler.engine.plan import Plan

# How an object ended, from its operations': the worst one.
_WORST = (Status.FAILED, Status.CONFLICT, Status.SKIPPED)


def apply_document(plan: Plan, results: list[OpResult], *, outcome: str, warnings: list[str] = ()) -> dict:
    """The report as JSON data. `outcome`: "complete" (every change made and saved),
    "incomplete" (some failed or were skipped, or the state note was not saved),
    "interrupted" (stopped: an object whose operations did not all end is "not_finished";
    one in flight may have landed, and apply again finishes it), "no_changes"."""
    by_object: dict[tuple[str, str], list[OpResult]] = {}
    for result in results:
        by_object.setdefault((result.kind, result.name), []).append(result)
    objects = []
    for change in plan.changes:
        ops = by_object.get((change.kind, change.name), [])
        statuses = {r.status for r in ops}
        ended = {r.step for r in ops} >= set(STEPS[change.action])
        status = next((str(s) for s in _WORST if s in statuses), "done" if ended else "not_finished")
        new_id = next((r.id for r in ops if r.id), None)
        objects.append({
            "action": str(change.action), "kind": change.kind, "name": change.name,
            "id": new_id or change.id,  # after the apply: a created (or replacing) object's new id
            "previous_id": change.id if new_id and change.id else None,  # a replaced object's old id
            "status": status,
            "operations": [{"step": str(r.step), "status": str(r.status), "message": r.message} for r in ops],
        })
    counts = {s: sum(1 for o in objects if o["status"] == s)
              for s in ("done", "failed", "conflict", "skipped", "not_finished")}
    document: dict[str, Any] = {"format_version": FORMAT_VERSION, "outcome": outcome, "summary": counts}
    if plan.partial:
        document.update(partial=True, targets=plan.targets, left_out=plan.left_out)
    document.update(objects=objects, warnings=list(warnings))
    return document


def outcome_of(report: ApplyReport) -> str:
    """complete or incomplete, as the exit status says (0 or 1)."""
    return "complete" if report.ok and not report.warnings else "incomplete"


def render_json(plan: Plan, results: list[OpResult], *, outcome: str, warnings: list[str] = ()) -> str:
    return json.dumps(apply_document(plan, results, outcome=outcome, warnings=warnings),
                      ensure_ascii=False, indent=2) + "\n"
