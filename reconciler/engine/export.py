"""Export: the live tenant as manifests, so that `export` then `plan` shows no changes.

One file per kind (`greetings.yaml`, `groups.yaml`, ...), objects sorted by identity,
references by name, every readable field written explicitly, in the order of the kind's
manifest model. What a manifest cannot state is left out, with a comment saying why, and
leaving a field out of a manifest means "leave it as it is", so the plan stays empty:
fields the API never returns (a group's queue, an extension's settings, a hotline's
dedicated extension), secrets (never written), and a hotline's outbound access when it is
restricted to lists the tenant does not return (its `accesses`). An uploaded mp3, whose audio cannot be
downloaded, is kept as `recording: <the tenant's file>`.

A live reference manifests cannot name (a type word the doc does not list, such as the
doc's own Voice_mail, or an id no list returns) is written as an opaque live reference,
`{live: {type: Voice_mail, id: "..."}}`, which a manifest sends back as it was. A live
object a manifest still cannot express (two groups with one name, a value the doc does not
list) is left out alone: it is listed in `Export.skipped` and in a comment at the top of
its kind's file, and the rest is exported.

Pure functions of the live state, plus `write_export`; no HTTP here.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from reconciler.engine.live import LiveState, live_in_manifest_terms
from reconciler.engine.manifest_writer import dump_list
from reconciler.yaml_text import scalar
from reconciler.errors import ReconcilerError
from reconciler.kinds import KINDS, Kind
from reconciler.kinds.base import PREVIOUS_NAMES

# Export directories usually sit at the top of a repository beside `schemas/`, as
# `examples/` does; the comment under it says how to get the file elsewhere.
SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/manifest.schema.json"
SCHEMA_HINT = ("# (the JSON Schema for editors: `reconciler schema > ../schemas/manifest.schema.json`, "
               "or change the path above)")
POLICY_FILE = "policy.yaml"
MANIFEST_SUFFIXES = (".yaml", ".yml")
# The first line of every kind's file export writes. It carries a digest of the rest of the
# file: export replaces a file only while that digest matches, so a hand-written or edited
# manifest of the same name is the user's, never overwritten without --force.
MARKER = "# Written by `reconciler export` (content sha256:{digest}); export replaces this file only while it is unedited."
_MARKER_RE = re.compile(r"^# Written by `reconciler export` \(content sha256:([0-9a-f]{16})\)")

# Why a field read from the tenant is not written (kind.to_manifest left it out).
DROPPED_NOTE = ("{field} left out: the API does not return its full value ({value}), and a manifest "
                "that leaves it out leaves it as it is")

POLICY_TEXT = f"""{SCHEMA_LINE}
# Ownership is yours to decide: `reconciler export` writes this file only when it does not
# exist, and never changes it afterwards.
#
# Kinds listed in `prune` are owned whole by the manifests: `apply` deletes their live
# objects that the manifests do not declare. With nothing listed, such objects are left
# alone and reported as unmanaged by `plan` and `drift`.
# `protect` lists names (or numbers) that are never changed or deleted.
policy:
  prune: []        # e.g. [{', '.join(k for k, kind_def in KINDS.items() if kind_def.prunable)}]
  protect: []      # e.g. ["Nhóm nhân viên mặc định"]
"""

# What `policy.lint` says of the routing findings a tenant has when it is exported.
ACKNOWLEDGED_HEAD = """  # `reconciler lint` found these in the tenant as it was exported. They are acknowledged
  # here (each rule ignores these objects), so that `validate` and `lint`, as the CI recipes
  # run them, pass on the tenant as it is. Fix each, then remove it, to have lint check it again.
  lint:
"""


def policy_text(acknowledged: dict[str, list[str]] | None = None) -> str:
    """policy.yaml as export writes it; `acknowledged`: lint rule code -> names of the objects
    whose findings the tenant already has, written as the rules' `ignore` lists."""
    if not acknowledged:
        return POLICY_TEXT
    lines = []
    for code, names in acknowledged.items():
        if len(names) <= 3:
            lines.append(f"    {code}:\n      ignore: [{', '.join(scalar(n, flow=True) for n in names)}]\n")
        else:  # one a line: easier to read, and to remove once fixed
            lines.append(f"    {code}:\n      ignore:\n" + "".join(f"        - {scalar(n, flow=False)}\n" for n in names))
    return POLICY_TEXT + ACKNOWLEDGED_HEAD + "".join(lines)


def acknowledge_findings(out_dir: str | Path, acknowledged: dict[str, list[str]]) -> Path:
    """Write policy.yaml again, with the findings acknowledged (right after export wrote it)."""
    path = Path(out_dir) / POLICY_FILE
    _write(path, policy_text(acknowledged))
    return path


class ExportError(ReconcilerError):
    """The tenant cannot be written as manifests (as it is), or not into that directory."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("cannot export the tenant:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass
class Export:
    """The manifest files of a tenant: file name -> text, in kind order."""

    files: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # kind -> objects written
    skipped: list[str] = field(default_factory=list)  # "group 'X' (id ...): why", not written
    skipped_ids: set[tuple[str, str]] = field(default_factory=set)  # (kind, id) of those

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def file_name(kind: str) -> str:
    return f"{kind}.yaml"


def export_manifests(live: LiveState) -> Export:
    """Every live object in manifest form, one YAML text per kind. An object a manifest
    could not name or express is left out and listed in `skipped`, with why."""
    out = Export()
    skipped_by_kind: dict[str, list[str]] = defaultdict(list)
    catalogue = live.catalogue
    duplicates = catalogue.duplicates()
    for k, name, ids in duplicates:
        skipped_by_kind[k] += [f"{KINDS[k].label} '{name}' (ids {', '.join(ids)}): {len(ids)} live {KINDS[k].label}s "
                               f"share this name, and a manifest names each object once; rename or delete all but "
                               f"one in the console, then export again"]
        out.skipped_ids |= {(k, i) for i in ids}
    ambiguous = {(k, name) for k, name, _ in duplicates}
    identities = catalogue.identities()
    terms = live_in_manifest_terms(live)
    documents: dict[str, list[tuple[dict, dict[str, str]]]] = {}
    for k, kind_def in KINDS.items():
        objects: list[tuple[Any, dict, dict[str, str]]] = []
        for object_id, data in terms[k]:
            identity = str(data[kind_def.identity])
            if (k, identity) in ambiguous:
                continue  # already reported
            subject = f"{kind_def.label} '{identity}' (id {object_id})"
            found = _inexpressible(kind_def, data, identities, ambiguous)
            manifest = _clean(kind_def, kind_def.to_manifest(data))
            if not found:
                found = _invalid(kind_def, manifest)
            if found:
                skipped_by_kind[k].append(f"{subject}: {'; '.join(found)}")
                out.skipped_ids.add((k, object_id))
                continue
            dropped = [f for f in data if f not in manifest and data[f] not in (None, {}) and f not in kind_def.secret
                       and not f.startswith("_")]
            objects.append((_sort_key(identity), manifest, _notes(kind_def, manifest, data, dropped)))
        objects.sort(key=lambda triple: triple[0])
        documents[k] = [(manifest, notes) for _, manifest, notes in objects]
        out.counts[k] = len(objects)
    for k, kind_def in KINDS.items():
        out.skipped += skipped_by_kind[k]
        notes = "".join(f"# Not exported: {line}\n" for line in skipped_by_kind[k])
        # A blank line between objects, unless every object is one line.
        blank_lines = any(len(manifest) > 1 for manifest, _ in documents[k])
        out.files[file_name(k)] = sealed(_header(kind_def) + notes + dump_list(k, documents[k], blank_lines))
    return out


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def sealed(body: str) -> str:
    """`body` under the marker line that says export wrote it, as it is."""
    return MARKER.format(digest=_digest(body)) + "\n" + body


def written_by_export(text: str) -> bool:
    """Whether `text` is a file export wrote and nobody edited since."""
    first, _, body = text.partition("\n")
    match = _MARKER_RE.match(first)
    return match is not None and match.group(1) == _digest(body)


def _inexpressible(kind_def: Kind, data: dict, identities: dict[str, set[str]],
                   ambiguous: set[tuple[str, str]]) -> list[str]:
    """References a manifest cannot write: to an object that does not exist (or is not
    readable) in the tenant, where no opaque live reference can stand for it."""
    problems = []
    for ref_kind, name in kind_def.references(data):
        plain = name.rsplit(" (id ", 1)[0]
        if (ref_kind, plain) in ambiguous:
            problems.append(f"uses {KINDS[ref_kind].label} '{plain}', a name several live {KINDS[ref_kind].label}s "
                            f"share (left out above)")
            continue
        if name not in identities.get(ref_kind, set()):
            problems.append(f"uses {KINDS[ref_kind].label} '{name}', which the tenant's lists do not contain")
    return problems


def _clean(kind_def: Kind, data: dict) -> dict:
    """Fields in the model's order; no secret; None only where leaving a field out would
    mean "leave it alone" rather than "none" (an explicit `call_script: null`)."""
    order = [f for f in kind_def.model.model_fields if f != PREVIOUS_NAMES]
    out = {}
    for f in order:
        if f not in data or f in kind_def.secret or f.startswith("_"):
            continue
        if data[f] is None and f not in kind_def.keep_when_omitted:
            continue
        out[f] = data[f]
    return out


def _invalid(kind_def: Kind, manifest: dict) -> list[str]:
    """What the manifest loader would say about this object (it validates strictly)."""
    try:
        kind_def.model.model_validate(manifest, strict=True)
    except ValidationError as err:
        return [
            f"{'.'.join(str(p) for p in e['loc']) or 'object'}: {e['msg']} (live value cannot be written as a manifest)"
            for e in err.errors()
        ]
    return []


def _sort_key(identity: str) -> tuple:
    # Numbers in numeric order (99 before 100), names in text order regardless of case.
    return (0, int(identity), "", identity) if identity.isdigit() else (1, 0, identity.casefold(), identity)


def _notes(kind_def: Kind, manifest: dict, data: dict, dropped: list[str]) -> dict[str, str]:
    """End-of-line comments by field: why a written field is not the object's full content,
    (`Kind.field_notes`), and (on the identity) which fields read from the tenant are left out."""
    notes = {f: kind_def.field_notes[f] for f in manifest if f in kind_def.field_notes}
    if dropped:
        notes[kind_def.identity] = "; ".join(DROPPED_NOTE.format(field=f, value=data[f]) for f in dropped)
    return notes


def _header(kind_def: Kind) -> str:
    lines = [SCHEMA_LINE, SCHEMA_HINT, f"# Exported from the live tenant by `reconciler export`: every {kind_def.label} "
             f"it has, sorted by {kind_def.identity}."]
    hidden = sorted(f for f in kind_def.write_only if f in kind_def.model.model_fields and f in kind_def.keep_when_omitted)
    if hidden:
        lines.append(f"# Not exported: {', '.join(hidden)} (the API never returns {'it' if len(hidden) == 1 else 'them'}; "
                     "a manifest that leaves a field out leaves it as it is in the tenant).")
    return "\n".join(lines) + "\n"


def write_export(export: Export, out_dir: str | Path, *, force: bool = False) -> list[tuple[Path, str]]:
    """Write the files into `out_dir` (created if needed). A kind's file is replaced only
    when export wrote it and nobody edited it since (its marker line says so), or with
    `force`; `policy.yaml` is written only when absent. Refuses, before writing anything, a
    directory that holds other manifest files (they would be merged with the export), and
    without `force` one that holds the user's own files of the names export writes.
    Returns (path, "written" | "replaced" | "kept") per file: "replaced" is a user's file
    that `force` overwrote."""
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise ExportError([f"{root}: not a directory"])
    ours = set(export.files) | {POLICY_FILE}
    foreign = sorted(str(p.relative_to(root)) for p in _manifest_files(root) if str(p.relative_to(root)) not in ours)
    problems = []
    if foreign:
        problems.append(
            f"{root} holds manifest files export does not write ({', '.join(foreign)}); they would be read with the "
            "exported ones and declare objects twice: export into an empty directory, or one written by export"
        )
    users = [name for name in export.files if _is_users(root / name)]
    if users and not force:
        problems.append(
            f"{root} holds {', '.join(users)}, not written by export (or edited since): export never replaces your "
            f"manifests. Export into a directory of its own (`reconciler export --out DIR`) and copy what you "
            "want from there, or pass --force to replace these files"
        )
    if problems:
        raise ExportError(problems)
    root.mkdir(parents=True, exist_ok=True)
    done: list[tuple[Path, str]] = []
    for name, text in export.files.items():
        _write(root / name, text)
        done.append((root / name, "replaced" if name in users else "written"))
    policy = root / POLICY_FILE
    if policy.exists():
        done.append((policy, "kept"))
    else:
        _write(policy, POLICY_TEXT)
        done.append((policy, "written"))
    return done


def _is_users(path: Path) -> bool:
    """An existing file export did not write as it is now (anything unreadable counts)."""
    if not path.exists():
        return False
    try:
        return not written_by_export(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return True


def _manifest_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found += [Path(dirpath) / n for n in filenames if n.endswith(MANIFEST_SUFFIXES) and not n.startswith(".")]
    return found


def _write(path: Path, text: str) -> None:
    # Replace atomically: an interrupted export never leaves half a file.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)
