"""`--target kind/name`: a plan of only some objects and what they need.

A filter of the one plan (the planner calls it before the delete threshold is counted):
the targets' own changes, then, until nothing is added, the creates and renames of what a
kept change references (they must exist under that name first) and the changes of the
objects that let go of what a kept change deletes or replaces (a referrer repointed or
cleared first). Nothing else is kept, so a targeted plan never prunes an object it was not
asked to: a delete of another object that the targets would need is an error that names
it, for the user to target too. The plan says it is partial (`targets`, `left_out`).
"""

from __future__ import annotations

import difflib
import shlex
from typing import Any, Iterable, Mapping

from reconciler.engine.plan import Action, Change, Plan
from reconciler.errors import PlanError
from reconciler.kinds import KINDS
from reconciler.kinds.base import env_refs

Address = tuple[str, str]  # (kind, name)


def parse_targets(targets: Iterable[str], known: Mapping[str, Iterable[str]],
                  retired: Mapping[str, Mapping[str, str]] | None = None) -> list[Address]:
    """Each `kind/name` (the kind as the manifests' top-level key, the name as written:
    the identity, a hotline's number, an extension's sip_user), checked against `known`
    (kind -> names declared or live). PlanError naming every unknown one, with the
    nearest known address. `retired`: kind -> a name a declared object lists in
    previous_names -> that object's name; such a name is an error naming the new one (the
    live object under it is that object, and its change is filed under the new name), and
    never a suggestion."""
    retired = retired or {}
    found: list[Address] = []
    problems: list[str] = []
    everything = sorted(f"{k}/{n}" for k, names in known.items() for n in names if n not in retired.get(k, {}))
    for target in targets:
        kind, sep, name = target.partition("/")
        if not sep or not name:
            problems.append(f"--target {target}: write it as KIND/NAME, e.g. groups/CSKH "
                            f"(KIND one of {', '.join(KINDS)})")
            continue
        if kind not in KINDS:
            close = difflib.get_close_matches(kind, list(KINDS), 1, 0.5)
            hint = f"; did you mean {close[0]}/{name}?" if close else f" (one of {', '.join(KINDS)})"
            problems.append(f"--target {target}: no kind '{kind}'{hint}")
            continue
        if name in retired.get(kind, {}):
            new = retired[kind][name]
            problems.append(f"--target {target}: {KINDS[kind].label} '{name}' is renamed to '{new}' "
                            f"(previous_names); target {kind}/{new}")
            continue
        if name not in set(known.get(kind, ())):
            close = difflib.get_close_matches(target, everything, 1, 0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.append(f"--target {target}: no {KINDS[kind].label} '{name}' in the manifests or the "
                            f"tenant{hint}")
            continue
        if (kind, name) not in found:
            found.append((kind, name))
    if problems:
        raise PlanError(problems)
    return found


def target_plan(plan: Plan, targets: list[Address], desired: Mapping[str, Mapping[str, dict]]) -> None:
    """Keep, in `plan`, only the changes of `targets` and what they need (module doc);
    record what was left out. In place: the planner owns the plan it is making.
    `desired`: kind -> name -> the manifests' data, for the secrets the kept objects use."""
    by_address: dict[Address, list[Change]] = {}
    for change in plan.changes:
        by_address.setdefault((change.kind, change.name), []).append(change)
    kept: dict[Address, None] = {}
    queue = [t for t in targets if t in by_address]
    problems: list[str] = []
    while queue:
        address = queue.pop(0)
        if address in kept:
            continue
        kept[address] = None
        for change in by_address[address]:
            for needed in _needs(change, plan.changes):
                if needed in kept or needed in queue:
                    continue
                actions = {c.action for c in by_address[needed]}
                if Action.DELETE in actions and needed not in targets:
                    problems.append(f"{KINDS[change.kind].label} '{change.name}' cannot be applied alone: "
                                    f"{KINDS[needed[0]].label} '{needed[1]}', which the plan deletes, still uses "
                                    f"it; add --target {shlex.quote(f'{needed[0]}/{needed[1]}')} to delete that too")
                    continue
                queue.append(needed)
    if problems:
        raise PlanError(problems, headline="the targeted plan would need changes it may not make")
    plan.targets = [f"{k}/{n}" for k, n in targets]
    plan.left_out = [f"{c.action} {c.address}" for c in plan.changes if (c.kind, c.name) not in kept]
    plan.changes = [c for c in plan.changes if (c.kind, c.name) in kept]
    kept_names = {(KINDS[k].label, n) for k, n in kept} | {(KINDS[k].label, n) for k, n in targets}
    # Only the targets' refusals stop a targeted plan (each names its object "label 'name'").
    plan.blocked = [b for b in plan.blocked if any(f"{label} '{name}'" in b for label, name in kept_names)]
    plan.unverified = _only_kept(plan.unverified, kept, targets)
    kept_unverifiable = _only_kept(plan.unverifiable, kept, targets)
    # An object left out is not this plan's: its "not verified" warnings go with it.
    dropped = [f"{KINDS[k].label} '{name}': " for k, objs in plan.unverifiable.items() for name in objs
               if name not in kept_unverifiable.get(k, {})]
    plan.warnings = [w for w in plan.warnings if not any(w.startswith(prefix) for prefix in dropped)]
    plan.unverifiable = kept_unverifiable
    # A secret only another object uses does not stop this plan's apply (check_secrets).
    used = {n for k, name in [*kept, *targets] for n in env_refs(desired.get(k, {}).get(name, {}))}
    plan.secrets_not_set = [n for n in plan.secrets_not_set if n in used]


def _only_kept(by_kind: dict[str, dict[str, Any]], kept: Mapping[Address, None],
               targets: list[Address]) -> dict[str, dict[str, Any]]:
    """kind -> name -> fields, for the objects a targeted plan keeps."""
    return {k: objs_kept for k, objs in by_kind.items()
            if (objs_kept := {n: f for n, f in objs.items() if (k, n) in kept or (k, n) in targets})}


def _needs(change: Change, changes: list[Change]) -> list[Address]:
    """What must change with `change`: the creates and renames of what it references, and,
    for a delete or a replace, the other changes of the objects that still point at it."""
    needed: list[Address] = []
    if change.new:
        wanted = {(c.kind, c.name) for c in changes if c.action in (Action.CREATE, Action.RENAME)}
        needed += [(k, n) for k, n in KINDS[change.kind].references(change.new) if (k, n) in wanted]
    if change.action in (Action.DELETE, Action.REPLACE):
        here = [change.kind, change.name]
        needed += [(c.kind, c.name) for c in changes if c is not change and here in c.live_references]
    return needed
