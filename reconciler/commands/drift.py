"""drift --write: the tenant's drift written into the manifests, checked before a byte is
written (engine/adopt.py finds the edits; manifest/writeback.py makes them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.commands import count
from reconciler.engine.adopt import adopt, still_differs, still_unverified
from reconciler.engine.session import plan_offline
from reconciler.errors import ManifestError, PlanError
from reconciler.manifest import load_manifests
from reconciler.manifest.writeback import WriteBackError, write_back


def adopt_drift(manifests: Any, the_plan: Any, live: Any, renames: list) -> tuple[bool, list[str], list[str]]:
    """drift --write: edit the manifests to match the tenant, checked before writing.
    Whether a file was written, the lines that say what was, and the fields the API never
    returns that a plan of the written manifests still sends."""
    adoption = adopt(the_plan, live, manifests, renames)
    if adoption.problems:
        raise WriteBackError(adoption.problems, "Change these in the console so that a manifest can state them, "
                             "or put the tenant back to the manifests with `reconciler apply`.")

    unverified: list[str] = []

    def verify(root: Path) -> list[str]:
        try:
            checked = plan_offline(load_manifests(str(root)), live)
        except (ManifestError, PlanError) as err:
            return [str(p) for p in err.problems]
        unverified[:] = still_unverified(checked)
        return still_differs(checked)

    written = write_back(manifests, adoption, verify)
    policy = ", ".join(part for part, edited in (("policy.protect", adoption.protect is not None),
                                                 ("policy.lint", adoption.lint_ignores)) if edited)
    lines = [f"{item.action:>8}  {item.path} ({count(item.objects, 'object') if item.objects else policy})"
             for item in written]
    if written and adoption.protect is not None:
        lines.append(f"policy.protect follows the tenant: [{', '.join(adoption.protect)}]")
    lines += [f"policy.lint.{code}.ignore follows the tenant: [{', '.join(names)}]"
              for code, names in adoption.lint_ignores.items()] if written else []
    lines += [f"took the tenant's name: {kind}/{old} -> {new} ({old!r} kept in previous_names)"
              for kind, old, new in adoption.renames]
    lines += [f"not written (the API never returns it): {line}" for line in adoption.left_alone]
    lines += [f"not verifiable, apply sends it again (its value in the manifests now reads differently from "
              f"what the last apply sent): {line}" for line in unverified if line not in adoption.left_alone]
    if not written:
        lines.append("No manifest file changed.")
    return bool(written), lines, unverified if written else []
