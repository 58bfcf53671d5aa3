"""Plans as text (a terminal or a CI log), JSON (stable, for programs) and Markdown (a
pull-request comment). Secret fields are masked in every format."""

from __future__ import annotations

import json
from typing import Any, Callable

from reconciler.engine.leaves import ADDED, CHANGED, REMOVED, Leaf, flow_text, leaves
from reconciler.engine.plan import NOT_RETURNED, Action, Change, Plan
from reconciler.kinds import KINDS

SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.RENAME: "~", Action.REPLACE: "-/+", Action.DELETE: "-"}
COLOURS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.RENAME: "yellow", Action.REPLACE: "magenta",
           Action.DELETE: "red"}
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
    """The value, or MASK when the field is secret."""
    if field in KINDS[kind].secret and value not in (None, NOT_RETURNED):
        return MASK
    return value


def field_leaves(kind: str, field: str, old: Any, new: Any) -> list[Leaf]:
    """What changed in one field, secrets masked: the leaves that differ when the value is
    nested or a text of a few words, else the field whole (one CHANGED leaf). Shared by the
    plan's and the drift's renderers."""
    old, new = masked(kind, field, old), masked(kind, field, new)
    return _leaves(field, old, new) or [Leaf(CHANGED, field, old, new)]


def _leaves(field: str, old: Any, new: Any) -> list[Leaf] | None:
    # A value the API never returns has no leaves to compare with.
    return None if NOT_RETURNED in (old, new) else leaves(field, old, new)


def leaf_value(value: Any) -> str:
    """A leaf's value: a nested one in YAML's flow style ({group: Kinh doanh}), a scalar as
    every other value."""
    return flow_text(value) if isinstance(value, (dict, list)) else value_text(value)


def leaf_line(leaf: Leaf, old_word: str = "", new_word: str = "") -> str:
    """One line of a text plan (`keys."2": {group: A} -> {group: B}`, `+ keys."3": ...`)
    or, with the words "live" and "manifest", of a drift report."""
    old = f"{old_word} {leaf_value(leaf.old)}".strip()
    new = f"{new_word} {leaf_value(leaf.new)}".strip()
    if leaf.change == ADDED:
        return f"+ {leaf.path}: {new}"
    if leaf.change == REMOVED:
        return f"- {leaf.path}: {old}"
    if leaf.words is not None:
        return f"{leaf.path}: {leaf.words}"
    return f"{leaf.path}: {old}, {new}" if old_word else f"{leaf.path}: {old} -> {new}"


def leaf_row(leaf: Leaf) -> tuple[str, str, str]:
    """A leaf as a Markdown table row: (path, live, manifest)."""
    label = leaf.path if leaf.change == CHANGED else f"{leaf.sign} {leaf.path}"
    old = "" if leaf.change == ADDED else leaf_value(leaf.old)
    new = "" if leaf.change == REMOVED else leaf.words or leaf_value(leaf.new)
    return label, old, new


def leaves_json(kind: str, field: str, old: Any, new: Any) -> list[dict] | None:
    """The leaves of a nested or text change for the JSON output (None for a field shown
    whole, so the field's entry keeps its former shape)."""
    found = _leaves(field, masked(kind, field, old), masked(kind, field, new))
    return [leaf.to_json() for leaf in found] if found else None


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
    parts = [f"{c[a]} to {a}" for a in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.RENAME, Action.DELETE)]
    return f"Plan: {', '.join(parts)} ({unchanged} unchanged{protected})."


def _title(change: Change) -> str:
    title = change.name
    if change.rename_from:
        title += f" (renamed from {change.rename_from!r})"
    return title


def _change_lines(change: Change) -> list[str]:
    lines: list[str] = []
    if change.action == Action.CREATE and change.data:
        for f, v in change.data.items():
            if f.startswith("_") or f == KINDS[change.kind].identity:
                continue
            lines.append(f"{f}: {value_text(masked(change.kind, f, v))}")
    for fc in change.fields:
        if fc.field == KINDS[change.kind].identity:
            continue
        lines += [leaf_line(leaf) for leaf in field_leaves(change.kind, fc.field, fc.old, fc.new)]
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
            found = leaves_json(kind, fc["field"], fc["old"], fc["new"])
            fc["old"] = masked(kind, fc["field"], fc["old"])
            fc["new"] = masked(kind, fc["field"], fc["new"])
            if found:
                fc["leaves"] = found
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
        objects = []
        for c in changes:
            rows = [leaf_row(leaf) for fc in c.fields for leaf in field_leaves(kind, fc.field, fc.old, fc.new)]
            if c.action == Action.CREATE:
                rows = [(f, "", value_text(masked(kind, f, v))) for f, v in (c.data or {}).items()
                        if not f.startswith("_") and f != KINDS[kind].identity]
            objects.append((f"`{SYMBOLS[c.action]}` {c.action}", _title(c), rows or [("", "", c.reason or "")]))
        out += markdown_kind_section(kind, what, objects)
    if flows is not None:
        out += _flows_markdown(flows)
    notes = [line for line in _notes_text(plan) if line]  # no blank line inside the block
    if notes:
        out += ["<details><summary>Notes</summary>", "", "```", *notes, "```", "", "</details>", ""]
    if plan.changes:
        out.append(f"Apply with `{command_hint}`.")
    return "\n".join(out).rstrip() + "\n"


def markdown_kind_section(kind: str, what: str, objects: list[tuple[str, str, list[tuple[str, str, str]]]]) -> list[str]:
    """A kind's collapsible section of a Markdown plan or drift report: one table, a row
    per changed field (or leaf) of each object. `objects`: (head, name, rows), each row
    (field, live, manifest). Shared by the plan's and the drift's renderers."""
    out = [f"<details><summary><b>{kind}</b>: {what}</summary>", ""]
    out += ["| | object | field | live | manifest |", "|---|---|---|---|---|"]
    for head, name, rows in objects:
        for i, (f, old, new) in enumerate(rows):
            first = (head, _md(name)) if i == 0 else ("", "")
            out.append(f"| {first[0]} | {first[1]} | {_md(f)} | {_md(old)} | {_md(new)} |")
    return out + ["", "</details>", ""]


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
