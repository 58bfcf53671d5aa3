"""Drift reports as text (a terminal or a CI log), JSON (stable, for programs) and
Markdown (an issue or pull-request comment). Secret fields are masked in every format."""

from __future__ import annotations

import json
from typing import Any

from reconciler.engine.drift import (
    DIFFERS,
    EXTRA,
    FIX_COMMAND,
    FP_DIFFERS,
    FP_MATCHES,
    FP_MISSING,
    MISSING,
    DriftItem,
    DriftReport,
)
from reconciler.engine.render import (
    Style,
    _md,
    _plain,
    field_leaves,
    leaf_line,
    leaf_row,
    leaves_json,
    markdown_kind_section,
    masked,
    value_text,
)
from reconciler.kinds import KINDS

# The other way out of drift: the manifests take the tenant's values (see engine/adopt.py).
ADOPT_COMMAND = "reconciler drift DIR --write"

SYMBOLS = {DIFFERS: "~", MISSING: "+", EXTRA: "-"}
COLOURS = {DIFFERS: "yellow", MISSING: "green", EXTRA: "red"}
STATE_TEXT = {
    DIFFERS: "differs from the manifests",
    MISSING: "in the manifests, missing from the tenant",
    EXTRA: "in the tenant, not in the manifests",
}
FINGERPRINT_TEXT = {
    FP_MATCHES: "matches the last apply",
    FP_DIFFERS: "manifest changed since the last apply",
    FP_MISSING: "no fingerprint: never applied by the reconciler",
}


def summary_line(report: DriftReport) -> str:
    """One line: in sync, or how many objects drifted and how."""
    unmanaged = sum(len(v) for v in report.unmanaged.values())
    left_alone = f"; {unmanaged} unmanaged object{'s' if unmanaged != 1 else ''} left alone" if unmanaged else ""
    held = len(report.protected_differs)
    if held:
        left_alone += f"; {held} protected by policy, not changed though {'it differs' if held == 1 else 'they differ'}"
    if report.in_sync and held:
        return f"No drift apply would change ({report.in_sync_count} in sync{left_alone})."
    if report.in_sync:
        return (f"In sync: the tenant matches the manifests ({report.in_sync_count} object"
                f"{'s' if report.in_sync_count != 1 else ''}{left_alone}).")
    c = report.counts()
    parts = [f"{c[DIFFERS]} differ{'s' if c[DIFFERS] == 1 else ''}",
             f"{c[MISSING]} missing from the tenant",
             f"{c[EXTRA]} not in the manifests"]
    return f"Drift: {', '.join(parts)} ({report.in_sync_count} in sync{left_alone})."


def _fingerprint_of(report: DriftReport, item: DriftItem, field: str) -> str | None:
    for entry in report.unverified.get(item.kind, {}).get(item.name, []):
        if entry.field == field:
            return entry.fingerprint
    return None


def _field_lines(report: DriftReport, item: DriftItem, fc: Any) -> list[str]:
    if not fc.verifiable:
        manifest = value_text(masked(item.kind, fc.field, fc.manifest))
        status = FINGERPRINT_TEXT.get(_fingerprint_of(report, item, fc.field) or FP_DIFFERS, "")
        return [f"{fc.field}: live not returned by the API ({status}); manifest {manifest}"]
    return [leaf_line(leaf, "live", "manifest") for leaf in field_leaves(item.kind, fc.field, fc.live, fc.manifest)]


def _item_lines(report: DriftReport, item: DriftItem) -> list[str]:
    lines = []
    if item.renamed_from:
        lines.append(f"name: live {value_text(item.renamed_from)}, manifest {value_text(item.name)}")
    lines += [line for fc in item.fields for line in _field_lines(report, item, fc)]
    if item.note:
        lines.append(f"({item.note})")
    lines.append(f"apply would {item.apply_action}")
    return lines


def render_text(report: DriftReport, style: Style = _plain) -> str:
    """The drift for people: per kind, one line per object and one per differing field."""
    out: list[str] = []
    for kind in KINDS:
        items = [i for i in report.items if i.kind == kind]
        if not items:
            continue
        out.append(style(kind, bold=True))
        for item in items:
            head = f"  {SYMBOLS[item.state]} {KINDS[kind].label} {item.name}: {STATE_TEXT[item.state]}"
            out.append(style(head, fg=COLOURS[item.state]))
            out += [f"      {line}" for line in _item_lines(report, item)]
        out.append("")
    out += _notes(report)
    out.append(style(summary_line(report), bold=True))
    if not report.in_sync:
        out.append(f"Put the tenant back to the manifests with `{FIX_COMMAND}`, or adopt the live changes "
                   f"into the manifests with `{ADOPT_COMMAND}`.")
    return "\n".join(out).rstrip() + "\n"


def _notes(report: DriftReport) -> list[str]:
    out: list[str] = []
    if report.unmanaged:
        out.append("Unmanaged (in the tenant, not in the manifests, in kinds policy.prune does not own; "
                   "not drift, left alone):")
        out += [f"  {k}: {', '.join(v)}" for k, v in report.unmanaged.items()]
    if report.unverified:
        out.append("Not verifiable against the tenant (the API never returns them; compared with the "
                   "fingerprint of the last apply):")
        for k, objs in report.unverified.items():
            for name, fields in objs.items():
                text = ", ".join(f"{f.field} ({FINGERPRINT_TEXT[f.fingerprint]})" for f in fields)
                out.append(f"  {k}/{name}: {text}")
    if report.external:
        out.append("Referenced live objects not declared in the manifests: " + ", ".join(report.external))
    if report.protected:
        out.append("Protected by policy (never changed by apply):")
        out += [f"  {p}" for p in report.protected]
    for w in report.warnings:
        out.append(f"Warning: {w}")
    for b in report.blocked:
        out.append(f"Apply cannot put this back: {b}")
    if out:
        out.append("")
    return out


def render_json(report: DriftReport) -> str:
    """The stable JSON form, secrets masked."""
    data = report.to_json()
    for item in data["drift"]:
        for fc in item["fields"]:
            found = leaves_json(item["kind"], fc["field"], fc["live"], fc["manifest"]) if fc["verifiable"] else None
            if found:
                fc["leaves"] = found
            fc["live"] = masked(item["kind"], fc["field"], fc["live"])
            fc["manifest"] = masked(item["kind"], fc["field"], fc["manifest"])
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_markdown(report: DriftReport) -> str:
    """For an issue or pull-request comment: a summary line, then a collapsible section
    per kind with live and manifest values, then the unmanaged and unverifiable objects."""
    out = ["### reconciler drift", "", f"**{summary_line(report)}**", ""]
    for kind in KINDS:
        items = [i for i in report.items if i.kind == kind]
        if not items:
            continue
        counts: dict[str, int] = {}
        for i in items:
            counts[i.state] = counts.get(i.state, 0) + 1
        what = ", ".join(f"{n} {'differ' if s == DIFFERS and n != 1 else s}" for s, n in counts.items())
        objects = []
        for item in items:
            rows: list[tuple[str, str, str]] = []
            if item.renamed_from:
                rows.append(("name", value_text(item.renamed_from), value_text(item.name)))
            for fc in item.fields:
                if fc.verifiable:
                    rows += [leaf_row(leaf) for leaf in field_leaves(kind, fc.field, fc.live, fc.manifest)]
                    continue
                fp = _fingerprint_of(report, item, fc.field) or FP_DIFFERS
                rows.append((fc.field, f"not returned ({FINGERPRINT_TEXT[fp]})",
                             value_text(masked(kind, fc.field, fc.manifest))))
            if not rows:
                rows = [("", "(absent)" if item.state == MISSING else "(present)",
                         "(absent)" if item.state == EXTRA else "(declared)")]
            note = f" ({item.note})" if item.note else ""
            objects.append((f"`{SYMBOLS[item.state]}` {item.state}", item.name + note, rows))
        out += markdown_kind_section(kind, what, objects)
    unmanaged = sum(len(v) for v in report.unmanaged.values())
    if unmanaged:
        out += [f"<details><summary>Unmanaged, not drift: {unmanaged} object{'s' if unmanaged != 1 else ''} "
                "(kinds policy.prune does not own)</summary>", ""]
        out += [f"- **{k}**: {_md(', '.join(v))}" for k, v in report.unmanaged.items()]
        out += ["", "</details>", ""]
    fields = [(k, name, f) for k, objs in report.unverified.items() for name, fs in objs.items() for f in fs]
    if fields:
        out += [f"<details><summary>Not verifiable against the tenant: {len(fields)} field"
                f"{'s' if len(fields) != 1 else ''} (the API never returns them)</summary>", ""]
        out += ["| object | field | fingerprint of the last apply |", "|---|---|---|"]
        out += [f"| {_md(f'{k}/{name}')} | {_md(f.field)} | {FINGERPRINT_TEXT[f.fingerprint]} |"
                for k, name, f in fields]
        out += ["", "</details>", ""]
    extra = [*(f"Protected by policy: {p}" for p in report.protected),
             *(f"Warning: {w}" for w in report.warnings),
             *(f"Apply cannot put this back: {b}" for b in report.blocked)]
    out += [f"- {_md(line)}" for line in extra]
    if extra:
        out.append("")
    if not report.in_sync:
        out.append(f"Put the tenant back to the manifests with `{FIX_COMMAND}`, or adopt the live changes into "
                   f"the manifests with `{ADOPT_COMMAND}`.")
    return "\n".join(out).rstrip() + "\n"
