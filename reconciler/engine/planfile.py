"""Saved plans (`plan --out FILE`, `apply --plan FILE`).

The file holds the plan exactly as reviewed, with what apply needs to check it is still
current: each object's live version, a checksum of the changes, and the digest of every
mp3 it uploads. Secrets are never in it: secret values stay `${env:NAME}` references.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from reconciler import FORMAT_VERSION
from reconciler.engine.plan import Plan
from reconciler.errors import PlanError, ReconcilerError
from reconciler.kinds import KINDS
from reconciler.kinds.base import Uploading

FILE_KIND = "reconciler-plan"


def save_plan(plan: Plan, path: str | Path, *, url: str) -> None:
    for change in plan.changes:
        kind_def = KINDS[change.kind]
        if change.new and isinstance(kind_def, Uploading):
            kind_def.convert_paths(change.new, portable_path)
    data = {
        "kind": FILE_KIND,
        "format_version": FORMAT_VERSION,
        "url": url,
        "checksum": _checksum(plan),
        "plan": plan.to_saved_json(),
        "seen": plan.seen,
    }
    try:
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        raise ReconcilerError(f"cannot write the plan to {path}: {err.strerror or err}") from None


def load_plan(path: str | Path, *, url: str) -> Plan:
    """The saved plan, refused if it was edited, made for another tenant, or uploads an
    mp3 that changed since."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ReconcilerError(f"{path}: not a readable plan file ({err.__class__.__name__})") from None
    if not isinstance(data, dict) or data.get("kind") != FILE_KIND:
        raise ReconcilerError(f"{path}: not a plan file made by `reconciler plan --out`")
    if data.get("format_version") != FORMAT_VERSION:
        raise ReconcilerError(f"{path}: plan format {data.get('format_version')} is not supported")
    try:
        plan = Plan.from_json(data["plan"])
        plan.seen = {str(k): [str(n) for n in v] for k, v in data.get("seen", {}).items()}
    except (KeyError, TypeError, AttributeError, ValueError):
        raise ReconcilerError(f"{path}: not a complete plan file (truncated or edited?); make a new plan") from None
    # Plan files saved before `seen` was kept are checked as they were made.
    if (_checksum(plan) if "seen" in data else plan.checksum()) != data.get("checksum"):
        raise PlanError([f"{path}: the plan was modified after it was made (checksum mismatch)"])
    if data.get("url") != url:
        raise PlanError([f"{path}: the plan was made for {data.get('url')}, not {url}"])
    for change in plan.changes:
        kind_def = KINDS.get(change.kind)
        for mp3, sha256 in kind_def.uploads(change.new or {}) if isinstance(kind_def, Uploading) else []:
            try:
                digest = hashlib.sha256(Path(mp3).read_bytes()).hexdigest()
            except OSError:
                raise PlanError([f"{path}: {change.address} uploads {mp3}, which is missing"]) from None
            if digest != sha256:
                raise PlanError([f"{path}: {mp3} changed since the plan was made; make a new plan"])
    return plan


def portable_path(path: str) -> str:
    """A saved plan may be applied from another checkout of the same repository (plan in
    one CI job, apply in another): paths under the working directory are kept relative."""
    p = Path(path)
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _checksum(plan: Plan) -> str:
    """The plan as reviewed and the tenant it saw: editing either is refused."""
    seen = json.dumps(plan.seen, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256((plan.checksum() + seen).encode()).hexdigest()
