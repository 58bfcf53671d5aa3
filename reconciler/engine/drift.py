"""Drift: the plan, read the other way round.

`reconciler drift` answers "does the tenant still match the manifests?". It is the very
plan `plan` and `apply` use (one diff engine), shown in "live vs manifest" terms: a create
is a managed object missing from the tenant, an update, rename or replace is an object
whose live fields differ, a delete is a live object the manifests do not declare in a kind
that `policy.prune` owns. Live objects of kinds that are not pruned are listed as
unmanaged but are not drift. Fields the API never returns are listed with whether the
manifest value still matches the fingerprint of the last apply.

So `drift` exits 2 exactly when the plan has changes. A field that could not be compared
at all (a secret not set here) is neither: the report is not "In sync" (drift exits 3,
`plan --detailed-exitcode` 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler import FORMAT_VERSION
from reconciler.engine.state_note import StateNote
from reconciler.engine.plan import Action, Change, Plan
from reconciler.kinds import KINDS

FIX_COMMAND = "reconciler apply"

# What a drifted object's state is, from a plan change's action.
MISSING = "missing"  # in the manifests, not in the tenant
DIFFERS = "differs"  # in both, some field differs
EXTRA = "extra"  # in the tenant, not in the manifests, in a kind the manifests own (prune)
STATES = (DIFFERS, MISSING, EXTRA)
_STATE_OF_ACTION = {Action.CREATE: MISSING, Action.UPDATE: DIFFERS, Action.RENAME: DIFFERS, Action.REPLACE: DIFFERS,
                    Action.DELETE: EXTRA}

# Whether a write-only field's manifest value matches what the last apply sent.
FP_MATCHES = "matches"  # the fingerprint kept in the tenant matches: in sync as far as anyone can tell
FP_DIFFERS = "differs"  # the manifest changed since the last apply: apply sends it again
FP_MISSING = "missing"  # no fingerprint (never applied by the reconciler, or the state note was deleted)


@dataclass
class DriftField:
    """One field of a drifted object: its live and manifest values."""

    field: str
    live: Any
    manifest: Any
    verifiable: bool = True  # False: the API never returns it (live is NOT_RETURNED)


@dataclass
class DriftItem:
    """One object that does not match: what it is, how, and what apply would do."""

    kind: str
    name: str
    state: str  # one of STATES
    id: str | None = None
    fields: list[DriftField] = field(default_factory=list)
    renamed_from: str | None = None  # live name of an object the manifests rename
    note: str | None = None  # why, when not obvious (prune, replace ...)
    apply_action: str = ""  # what `reconciler apply` does about it

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class UnverifiedField:
    """A field the API never returns, compared with the fingerprint of the last apply."""

    field: str
    fingerprint: str  # FP_MATCHES | FP_DIFFERS | FP_MISSING


@dataclass
class DriftReport:
    """The tenant compared to the manifests. `in_sync` is True exactly when `items` is
    empty (the plan has no changes) and every field was compared (`unverifiable` empty)."""

    items: list[DriftItem] = field(default_factory=list)
    in_sync_count: int = 0  # managed objects that match
    unmanaged: dict[str, list[str]] = field(default_factory=dict)  # kind -> names (not drift)
    unverified: dict[str, dict[str, list[UnverifiedField]]] = field(default_factory=dict)  # kind -> name -> fields
    protected: list[str] = field(default_factory=list)
    protected_differs: list[str] = field(default_factory=list)  # protected objects whose live fields differ
    external: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # drift apply cannot put back (plan.blocked)
    # Fields that could not be compared at all (plan.unverifiable): kind -> name -> field -> why.
    unverifiable: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @property
    def unverifiable_count(self) -> int:
        return sum(len(objs) for objs in self.unverifiable.values())

    @property
    def in_sync(self) -> bool:
        return not self.items and not self.unverifiable_count

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATES}
        for item in self.items:
            out[item.state] += 1
        return out

    def to_json(self) -> dict:
        """The stable JSON form (`format_version` 1); secret values are masked by the
        renderer, not here."""
        counts = self.counts()
        return {
            "format_version": FORMAT_VERSION,
            "in_sync": self.in_sync,
            "summary": {
                **counts,
                "in_sync": self.in_sync_count,
                "unmanaged": sum(len(v) for v in self.unmanaged.values()),
                "unverified": sum(len(f) for objs in self.unverified.values() for f in objs.values()),
                "protected_differs": len(self.protected_differs),
                "unverifiable": self.unverifiable_count,
            },
            "drift": [
                {
                    "kind": i.kind,
                    "name": i.name,
                    "id": i.id,
                    "state": i.state,
                    "renamed_from": i.renamed_from,
                    "fields": [
                        {"field": f.field, "live": f.live, "manifest": f.manifest, "verifiable": f.verifiable}
                        for f in i.fields
                    ],
                    "note": i.note,
                    "apply_action": i.apply_action,
                }
                for i in self.items
            ],
            "unmanaged": {k: v for k, v in self.unmanaged.items() if v},
            "unverified": {
                k: {name: [{"field": f.field, "fingerprint": f.fingerprint} for f in fields]
                    for name, fields in objs.items()}
                for k, objs in self.unverified.items() if objs
            },
            "protected": self.protected,
            "external": self.external,
            "warnings": self.warnings,
            "blocked": self.blocked,
            "fix_command": FIX_COMMAND,
            "unverifiable": self.unverifiable,
        }


def drift_report(plan: Plan, state_note: StateNote | None = None) -> DriftReport:
    """The plan as a drift report. `state_note` tells an unverified field whose fingerprint
    differs from one that has none; without it, both read "differs"."""
    report = DriftReport(
        unmanaged={k: sorted(v) for k, v in plan.unmanaged.items() if v},
        protected=list(plan.protected),
        protected_differs=list(plan.protected_differs),
        external=list(plan.external),
        warnings=list(plan.warnings),
        blocked=list(getattr(plan, "blocked", [])),
        unverifiable={k: {n: dict(f) for n, f in objs.items()} for k, objs in plan.unverifiable.items() if objs},
    )
    in_sync = sum(plan.unchanged.values())
    for change in plan.changes:
        if change.action == Action.UPDATE and not change.fields:
            # Only repointed to a replaced greeting: its own fields match.
            in_sync += 1
            continue
        report.items.append(_item(change))
    report.in_sync_count = in_sync

    changed = {(c.kind, c.name): c for c in plan.changes}
    for k in KINDS:
        objs = plan.unverified.get(k) or {}
        for name, fields in sorted(objs.items()):
            change = changed.get((k, name))
            sent_again = {f.field for f in change.fields if not f.verifiable} if change else set()
            entries = []
            for f in fields:
                if f in report.unverifiable.get(k, {}).get(name, {}):
                    status = FP_MISSING  # not compared at all: no fingerprint to compare with
                elif f not in sent_again:
                    status = FP_MATCHES
                elif state_note is not None and change is not None and change.id is not None and \
                        state_note.get(k, change.id, f) is None:
                    status = FP_MISSING
                else:
                    status = FP_DIFFERS
                entries.append(UnverifiedField(f, status))
            report.unverified.setdefault(k, {})[name] = entries
    return report


def _item(change: Change) -> DriftItem:
    kind = KINDS[change.kind]
    state = _STATE_OF_ACTION[change.action]
    fields = [
        DriftField(f.field, f.old, f.new, f.verifiable)
        for f in change.fields
        if f.field != kind.identity  # a rename shows as renamed_from
    ]
    if state == MISSING:
        note = None
        action = f"create the {kind.label}"
    elif state == EXTRA:
        note = change.reason
        action = f"delete the {kind.label}"
    elif change.action == Action.REPLACE:
        note = change.reason
        action = f"replace the {kind.label} (create a new one, repoint its users, delete the old one)"
    elif change.action == Action.RENAME:
        note = None
        action = f"rename the {kind.label} and update it" if fields else f"rename the {kind.label}"
    else:
        note = change.reason
        action = f"update the {kind.label}"
    return DriftItem(
        kind=change.kind, name=change.name, state=state, id=change.id, fields=fields,
        renamed_from=change.rename_from, note=note, apply_action=action,
    )


__all__ = [
    "DIFFERS", "EXTRA", "FIX_COMMAND", "FP_DIFFERS", "FP_MATCHES", "FP_MISSING", "MISSING",
    "DriftField", "DriftItem", "DriftReport", "UnverifiedField", "drift_report",
]
