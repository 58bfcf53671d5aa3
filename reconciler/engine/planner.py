"""The planner: a pure function of (desired manifests, live tenant) -> Plan.

Identity is kept apart from content: objects are matched by identity (name, number or
sip_user; previous names for renames), then compared field by field in manifest terms.
No HTTP here: the live tenant arrives as the raw lists the API returned.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping, Protocol, Sequence

from reconciler.engine.catalogue import LiveNames
from reconciler.engine.live import LiveState
from reconciler.engine.plan import ACTIONS, NOT_RETURNED, Action, Change, FieldChange, Plan, live_version
from reconciler.engine.target import parse_targets, target_plan
from reconciler.errors import Location, PlanError
from reconciler.kinds import KINDS, Kind, Policy
from reconciler.kinds.base import Ref, expand_env, nfc, previous_names, retired_names, unset_env
from reconciler.kinds.dangling import NEITHER, dangling_hint
from reconciler.kinds.policy import unmatched_protect


# A plan made where no secret is set (a pull request's job): every field set from
# ${env:NAME} is left unverified, and the plan cannot be applied.
NO_SECRETS: Mapping[str, str] = MappingProxyType({})


class DesiredLike(Protocol):
    """What the planner needs of a manifest object (reconciler.manifest.DesiredObject)."""

    kind: str
    name: str
    model: Any
    location: Location

    def location_of(self, path: str) -> Location: ...


class ManifestsLike(Protocol):
    objects: dict[str, dict[str, DesiredLike]]
    policy: Policy


def make_plan(manifests: ManifestsLike, live: LiveState, *, secrets: Mapping[str, str] = NO_SECRETS,
              force_upload: bool = False, targets: Sequence[str] = (), report_blocked: bool = False) -> Plan:
    """The changes that make the live tenant match the manifests: a pure function, which
    reads no file and no environment. `secrets`: the values of the `${env:NAME}` the
    manifests use, read beforehand (`secret_values`); a field whose secret is not among them
    is not compared, and the plan says so (it cannot be applied). mp3 digests were read
    when the manifests were loaded.

    Raises PlanError for ambiguous live names, references that resolve nowhere, and
    objects that must exist but do not; nothing has been sent to the tenant then. An object
    the API can only replace (an mp3 greeting) is not replaced for want of a fingerprint
    alone (the state note is missing): it is reported unverified, unless `force_upload`.

    `targets` ("kind/name", `--target`): only those objects and what they need (engine/
    target.py); PlanError for one that names nothing.

    `report_blocked`: for drift, which changes nothing. A delete or replace that an object
    not managed here still stops is then listed in `plan.blocked` (so that the drift is
    reported, and the plan can never be applied) instead of raised."""
    return _Planner(manifests, live, secrets=secrets, force_upload=force_upload, targets=targets,
                    report_blocked=report_blocked).run()


class _Planner:
    def __init__(self, manifests: ManifestsLike, live: LiveState, *, secrets: Mapping[str, str] = NO_SECRETS,
                 force_upload: bool = False, targets: Sequence[str] = (), report_blocked: bool = False):
        self.force_upload = force_upload
        self.report_blocked = report_blocked
        self.targets = targets
        self.secrets = secrets
        self.objects = manifests.objects
        self.policy = manifests.policy
        self.live = live
        self.protect = {nfc(p) for p in self.policy.protect}
        self.errors: list[str] = []
        self.plan = Plan()
        self.want: dict[str, dict[str, dict]] = {
            k: {name: KINDS[k].desired(obj.model) for name, obj in self.objects.get(k, {}).items()} for k in KINDS
        }
        self.catalogue = live.catalogue
        self.match: dict[str, dict[str, dict]] = {k: {} for k in KINDS}  # kind -> object name -> raw
        self.renamed_from: dict[tuple[str, str], str] = {}
        self.stale: dict[str, list[dict]] = {k: [] for k in KINDS}  # leftovers of a replace

    # ------------------------------------------------------------------ steps
    def run(self) -> Plan:
        targets = parse_targets(self.targets, self._known(), retired_names(self.objects)) if self.targets else []
        self._match_all()
        self.index = self._build_index()
        self.live_data = {
            k: {KINDS[k].live_id(i): _read(KINDS[k], i, self.index) for i in self.live.items.get(k, [])}
            for k in KINDS
        }
        self._check_references()
        if self.errors:
            raise PlanError(self.errors)
        for k in KINDS:
            self._plan_kind(k)
        self._apply_protection()
        self._check_deletes_and_repoint()
        if self.errors:
            raise PlanError(self.errors)
        if targets:  # before the threshold: it counts the deletes of the plan made
            target_plan(self.plan, targets, self.want)
        self._check_threshold()
        order = {a: i for i, a in enumerate(ACTIONS)}
        kinds = list(KINDS)
        self.plan.changes.sort(key=lambda c: (kinds.index(c.kind), order[c.action], c.name))
        self.plan.live_counts = {k: len(self.live.items.get(k, [])) for k in KINDS}
        self.plan.seen = {k: sorted(self.catalogue.names(k)) for k in KINDS}
        return self.plan

    def _known(self) -> dict[str, set[str]]:
        """What a --target may name: objects declared, and live ones (a delete)."""
        return {k: set(self.objects.get(k, {})) | set(self.catalogue.names(k)) for k in KINDS}

    def _match_all(self) -> None:
        for k, kind_def in KINDS.items():
            for name, obj in self.objects.get(k, {}).items():
                candidates = self.catalogue.named(k, name)
                if not candidates:
                    for old in previous_names(obj.model):
                        if self.catalogue.named(k, old):
                            candidates = self.catalogue.named(k, old)
                            self.renamed_from[(k, name)] = old
                            break
                if len(candidates) > 1 and kind_def.picks_duplicates_by_content:
                    candidates = self._pick_by_content(kind_def, name, candidates)
                if len(candidates) > 1:
                    ids = ", ".join(kind_def.live_id(c) for c in candidates)
                    self.errors.append(
                        f"{obj.location}: {len(candidates)} live {kind_def.label}s are named "
                        f"'{self.renamed_from.get((k, name), name)}' (ids {ids}); the reconciler never guesses: "
                        "rename or delete all but one in the console"
                    )
                elif candidates:
                    self.match[k][name] = candidates[0]

    def _pick_by_content(self, kind_def: Kind, name: str, candidates: list[dict]) -> list[dict]:
        """An immutable kind's content is part of what it is: of several live objects with
        one name (left by an interrupted replace), the one with the wanted content is the
        match and the others are cleaned up."""
        want = self.want[kind_def.name][name]
        same = [c for c in candidates if self._same_content(kind_def, want, c)]
        if len(same) > 1:
            # Several copies with the wanted content: a killed apply's create that landed
            # after the next apply made its own. Nothing tells them apart but their use:
            # the copies nothing points at go; the one in use (if any) is kept. Two in use
            # is no leftover of ours: never guessed.
            used = self._referenced_ids(kind_def.name)
            in_use = [c for c in same if kind_def.live_id(c) in used]
            if len(in_use) > 1:
                return candidates
            same = in_use or same[:1]
        if len(same) == 1:
            self.stale[kind_def.name] += [c for c in candidates if c is not same[0]]
            return same
        return candidates

    def _referenced_ids(self, kind: str) -> set[str]:
        """Every string value in the live objects of the other kinds (and not the state
        note): ids any of them points at, whatever the shape of the reference."""
        found: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)
            elif isinstance(value, (str, int)):
                found.add(str(value))

        for k, items in self.live.items.items():
            if k != kind:
                walk(items)
        return found

    def _same_content(self, kind_def: Kind, want: dict, item: dict) -> bool:
        live = kind_def.from_live(item, self.catalogue.names_for_reading())
        for f, value in want.items():
            if f in kind_def.local_only or f.startswith("_") or f == kind_def.identity:
                continue
            if unset_env(value, self.secrets):
                return False  # cannot tell without the secret: no candidate is picked
            value = expand_env(value, self.secrets)
            same = kind_def.compare(f, value, live)
            if same is None:
                digest = self.live.state_note.fingerprint(kind_def.name, kind_def.live_id(item), f, value, f in kind_def.secret)
                same = digest is not None and self.live.state_note.get(kind_def.name, kind_def.live_id(item), f) == digest
            if not same:
                return False
        return True

    def _build_index(self) -> LiveNames:
        """Live objects' names as references read them: the manifest's name of a matched
        object (a rename reads as its new name)."""
        return self.catalogue.names_for_reading(
            {k: {kind_def.live_id(raw): name for name, raw in self.match[k].items()} for k, kind_def in KINDS.items()})

    def _check_references(self) -> None:
        for k, kind_def in KINDS.items():
            for name, obj in self.objects.get(k, {}).items():
                data = self.want[k][name]
                for ref in kind_def.references(data):
                    self._resolve(obj, ref)

    def _resolve(self, obj: DesiredLike, ref: Ref) -> None:
        ref_kind, ref_name = ref
        if ref_name in self.want.get(ref_kind, {}):
            return
        label = KINDS[ref_kind].label
        where = obj.location_of(ref.path)  # a kind's reference says where it is written
        found = self.catalogue.named(ref_kind, ref_name)
        if len(found) == 1:
            if ref_kind in self.policy.prune and ref_name not in self.protect:
                self.errors.append(
                    f"{where}: {KINDS[obj.kind].label} '{obj.name}' uses {label} '{ref_name}', which is not in the "
                    f"manifests and would be pruned ({ref_kind} is in policy.prune): declare it in the manifests"
                )
            elif KINDS[ref_kind].creatable:  # one never created is always a live object: no news
                address = f"{ref_kind}/{ref_name}"
                if address not in self.plan.external:
                    self.plan.external.append(address)
        elif len(found) > 1:
            ids = ", ".join(KINDS[ref_kind].live_id(i) for i in found)
            self.errors.append(
                f"{where}: {KINDS[obj.kind].label} '{obj.name}' uses {label} '{ref_name}', but {len(found)} live "
                f"{label}s have that name (ids {ids}); declare it in the manifests or make the name unique"
            )
        else:
            hint = "" if KINDS[ref_kind].creatable else f" ({label}s are never created: it must exist in the tenant)"
            hint += dangling_hint(ref_kind, ref_name, self.want, self.catalogue.names(ref_kind))
            self.errors.append(
                f"{where}: {KINDS[obj.kind].label} '{obj.name}' uses {label} '{ref_name}', which is {NEITHER}{hint}"
            )

    def _plan_kind(self, k: str) -> None:
        kind_def = KINDS[k]
        unchanged = 0
        for name, obj in self.objects.get(k, {}).items():
            want = self.want[k][name]
            raw = self.match[k].get(name)
            if raw is None:
                blocked = kind_def.blocked(want, exists=False)
                if blocked:
                    self.plan.blocked.append(f"{obj.location}: {kind_def.label} '{name}' {blocked}")
                if not kind_def.creatable:
                    same = kind_def.same_identity(name, set(self.catalogue.names(k)))
                    hint = f"; the tenant has it as '{same}': write it so" if same else ""
                    self.errors.append(
                        f"{obj.location}: {kind_def.label} '{name}' does not exist in the tenant; "
                        f"{kind_def.label}s are never created by the reconciler{hint}"
                    )
                    continue
                self.plan.changes.append(Change(Action.CREATE, k, name, data=want))
                self.plan.warnings += kind_def.send_warnings(name, want)
                continue
            object_id = kind_def.live_id(raw)
            live = self.live_data[k][object_id]
            fields, unverified = self._diff(kind_def, object_id, want, live, name)
            if unverified:
                self.plan.unverified.setdefault(k, {})[name] = unverified
            old_name = self.renamed_from.get((k, name))
            fields = self._review(kind_def, name, want, live, fields)
            if old_name is not None:
                fields.insert(0, FieldChange(kind_def.identity, old_name, name))
            # What was compared (a greeting's `file` only names what its fingerprint describes).
            compared = [f for f in fields if f.field not in kind_def.local_only]
            if fields and self._unknown_only(kind_def, object_id, compared) and old_name is None:
                self.plan.warnings.append(
                    f"{kind_def.label} '{name}': the tenant holds no fingerprint of its "
                    f"{', '.join(f.field for f in compared)} (the state note is missing or was not saved), so it is "
                    f"not checked and not replaced; run with --force-upload to upload it again")
                for f in compared:
                    self._unverifiable(k, name, f.field, "no fingerprint of the last apply in the tenant (the state "
                                       "note is missing or was not saved); --force-upload uploads it again")
                fields = []
            if not fields:
                if name not in self.plan.unverifiable.get(k, {}):
                    unchanged += 1  # an object with a field not compared is not known to be unchanged
                continue
            blocked = None if kind_def.updatable else kind_def.blocked(want, exists=True)
            if blocked:
                # Shown (drift reports it), but apply refuses it: there is nothing to upload.
                self.plan.blocked.append(f"{obj.location}: {kind_def.label} '{name}' {blocked}")
            if not kind_def.updatable:
                action = Action.REPLACE
                reason = f"{kind_def.label}s cannot be updated by the API: a new one replaces it"
            else:
                action, reason = (Action.RENAME, None) if old_name is not None else (Action.UPDATE, None)
            self.plan.changes.append(
                Change(
                    action, k, name, id=object_id, fields=fields, data=want, rename_from=old_name, reason=reason,
                    live_version=live_version(raw, kind_def.secret), live_references=[list(r) for r in kind_def.references(live)],
                )
            )
            self.plan.warnings += kind_def.send_warnings(name, want)
        self.plan.unchanged[k] = unchanged
        self._plan_leftovers(k)

    def _review(self, kind_def: Kind, name: str, want: dict, live: dict, fields: list[FieldChange]) -> list[FieldChange]:
        """The kind's word on a change: side effects shown as field changes, and what needs
        --force (plan.unsafe) or cannot be applied (plan.blocked)."""
        extra, unsafe, blocked = kind_def.review(name, want, live, fields)
        self.plan.unsafe += unsafe
        self.plan.blocked += blocked
        # A field only the manifests have (a greeting's `file`) has no live value to show,
        # and goes first: it names what the compared fields (its fingerprint) describe.
        local = [FieldChange(f, NOT_RETURNED, new, verifiable=False) for f, _, new in extra if f in kind_def.local_only]
        return local + fields + [FieldChange(f, old, new) for f, old, new in extra if f not in kind_def.local_only]

    def _unknown_only(self, kind_def: Kind, object_id: str, fields: list[FieldChange]) -> bool:
        """Whether an object the API can only replace differs in nothing but fields whose
        fingerprint is missing: that says nothing about the tenant, and a replace is not free
        (a new id, every referrer repointed)."""
        if kind_def.updatable or self.force_upload:
            return False
        return all(not f.verifiable and self.live.state_note.get(kind_def.name, object_id, f.field) is None for f in fields)

    def _diff(self, kind_def: Kind, object_id: str, want: dict, live: dict,
              name: str) -> tuple[list[FieldChange], list[str]]:
        fields: list[FieldChange] = []
        unverified: list[str] = []
        for f, value in want.items():
            if f == kind_def.identity or f in kind_def.local_only or f.startswith("_"):
                continue
            missing = unset_env(value, self.secrets)
            if missing:
                # Plan and drift run without secrets (a pull request's job has none): the
                # field is not compared, and the output says so.
                self._secret_not_verified(kind_def, name, f, missing)
                self._unverifiable(kind_def.name, name, f, f"environment variable {', '.join(missing)} "
                                   f"{'is' if len(missing) == 1 else 'are'} not set here")
                continue
            same = kind_def.compare(f, expand_env(value, self.secrets), live)
            if same is None:
                unverified.append(f)
                digest = self.live.state_note.fingerprint(kind_def.name, object_id, f, expand_env(value, self.secrets),
                                                          f in kind_def.secret)
                if digest is None or self.live.state_note.get(kind_def.name, object_id, f) != digest \
                        or self._names_new(kind_def, want, f):
                    fields.append(FieldChange(f, NOT_RETURNED, value, verifiable=False))
            elif not same:
                fields.append(FieldChange(f, live.get(f), value))
        return fields, unverified

    def _names_new(self, kind_def: Kind, want: dict, field_name: str) -> bool:
        """Whether `field_name` names an object the tenant does not have yet (this plan
        creates it): the tenant cannot hold that value, whatever its fingerprint says (taken
        of names, when the name stood for another object, since renamed in the console)."""
        return any(ref.name in self.want.get(ref.kind, {}) and ref.name not in self.match.get(ref.kind, {})
                   for ref in kind_def.references(want) if ref.path.split(".")[0] == field_name)

    def _unverifiable(self, k: str, name: str, field_name: str, why: str) -> None:
        """A field that could not be compared at all: neither a change nor unchanged."""
        self.plan.unverifiable.setdefault(k, {}).setdefault(name, {})[field_name] = why

    def _secret_not_verified(self, kind_def: Kind, name: str, field_name: str, names: list[str]) -> None:
        variables = ", ".join(names)
        self.plan.warnings.append(
            f"{kind_def.label} '{name}': {field_name} not verified: environment variable {variables} "
            f"{'is' if len(names) == 1 else 'are'} not set here (plan and drift work without it; apply needs it)"
        )
        self.plan.secrets_not_set += [n for n in names if n not in self.plan.secrets_not_set]

    def _plan_leftovers(self, k: str) -> None:
        kind_def = KINDS[k]
        matched = {id(raw) for raw in self.match[k].values()}
        stale = {id(raw) for raw in self.stale[k]}
        unmanaged: list[str] = []
        for item in self.live.items.get(k, []):
            if id(item) in matched:
                continue
            object_id = kind_def.live_id(item)
            name = self.index.name_of(k, object_id)
            live = self.live_data[k][object_id]
            refs = [list(r) for r in kind_def.references(live)]
            if id(item) in stale:
                self.plan.changes.append(
                    Change(Action.DELETE, k, name, id=object_id, reason="left over from an interrupted replace",
                           data=live, live_version=live_version(item, kind_def.secret), live_references=refs)
                )
            elif k in self.policy.prune and kind_def.deletable:
                self.plan.changes.append(
                    Change(Action.DELETE, k, name, id=object_id, reason=f"not in the manifests, and policy.prune owns {k}",
                           data=live, live_version=live_version(item, kind_def.secret), live_references=refs)
                )
            elif not any(r for r in self.renamed_from.items() if r[0][0] == k and r[1] == kind_def.live_identity(item)):
                unmanaged.append(name)
        self.plan.unmanaged[k] = sorted(unmanaged)

    def _apply_protection(self) -> None:
        """Protected objects are never changed; what apply would have done is listed (and
        counted), never shown as in sync. A protect entry that names nothing is a warning."""
        kept = []
        for change in self.plan.changes:
            names = {change.name, change.rename_from, _plain_name(change.name)}
            if self.protect & names and change.action != Action.CREATE:
                if change.action == Action.DELETE:
                    what = "not in the manifests, protected: not deleted"
                else:
                    fields = ", ".join(f.field for f in change.fields) or "its references"
                    what = f"differs ({fields}), protected: not changed"
                    self.plan.protected_differs.append(change.address)
                    self.plan.held_back.append(change)  # declared: still drift, which --write adopts
                self.plan.protected.append(f"{change.address}: {what}")
                continue
            kept.append(change)
        self.plan.changes = kept
        known = [name for objs in self.objects.values() for name in objs]
        known += [name for k in KINDS for name in self.catalogue.names(k)]
        self.plan.warnings += unmatched_protect(self.policy.protect, known)

    def _check_deletes_and_repoint(self) -> None:
        """Every object that goes away must first lose its referrers: those in the plan are
        repointed (a replaced greeting keeps its name but not its id); any other is an error."""
        going: dict[tuple[str, str], Change] = {}
        for change in self.plan.changes:
            if change.action in (Action.DELETE, Action.REPLACE):
                going[(change.kind, change.name)] = change
        if not going:
            return
        by_id = {(c.kind, c.id): c for c in self.plan.changes if c.id}
        self._wait_for_unknown_referrers(going)
        for k, kind_def in KINDS.items():
            for item in self.live.items.get(k, []):
                object_id = kind_def.live_id(item)
                refs = kind_def.references(self.live_data[k][object_id])
                for target in refs:
                    gone = going.get(target)
                    if gone is None:
                        continue
                    mine = by_id.get((k, object_id))
                    referrer = f"{kind_def.label} '{self.index.name_of(k, object_id)}'"
                    if mine is not None and mine.action == Action.DELETE:
                        continue
                    name = next((name for name, raw in self.match[k].items() if raw is item), None)
                    if gone.action == Action.REPLACE and name is not None and name not in self.protect:
                        if mine is None:
                            by_id[(k, object_id)] = self._repoint(
                                k, name, item, refs, f"repointed to the new {KINDS[target[0]].label} '{target[1]}'")
                        continue
                    if gone.action == Action.DELETE and name is not None and (mine is not None or
                                                                              name not in self.protect):
                        # What the referrer will point at after the plan: the manifest's
                        # values over the live ones it leaves alone.
                        after = {**self.live_data[k][object_id], **self.want[k][name]}
                        if target not in set(kind_def.references(after)):
                            if mine is None:
                                # No field differs as far as the plan can tell (a list the API
                                # never returns, its fingerprint matching), yet the manifests name
                                # another object there: the one named was renamed in the console.
                                # Sending the manifest's value again frees the object deleted.
                                mine = by_id[(k, object_id)] = self._repoint(
                                    k, name, item, refs,
                                    f"repointed away from the deleted {KINDS[target[0]].label} '{target[1]}'")
                            continue
                    what = "replace" if gone.action == Action.REPLACE else "delete"
                    problem = (f"cannot {what} {KINDS[target[0]].label} '{target[1]}': {referrer} still "
                               f"uses it{self._why_kept(name, self.index.name_of(k, object_id), target)}")
                    (self.plan.blocked if self.report_blocked else self.errors).append(problem)

    def _why_kept(self, name: str | None, live_name: str, target: Ref) -> str:
        """Why a referrer keeps pointing at an object the plan takes away: policy protects
        it, it is not in the manifests, or the manifests leave that field as the tenant has
        it (a hotline's weekly schedule, which the API cannot set)."""
        if (name or nfc(live_name)) in self.protect:
            return " and is protected by policy.protect (change it in the console first, or unprotect it)"
        if name is None:
            return " and is not managed here (declare it in the manifests, or change it in the console first)"
        where = f" ({target.path})" if target.path else ""
        return (f"{where}, which the manifests leave as the tenant has it (point it elsewhere in the manifests, "
                f"or change it in the console first)")

    def _repoint(self, k: str, name: str, item: dict, refs: list, reason: str) -> Change:
        """An update of a managed object that differs in nothing the plan can see, made so
        that it lets go of an object the plan replaces or deletes; no longer unchanged."""
        kind_def = KINDS[k]
        change = Change(Action.UPDATE, k, name, id=kind_def.live_id(item), data=self.want[k][name], reason=reason,
                        live_version=live_version(item, kind_def.secret), live_references=[list(r) for r in refs])
        self.plan.changes.append(change)
        if name not in self.plan.unverifiable.get(k, {}):  # counted unchanged
            self.plan.unchanged[k] = max(0, self.plan.unchanged.get(k, 0) - 1)
        return change

    def _wait_for_unknown_referrers(self, going: dict[tuple[str, str], Change]) -> None:
        """A changed object that may point into a kind without saying where (a hotline whose
        restricted lists the tenant does not show) may be what frees an object the plan
        deletes: the delete waits for that change (apply orders by live_references)."""
        for change in self.plan.changes:
            if change.action not in (Action.UPDATE, Action.RENAME) or not change.id:
                continue
            kinds = KINDS[change.kind].unknown_references(self.live_data[change.kind].get(change.id, {}))
            for target_kind, target_name in going:
                if target_kind in kinds and [target_kind, target_name] not in change.live_references:
                    change.live_references.append([target_kind, target_name])

    def _check_threshold(self) -> None:
        for k in KINDS:
            deletes = sum(1 for c in self.plan.changes if c.kind == k and c.action == Action.DELETE)
            total = len(self.live.items.get(k, []))
            if not deletes or total < self.policy.threshold_min_objects:
                continue
            if deletes * 100 > self.policy.max_delete_percent * total:
                self.plan.unsafe.append(
                    f"{k}: {deletes} of {total} live {KINDS[k].label}s would be deleted "
                    f"(more than {self.policy.max_delete_percent}%); run with --force if that is intended"
                )


def _read(kind_def: Kind, item: dict, index: LiveNames) -> dict:
    """A live item in manifest terms; an item the API returned malformed is the tenant's
    error, named, not a traceback."""
    try:
        return kind_def.from_live(item, index)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
        raise PlanError(
            [f"the tenant returned a malformed {kind_def.label} ({kind_def.label} id {item.get('_id') or item.get(kind_def.identity, '?')}): "
             f"{type(err).__name__} reading it from {kind_def.list_path}"]
        ) from None


def _plain_name(name: str) -> str:
    # "Name (id 0123...)" -> "Name": protection applies to the name a user sees.
    return name.rsplit(" (id ", 1)[0] if name.endswith(")") and " (id " in name else name

