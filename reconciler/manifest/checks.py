"""Checks that a single model cannot make: files on disk, environment variables, names
that clash across objects, the policy's lists, references against the live tenant."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from reconciler.errors import Location, Problem
from reconciler.kinds import KINDS, Kind
from reconciler.kinds.base import ENV_REF, PREVIOUS_NAMES, nfc, previous_names
from reconciler.kinds.dangling import NEITHER, dangling_hint
from reconciler.kinds.policy import did_you_mean
from reconciler.manifest.desired import DesiredObject, ManifestSet
from reconciler.manifest.yaml_source import Pos, SourceFile

_ENV_MARK = "${env:"


def check_env(raw: Any, source: SourceFile, subject: str, start: Pos) -> list[Problem]:
    """Every `${env:NAME}` must be a whole, well-formed value. Whether the variable is set
    is not checked here: offline checks run without secrets, and plan and drift work
    without them; apply, which sends them, requires them."""
    problems = []
    for path, value, pos in _strings(raw, source, "", start):
        if _ENV_MARK not in value:
            continue
        where = f"{subject}: {path}: " if path else f"{subject}: "
        match = ENV_REF.match(value)
        if match is None:
            problems.append(Problem(source.loc(pos), where + "write an environment reference as the whole "
                                                             "value, ${env:NAME} (NAME: letters, digits, _)"))
    return problems


def _strings(value: Any, source: SourceFile, path: str, pos: Pos) -> Iterator[tuple[str, str, Pos]]:
    if isinstance(value, str):
        yield path, value, pos
    elif isinstance(value, (dict, list)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            sub = f"{path}.{key}" if path else str(key)
            yield from _strings(item, source, sub, source.value_pos(value, key) or pos)



def is_mp3(head: bytes) -> bool:
    """An ID3 tag, or an MPEG audio frame sync (11 bits set) at the very start."""
    return head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def check_file(obj: DesiredObject, field: str, root_dir: Path) -> list[Problem]:
    """The mp3 a kind's `field` names (Uploading.file_field) exists, is an mp3 and stays inside
    the manifest directory; its digest is kept on the model for the planner."""
    path = obj.model.file_path()  # type: ignore[attr-defined]
    if path is None:
        return []
    at = obj.location_of(field)
    where = f"{obj.subject}: {field}: "
    try:
        resolved = path.resolve()  # symlinks and `..` followed: the real file must be inside
    except (OSError, ValueError) as err:  # a symlink loop, a NUL in the name
        return [Problem(at, where + f"not a usable file name ({err})")]
    if not resolved.is_relative_to(root_dir.resolve()):
        return [Problem(at, where + f"'{getattr(obj.model, field)}' is outside the manifest directory; "  # type: ignore[attr-defined]
                                    "keep mp3 files inside it")]
    if not resolved.is_file():
        return [Problem(at, where + f"no such file: '{getattr(obj.model, field)}' (relative to the manifest file)")]  # type: ignore[attr-defined]
    try:
        content = resolved.read_bytes()
    except OSError as err:
        return [Problem(at, where + f"cannot read '{getattr(obj.model, field)}': {err.strerror or err}")]  # type: ignore[attr-defined]
    if not is_mp3(content[:4]):
        return [Problem(at, where + f"'{getattr(obj.model, field)}' is not an mp3 file "  # type: ignore[attr-defined]
                                    "(it starts with neither an ID3 tag nor an MPEG audio frame)")]
    # Its digest is what plans compare and pin: read here, once, so planning reads no disk.
    obj.model.remember_file(resolved, hashlib.sha256(content).hexdigest())  # type: ignore[attr-defined]
    return []


def check_previous_names(objects: dict[str, DesiredObject]) -> list[Problem]:
    """Previous names of one kind must be unambiguous: not the object's own name, not
    another object's name, not another object's previous name, not listed twice."""
    problems = []
    claimed: dict[str, tuple[DesiredObject, Location]] = {}
    for obj in objects.values():
        for i, old in enumerate(previous_names(obj.model)):
            at = obj.location_of(f"{PREVIOUS_NAMES}.{i}")
            where = f"{obj.subject}: {PREVIOUS_NAMES}.{i}: "
            if old == obj.name:
                problems.append(Problem(at, where + f"'{old}' is this object's own name"))
            elif old in objects:
                other = objects[old]
                problems.append(Problem(at, where + f"'{old}' is the name of another {KINDS[obj.kind].label} "
                                                    f"(declared at {other.location})"))
            elif old in claimed:
                first, first_at = claimed[old]
                whose = "this object" if first is obj else first.subject
                problems.append(Problem(at, where + f"'{old}' is already a previous name of {whose} (at {first_at})"))
            else:
                claimed[old] = (obj, at)
    return problems


def check_self_references(obj: DesiredObject, kind_def: Kind) -> list[Problem]:
    """A reference the kind says must not point to its own object (`Kind.no_self_reference`:
    a group whose on_timeout is itself would ring the same members again and again)."""
    if not kind_def.no_self_reference:
        return []
    data = kind_def.desired(obj.model)
    return [Problem(obj.location_of(field), f"{obj.subject}: {field}: {why}")
            for field, why in kind_def.no_self_reference.items()
            if (kind_def.name, obj.name) in kind_def.references({field: data.get(field)})]


def check_policy_lists(raw: Any, source: SourceFile) -> list[Problem]:
    """No kind or protected name listed twice in the policy (names compared as NFC)."""
    problems = []
    if not isinstance(raw, dict):
        return problems
    for field in ("prune", "protect"):
        entries = raw.get(field)
        if not isinstance(entries, list):
            continue
        seen: dict[Any, Pos] = {}
        for i, entry in enumerate(entries):
            if not isinstance(entry, str):
                continue
            norm = nfc(entry)
            pos = source.value_pos(entries, i) or (1, 1)
            if norm in seen:
                first = seen[norm]
                problems.append(Problem(source.loc(pos), f"policy: {field}.{i}: '{entry}' is listed twice "
                                                         f"(first at line {first[0]}, column {first[1]})"))
            else:
                seen[norm] = pos
    return problems


def check_live_references(mset: ManifestSet, live_names: dict[str, set[str]]) -> list[Problem]:
    """References declared neither in the manifests nor in the live tenant, each at the
    field that makes it. `live_names`: kind name -> identities of the live objects."""
    live = {k: {nfc(n) for n in names} for k, names in live_names.items()}
    problems = []
    for obj, path, (kind, name) in mset.unresolved_references():
        if name in live.get(kind, set()):
            continue
        label = KINDS[kind].label
        hint = dangling_hint(kind, name, mset.objects, live.get(kind, set()))
        field = f"{path}: " if path else ""
        problems.append(Problem(obj.location_of(path), f"{obj.subject}: {field}{label} '{name}' is {NEITHER}{hint}",
                                "dangling-reference", obj.kind, obj.name))
    return problems


def check_pruned_references(mset: ManifestSet, declared: Mapping[str, Iterable[str]] | None = None) -> list[Problem]:
    """A kind in `policy.prune` is owned whole by the manifests: a reference to one of its
    objects that they do not declare is a mistake offline already (a live object of that
    name would be deleted; none would be a typo), unless the name is protected (protected
    objects are never pruned, so the tenant's may be used: `validate --live` looks them up).
    `declared`: every identity written per kind, invalid objects included, so that one
    mistake in an object is reported once, not again at every reference to it."""
    pruned = set(mset.policy.prune)
    written = {k: set(mset.objects.get(k, {})) | set((declared or {}).get(k, ())) for k in KINDS}
    protected = {nfc(p) for p in mset.policy.protect}
    renamed = _renames(mset)  # check_renamed_references says those
    problems = []
    for obj, path, (kind, name) in _references(mset):
        if kind not in pruned or name in protected or name in written[kind] or name in renamed.get(kind, {}):
            continue
        label = KINDS[kind].label
        field = f"{path}: " if path else ""
        hint = did_you_mean(name, mset.objects.get(kind, {}))
        problems.append(Problem(obj.location_of(path), f"{obj.subject}: {field}{label} '{name}' is not declared in the "
                                                       f"manifests, and policy.prune owns {kind} (the manifests "
                                                       f"declare every {label}){hint}", "dangling-reference",
                                obj.kind, obj.name))
    return problems


def _renames(mset: ManifestSet) -> dict[str, dict[str, tuple[DesiredObject, Location]]]:
    """kind -> old name -> (the object that lists it in previous_names, where it does).
    A name listed twice is check_previous_names' problem: the first object keeps it."""
    renames: dict[str, dict[str, tuple[DesiredObject, Location]]] = {}
    for kind, objs in mset.objects.items():
        for obj in objs.values():
            for i, old in enumerate(previous_names(obj.model)):
                if old not in objs:  # an old name that is also declared: check_previous_names says so
                    renames.setdefault(kind, {}).setdefault(old, (obj, obj.location_of(f"{PREVIOUS_NAMES}.{i}")))
    return renames


def check_renamed_references(mset: ManifestSet) -> list[Problem]:
    """A reference to a name a declared object lists in previous_names: apply renames that
    object, so no object keeps the old name and the referrer would point at nothing. An
    error offline whatever the prune policy: where prune does not own the kind, the old name
    is still live until apply and would otherwise pass for a reference to a live object."""
    renamed = _renames(mset)
    problems = []
    for obj, path, (kind, name) in _references(mset):
        if name not in renamed.get(kind, {}):
            continue
        new, at = renamed[kind][name]
        field = f"{path}: " if path else ""
        problems.append(Problem(obj.location_of(path), f"{obj.subject}: {field}{KINDS[kind].label} '{name}' is renamed "
                                                       f"to '{new.name}' ({PREVIOUS_NAMES} in {at}): use the new name",
                                "dangling-reference", obj.kind, obj.name))
    return problems


def check_renamed_protect(mset: ManifestSet) -> list[Problem]:
    """A `policy.protect` entry naming a name a declared object lists in previous_names:
    the live object under it is that object, so protecting the old name holds its rename
    back for ever (plan says "no changes"). The entry must name the new one."""
    renamed = _renames(mset)
    problems = []
    for i, entry in enumerate(mset.policy.protect):
        for kind, olds in renamed.items():
            if nfc(entry) not in olds:
                continue
            new, at = olds[nfc(entry)]
            problems.append(Problem(mset.policy_fields.get(f"protect.{i}") or mset.policy_location,
                                    f"policy: protect.{i}: {KINDS[kind].label} '{entry}' is renamed to '{new.name}' "
                                    f"({PREVIOUS_NAMES} in {at}): use the new name", "previous-names",
                                    "policy", entry))
    return problems


def _references(mset: ManifestSet) -> Iterator[tuple[DesiredObject, str, tuple[str, str]]]:
    """(referrer, field path, (kind, name)) of every reference, skipping an object whose
    desired form cannot be made (an mp3 that could not be read: already a problem). Asked
    field by field: a kind names a target once per object (a hotline's call_script and a
    schedule day naming the same script), and each place written wrong is reported."""
    for kind, objs in mset.objects.items():
        kind_def = KINDS[kind]
        for obj in objs.values():
            try:
                data = kind_def.desired(obj.model)
            except ValueError:
                continue
            for field, value in data.items():
                for ref in kind_def.references({field: value}):
                    yield obj, ref.path, (ref.kind, ref.name)
