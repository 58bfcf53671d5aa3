"""apply's last line counts conflicts apart from failures, as `apply --format json` does
(found by a new user: text said "1 failed" where the JSON said "failed: 0, conflict: 1")."""

from __future__ import annotations

from reconciler.commands.apply import outcome_of
from reconciler.engine.applier import ApplyReport, OpResult, Status


def result(name: str, status: Status) -> OpResult:
    return OpResult(step=None, kind="groups", name=name, status=status)  # type: ignore[arg-type]


def test_conflicts_are_counted_apart_from_failures():
    report = ApplyReport(results=[result("A", Status.DONE), result("B", Status.CONFLICT),
                                  result("C", Status.FAILED), result("D", Status.SKIPPED)])
    outcome = outcome_of(report)
    assert (outcome.done, outcome.failed, outcome.conflicts, outcome.skipped) == (1, 1, 1, 1)
    assert not outcome.ok
