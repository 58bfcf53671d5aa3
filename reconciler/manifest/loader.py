"""A manifest directory -> a validated ManifestSet, or a ManifestError with every problem.

Files are read in sorted path order and every problem of every file is collected before
anything is raised: a user fixes a whole CI run's worth of mistakes at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import Location, ManifestError, Problem, coded
from reconciler.kinds import KINDS, Kind, Policy
from reconciler.kinds.base import Uploading, nfc, retired_names
from reconciler.kinds.policy import unused_lint_ignores
from reconciler.manifest.checks import (
    check_env,
    check_file,
    check_policy_lists,
    check_previous_names,
    check_pruned_references,
    check_renamed_protect,
    check_renamed_references,
    check_self_references,
)
from reconciler.manifest.desired import DesiredObject, ManifestSet
from reconciler.manifest.messages import describe, suggest, translate
from reconciler.manifest.yaml_source import Pos, SourceFile, YamlFileError, read_yaml

TOP_LEVEL_KEYS = (*KINDS, "policy")
SUFFIXES = (".yaml", ".yml")


def find_files(root: Path) -> list[Path]:
    """Every *.yaml / *.yml under `root` in sorted path order; hidden files and
    directories (.git, .github) are skipped. A file path is returned as it is."""
    if root.is_file():
        return [root]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.endswith(SUFFIXES) and not name.startswith("."):
                found.append(Path(dirpath) / name)
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def load_manifests(root: str | Path) -> ManifestSet:
    """Read and validate a manifest directory (or one file). Raises ManifestError listing
    every problem found in every file."""
    root = Path(root)
    if not root.exists():
        raise ManifestError([Problem(None, f"{root}: no such file or directory", "no-manifests")])
    files = find_files(root)
    if not files:
        raise ManifestError([Problem(None, f"{root}: no manifest files (*.yaml, *.yml) found", "no-manifests")])
    return _Loader(root, files).run()


class _Loader:
    def __init__(self, root: Path, files: list[Path]):
        self.root = root
        self.root_dir = root if root.is_dir() else root.parent
        self.files = files
        self.problems: list[Problem] = []
        self.objects: dict[str, dict[str, DesiredObject]] = {kind: {} for kind in KINDS}
        # kind -> identity -> where it is written; kept for invalid objects too, so that
        # a duplicate is reported even when one of the two has other mistakes
        self.claims: dict[str, dict[str, Location]] = {kind: {} for kind in KINDS}
        self.policy = Policy()
        self.policy_location: Location | None = None
        self.policy_fields: dict[str, Location] = {}
        self.policy_raw: Any = None

    def run(self) -> ManifestSet:
        for path in self.files:
            try:
                source = read_yaml(path, str(path))
            except YamlFileError as err:  # unreadable, not YAML, or YAML we refuse (duplicate keys...)
                self.problems.extend(coded(err.problems, "invalid-yaml"))
                continue
            self._file(source)
        for kind, objs in self.objects.items():
            kind_def = KINDS[kind]
            for obj in objs.values():
                if isinstance(kind_def, Uploading):
                    self.problems.extend(coded(check_file(obj, kind_def.file_field, self.root_dir), "audio-file",
                                               kind, obj.name))
                self.problems.extend(coded(check_self_references(obj, kind_def), "self-reference", kind, obj.name))
            self.problems.extend(coded(check_previous_names(objs), "previous-names", kind))
        mset = ManifestSet(self.root, self.objects, self.policy, self.policy_location, list(self.files),
                           self.policy_fields)
        self.problems.extend(coded(check_pruned_references(mset, self.claims), "dangling-reference"))
        self.problems.extend(check_renamed_references(mset))
        self.problems.extend(check_renamed_protect(mset))
        if self.problems:
            raise ManifestError(self.problems + self._unused_lint_ignores())
        return mset

    def _unused_lint_ignores(self) -> list[Problem]:
        """policy.lint ignore entries that name no object: `lint`'s warning
        (unused-lint-ignore), listed with the problems of invalid manifests, as written
        (a policy with other mistakes included), so one run shows everything to fix."""
        known = {name for claims in self.claims.values() for name in claims}
        raw = self.policy_raw.get("lint") if isinstance(self.policy_raw, dict) else None
        return [Problem(self.policy_fields.get(path) or self.policy_location, message, "unused-lint-ignore",
                        "policy", name, "warning")
                for path, name, message in unused_lint_ignores(raw, known, "the manifests", retired_names(self.objects))]

    def _file(self, source: SourceFile) -> None:
        data = source.data
        if data is None:
            return  # an empty file (or only comments) is fine
        if not isinstance(data, dict):
            self._problem(source, source.start(data) or (1, 1),
                          f"expected a mapping at the top of the file (keys: {', '.join(TOP_LEVEL_KEYS)}), "
                          f"got {describe(data)}", "invalid-value")
            return
        for key, value in data.items():
            key_pos = source.key_pos(data, key) or (1, 1)
            value_pos = source.value_pos(data, key) or key_pos
            if key == "policy":
                self._policy(source, value, key_pos, value_pos)
            elif key in KINDS:
                self._kind(source, KINDS[key], value, value_pos)
            else:
                self._problem(source, key_pos, f"unknown top-level key '{key}'{suggest(key, TOP_LEVEL_KEYS)} "
                                               f"(expected one of {', '.join(TOP_LEVEL_KEYS)})", "unknown-field")

    def _problem(self, source: SourceFile, pos: Pos, message: str, code: str = Problem.code) -> None:
        self.problems.append(Problem(source.loc(pos), message, code))

    def _kind(self, source: SourceFile, kind_def: Kind, items: Any, pos: Pos) -> None:
        if items is None:
            return  # `groups:` with nothing under it
        if not isinstance(items, list):
            self._problem(source, pos, f"{kind_def.name}: expected a list of {kind_def.label}s (`- {kind_def.identity}: ...`), "
                                       f"got {describe(items)}", "invalid-value")
            return
        for index, item in enumerate(items):
            self._object(source, kind_def, item, source.value_pos(items, index) or pos, index)

    def _object(self, source: SourceFile, kind_def: Kind, item: Any, start: Pos, index: int) -> None:
        before = len(self.problems)
        self._check_object(source, kind_def, item, start, index)
        # Every problem found in the object names it, for programs (validate --format json).
        ident = item.get(kind_def.identity) if isinstance(item, dict) else None
        name = nfc(str(ident)) if isinstance(ident, (str, int)) and not isinstance(ident, bool) else None
        self.problems[before:] = coded(self.problems[before:], "invalid-value", kind_def.name, name)

    def _check_object(self, source: SourceFile, kind_def: Kind, item: Any, start: Pos, index: int) -> None:
        subject = _subject(kind_def, item, index)
        if not isinstance(item, dict):
            self._problem(source, start, f"{subject}: expected a mapping (`{kind_def.identity}: ...` and its fields), "
                                         f"got {describe(item)}", "invalid-value")
            return
        if source.has_env:
            self.problems.extend(coded(check_env(item, source, subject, start), "env-reference"))
        # An object declared twice is still validated: all its problems show at once.
        first_declaration = self._claim(source, kind_def, item, subject)
        try:
            model = kind_def.model.model_validate(item, strict=True)
        except ValidationError as err:
            self.problems.extend(translate(err, item, source, subject, kind_def.model, start))
            return
        if not first_declaration:
            return
        if isinstance(kind_def, Uploading):  # its file is named relative to the manifest file
            model._base_dir = source.path.parent.absolute()  # type: ignore[attr-defined]
        name = nfc(str(getattr(model, kind_def.identity)))
        self.objects[kind_def.name][name] = DesiredObject(kind_def.name, name, model, source.loc(start),
                                                      _field_locations(item, source))

    def _claim(self, source: SourceFile, kind_def: Kind, item: dict, subject: str) -> bool:
        """Record the object's identity; False (and a problem) when another object has it."""
        ident = item.get(kind_def.identity)
        if isinstance(ident, bool) or not isinstance(ident, (str, int)):
            return True  # missing or of the wrong type: validation says so
        name = nfc(str(ident))
        at = source.loc(source.value_pos(item, kind_def.identity) or (1, 1))
        first = self.claims[kind_def.name].get(name)
        if first is not None:
            self.problems.append(Problem(at, f"{subject} is declared twice (first at {first})", "duplicate-name"))
            return False
        self.claims[kind_def.name][name] = at
        return True

    def _policy(self, source: SourceFile, raw: Any, key_pos: Pos, value_pos: Pos) -> None:
        if self.policy_location is not None:
            self._problem(source, key_pos, f"policy is declared twice (first at {self.policy_location}); "
                                           "keep it in one file", "duplicate-name")
            return
        self.policy_location = source.loc(key_pos)
        self.policy_raw = raw
        if raw is None:
            return
        if source.has_env:
            self.problems.extend(coded(check_env(raw, source, "policy", value_pos), "env-reference"))
        self.problems.extend(coded(check_policy_lists(raw, source), "duplicate-name"))
        if isinstance(raw, dict):
            self.policy_fields = _field_locations(raw, source)
        try:
            self.policy = Policy.model_validate(raw, strict=True)
        except ValidationError as err:
            self.problems.extend(translate(err, raw, source, "policy", Policy, value_pos))


def _subject(kind_def: Kind, item: Any, index: int) -> str:
    """"group 'CSKH'" or, when the identity is missing or unusable, "group #3"."""
    ident = item.get(kind_def.identity) if isinstance(item, dict) else None
    if isinstance(ident, bool) or not isinstance(ident, (str, int)) or ident == "":
        return f"{kind_def.label} #{index + 1}"
    return f"{kind_def.label} '{nfc(str(ident))}'"


def _field_locations(item: dict, source: SourceFile) -> dict[str, Location]:
    """Dotted path -> location of every value in one object."""
    out: dict[str, Location] = {}
    stack: list[tuple[str, Any]] = [("", item)]
    while stack:
        prefix, container = stack.pop()
        pairs = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in pairs:
            path = f"{prefix}{key}"
            pos = source.value_pos(container, key)
            if pos is not None:
                out[path] = source.loc(pos)
            if isinstance(value, (dict, list)) and value:
                stack.append((path + ".", value))
    return out
