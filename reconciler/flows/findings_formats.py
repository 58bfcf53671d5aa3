"""Findings (validate's manifest problems, lint's routing findings) in the formats CI
systems read: JSON (ours, stable), GitHub workflow commands (annotations on the pull
request's lines) and a GitLab Code Quality report (the merge request's widget).

Every writer takes the same records, `Item`: a finding's JSON form (the schema `lint
--format json` has always had) and its location. Pure: the caller says which directory
paths are relative to (the CI system's checkout).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from reconciler import FORMAT_VERSION
from reconciler.errors import Location, ManifestError, PlanError, Problem, ReconcilerError

FORMATS = ("text", "json", "github", "gitlab")

# Our severities as GitHub's commands (it has no "info": `notice` is its lowest) and as
# GitLab Code Quality's scale (info, minor, major, critical, blocker).
GITHUB_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
GITLAB_SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}

# A PlanError's problems are text; those written at a manifest value start "file:line:col: ".
_LOCATED = re.compile(r"(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)", re.DOTALL)


@dataclass(frozen=True)
class Item:
    """One finding: `data` its JSON form ({"severity", "code", "kind", "name", "message",
    "location": "file:line:col" or None}, maybe more keys), `location` the same place."""

    data: dict
    location: Location | None

    @property
    def severity(self) -> str:
        return str(self.data.get("severity", "error"))

    @property
    def code(self) -> str:
        return str(self.data.get("code") or "error")

    @property
    def message(self) -> str:
        return str(self.data.get("message", ""))


def from_lint(findings: Iterable[Any]) -> list[Item]:
    """lint's findings (reconciler.flows.lint.Finding), as they are."""
    return [Item(f.to_json(), f.location) for f in findings]


def from_problem(problem: Problem, severity: str | None = None) -> Item:
    """A manifest problem as a finding: its message says what and where already."""
    data = {"severity": severity or problem.severity, "code": problem.code, "kind": problem.kind, "name": problem.name,
            "message": problem.message, "location": str(problem.location) if problem.location else None}
    return Item(data, problem.location)


def from_error(err: ReconcilerError) -> list[Item]:
    """What stopped a command, as findings: a manifest error's problems (with their codes),
    a plan check's problems (located when they say where), anything else as one finding."""
    if isinstance(err, ManifestError):
        return [from_problem(p) for p in err.problems]
    if isinstance(err, PlanError):
        return [from_problem(_plan_problem(text)) for text in dict.fromkeys(err.problems)]
    return [from_problem(Problem(None, str(err), "error"))]


def _plan_problem(text: str) -> Problem:
    match = _LOCATED.fullmatch(text.strip())
    if match is None:
        return Problem(None, text.strip(), "plan-check")
    where = Location(match["file"], int(match["line"]), int(match["col"]))
    return Problem(where, match["message"], "plan-check")


def ci_path(file: str, base: Path) -> str:
    """A manifest's path as CI systems want it: relative to the checkout (`base`), with
    forward slashes; as written when it is outside."""
    path = Path(file)
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


# --- JSON ----------------------------------------------------------------------------------


def render_json(items: list[Item], **extra: Any) -> str:
    """`{"format_version": 1, "findings": [...]}`, the schema of `lint --format json`;
    `extra`: keys a command adds (validate: "valid")."""
    document = {"format_version": FORMAT_VERSION, **extra, "findings": [i.data for i in items]}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# --- GitHub workflow commands -----------------------------------------------------------------


def escape_data(text: str) -> str:
    """A command's message: `%`, CR and LF are its only special characters (GitHub's
    workflow-command escaping, as actions/toolkit's `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: also `:` and `,`, which end it (`escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(items: list[Item], base: Path) -> str:
    """One `::error file=F,line=L,col=C,title=CODE::MESSAGE` line a finding (`::warning`,
    `::notice` for info): GitHub Actions shows each on that line of the pull request."""
    lines = []
    for item in items:
        command = GITHUB_COMMANDS.get(item.severity, "error")
        props = []
        if item.location is not None:
            props += [("file", ci_path(item.location.file, base)), ("line", str(item.location.line)),
                      ("col", str(item.location.column))]
        props.append(("title", f"reconciler {item.code}"))
        rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
        lines.append(f"::{command} {rendered}::{escape_data(item.message)}")
    return "".join(line + "\n" for line in lines)


# --- GitLab Code Quality ---------------------------------------------------------------------


def render_gitlab(items: list[Item], base: Path, default_path: str) -> str:
    """A Code Quality report: a JSON array of issues, each with the fields GitLab requires
    (description, check_name, fingerprint, severity, location.path, location.lines.begin).
    A finding with no place in a file (lint --live) is put on line 1 of `default_path` (the
    manifest directory): GitLab requires a path. Fingerprints are unique in the report and
    stay the same when the finding only moves to another line."""
    issues = []
    seen: dict[str, int] = {}
    for item in items:
        path = ci_path(item.location.file, base) if item.location else ci_path(default_path, base)
        line = item.location.line if item.location else 1
        key = "\0".join([item.code, path, str(item.data.get("kind")), str(item.data.get("name")), item.message])
        digest = hashlib.sha256(key.encode()).hexdigest()
        seen[digest] = seen.get(digest, 0) + 1
        if seen[digest] > 1:  # the same finding twice in one file: still two issues
            digest = hashlib.sha256(f"{key}\0{seen[digest]}".encode()).hexdigest()
        issues.append({
            "description": item.message,
            "check_name": item.code,
            "fingerprint": digest,
            "severity": GITLAB_SEVERITIES.get(item.severity, "major"),
            "location": {"path": path, "lines": {"begin": line}},
        })
    return json.dumps(issues, ensure_ascii=False, indent=2) + "\n"


def render(items: list[Item], fmt: str, *, base: Path, default_path: str, **extra: Any) -> str:
    """The findings in a machine format (json, github, gitlab)."""
    if fmt == "json":
        return render_json(items, **extra)
    if fmt == "github":
        return render_github(items, base)
    if fmt == "gitlab":
        return render_gitlab(items, base, default_path)
    raise ValueError(f"not a machine format: {fmt}")


__all__ = ["FORMATS", "Item", "ci_path", "escape_data", "escape_property", "from_error", "from_lint",
           "from_problem", "render", "render_github", "render_gitlab", "render_json"]
