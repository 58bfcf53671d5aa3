"""Adopting drift: what the manifests must say so that they match the tenant.

`reconciler drift DIR --write` reads the same plan as `drift` and `plan` (one diff), the
other way round: where apply would change the tenant, the manifests are changed instead.

- an update, replace or rename: its changed fields take the live values;
- a create (a managed object gone from the tenant): the object is removed;
- a delete (a live object in a kind `policy.prune` owns): the object is added;
- a change policy.protect held back (plan.held_back): adopted as any other, since apply
  never puts a protected object back, and the same `Plan.differences` as the report;
- a rename made in the console keeps the object's id, so the manifest object under the
  old name and the live one under the new name are one object: it is renamed in place
  (the old name kept in `previous_names`) and every reference to it follows. The pairs
  are engine/renames.py's, the very ones the `drift` report shows as renamed; a pair
  that is not certain stays a removal and an addition.

Fields the API never returns are left as they are. A live value a manifest cannot hold is
a problem: nothing is written then. Pure functions; no file and no HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

# What a manifest can state is export's judgement; adoption uses the very same one.
from reconciler.engine.export import _clean, _inexpressible, _invalid
from reconciler.engine.live import LiveState
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.engine.planner import ManifestsLike
from reconciler.engine.renames import ConsoleRename, console_renames, live_by_name, renamed_value
from reconciler.kinds import KINDS, Kind
from reconciler.kinds.base import KIND_REF_WORD, PREVIOUS_NAMES, env_name, nfc



@dataclass
class FieldEdit:
    """New values for some fields of one manifest object."""

    kind: str
    name: str  # the object's identity in the manifests today
    fields: dict[str, Any]
    order: list[str]  # field order, to place a field the object does not have yet


@dataclass
class Adoption:
    """The manifest edits that make the manifests match the tenant."""

    edits: list[FieldEdit] = field(default_factory=list)
    removals: list[tuple[str, str]] = field(default_factory=list)  # (kind, name)
    additions: list[tuple[str, dict]] = field(default_factory=list)  # (kind, object in manifest form)
    renames: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, old, new)
    # policy.lint ignore lists that follow: rule code -> the new list (a renamed object's
    # entry renamed, a removed object's entry dropped)
    lint_ignores: dict[str, list[str]] = field(default_factory=dict)
    # policy.protect, when it follows a rename (an old name there would be an error: it
    # would hold the rename back for ever); None: unchanged
    protect: list[str] | None = None
    left_alone: list[str] = field(default_factory=list)  # "groups/CSKH: queue" the API never returns
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.edits or self.removals or self.additions or self.lint_ignores or self.protect is not None)


def adopt(plan: Plan, live: LiveState, manifests: ManifestsLike,
          renames: list[ConsoleRename] | None = None) -> Adoption:
    """The edits that turn the drift of `plan` into manifest changes. `renames`: the
    console renames the drift report showed (engine/renames.py), found here when not given."""
    if renames is None:
        renames = console_renames(plan, live, manifests)
    return _Adopter(plan, live, manifests).run(renames)


class _Adopter:
    def __init__(self, plan: Plan, live: LiveState, manifests: ManifestsLike):
        self.plan = plan
        self.manifests = manifests
        self.out = Adoption()
        self.fields: dict[tuple[str, str], dict[str, Any]] = {}
        self.live_data = {k: {name: d for name, (_, d) in objs.items()} for k, objs in live_by_name(live).items()}
        self.identities = {k: set(v) for k, v in self.live_data.items()}

    def run(self, renamed: list[ConsoleRename]) -> Adoption:
        differences = self.plan.differences  # the drift report's (engine/drift.py)
        creates = [c for c in differences if c.action == Action.CREATE]
        deletes = [c for c in differences if c.action == Action.DELETE]
        for change in differences:
            if change.action in (Action.UPDATE, Action.REPLACE, Action.RENAME):
                self._take_fields(change)
        gone = {(r.kind, r.name) for r in renamed}
        taken = {(r.kind, r.live_name) for r in renamed}
        self.out.removals = [(c.kind, c.name) for c in creates if (c.kind, c.name) not in gone]
        for rename in renamed:
            self._rename(rename)
        for change in deletes:
            if (change.kind, change.name) not in taken:
                self._add(change)
        for (kind, name), values in self.fields.items():
            self._check(kind, name, values)
            self.out.edits.append(FieldEdit(kind, name, values, _order(KINDS[kind])))
        self._follow_lint_ignores()
        return self.out

    def _follow_lint_ignores(self) -> None:
        """policy.lint ignore entries follow the objects they name: renamed with a rename
        (in the console, or a manifests' rename the tenant never made: the tenant's name is
        adopted), dropped with an object removed. A name another object still has stays.
        policy.protect entries are renamed the same way, never dropped."""
        identity = {k: KINDS[k].identity for k in KINDS}
        renamed = {(kind, name): values[identity[kind]] for (kind, name), values in self.fields.items()
                   if identity[kind] in values and values[identity[kind]] != name}
        if not renamed and not self.out.removals:
            return
        stays = {name for kind, objs in self.manifests.objects.items() for name in objs
                 if (kind, name) not in renamed and (kind, name) not in self.out.removals}
        stays |= {str(data.get(identity[kind])) for kind, data in self.out.additions}
        new_names = {old: str(new) for (_, old), new in renamed.items()}
        # A protected object renamed stays protected under its new name (never dropped:
        # a protect entry naming nothing is only a warning, and safer than none).
        protect = list(getattr(self.manifests.policy, "protect", []) or [])
        followed_protect = list(dict.fromkeys(p if nfc(p) in stays else new_names.get(nfc(p), p) for p in protect))
        if followed_protect != protect:
            self.out.protect = followed_protect
        gone = {name for _, name in self.out.removals}
        for code, setting in getattr(self.manifests.policy, "lint", {}).items():
            entries = list(getattr(setting, "ignore", []) or [])
            followed: list[str] = []
            for entry in entries:
                if entry in stays:
                    followed.append(entry)
                elif entry in new_names:
                    followed.append(new_names[entry])
                elif entry not in gone:
                    followed.append(entry)  # named nothing before: lint says so, not ours to drop
            followed = list(dict.fromkeys(followed))
            if followed != entries:
                self.out.lint_ignores[code] = followed

    # --- what changes ----------------------------------------------------------------------

    def _set(self, kind: str, name: str, field_name: str, value: Any) -> None:
        obj = self.manifests.objects[kind][name]
        if field_name in obj.model.model_fields_set and field_name != PREVIOUS_NAMES:
            full = obj.model.model_dump(include={field_name}).get(field_name)
            given = obj.model.model_dump(include={field_name}, exclude_unset=True).get(field_name)
            value = _keep_omitted(value, full, given)
        self.fields.setdefault((kind, name), {})[field_name] = value

    def _take_fields(self, change: Change) -> None:
        kind_def = KINDS[change.kind]
        for f in change.fields:
            if not f.verifiable:
                self.out.left_alone.append(f"{change.address}: {f.field}")
            elif f.field == kind_def.identity:
                # The manifests rename the object (previous_names) and the tenant has not
                # followed: the tenant's name is adopted, and is no longer a previous name.
                self._set(change.kind, change.name, kind_def.identity, f.old)
                previous = [p for p in _previous(self.manifests, change.kind, change.name) if p != f.old]
                self._set(change.kind, change.name, PREVIOUS_NAMES, previous)
            else:
                self._take_value(change.kind, change.name, f)

    def _take_value(self, kind: str, name: str, f: FieldChange) -> None:
        """A live value into the manifest, but never one the manifests set from ${env:...}:
        it is a secret's, which a manifest must not hold (and the plan keeps only MASK)."""
        if _has_env(f.new):
            self.out.problems.append(f"{kind}/{name}: {f.field}: the manifests set it from ${{env:...}}; "
                                     "change the variable, or write the value in the manifest by hand")
        else:
            self._set(kind, name, f.field, f.old)

    def _rename(self, rename: ConsoleRename) -> None:
        """A console rename: the object takes the live name and its live fields, the old
        name is kept in previous_names, and every reference to it follows."""
        kind, old, new = rename.kind, rename.name, rename.live_name
        kind_def = KINDS[kind]
        self.out.renames.append((kind, old, new))
        self._set(kind, old, kind_def.identity, new)
        previous = [p for p in _previous(self.manifests, kind, old) if p != new]
        self._set(kind, old, PREVIOUS_NAMES, previous + ([old] if old not in previous else []))
        for f in rename.fields:
            self._take_value(kind, old, f)
        word = KIND_REF_WORD.get(kind)
        for ref_kind, objs in self.manifests.objects.items():
            referrer_kind = KINDS[ref_kind]
            for name, referrer in objs.items():
                if (ref_kind, name) in self.out.removals:
                    continue
                written = referrer.model.model_dump(exclude_unset=True, exclude={PREVIOUS_NAMES})
                for top, value in {**written, **self.fields.get((ref_kind, name), {})}.items():
                    if top != referrer_kind.identity and (kind, old) in referrer_kind.references({top: value}):
                        self._set(ref_kind, name, top, renamed_value(value, old, new, word))

    def _add(self, change: Change) -> None:
        kind_def = KINDS[change.kind]
        data = self.live_data[change.kind].get(change.name)
        if data is None:  # "Name (id ...)": several live objects share the name
            self.out.problems.append(f"{change.address}: several live {kind_def.label}s share this name; rename all but "
                                     "one in the console, then run again")
            return
        manifest = _clean(kind_def, kind_def.to_manifest(data))
        found = _inexpressible(kind_def, data, self.identities, set()) or _invalid(kind_def, manifest)
        dropped = [f for f in data if f not in manifest and data[f] is not None and f not in kind_def.secret]
        found += [f"{f}: the tenant's value {data[f]!r} cannot be written in a manifest" for f in dropped]
        if found:
            self.out.problems += [f"{change.address}: {p}" for p in found]
            return
        self.out.additions.append((change.kind, manifest))

    def _check(self, kind: str, name: str, values: dict[str, Any]) -> None:
        """The object as it will read, validated as the manifest loader validates it."""
        kind_def = KINDS[kind]
        obj = self.manifests.objects[kind][name]
        address = f"{kind}/{name}"
        known = {k: self.identities.get(k, set()) | set(self.manifests.objects.get(k, {})) for k in KINDS}
        found = _inexpressible(kind_def, values, known, set())
        merged = {**obj.model.model_dump(exclude_unset=True), **values}
        try:
            kind_def.model.model_validate(merged, strict=True)
        except ValidationError as err:
            by_field: dict[str, list[str]] = {}
            for e in err.errors():
                by_field.setdefault(str(e["loc"][0]) if e["loc"] else "object", []).append(e["msg"])
            for field_name, messages in by_field.items():
                why = f" ({messages[0]})" if len(messages) == 1 else ""
                found.append(f"{field_name}: the tenant's value {values.get(field_name)!r} "
                             f"cannot be written in a manifest{why}")
        self.out.problems += [f"{address}: {p}" for p in found]


def _order(kind_def: Kind) -> list[str]:
    """Field order: the identity, then previous_names (a rename reads best next to the
    name), then the model's order."""
    rest = [f for f in kind_def.model.model_fields if f not in (kind_def.identity, PREVIOUS_NAMES)]
    return [kind_def.identity, PREVIOUS_NAMES, *rest]


def _previous(manifests: ManifestsLike, kind: str, name: str) -> list[str]:
    return [nfc(p) for p in getattr(manifests.objects[kind][name].model, PREVIOUS_NAMES, []) or []]


def _keep_omitted(new: Any, full: Any, given: Any) -> Any:
    """`new` without the nested keys the file leaves out (at their defaults) whose value
    did not change: adopting one changed key must not spell out every default."""
    if isinstance(new, dict) and isinstance(full, dict) and isinstance(given, dict):
        return {k: _keep_omitted(v, full.get(k), given.get(k)) for k, v in new.items()
                if k in given or k not in full or full[k] != v}
    if isinstance(new, list) and isinstance(full, list) and isinstance(given, list) and len(new) == len(full) == len(given):
        return [_keep_omitted(n, f, g) for n, f, g in zip(new, full, given)]
    return new


def _has_env(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_env(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_env(v) for v in value)
    return env_name(value) is not None


def still_unverified(plan: Plan) -> list[str]:
    """The fields the API never returns that a plan of the adopted manifests still sends
    ("groups/CSKH: queue"): left as they were, or, as a reference's name in a hotline's
    outbound_access after a rename, now reading differently from what the last apply sent."""
    return [f"{c.address}: {f.field}" for c in plan.changes for f in c.fields if not f.verifiable]


def still_differs(plan: Plan) -> list[str]:
    """What a plan of the adopted manifests still changes or holds back (a protected
    object), fields the API never returns aside (they are left as they are): empty when
    the adoption is complete."""
    return [
        f"{c.address}: {c.action}" + (f" ({', '.join(f.field for f in c.fields if f.verifiable)})" if c.fields else "")
        for c in plan.differences
        if c.action in (Action.CREATE, Action.DELETE) or any(f.verifiable for f in c.fields)
    ]
