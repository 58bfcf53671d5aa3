"""export: the check of the files just written, against the live state they came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.commands import count
from reconciler.errors import ManifestError


def verify_export(out_dir: str, live: Any, result: Any) -> str:
    """What is wrong with the export just written into `out_dir`, as text for stderr ('':
    nothing): a plan of the written files that is not empty (a bug), or objects left out
    (with what an apply of them would delete). Either way the export exits 1."""
    from reconciler.engine.render import render_text
    from reconciler.engine.session import check_export
    from reconciler.manifest import load_manifests

    check, doomed = check_export(load_manifests(out_dir), live, result.skipped_ids)
    if check.has_changes:
        return ("Error: a plan of the exported manifests is not empty (a bug of the reconciler; please "
                "report it with this output):\n" + render_text(check))
    if not result.skipped:
        return ""
    lines = [f"Export incomplete: {result.total} objects written to {out_dir}, {len(result.skipped)} left out "
             f"(listed above)."]
    lines += [f"Warning: {change.address} was left out and {change.kind} is in policy.prune: an apply of "
              f"{out_dir} would delete it; declare it by hand first." for change in doomed]
    return "\n".join(lines) + "\n"


def acknowledge_findings(out_dir: str, written: list[tuple[Path, str]]) -> str:
    """The routing findings the tenant has as it is, acknowledged in the policy.yaml export
    just wrote (lint's baseline), so that `validate` and `lint` pass on a fresh export. A
    policy.yaml export kept is the user's: only a note says what lint will report. The
    note for stderr ('' when there is nothing to say)."""
    from reconciler.engine.export import POLICY_FILE, acknowledge_findings as acknowledge
    from reconciler.flows.lint import acknowledged, lint
    from reconciler.flows.sources import routing_from_manifests
    from reconciler.manifest import load_manifests

    policy = Path(out_dir) / POLICY_FILE
    try:
        findings = acknowledged(lint(routing_from_manifests(load_manifests(out_dir))))
    except ManifestError:
        return ""  # said by the export's own check (verify_export)
    if not findings:
        return ""
    found = count(sum(len(names) for names in findings.values()), "routing finding")
    if (policy, "written") in written:
        acknowledge(out_dir, findings)
        return (f"{found} of the tenant acknowledged in {policy} (policy.lint), so that validate and lint pass; "
                "fix them, then remove them there.")
    return (f"`reconciler lint {out_dir}` reports {found} of the tenant; {policy} is yours, so they are not "
            "acknowledged there.")
