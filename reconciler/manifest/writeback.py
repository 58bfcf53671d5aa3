"""Writing manifest edits back to the files people wrote (`reconciler drift --write`).

Every edit is made in memory first (reconciler/manifest/yaml_edit.py). The edited set is
then checked in a scratch copy of the directory by the caller's `verify` (load it, plan
it: the plan must be empty). Only then are the files written, each replaced atomically;
a file without an edit is not touched at all (its modification time stays). Any problem
on the way and nothing is written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from reconciler.errors import ReconcilerError
from reconciler.kinds import KINDS
from reconciler.kinds.base import nfc
from reconciler.manifest.desired import ManifestSet
from reconciler.manifest.yaml_edit import EditError, FileEditor, ObjectSlot, new_file_text

NEW_FILE_HEADER = ("# yaml-language-server: $schema=../schemas/manifest.schema.json\n"
                   "# Written by `reconciler drift --write`: {label}s found in the tenant.\n")


class WriteBackError(ReconcilerError):
    """The edits cannot be written; nothing was."""

    def __init__(self, problems: list[str], hint: str = ""):
        self.problems = problems
        super().__init__("cannot write the drift into the manifests (nothing was written):\n"
                         + "\n".join(f"  {p}" for p in problems) + (f"\n{hint}" if hint else ""))


class EditsLike(Protocol):
    """What to change (reconciler.engine.adopt.Adoption)."""

    edits: list[Any]  # .kind, .name, .fields, .order
    removals: list[tuple[str, str]]
    additions: list[tuple[str, dict]]
    # and, optionally, lint_ignores: policy.lint rule code -> its new ignore list;
    # protect: the new policy.protect list (None: unchanged)


@dataclass
class Written:
    """One file written: "edited" or "created", and how many objects changed in it."""

    path: Path
    action: str
    objects: int = 0


@dataclass
class _Files:
    mset: ManifestSet
    editors: dict[Path, FileEditor] = field(default_factory=dict)
    counts: dict[Path, int] = field(default_factory=dict)

    def editor(self, path: Path) -> FileEditor:
        if path not in self.editors:
            self.editors[path] = FileEditor.parse(str(path), _read(path))
        return self.editors[path]

    def slot(self, kind: str, name: str) -> tuple[Path, ObjectSlot]:
        obj = self.mset.objects[kind][name]
        path = next(p for p in self.mset.files if str(p) == obj.location.file)
        slot = self.editor(path).objects(kind, KINDS[kind].identity).get(nfc(name))
        if slot is None:
            raise EditError(f"{obj.location}: {obj.subject} was not found again in its file")
        self.counts[path] = self.counts.get(path, 0) + 1
        return path, slot


def plan_edits(mset: ManifestSet, changes: EditsLike) -> tuple[dict[Path, str], dict[Path, int], set[Path]]:
    """The new text of every file that changes: (texts, objects changed per file, new files)."""
    files = _Files(mset)
    for edit in changes.edits:
        path, slot = files.slot(edit.kind, edit.name)
        files.editor(path).set_fields(slot, edit.fields, edit.order)
    for kind, name in changes.removals:
        path, slot = files.slot(kind, name)
        files.editor(path).remove(slot)
    lint_ignores = getattr(changes, "lint_ignores", None) or {}
    if lint_ignores and mset.policy_location is not None:
        path = next(p for p in mset.files if str(p) == mset.policy_location.file)
        for code, names in lint_ignores.items():
            if not files.editor(path).set_lint_ignore(code, names):
                raise EditError(f"{mset.policy_location}: policy.lint.{code}.ignore was not found again in its file")
        files.counts.setdefault(path, 0)
    protect = getattr(changes, "protect", None)
    if protect is not None and mset.policy_location is not None:
        path = next(p for p in mset.files if str(p) == mset.policy_location.file)
        if not files.editor(path).set_policy_list(("policy", "protect"), protect):
            raise EditError(f"{mset.policy_location}: policy.protect was not found again in its file")
        files.counts.setdefault(path, 0)
    created: dict[Path, str] = {}
    by_kind: dict[str, list[dict]] = {}
    for kind, data in changes.additions:
        by_kind.setdefault(kind, []).append(data)
    for kind, objects in by_kind.items():
        path = _home_of(files, kind)
        if path is None:
            path = mset.root / f"{kind}.yaml"
            created[path] = new_file_text(kind, objects, NEW_FILE_HEADER.format(label=KINDS[kind].label))
        else:
            files.editor(path).append(kind, objects)
        files.counts[path] = files.counts.get(path, 0) + len(objects)
    texts = {path: editor.result() for path, editor in files.editors.items() if editor.changed}
    return {**texts, **created}, files.counts, set(created)


def _home_of(files: _Files, kind: str) -> Path | None:
    """The file new objects of a kind go to: the first (in path order) that holds the kind,
    else `<kind>.yaml` if it exists (the kind is added to it), else a new `<kind>.yaml`
    (or the manifest file itself, when the set is one file)."""
    for path in files.mset.files:
        if files.editor(path).kind_seq(kind) is not None:
            return path
    root = files.mset.root
    if root.is_file():
        return root
    home = root / f"{kind}.yaml"
    return home if home.exists() else None


def write_back(mset: ManifestSet, changes: EditsLike, verify: Callable[[Path], list[str]]) -> list[Written]:
    """Edit the manifest files; `verify(scratch_root)` checks the edited set in a scratch
    copy and returns its problems. Raises WriteBackError, with nothing written, when an
    edit cannot be made or the check fails."""
    try:
        texts, counts, created = plan_edits(mset, changes)
    except EditError as err:
        raise WriteBackError([str(err)]) from None
    if not texts:
        return []
    problems = _check_in_scratch(mset.root, texts, verify)
    if problems:
        raise WriteBackError(problems)
    staged = []
    try:
        for path, text in texts.items():
            real = Path(os.path.realpath(path))  # a linked manifest file: its target is edited, the link kept
            staged.append((_stage(real, text), real))
    except OSError as err:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise WriteBackError([f"{err.filename}: cannot write: {err.strerror}"]) from None
    for tmp, path in staged:
        os.replace(tmp, path)
    return [Written(path, "created" if path in created else "edited", counts.get(path, 0)) for path in texts]


def _check_in_scratch(root: Path, texts: dict[Path, str], verify: Callable[[Path], list[str]]) -> list[str]:
    """`verify` of the edited set: a copy of the directory with the new texts, or, for a
    one-file set, the new text beside the file (its mp3 paths are relative to it)."""
    if root.is_file():
        check = root.with_name(f".{root.name}.reconciler-check{root.suffix}")
        try:
            check.write_text(texts[root], encoding="utf-8", newline="")
            return [p.replace(str(check), str(root)) for p in verify(check)]
        finally:
            check.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="reconciler-write-") as scratch:
        copy = Path(scratch) / "manifests"
        # Files, not links: a link that points inside the set must still do so in the copy.
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".*"))
        for path, text in texts.items():
            target = copy / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="")
        return [p.replace(str(copy), str(root)) for p in verify(copy)]


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def _stage(path: Path, text: str) -> Path:
    """The new text beside the file, with the file's permissions, ready to replace it."""
    tmp = path.with_name(f".{path.name}.reconciler-tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    if path.exists():
        shutil.copymode(path, tmp)
    return tmp
