"""export: the check of the files just written, against the live state they came from."""

from __future__ import annotations

from typing import Any


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
