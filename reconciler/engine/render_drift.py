"""Drift reports as text (a terminal or a CI log), JSON (stable, for programs) and
Markdown (an issue or pull-request comment). Secret fields are masked in every format.

One viewpoint in every format: the tenant compared with the manifests. `+` is what the
tenant has that the manifests do not (an extra object, a key only the live menu has), `-`
what the manifests have that the tenant does not (a missing object, a member the live
group lacks), `~` an object in both that differs; values read "live" (the tenant's) then
"manifest". (A plan reads the other way, from apply's side: `+` is what apply adds.)
"""

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
    ONLY_IN,
    RENAMED_IN_TENANT,
    DriftField,
    DriftItem,
    DriftReport,
    UnverifiedField,
    command,
)
from reconciler.engine.leaves import ADDED, CHANGED, REMOVED, Leaf
from reconciler.engine.report import UNVERIFIABLE, UNVERIFIABLE_SYMBOL, Entry, Report, Row, Style, field_leaves, \
    leaf_value, listed, mask_json_field, masked, md, plain, report_markdown, report_text, \
    unverifiable_entry, unverifiable_lines, unverifiable_rows, value_text
from reconciler.kinds import KINDS

# The tenant's side first: `+` only in the tenant, `-` only in the manifests.
SYMBOLS = {DIFFERS: "~", MISSING: "-", EXTRA: "+"}
COLOURS = {DIFFERS: "yellow", MISSING: "red", EXTRA: "green"}
RENAMED = "two names"  # the Markdown's word for one object named differently in the tenant
LEGEND = ("Drift: the tenant (live) compared with the manifests. + only in the tenant, - only in the "
          "manifests, ~ in both but different.")
COLUMNS = ("tenant vs manifests: `+` only in the tenant, `-` only in the manifests", "tenant (live)", "manifests")
STATE_TEXT = {
    DIFFERS: "differs from the manifests",
    MISSING: "in the manifests, missing from the tenant",
    EXTRA: "in the tenant, not in the manifests",
}
FINGERPRINT_TEXT = {
    FP_MATCHES: "matches the last apply",
    FP_DIFFERS: "manifest changed since the last apply",
    FP_MISSING: "no fingerprint: the state note holds none (lost, or never applied)",
}


# Where the objects not verified are, from the summary line: text prints it last, a
# Markdown comment first (they are listed open right under it, and as `?` rows below).
WHERE_TEXT = f"{UNVERIFIABLE_SYMBOL} above"
WHERE_MARKDOWN = "listed below"


def summary_line(report: DriftReport, where: str = WHERE_TEXT) -> str:
    """One line: in sync, or how many objects drifted and how. `where`: where the objects
    not verified are shown, as seen from this line in its format."""
    unmanaged = sum(len(v) for v in report.unmanaged.values())
    left_alone = f"; {unmanaged} unmanaged object{'s' if unmanaged != 1 else ''} left alone" if unmanaged else ""
    held = len(report.protected_differs)
    if held:
        left_alone += f"; {held} protected by policy, not changed though {'it differs' if held == 1 else 'they differ'}"
    unverifiable = report.unverifiable_count
    if not report.items and unverifiable:
        # "In sync" only when everything was compared.
        return (f"Not verified: {unverifiable} object{'s' if unverifiable != 1 else ''} with a field that could not "
                f"be compared ({where}); no drift in the rest ({report.in_sync_count} in sync"
                f"{left_alone}).")
    if report.in_sync:
        return (f"In sync: the tenant matches the manifests ({report.in_sync_count} object"
                f"{'s' if report.in_sync_count != 1 else ''}{left_alone}).")
    c = report.counts()
    renamed = len(report.renamed_in_tenant)
    parts = [f"{c[DIFFERS]} differ{'s' if c[DIFFERS] == 1 else ''}"
             + (f" ({renamed} under another name in the tenant)" if renamed else ""),
             f"{c[MISSING]} missing from the tenant",
             f"{c[EXTRA]} not in the manifests"]
    more = f"; {unverifiable} {UNVERIFIABLE}" if unverifiable else ""
    return f"Drift: {', '.join(parts)} ({report.in_sync_count} in sync{left_alone}){more}."


def _fingerprint_of(report: DriftReport, item: DriftItem, field: str) -> str | None:
    for entry in report.unverified.get(item.kind, {}).get(item.name, []):
        if entry.field == field:
            return entry.fingerprint
    return None


def _drift_leaves(kind: str, fc: DriftField) -> list[Leaf]:
    """The leaves of a field from the manifests to the tenant: ADDED is what only the
    tenant has, REMOVED what only the manifests have; a leaf's old is the manifests'
    value, its new the tenant's (a text's words: [-manifest-]{+live+})."""
    return field_leaves(kind, fc.field, fc.manifest, fc.live)


def _leaf_line(leaf: Leaf) -> str:
    if leaf.change == ADDED:
        return f"+ {leaf.path}: live {leaf_value(leaf.new)} (not in the manifests)"
    if leaf.change == REMOVED:
        return f"- {leaf.path}: manifest {leaf_value(leaf.old)} (not in the tenant)"
    if leaf.words is not None:
        return f"{leaf.path}: {leaf.words}"
    return f"{leaf.path}: live {leaf_value(leaf.new)}, manifest {leaf_value(leaf.old)}"


def _leaf_row(leaf: Leaf) -> Row:
    """(path, tenant, manifests)."""
    label = leaf.path if leaf.change == CHANGED else f"{leaf.sign} {leaf.path}"
    live = "" if leaf.change == REMOVED else leaf.words or leaf_value(leaf.new)
    manifest = "" if leaf.change == ADDED else leaf_value(leaf.old)
    return label, live, manifest


def _field_lines(report: DriftReport, item: DriftItem, fc: DriftField) -> list[str]:
    if not fc.verifiable:
        manifest = value_text(masked(item.kind, fc.field, fc.manifest))
        status = FINGERPRINT_TEXT.get(_fingerprint_of(report, item, fc.field) or FP_DIFFERS, "")
        return [f"{fc.field}: live not returned by the API ({status}); manifest {manifest}"]
    return [_leaf_line(leaf) for leaf in _drift_leaves(item.kind, fc)]


def _lines(report: DriftReport, item: DriftItem) -> list[str]:
    lines = []
    if item.live_name is not None:
        lines.append(f"name: live {value_text(item.live_name)}, manifest {value_text(item.name)}")
    lines += [line for fc in item.fields for line in _field_lines(report, item, fc)]
    if item.note:
        lines.append(f"({item.note})")
    lines.append(f"apply would {item.apply_action}")
    return lines


def _rows(report: DriftReport, item: DriftItem) -> list[Row]:
    rows: list[Row] = []
    if item.live_name is not None:
        rows.append(("name", value_text(item.live_name), value_text(item.name)))
    for fc in item.fields:
        if fc.verifiable:
            rows += [_leaf_row(leaf) for leaf in _drift_leaves(item.kind, fc)]
            continue
        fp = _fingerprint_of(report, item, fc.field) or FP_DIFFERS
        rows.append((fc.field, f"not returned ({FINGERPRINT_TEXT[fp]})",
                     value_text(masked(item.kind, fc.field, fc.manifest))))
    return rows or [("", "(absent)" if item.state == MISSING else "(present)",
                     "(absent)" if item.state == EXTRA else "(declared)")]


def _head(item: DriftItem) -> str:
    if item.renamed_in == RENAMED_IN_TENANT:
        return f"{KINDS[item.kind].label} {item.name}: named {value_text(item.live_name)} in the tenant"
    return f"{KINDS[item.kind].label} {item.name}: {STATE_TEXT[item.state]}"


def _entry(report: DriftReport, item: DriftItem) -> Entry:
    note = f" ({item.note})" if item.note else ""
    renamed = item.renamed_in == RENAMED_IN_TENANT
    unverifiable = report.unverifiable.get(item.kind, {}).get(item.name, {}) if item.state != EXTRA else {}
    return Entry(
        kind=item.kind, state=RENAMED if renamed else item.state, symbol=SYMBOLS[item.state],
        colour=COLOURS[item.state], head=_head(item), lines=_lines(report, item) + unverifiable_lines(unverifiable),
        title=item.name + note, rows=_rows(report, item) + unverifiable_rows(unverifiable),
    )


def _entries(report: DriftReport) -> list[Entry]:
    """Every drifted object, then every other one with a field that could not be compared."""
    shown = {(i.kind, i.name) for i in report.items if i.state != EXTRA}
    return [_entry(report, i) for i in report.items] + [
        unverifiable_entry(k, name, fields) for k, objs in report.unverifiable.items()
        for name, fields in objs.items() if (k, name) not in shown]


def _compared(fields: list[UnverifiedField]) -> list[UnverifiedField]:
    """Those compared with a fingerprint; the others (none to compare with) are not listed as
    compared: each shows as `?` on its object, and open in a Markdown comment."""
    return [f for f in fields if f.fingerprint != FP_MISSING]


def _notes(report: DriftReport) -> list[str]:
    unverified = [f"{k}/{name}: " + ", ".join(f"{f.field} ({FINGERPRINT_TEXT[f.fingerprint]})" for f in compared)
                  for k, objs in report.unverified.items() for name, fields in objs.items()
                  if (compared := _compared(fields))]
    return [
        *listed("Unmanaged (in the tenant, not in the manifests, in kinds policy.prune does not own; "
                "not drift, left alone):", [f"{k}: {', '.join(v)}" for k, v in report.unmanaged.items()]),
        *listed("Compared with the fingerprint of the last apply (the API never returns them):", unverified),
        *(["Referenced live objects not declared in the manifests: " + ", ".join(report.external)]
          if report.external else []),
        *listed("Protected by policy (never changed by apply):", report.protected),
        *(f"Warning: {w}" for w in report.warnings),
        *(f"Apply cannot put this back: {b}" for b in report.blocked),
    ]


def _alerts(report: DriftReport) -> list[str]:
    """What the drift leaves undone or unverified: never folded away in a comment. Fields
    the API never returns whose fingerprint was compared are not among them (folded below)."""
    not_compared = [f"{k}/{name}: " + ", ".join(f"{f} ({why})" for f, why in fields.items())
                    for k, objs in report.unverifiable.items() for name, fields in objs.items()]
    return [
        *(f"Warning: {w}" for w in report.warnings),
        *(f"Apply cannot put this back: {b}" for b in report.blocked),
        *(f"Protected by policy, not changed though it differs: {p}" for p in report.protected_differs),
        *(["Not verified (could not be compared at all): " + "; ".join(not_compared)] if not_compared else []),
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
    fields = [(k, name, f) for k, objs in report.unverified.items() for name, fs in objs.items() for f in _compared(fs)]
    if fields:
        out += [f"<details><summary>Compared with the fingerprint of the last apply: {len(fields)} field"
                f"{'s' if len(fields) != 1 else ''} (the API never returns them)</summary>", ""]
        out += ["| object | field | fingerprint of the last apply |", "|---|---|---|"]
        out += [f"| {md(f'{k}/{name}')} | {md(f.field)} | {FINGERPRINT_TEXT[f.fingerprint]} |"
                for k, name, f in fields]
        out += ["", "</details>", ""]
    extra = [f"Protected by policy: {p}" for p in report.protected]
    out += [f"- {md(line)}" for line in extra]
    if extra:
        out.append("")
    return out


def _adoptable(item: DriftItem) -> bool:
    """Whether `drift --write` can write anything of this item: not when it only differs in
    fields the API never returns (the manifest changed since the last apply)."""
    return item.state != DIFFERS or item.live_name is not None or any(f.verifiable for f in item.fields)


def _footer(drift: DriftReport) -> str:
    """What to do next: after `--write`, check the adopted manifests; else the two ways out
    of drift, with the directory the user named."""
    if drift.adopted and drift.adopted_unverified:
        return (f"The drift was written into the manifests: review the edit (`git diff`), then run "
                f"`{drift.next_command}`: it shows no changes but {len(drift.adopted_unverified)} field"
                f"{'s' if len(drift.adopted_unverified) != 1 else ''} the API never returns (listed with the files written), "
                f"which `{command(FIX_COMMAND, drift.directory)}` sends again.")
    if drift.adopted:
        return (f"The drift was written into the manifests: review the edit (`git diff`), then confirm with "
                f"`{drift.next_command}` that it shows no changes.")
    if not drift.items:  # nothing to put back or adopt (what was not verified says so itself)
        return ""
    cannot_adopt = ("(`drift --write` cannot adopt this drift: the API never returns these fields, so their live "
                    "values cannot be written.)")
    if drift.fix_command is None:  # every object that drifted is protected: apply changes none of it
        apply = command(FIX_COMMAND, drift.directory)
        release = f"take the objects out of policy.protect to let `{apply}` put the tenant back"
        if not any(_adoptable(item) for item in drift.items):
            return f"Apply does not change this drift: policy.protect covers it; {release}. {cannot_adopt}"
        return (f"Apply does not change this drift: policy.protect covers it. Adopt the live changes into the "
                f"manifests with `{drift.adopt_command}`, or {release}.")
    fix = f"Put the tenant back to the manifests with `{drift.fix_command}`"
    protected = sum(1 for item in drift.items if item.protected)
    if protected:
        fix += f" (it leaves the {protected} protected by policy as {'it is' if protected == 1 else 'they are'})"
    if drift.blocked:
        fix += " once what it cannot put back (above) is settled"
    if not any(_adoptable(item) for item in drift.items):
        return f"{fix}. {cannot_adopt}"
    if drift.write_refused:  # not "adopt it with drift --write" right above its refusal
        return f"{fix}. `drift --write` cannot adopt this drift as it stands (why follows)."
    return f"{fix}, or adopt the live changes into the manifests with `{drift.adopt_command}`."


def _report(drift: DriftReport, where: str = WHERE_TEXT) -> Report:
    fix = _footer(drift)
    return Report(
        noun="drift", summary=summary_line(drift, where), entries=_entries(drift),
        notes=_notes(drift), footer=[fix] if fix else [], markdown_tail=_markdown_tail(drift),
        markdown_footer=fix, plural={DIFFERS: "differ"}, alerts=_alerts(drift), legend=LEGEND,
        columns=COLUMNS,
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
            for leaf in fc.get("leaves", []):
                # The leaves keep their meaning (old: live, new: manifest, as a plan's);
                # only_in says it in drift's words.
                leaf["only_in"] = {ADDED: ONLY_IN[MISSING], REMOVED: ONLY_IN[EXTRA]}.get(leaf["change"])
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_markdown(drift: DriftReport) -> str:
    """For an issue or pull-request comment: a summary line, what is left undone or
    unverified (open), then a collapsible section per kind with the tenant's and the
    manifests' values, then the unmanaged and unverifiable objects."""
    return report_markdown(_report(drift, WHERE_MARKDOWN))
