"""Drift reports as text (a terminal or a CI log), JSON (stable, for programs) and
Markdown (an issue or pull-request comment). Secret fields are masked in every format."""

from __future__ import annotations

import json

from reconciler.engine.drift import (
    DIFFERS,
    EXTRA,
    FIX_COMMAND,
    FP_DIFFERS,
    FP_MATCHES,
    FP_MISSING,
    MISSING,
    DriftField,
    DriftItem,
    DriftReport,
)
from reconciler.engine.report import UNVERIFIABLE, UNVERIFIABLE_SYMBOL, Entry, Report, Row, Style, field_leaves, \
    leaf_line, leaf_row, listed, mask_json_field, masked, md, plain, report_markdown, report_text, unverifiable_entry, \
    unverifiable_lines, unverifiable_rows, value_text
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
    unverifiable = report.unverifiable_count
    if not report.items and unverifiable:
        # "In sync" only when everything was compared.
        return (f"Not verified: {unverifiable} object{'s' if unverifiable != 1 else ''} with a field that could not "
                f"be compared ({UNVERIFIABLE_SYMBOL} above); no drift in the rest ({report.in_sync_count} in sync"
                f"{left_alone}).")
    if report.in_sync and held:
        return f"No drift apply would change ({report.in_sync_count} in sync{left_alone})."
    if report.in_sync:
        return (f"In sync: the tenant matches the manifests ({report.in_sync_count} object"
                f"{'s' if report.in_sync_count != 1 else ''}{left_alone}).")
    c = report.counts()
    parts = [f"{c[DIFFERS]} differ{'s' if c[DIFFERS] == 1 else ''}",
             f"{c[MISSING]} missing from the tenant",
             f"{c[EXTRA]} not in the manifests"]
    more = f"; {unverifiable} {UNVERIFIABLE}" if unverifiable else ""
    return f"Drift: {', '.join(parts)} ({report.in_sync_count} in sync{left_alone}){more}."


def _fingerprint_of(report: DriftReport, item: DriftItem, field: str) -> str | None:
    for entry in report.unverified.get(item.kind, {}).get(item.name, []):
        if entry.field == field:
            return entry.fingerprint
    return None


def _field_lines(report: DriftReport, item: DriftItem, fc: DriftField) -> list[str]:
    if not fc.verifiable:
        manifest = value_text(masked(item.kind, fc.field, fc.manifest))
        status = FINGERPRINT_TEXT.get(_fingerprint_of(report, item, fc.field) or FP_DIFFERS, "")
        return [f"{fc.field}: live not returned by the API ({status}); manifest {manifest}"]
    return [leaf_line(leaf, "live", "manifest") for leaf in field_leaves(item.kind, fc.field, fc.live, fc.manifest)]


def _lines(report: DriftReport, item: DriftItem) -> list[str]:
    lines = []
    if item.renamed_from:
        lines.append(f"name: live {value_text(item.renamed_from)}, manifest {value_text(item.name)}")
    lines += [line for fc in item.fields for line in _field_lines(report, item, fc)]
    if item.note:
        lines.append(f"({item.note})")
    lines.append(f"apply would {item.apply_action}")
    return lines


def _rows(report: DriftReport, item: DriftItem) -> list[Row]:
    rows: list[Row] = []
    if item.renamed_from:
        rows.append(("name", value_text(item.renamed_from), value_text(item.name)))
    for fc in item.fields:
        if fc.verifiable:
            rows += [leaf_row(leaf) for leaf in field_leaves(item.kind, fc.field, fc.live, fc.manifest)]
            continue
        fp = _fingerprint_of(report, item, fc.field) or FP_DIFFERS
        rows.append((fc.field, f"not returned ({FINGERPRINT_TEXT[fp]})",
                     value_text(masked(item.kind, fc.field, fc.manifest))))
    return rows or [("", "(absent)" if item.state == MISSING else "(present)",
                     "(absent)" if item.state == EXTRA else "(declared)")]


def _entry(report: DriftReport, item: DriftItem) -> Entry:
    note = f" ({item.note})" if item.note else ""
    unverifiable = report.unverifiable.get(item.kind, {}).get(item.name, {}) if item.state != EXTRA else {}
    return Entry(
        kind=item.kind, state=item.state, symbol=SYMBOLS[item.state], colour=COLOURS[item.state],
        head=f"{KINDS[item.kind].label} {item.name}: {STATE_TEXT[item.state]}",
        lines=_lines(report, item) + unverifiable_lines(unverifiable),
        title=item.name + note, rows=_rows(report, item) + unverifiable_rows(unverifiable),
    )


def _entries(report: DriftReport) -> list[Entry]:
    """Every drifted object, then every other one with a field that could not be compared."""
    shown = {(i.kind, i.name) for i in report.items if i.state != EXTRA}
    return [_entry(report, i) for i in report.items] + [
        unverifiable_entry(k, name, fields) for k, objs in report.unverifiable.items()
        for name, fields in objs.items() if (k, name) not in shown]


def _notes(report: DriftReport) -> list[str]:
    unverified = [f"{k}/{name}: " + ", ".join(f"{f.field} ({FINGERPRINT_TEXT[f.fingerprint]})" for f in fields)
                  for k, objs in report.unverified.items() for name, fields in objs.items()]
    return [
        *listed("Unmanaged (in the tenant, not in the manifests, in kinds policy.prune does not own; "
                "not drift, left alone):", [f"{k}: {', '.join(v)}" for k, v in report.unmanaged.items()]),
        *listed("Not verifiable against the tenant (the API never returns them; compared with the "
                "fingerprint of the last apply):", unverified),
        *(["Referenced live objects not declared in the manifests: " + ", ".join(report.external)]
          if report.external else []),
        *listed("Protected by policy (never changed by apply):", report.protected),
        *(f"Warning: {w}" for w in report.warnings),
        *(f"Apply cannot put this back: {b}" for b in report.blocked),
    ]


def _markdown_tail(report: DriftReport) -> list[str]:
    """The unmanaged objects and unverifiable fields, folded, then the other notes."""
    out: list[str] = []
    unmanaged = sum(len(v) for v in report.unmanaged.values())
    if unmanaged:
        out += [f"<details><summary>Unmanaged, not drift: {unmanaged} object{'s' if unmanaged != 1 else ''} "
                "(kinds policy.prune does not own)</summary>", ""]
        out += [f"- **{k}**: {md(', '.join(v))}" for k, v in report.unmanaged.items()]
        out += ["", "</details>", ""]
    fields = [(k, name, f) for k, objs in report.unverified.items() for name, fs in objs.items() for f in fs]
    if fields:
        out += [f"<details><summary>Not verifiable against the tenant: {len(fields)} field"
                f"{'s' if len(fields) != 1 else ''} (the API never returns them)</summary>", ""]
        out += ["| object | field | fingerprint of the last apply |", "|---|---|---|"]
        out += [f"| {md(f'{k}/{name}')} | {md(f.field)} | {FINGERPRINT_TEXT[f.fingerprint]} |"
                for k, name, f in fields]
        out += ["", "</details>", ""]
    extra = [*(f"Protected by policy: {p}" for p in report.protected),
             *(f"Warning: {w}" for w in report.warnings),
             *(f"Apply cannot put this back: {b}" for b in report.blocked)]
    out += [f"- {md(line)}" for line in extra]
    if extra:
        out.append("")
    return out


def _report(drift: DriftReport) -> Report:
    fix = "" if not drift.items else (f"Put the tenant back to the manifests with `{FIX_COMMAND}`, or adopt the live "
                                    f"changes into the manifests with `{ADOPT_COMMAND}`.")
    return Report(
        noun="drift", summary=summary_line(drift), entries=_entries(drift),
        notes=_notes(drift), footer=[fix] if fix else [], markdown_tail=_markdown_tail(drift),
        markdown_footer=fix, plural={DIFFERS: "differ"},
    )


def render_text(drift: DriftReport, style: Style = plain) -> str:
    """The drift for people: per kind, one line per object and one per differing field."""
    return report_text(_report(drift), style)


def render_json(drift: DriftReport) -> str:
    """The stable JSON form, secrets masked."""
    data = drift.to_json()
    for item in data["drift"]:
        for fc in item["fields"]:
            mask_json_field(item["kind"], fc, "live", "manifest")
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_markdown(drift: DriftReport) -> str:
    """For an issue or pull-request comment: a summary line, then a collapsible section
    per kind with live and manifest values, then the unmanaged and unverifiable objects."""
    return report_markdown(_report(drift))
