"""Plans as text (a terminal or a CI log), JSON (stable, for programs) and Markdown (a
pull-request comment). Secret fields are masked in every format. Text and Markdown are
laid out by engine/report.py, the renderer plans share with drift reports."""

from __future__ import annotations

import json
import shlex
from typing import Any

from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.report import UNVERIFIABLE, Entry, Report, Row, Style, field_leaves, leaf_line, leaf_row, \
    listed, mask_json_field, masked, md, plain, report_markdown, report_text, unverifiable_entry, unverifiable_lines, \
    unverifiable_rows, value_text
from reconciler.kinds import KINDS

SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.RENAME: "~", Action.REPLACE: "-/+", Action.DELETE: "-"}
COLOURS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.RENAME: "yellow", Action.REPLACE: "magenta",
           Action.DELETE: "red"}

# A diagram with more nodes than this is folded under <details>.
LARGE_FLOW = 12


def summary_line(plan: Plan) -> str:
    """One line: no changes (only when every field was compared), or how many objects
    each action touches and how many could not be verified."""
    c = plan.counts()
    unchanged = sum(plan.unchanged.values())
    held = len(plan.protected_differs)
    protected = f", {held} protected by policy and not changed though {'it differs' if held == 1 else 'they differ'}" \
        if held else ""
    if not plan.changes and plan.fully_verified:
        if held:
            return f"No changes ({unchanged} objects unchanged{protected})."
        return f"No changes. The tenant matches the manifests ({unchanged} objects unchanged)."
    parts = [f"{c[a]} to {a}" for a in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.RENAME, Action.DELETE)]
    unverifiable = f"; {plan.unverifiable_count} {UNVERIFIABLE}" if plan.unverifiable_count else ""
    return f"Plan: {', '.join(parts)} ({unchanged} unchanged{protected}){unverifiable}."


def partial_summary(plan: Plan) -> str:
    """A targeted plan's line: partial, of what, and how much it leaves out; never "the
    tenant matches the manifests" (the rest was not planned to be applied)."""
    what = f"Partial plan (--target {', '.join(plan.targets)}): only these objects and what they need"
    left = f"; {len(plan.left_out)} other change{'s' if len(plan.left_out) != 1 else ''} left out" \
        if plan.left_out else ""
    if not plan.changes and plan.fully_verified:
        return f"{what}: no changes{left}."
    return f"{what}{left}. {summary_line(plan)}"


def _target_options(plan: Plan) -> str:
    """` --target ...` of a partial plan, for the command that applies only it."""
    return "".join(f" --target {shlex.quote(t)}" for t in plan.targets)


def _title(change: Change) -> str:
    title = change.name
    if change.rename_from:
        title += f" (renamed from {change.rename_from!r})"
    return title


def _created_fields(change: Change) -> list[tuple[str, str]]:
    """A create's fields but its name, as (field, value), secrets masked."""
    identity = KINDS[change.kind].identity
    return [(f, value_text(masked(change.kind, f, v))) for f, v in (change.new or {}).items()
            if not f.startswith("_") and f != identity]


def _lines(change: Change, created: list[tuple[str, str]]) -> list[str]:
    lines = [f"{f}: {v}" for f, v in created]
    for fc in change.fields:
        if fc.field == KINDS[change.kind].identity:
            continue
        lines += [leaf_line(leaf) for leaf in field_leaves(change.kind, fc.field, fc.old, fc.new)]
    if change.reason:
        lines.append(f"({change.reason})")
    return lines


def _rows(change: Change, created: list[tuple[str, str]]) -> list[Row]:
    if change.action == Action.CREATE:
        rows = [(f, "", v) for f, v in created]
    else:
        rows = [leaf_row(leaf) for fc in change.fields for leaf in field_leaves(change.kind, fc.field, fc.old, fc.new)]
    return rows or [("", "", change.reason or "")]


def _entry(change: Change, unverifiable: dict[str, str]) -> Entry:
    """A change, with those of its fields that could not be compared (`unverifiable`)."""
    created = _created_fields(change) if change.action == Action.CREATE else []
    return Entry(
        kind=change.kind, state=change.action, symbol=SYMBOLS[change.action], colour=COLOURS[change.action],
        head=f"{change.action} {KINDS[change.kind].label} {_title(change)}",
        lines=_lines(change, created) + unverifiable_lines(unverifiable),
        title=_title(change), rows=_rows(change, created) + unverifiable_rows(unverifiable),
    )


def _entries(plan: Plan) -> list[Entry]:
    """Every change, then every other object with a field not compared: each shown on the
    object, as Terraform shows "(known after apply)"."""
    out, shown = [], set()
    for change in plan.changes:
        fields = plan.unverifiable.get(change.kind, {}).get(change.name, {}) if change.action != Action.DELETE else {}
        shown |= {(change.kind, change.name)} if fields else set()
        out.append(_entry(change, fields))
    out += [unverifiable_entry(k, name, fields) for k, objs in plan.unverifiable.items()
            for name, fields in objs.items() if (k, name) not in shown]
    return out


FINGERPRINTED = "Fields the API never returns (compared with the fingerprint of the last apply):"


def _fingerprinted(plan: Plan, *, matched_only: bool = False) -> list[str]:
    """The fields the API never returns, per object, each with how it was compared: its
    fingerprint matched (plain), none matched (apply sends it), or none to compare."""
    sent = {(c.kind, c.name, f.field) for c in plan.changes for f in c.fields if not f.verifiable}
    lines = []
    for k, objs in plan.unverified.items():
        for name, fields in objs.items():
            words = []
            for f in fields:
                if f in plan.unverifiable.get(k, {}).get(name, {}):
                    words.append(None if matched_only else f"{f} (not verified: no fingerprint)")
                elif (k, name, f) in sent:
                    words.append(None if matched_only else f"{f} (no matching fingerprint: apply sends it)")
                else:
                    words.append(f)
            if any(words):
                lines.append(f"{k}/{name}: {', '.join(w for w in words if w)}")
    return lines


def _notes(plan: Plan) -> list[str]:
    unverified = _fingerprinted(plan)
    return [
        *listed("Left out of this partial plan (not targeted; a plan without --target makes them):", plan.left_out),
        *listed("Unmanaged (in the tenant, not in the manifests; left alone):",
                [f"{k}: {', '.join(v)}" for k, v in plan.unmanaged.items() if v]),
        *listed(FINGERPRINTED, unverified),
        *(["Referenced live objects not declared in the manifests: " + ", ".join(plan.external)]
          if plan.external else []),
        *listed("Protected by policy:", plan.protected),
        *(f"Warning: {w}" for w in plan.warnings),
        *(f"Unsafe: {u}" for u in plan.unsafe),
        *(f"Cannot apply: {b}" for b in plan.blocked),
    ]


def _alerts(plan: Plan) -> list[str]:
    """What the plan leaves undone or unverified: never folded away in a pull request."""
    not_compared = [f"{k}/{name}: " + ", ".join(f"{f} ({why})" for f, why in fields.items())
                    for k, objs in plan.unverifiable.items() for name, fields in objs.items()]
    return [
        *(f"Warning: {w}" for w in plan.warnings),
        *(f"Unsafe: {u}" for u in plan.unsafe),
        *(f"Cannot apply: {b}" for b in plan.blocked),
        *(f"Protected by policy, not changed though it differs: {p}" for p in plan.protected_differs),
        *(["Not verified (could not be compared at all): " + "; ".join(not_compared)] if not_compared else []),
        *(["Left out of this partial plan (not targeted; a plan without --target makes them): "
           + "; ".join(plan.left_out)] if plan.left_out else []),
    ]


def _informational(plan: Plan) -> list[str]:
    """The notes that leave nothing undone: folded under Notes in Markdown. A field the API
    never returns whose fingerprint matches the last apply was verified: it is listed here,
    not among the alerts."""
    by_fingerprint = _fingerprinted(plan, matched_only=True)
    return [
        *listed("Unmanaged (in the tenant, not in the manifests; left alone):",
                [f"{k}: {', '.join(v)}" for k, v in plan.unmanaged.items() if v]),
        *listed(FINGERPRINTED, by_fingerprint),
        *(["Referenced live objects not declared in the manifests: " + ", ".join(plan.external)]
          if plan.external else []),
        *listed("Protected by policy:", plan.protected),
    ]


def _report(plan: Plan, flows: Any, command_hint: str = "") -> Report:
    """The plan as a Report; `flows` (reconciler.flows.plan_flows.FlowChanges): what the
    plan does to callers."""
    notes = _notes(plan)
    tail = _flows_markdown(flows) if flows is not None else []
    informational = _informational(plan)
    if informational:
        tail += ["<details><summary>Notes</summary>", "", "```", *informational, "```", "", "</details>", ""]
    return Report(
        noun="plan", summary=partial_summary(plan) if plan.partial else summary_line(plan), entries=_entries(plan),
        sections=[("Impact on callers:", flows.impact)] if flows is not None and flows.impact else [],
        notes=notes, markdown_tail=tail, alerts=_alerts(plan),
        markdown_footer=f"Apply with `{command_hint}{_target_options(plan)}`." if plan.changes else "",
    )


def render_text(plan: Plan, style: Style = plain, flows: Any = None) -> str:
    """The plan for people: per kind, one line per object and one per changed field.
    `flows` (reconciler.flows.plan_flows.FlowChanges): what the plan does to callers."""
    return report_text(_report(plan, flows), style)


def render_json(plan: Plan) -> str:
    """The stable JSON form, secrets masked."""
    data = plan.to_json()
    for change in data["changes"]:
        kind = change["kind"]
        for fc in change["fields"]:
            mask_json_field(kind, fc, "old", "new")
        if change.get("data"):
            change["data"] = {f: masked(kind, f, v) for f, v in change["data"].items() if not f.startswith("_")}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_markdown(plan: Plan, command_hint: str = "reconciler apply", flows: Any = None) -> str:
    """For a pull-request comment: a summary line, then a collapsible section per kind, then
    (`flows`, reconciler.flows.plan_flows.FlowChanges) each changed call flow as a Mermaid
    diagram and what callers lose."""
    return report_markdown(_report(plan, flows, command_hint))


def _flows_markdown(flows: Any) -> list[str]:
    out: list[str] = []
    if flows.impact:
        out += ["**Impact on callers:**", ""] + [f"- {md(line)}" for line in flows.impact] + [""]
    for diagram in flows.diagrams:
        title = f"Call flow of hotline {md(diagram.hotline)} after this plan (new or now reached: bold; removed or no longer reached: dashed)"
        block = ["```mermaid", diagram.mermaid.rstrip("\n"), "```"]
        if diagram.nodes > LARGE_FLOW:
            out += [f"<details><summary>{title}</summary>", "", *block, "", "</details>", ""]
        else:
            out += [f"**{title}**", "", *block, ""]
    return out
