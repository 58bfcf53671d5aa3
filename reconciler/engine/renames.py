"""One object under two names: one detection for `drift` and `drift --write`.

A rename keeps the object's id, but the plan (which matches by name) sees a managed
object missing from the tenant and a live one the manifests do not declare (a delete in a
kind `policy.prune` owns, an unmanaged object in the others). `drift` reports such a pair
as one object named one way in the tenant and another in the manifests, and `drift
--write` adopts the tenant's name (the manifests' one kept in `previous_names`): both read
the pairs found here, so the report shows exactly the rename that --write will write.

The API keeps no history, so a pair says nothing of which side renamed: a rename made in
the console and a manifest edit not applied yet look the same. (The class keeps its name,
ConsoleRename, after its usual cause.) On a tenant that holds neither a state note nor an
apply history, no apply of the reconciler is known to have made its objects the
manifests' (or both were lost): a pair there is a guess about objects nobody renamed, so
none is made and the report shows a missing object and an extra (or unmanaged) one.

A pair is found by the referrers that point at the live name where the manifests say
the manifests' one, else by identical content; a pair that is not certain stays a
missing object and an extra (or unmanaged) one. Pure functions; no HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.live import LiveState, live_in_manifest_terms
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.engine.planner import ManifestsLike
from reconciler.kinds import KINDS
from reconciler.kinds.base import KIND_REF_WORD, expand_env, unset_env


# How a pair was found (the JSON's paired_by).
BY_REFERRERS = "referrers"  # objects point at the live name where the manifests name the manifests' one
BY_CONTENT = "content"  # the live object's content is the manifest object's, and no other's


@dataclass
class ConsoleRename:
    """One managed object under two names: `name` in the manifests, `live_name` in the
    tenant (which side renamed it is not known), and its other fields whose live value
    differs (old: live, new: manifest)."""

    kind: str
    name: str
    live_name: str
    id: str | None = None
    fields: list[FieldChange] = field(default_factory=list)
    pruned: bool = False  # the live object is in a kind policy.prune owns: apply would delete it
    paired_by: str = BY_REFERRERS  # BY_REFERRERS | BY_CONTENT: how the two names were found to be one object

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"


def live_by_name(live: LiveState) -> dict[str, dict[str, tuple[str, dict]]]:
    """Every live object in manifest terms, by kind and identity: (id, data)."""
    terms = live_in_manifest_terms(live)
    return {k: {str(d[KINDS[k].identity]): (i, d) for i, d in items} for k, items in terms.items()}


def console_renames(plan: Plan, live: LiveState, manifests: ManifestsLike) -> list[ConsoleRename]:
    """The objects of `plan` under another name in the tenant, in the plan's order; none
    when no apply of the reconciler is known there (neither a state note nor a history)."""
    if not live.applied_before:
        return []
    return _Finder(plan, live_by_name(live), manifests).run()


class _Finder:
    def __init__(self, plan: Plan, live: dict[str, dict[str, tuple[str, dict]]], manifests: ManifestsLike):
        self.plan = plan
        self.live = live
        self.manifests = manifests

    def run(self) -> list[ConsoleRename]:
        creates = [c for c in self.plan.changes if c.action == Action.CREATE]
        deletes = {(c.kind, c.name) for c in self.plan.changes if c.action == Action.DELETE}
        unmatched = {k: set(self.plan.unmanaged.get(k, [])) for k in KINDS}
        for k, name in deletes:
            unmatched[k].add(name)
        evidence = self._evidence()
        found: list[ConsoleRename] = []
        used: set[tuple[str, str]] = set()
        for change in creates:
            k, name = change.kind, change.name
            if not KINDS[k].renamable:
                continue
            candidates = evidence.get((k, name), set()) & unmatched[k]
            paired_by = BY_REFERRERS
            if len(candidates) != 1:
                paired_by = BY_CONTENT
                candidates = {y for y in unmatched[k] if self._same_content(k, name, y)}
                if len(candidates) != 1 or any(self._same_content(k, other.name, next(iter(candidates)))
                                               for other in creates if other.kind == k and other.name != name):
                    continue
            (live_name,) = candidates
            if (k, live_name) not in used and live_name in self.live[k]:
                used.add((k, live_name))
                found.append(self._pair(change, live_name, (k, live_name) in deletes, paired_by))
        return found

    def _evidence(self) -> dict[tuple[str, str], set[str]]:
        """(kind, manifest name) -> the live names that referrers point at where the
        manifests name it."""
        evidence: dict[tuple[str, str], set[str]] = {}
        for change in self.plan.differences:  # a protected referrer is evidence too
            kind_def = KINDS[change.kind]
            for f in change.fields:
                if not f.verifiable or f.field == kind_def.identity:
                    continue
                was, wants = kind_def.references({f.field: f.old}), kind_def.references({f.field: f.new})
                if len(was) == len(wants):
                    for (k_live, live_name), (k_want, wanted) in zip(was, wants):
                        if k_live == k_want and live_name != wanted:
                            evidence.setdefault((k_want, wanted), set()).add(live_name)
        return evidence

    def _compared(self, kind: str, name: str, live_name: str) -> list[tuple[str, Any, Any, bool | None]]:
        """(field, live value, manifest value, same?) of each field the manifests state;
        same is None when it cannot be told (a secret not set here, a write-only field)."""
        kind_def = KINDS[kind]
        _, data = self.live[kind][live_name]
        want = kind_def.desired(self.manifests.objects[kind][name].model)
        out = []
        for f, value in want.items():
            if f == kind_def.identity or f in kind_def.local_only or f.startswith("_") or unset_env(value):
                continue  # (a secret not set here cannot be compared: left as the manifest says)
            out.append((f, data.get(f), value, kind_def.compare(f, expand_env(value), data)))
        return out

    def _same_content(self, kind: str, name: str, live_name: str) -> bool:
        if live_name not in self.live[kind]:
            return False
        return all(same is not False for *_, same in self._compared(kind, name, live_name))

    def _pair(self, create: Change, live_name: str, pruned: bool, paired_by: str) -> ConsoleRename:
        object_id, _ = self.live[create.kind][live_name]
        fields = [FieldChange(f, live_value, value) for f, live_value, value, same
                  in self._compared(create.kind, create.name, live_name) if same is False]
        return ConsoleRename(create.kind, create.name, live_name, object_id, fields, pruned, paired_by)


def renamed_value(value: Any, old: str, new: str, word: str | None) -> Any:
    """`value` with its references to `old` (`{word: old}`, or the plain name in a slot of
    that kind) pointing at `new`."""
    if isinstance(value, dict):
        if len(value) == 1 and value.get(word) == old:
            return {word: new}
        return {k: renamed_value(v, old, new, word) for k, v in value.items()}
    if isinstance(value, list):
        return [renamed_value(v, old, new, word) for v in value]
    return new if value == old else value


def follows_renames(kind: str, f: FieldChange, renames: list[ConsoleRename]) -> bool:
    """Whether the live value of field `f` is its manifest value with the references to
    objects under two names (`renames`) by their live names: the referrer points at the
    same object, by its tenant name."""
    if not f.verifiable:
        return False
    value = f.new
    for r in renames:
        value = renamed_value(value, r.name, r.live_name, KIND_REF_WORD.get(r.kind))
    return value != f.new and value == f.old and bool(KINDS[kind].references({f.field: f.new}))


__all__ = ["BY_CONTENT", "BY_REFERRERS", "ConsoleRename", "console_renames", "follows_renames", "live_by_name", "renamed_value"]
