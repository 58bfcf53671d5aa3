"""Plans as text (a terminal or a CI log), JSON (stable, for programs) and Markdown (a
pull-request comment). Secret fields are masked in every format."""

from __future__ import annotations

import json
from typing import Any, Callable

from reconciler.engine.plan import NOT_RETURNED, Change, Plan
from reconciler.kinds import KINDS

SYMBOLS = {"create": "+", "update": "~", "rename": "~", "replace": "-/+", "delete": "-"}
COLOURS = {"create": "green", "update": "yellow", "rename": "yellow", "replace": "magenta", "delete": "red"}
MASK = "(sensitive)"

Style = Callable[..., str]


def _plain(text: str, **_: Any) -> str:
    return text


def value_text(value: Any) -> str:
    """A value in one line, Vietnamese left readable."""
    if value is None:
        return "(none)"
    if value == NOT_RETURNED:
        return value
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def masked(kind: str, field: str, value: Any) -> Any:
    if field in KINDS[kind].secret and value not in (None, NOT_RETURNED):
        return MASK
    return value


def summary_line(plan: Plan) -> str:
    c = plan.counts()
    unchanged = sum(plan.unchanged.values())
    held = len(plan.protected_differs)
    protected = f", {held} protected by policy and not changed though {'it differs' if held == 1 else 'they differ'}" \
        if held else ""
    if not plan.changes:
        if held:
            return f"No changes ({unchanged} objects unchanged{protected})."
        return f"No changes. The tenant matches the manifests ({unchanged} objects unchanged)."
    parts = [f"{c['create']} to create", f"{c['update']} to update", f"{c['replace']} to replace",
             f"{c['rename']} to rename", f"{c['delete']} to delete"]
    return f"Plan: {', '.join(parts)} ({unchanged} unchanged{protected})."


def _title(change: Change) -> str:
    title = change.name
    if change.rename_from:
        title += f" (renamed from {change.rename_from!r})"
    return title


def _change_lines(change: Change) -> list[str]:
    lines: list[str] = []
    if change.action == "create" and change.data:
        for f, v in change.data.items():
            if f.startswith("_") or f == KINDS[change.kind].identity:
                continue
            lines.append(f"{f}: {value_text(masked(change.kind, f, v))}")
    for fc in change.fields:
        if fc.field == KINDS[change.kind].identity:
            continue
        old = masked(change.kind, fc.field, fc.old)
        new = masked(change.kind, fc.field, fc.new)
        lines.append(f"{fc.field}: {value_text(old)} -> {value_text(new)}")
    if change.reason:
        lines.append(f"({change.reason})")
    return lines


def render_text(plan: Plan, style: Style = _plain, flows: Any = None) -> str:
    """The plan for people: per kind, one line per object and one per changed field.
    `flows` (reconciler.flows.plan_flows.FlowChanges): what the plan does to callers."""
    out: list[str] = []
    for kind in KINDS:
        changes = [c for c in plan.changes if c.kind == kind]
        if not changes:
            continue
        out.append(style(kind, bold=True))
        for change in changes:
            symbol = SYMBOLS[change.action]
            head = f"  {symbol} {change.action} {KINDS[kind].label} {_title(change)}"
            out.append(style(head, fg=COLOURS[change.action]))
            out += [f"      {line}" for line in _change_lines(change)]
        out.append("")
    if flows is not None and flows.impact:
        out.append(style("Impact on callers:", bold=True))
        out += [f"  {line}" for line in flows.impact] + [""]
    out += _notes_text(plan)
    out.append(style(summary_line(plan), bold=True))
    return "\n".join(out).rstrip() + "\n"


def _notes_text(plan: Plan) -> list[str]:
    out: list[str] = []
    unmanaged = {k: v for k, v in plan.unmanaged.items() if v}
    if unmanaged:
        out.append("Unmanaged (in the tenant, not in the manifests; left alone):")
        out += [f"  {k}: {', '.join(v)}" for k, v in unmanaged.items()]
    if plan.unverified:
        out.append("Not verifiable against the tenant (the API never returns them; "
                   "compared with the fingerprint of the last apply):")
        for k, objs in plan.unverified.items():
            for name, fields in objs.items():
                out.append(f"  {k}/{name}: {', '.join(fields)}")
    if plan.external:
        out.append("Referenced live objects not declared in the manifests: " + ", ".join(plan.external))
    if plan.protected:
        out.append("Protected by policy:")
        out += [f"  {p}" for p in plan.protected]
    for w in plan.warnings:
        out.append(f"Warning: {w}")
    for u in plan.unsafe:
        out.append(f"Unsafe: {u}")
    for b in plan.blocked:
        out.append(f"Cannot apply: {b}")
    if out:
        out.append("")
    return out


def render_json(plan: Plan) -> str:
    data = plan.to_json()
    for change in data["changes"]:
        kind = change["kind"]
        for fc in change["fields"]:
            fc["old"] = masked(kind, fc["field"], fc["old"])
            fc["new"] = masked(kind, fc["field"], fc["new"])
        if change.get("data"):
            change["data"] = {f: masked(kind, f, v) for f, v in change["data"].items() if not f.startswith("_")}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _md(text: str) -> str:
    """Text safe in a Markdown table cell: no column break, no line break, no HTML (a name
    like "<details>" must not fold the rest of the comment away)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


# A diagram with more nodes than this is folded under <details>.
LARGE_FLOW = 12


def render_markdown(plan: Plan, command_hint: str = "reconciler apply", flows: Any = None) -> str:
    """For a pull-request comment: a summary line, then a collapsible section per kind, then
    (`flows`, reconciler.flows.plan_flows.FlowChanges) each changed call flow as a Mermaid
    diagram and what callers lose."""
    out = ["### reconciler plan", "", f"**{summary_line(plan)}**", ""]
    for kind in KINDS:
        changes = [c for c in plan.changes if c.kind == kind]
        if not changes:
            continue
        counts: dict[str, int] = {}
        for c in changes:
            counts[c.action] = counts.get(c.action, 0) + 1
        what = ", ".join(f"{n} {a}" for a, n in counts.items())
        out += [f"<details><summary><b>{kind}</b>: {what}</summary>", ""]
        out += ["| | object | field | live | manifest |", "|---|---|---|---|---|"]
        for c in changes:
            rows = [(fc.field, value_text(masked(kind, fc.field, fc.old)), value_text(masked(kind, fc.field, fc.new)))
                    for fc in c.fields]
            if c.action == "create":
                rows = [(f, "", value_text(masked(kind, f, v))) for f, v in (c.data or {}).items()
                        if not f.startswith("_") and f != KINDS[kind].identity]
            if not rows:
                rows = [("", "", c.reason or "")]
            for i, (f, old, new) in enumerate(rows):
                head = f"`{SYMBOLS[c.action]}` {c.action}" if i == 0 else ""
                name = _md(_title(c)) if i == 0 else ""
                out.append(f"| {head} | {name} | {_md(f)} | {_md(old)} | {_md(new)} |")
        out += ["", "</details>", ""]
    if flows is not None:
        out += _flows_markdown(flows)
    notes = [line for line in _notes_text(plan) if line]  # no blank line inside the block
    if notes:
        out += ["<details><summary>Notes</summary>", "", "```", *notes, "```", "", "</details>", ""]
    if plan.changes:
        out.append(f"Apply with `{command_hint}`.")
    return "\n".join(out).rstrip() + "\n"


def _flows_markdown(flows: Any) -> list[str]:
    out: list[str] = []
    if flows.impact:
        out += ["**Impact on callers:**", ""] + [f"- {_md(line)}" for line in flows.impact] + [""]
    for diagram in flows.diagrams:
        title = f"Call flow of hotline {_md(diagram.hotline)} after this plan (new: bold; removed or no longer reached: dashed)"
        block = ["```mermaid", diagram.mermaid.rstrip("\n"), "```"]
        if diagram.nodes > LARGE_FLOW:
            out += [f"<details><summary>{title}</summary>", "", *block, "", "</details>", ""]
        else:
            out += [f"**{title}**", "", *block, ""]
    return out
