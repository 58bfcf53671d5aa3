"""Drift: the plan, read the other way round.

`reconciler drift` answers "does the tenant still match the manifests?". It is the very
plan `plan` and `apply` use (one diff engine), shown from one viewpoint: the tenant
compared with the manifests. A create is a managed object missing from the tenant, an
update, rename or replace is an object whose live fields differ, a delete is a live
object the manifests do not declare in a kind that `policy.prune` owns. A declared object
that `policy.protect` covers and that differs is drift too (the plan holds its change
back: apply leaves it as it is, `drift --write` adopts it). Live objects of
kinds that are not pruned are listed as unmanaged but are not drift. Fields the API never
returns are listed with whether the manifest value still matches the fingerprint of the
last apply.

An object under another name in the tenant than in the manifests (renamed in the
console, or in the manifests without `previous_names` and not applied yet: the API keeps
no history to tell) reads, in the plan, as a create and a delete (or an unmanaged
object): the report shows the pair as one object under two names, the pairs
engine/renames.py finds, the very ones `drift --write` adopts as renames. Neither says
which side renamed it.

So `drift` exits 2 exactly when the plan has changes that were compared (or holds back
one on a protected object); a delete apply could not make as things stand (an object not
managed here still uses it) is in the plan's `blocked`, not an error. A field that
could not be compared at all (a secret not set here; a field the API never returns whose
fingerprint the state note lacks, which `plan` sends again: losing the note costs one
re-send) is neither drift nor in sync: the report is not "In sync" (drift exits 3,
`plan --detailed-exitcode` 2), and an object whose only differences are such fields is
not a drift item.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler import FORMAT_VERSION
from reconciler.engine.state_note import StateNote
from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.renames import ConsoleRename, follows_renames
from reconciler.kinds import KINDS

FIX_COMMAND = "reconciler apply"

# Why an object's live name is not the manifests' (DriftItem.renamed_in; the JSON's words).
# "tenant": drift paired a missing object with a live one under another name (one object,
# by its referrers or content); `drift --write` takes the tenant's name (previous_names).
# It does NOT say the console renamed it: the API keeps no history.
RENAMED_IN_TENANT = "tenant"
RENAMED_IN_MANIFESTS = "manifests"  # the manifests' previous_names name the live object: apply renames it

# Where an object or a nested value is found when only one side has it (the JSON's only_in).
ONLY_IN = {"missing": "manifests", "extra": "tenant"}


def command(words: str, directory: str | None, *extra: str) -> str:
    """`reconciler <words> <directory> <extra>`, the directory as the user typed it
    (quoted for a shell when it needs to be); without one, the bare command."""
    return " ".join([words, *([shlex.quote(directory)] if directory else []), *extra])

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
FP_MISSING = "missing"  # no fingerprint (the state note holds none: lost, or never applied): not compared
# Why a field the API never returns was not compared (DriftReport.unverifiable).
NO_FINGERPRINT = "no fingerprint: the state note holds none (lost, or never applied); apply sends it again"
NO_KEY = ("a secret's fingerprint needs a key not set here (RECONCILER_STATE_NOTE_KEY, else the API key); "
          "apply sends it again")


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
    live_name: str | None = None  # the tenant's name, when it is not the manifests' one
    renamed_in: str | None = None  # RENAMED_IN_TENANT | RENAMED_IN_MANIFESTS when live_name is set
    paired_by: str | None = None  # RENAMED_IN_TENANT: how the two names were found to be one object
    protected: bool = False  # policy.protect covers it: apply does not change it (plan.held_back)

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
    empty (the plan has no changes and holds none back) and every field was compared
    (`unverifiable` empty)."""

    items: list[DriftItem] = field(default_factory=list)
    in_sync_count: int = 0  # managed objects that match
    unmanaged: dict[str, list[str]] = field(default_factory=dict)  # kind -> names (not drift)
    unverified: dict[str, dict[str, list[UnverifiedField]]] = field(default_factory=dict)  # kind -> name -> fields
    protected: list[str] = field(default_factory=list)
    protected_differs: list[str] = field(default_factory=list)  # protected objects whose live fields differ
    external: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # drift apply cannot put back (plan.blocked)
    directory: str | None = None  # the manifests as the user named them, for the commands shown
    adopted: bool = False  # `drift --write` wrote this drift into the manifests
    write_refused: bool = False  # `drift --write` could not write it (its error follows the report)
    # After --write: the fields the API never returns that `plan` will still show (apply sends them).
    adopted_unverified: list[str] = field(default_factory=list)
    # Fields that could not be compared at all (plan.unverifiable): kind -> name -> field -> why.
    unverifiable: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @property
    def unverifiable_count(self) -> int:
        return sum(len(objs) for objs in self.unverifiable.values())

    @property
    def in_sync(self) -> bool:
        return not self.items and not self.unverifiable_count

    @property
    def renamed_in_tenant(self) -> list[DriftItem]:
        return [i for i in self.items if i.renamed_in == RENAMED_IN_TENANT]

    @property
    def fix_command(self) -> str | None:
        """`reconciler apply DIR`; None when apply would change none of the drift (every
        object that drifted is protected by policy)."""
        if self.items and all(i.protected for i in self.items):
            return None
        return command(FIX_COMMAND, self.directory)

    @property
    def adopt_command(self) -> str:
        return command("reconciler drift", self.directory, "--write")

    @property
    def next_command(self) -> str:
        """What to run after the drift was adopted: a plan that shows no changes."""
        return command("reconciler plan", self.directory)

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
                "renamed_in_tenant": len(self.renamed_in_tenant),
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
                    "live_name": i.live_name,
                    "renamed_in": i.renamed_in,
                    "paired_by": i.paired_by,
                    "only_in": ONLY_IN.get(i.state),
                    "protected": i.protected,
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
            "fix_command": self.fix_command,
            "adopt_command": self.adopt_command,
            "adopted": self.adopted,
            "next_command": self.next_command if self.adopted else None,
            "unverifiable": self.unverifiable,
        }


def drift_report(plan: Plan, state_note: StateNote | None = None, renames: list[ConsoleRename] | None = None,
                 directory: str | None = None) -> DriftReport:
    """The plan as a drift report. `state_note` tells an unverified field whose fingerprint
    differs from one that has none; without it, both read "differs". `renames`: the
    objects under another name in the tenant (engine/renames.py), each shown as one
    object instead of a missing one and an extra (or unmanaged) one."""
    renames = renames or []
    paired = {(r.kind, r.name) for r in renames} | {(r.kind, r.live_name) for r in renames}
    report = DriftReport(
        unmanaged={k: sorted(n for n in v if (k, n) not in paired) for k, v in plan.unmanaged.items()},
        protected=list(plan.protected),
        protected_differs=list(plan.protected_differs),
        external=list(plan.external),
        warnings=list(plan.warnings),
        blocked=list(getattr(plan, "blocked", [])),
        directory=directory,
        unverifiable={k: {n: dict(f) for n, f in objs.items()} for k, objs in plan.unverifiable.items() if objs},
    )
    report.unmanaged = {k: v for k, v in report.unmanaged.items() if v}
    in_sync = sum(plan.unchanged.values())
    by_name = {(r.kind, r.name): r for r in renames}
    held_back = {id(c) for c in plan.held_back}
    for change in plan.differences:  # what --write adopts too (engine/adopt.py)
        if change.action == Action.UPDATE and not change.fields:
            # Only repointed to a replaced greeting: its own fields match.
            in_sync += 1
            continue
        not_compared = _not_compared(change, state_note)
        if not_compared:
            report.unverifiable.setdefault(change.kind, {}).setdefault(change.name, {}).update(not_compared)
            change = replace(change, fields=[f for f in change.fields if f.field not in not_compared])
            if change.action == Action.UPDATE and not change.fields:
                continue  # nothing compared differs: unverifiable, not drift
        if change.action == Action.CREATE and (change.kind, change.name) in by_name:
            report.items.append(_renamed_item(by_name[(change.kind, change.name)]))
        elif (change.kind, change.name) not in paired:
            report.items.append(_item(change, renames, protected=id(change) in held_back, blocked=report.blocked))
    report.in_sync_count = in_sync

    changed = {(c.kind, c.name): c for c in plan.differences}
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


def _not_compared(change: Change, state_note: StateNote | None) -> dict[str, str]:
    """The fields of `change` the API never returns that apply sends again without having
    compared them (field -> why): no fingerprint in the state note, or a secret's that
    cannot be computed here. Without a state note to ask, none (they read "differs")."""
    if state_note is None or change.id is None:
        return {}
    secret = KINDS[change.kind].secret
    out = {}
    for f in change.fields:
        if f.verifiable:
            continue
        if state_note.get(change.kind, change.id, f.field) is None:
            out[f.field] = NO_FINGERPRINT
        elif f.field in secret and state_note.key is None:
            out[f.field] = NO_KEY
    return out


def _renamed_item(rename: ConsoleRename) -> DriftItem:
    """One object under two names: in the plan a create (and a delete when the kind is
    pruned). Worded as what is known, never as who renamed it: apply does not follow the
    tenant's name, `drift --write` adopts it, previous_names makes apply rename it."""
    label = KINDS[rename.kind].label
    fields = [DriftField(f.field, f.old, f.new) for f in rename.fields]
    action = f"create a new {label} {rename.name!r}"
    action += f" and delete {rename.live_name!r}" if rename.pruned else \
        f"; {rename.live_name!r} stays as it is (policy.prune does not own {rename.kind})"
    return DriftItem(
        kind=rename.kind, name=rename.name, state=DIFFERS, id=rename.id, fields=fields,
        note=f"one object, by its {rename.paired_by}: named {rename.live_name!r} in the tenant, {rename.name!r} in "
             f"the manifests. `drift --write` takes the tenant's name and keeps {rename.name!r} in previous_names; "
             f"to keep {rename.name!r}, give it `previous_names: [{rename.live_name}]` and apply renames the object",
        apply_action=action, live_name=rename.live_name, renamed_in=RENAMED_IN_TENANT, paired_by=rename.paired_by,
    )


def _item(change: Change, renames: list[ConsoleRename] | None = None, protected: bool = False,
          blocked: list[str] = ()) -> DriftItem:
    kind_def = KINDS[change.kind]
    state = _STATE_OF_ACTION[change.action]
    fields = [
        DriftField(f.field, f.old, f.new, f.verifiable)
        for f in change.fields
        if f.field != kind_def.identity  # a rename shows as renamed_from
    ]
    if state == MISSING:
        note = None
        action = f"create the {kind_def.label}"
    elif state == EXTRA:
        note = change.reason
        action = f"delete the {kind_def.label}"
    elif change.action == Action.REPLACE:
        note = change.reason
        action = f"replace the {kind_def.label} (create a new one, repoint its users, delete the old one)"
    elif change.action == Action.RENAME:
        note = None
        action = f"rename the {kind_def.label} and update it" if fields else f"rename the {kind_def.label}"
    else:
        note = change.reason
        action = f"update the {kind_def.label}"
        if renames and fields and all(follows_renames(change.kind, f, renames) for f in change.fields):
            note = "it points at the same objects, by their names in the tenant"
    if protected:
        note = "protected by policy.protect: `drift --write` adopts the tenant's values"
        action = "not change it: policy.protect covers it"
    # A delete or replace the plan could not make as things stand (its refusal is listed).
    refusal = f" {kind_def.label} '{change.name}': "
    if any(refusal in b and b.startswith(("cannot delete", "cannot replace")) for b in blocked):
        action += ", once what still uses it is settled (see 'Apply cannot put this back')"
    return DriftItem(
        kind=change.kind, name=change.name, state=state, id=change.id, fields=fields,
        renamed_from=change.rename_from, note=note, apply_action=action,
        live_name=change.rename_from, renamed_in=RENAMED_IN_MANIFESTS if change.rename_from else None,
        protected=protected,
    )


__all__ = [
    "DIFFERS", "EXTRA", "FIX_COMMAND", "FP_DIFFERS", "FP_MATCHES", "FP_MISSING", "MISSING", "ONLY_IN",
    "RENAMED_IN_MANIFESTS", "RENAMED_IN_TENANT", "command",
    "DriftField", "DriftItem", "DriftReport", "UnverifiedField", "drift_report",
]
