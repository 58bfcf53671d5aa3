"""One renderer for plans and drift reports.

A plan (engine/render.py) and a drift report (engine/render_drift.py) are both a list of
objects grouped by kind, each with a line of text or a Markdown row per changed field,
then notes and a summary line. Each of them builds a `Report` in its own words; this
module alone lays a `Report` out as text (a terminal or a CI log) or Markdown (a
pull-request or issue comment), and holds the pieces both use for fields: values in one
line, secrets masked, nested changes shown as the leaves that changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any, Callable

from reconciler.engine.leaves import ADDED, CHANGED, REMOVED, Leaf, flow_text, leaves
from reconciler.engine.plan import MASK, NOT_RETURNED
from reconciler.kinds import KINDS
from reconciler.kinds.base import env_refs

Style = Callable[..., str]
Row = tuple[str, str, str]  # a Markdown table row: (field, live, manifest)


def plain(text: str, **_: Any) -> str:
    """The style of a report without colour."""
    return text


def value_text(value: Any) -> str:
    """A value in one line, Vietnamese left readable."""
    if value is None:
        return "(none)"
    if value == NOT_RETURNED:
        return value
    if isinstance(value, str):
        return encode_basestring(value)  # json.dumps(value, ensure_ascii=False), without building an encoder
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def masked(kind: str, field: str, value: Any) -> Any:
    """The value, or MASK when the field is secret or its value is (or holds) a
    `${env:NAME}` reference: shown as a password is. (The live value of such a field is
    never in the plan at all: FieldChange keeps MASK.)"""
    if (field in KINDS[kind].secret or env_refs(value)) and value not in (None, NOT_RETURNED):
        return MASK
    return value


def field_leaves(kind: str, field: str, old: Any, new: Any) -> list[Leaf]:
    """What changed in one field, secrets masked: the leaves that differ when the value is
    nested or a text of a few words, else the field whole (one CHANGED leaf)."""
    old, new = masked(kind, field, old), masked(kind, field, new)
    return _leaves(field, old, new) or [Leaf(CHANGED, field, old, new)]


def _leaves(field: str, old: Any, new: Any) -> list[Leaf] | None:
    # A value the API never returns has no leaves to compare with.
    return None if NOT_RETURNED in (old, new) else leaves(field, old, new)


def leaf_value(value: Any) -> str:
    """A leaf's value: a nested one in YAML's flow style ({group: Kinh doanh}), a scalar as
    every other value."""
    return flow_text(value) if isinstance(value, (dict, list)) else value_text(value)


def leaf_line(leaf: Leaf) -> str:
    """One line of a text plan (`keys."2": {group: A} -> {group: B}`, `+ keys."3": ...`);
    drift words its own (render_drift: live and manifest, from the tenant's side)."""
    if leaf.change == ADDED:
        return f"+ {leaf.path}: {leaf_value(leaf.new)}"
    if leaf.change == REMOVED:
        return f"- {leaf.path}: {leaf_value(leaf.old)}"
    if leaf.words is not None:
        return f"{leaf.path}: {leaf.words}"
    return f"{leaf.path}: {leaf_value(leaf.old)} -> {leaf_value(leaf.new)}"


def leaf_row(leaf: Leaf) -> Row:
    """A leaf as a Markdown table row: (path, live, manifest)."""
    label = leaf.path if leaf.change == CHANGED else f"{leaf.sign} {leaf.path}"
    old = "" if leaf.change == ADDED else leaf_value(leaf.old)
    new = "" if leaf.change == REMOVED else leaf.words or leaf_value(leaf.new)
    return label, old, new


def mask_json_field(kind: str, entry: dict, old: str, new: str) -> None:
    """Mask a field's entry of the JSON output in place (`old` and `new`: the keys of its
    two values), and add its `leaves` when the change is nested or a text (a field shown
    whole keeps its former shape)."""
    name = entry["field"]
    found = _leaves(name, masked(kind, name, entry[old]), masked(kind, name, entry[new]))
    entry[old] = masked(kind, name, entry[old])
    entry[new] = masked(kind, name, entry[new])
    if found:
        entry["leaves"] = [leaf.to_json() for leaf in found]


# An object with a field that could not be compared at all (a secret not set here, an
# mp3 without fingerprint): `?` on the object, in a plan and in a drift report.
UNVERIFIABLE = "unverifiable"
UNVERIFIABLE_SYMBOL = "?"
UNVERIFIABLE_COLOUR = "cyan"


def unverifiable_lines(fields: dict[str, str]) -> list[str]:
    """An object's fields that could not be compared (field -> why), one text line each."""
    return [f"{UNVERIFIABLE_SYMBOL} {f}: not verified ({why})" for f, why in fields.items()]


def unverifiable_rows(fields: dict[str, str]) -> list[Row]:
    """The same as Markdown rows: (field, live, manifest)."""
    return [(f"{UNVERIFIABLE_SYMBOL} {f}", "not verified", why) for f, why in fields.items()]


def listed(heading: str, items: list[str]) -> list[str]:
    """A note's heading with its items indented under it; nothing when it has none."""
    return [heading, *(f"  {item}" for item in items)] if items else []


def md(text: str) -> str:
    """Text safe in a Markdown table cell: no column break, no line break, no HTML (a name
    like "<details>" must not fold the rest of the comment away)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


@dataclass
class Entry:
    """One object of a report: a change of a plan or a drifted object."""

    kind: str
    state: str  # what happens to it, or how it differs; counted in its kind's Markdown title
    symbol: str  # "+", "~", "-", "-/+"
    colour: str  # of its head line on a terminal
    head: str  # its text line, after the symbol
    lines: list[str]  # text lines under the head, one a field (or leaf)
    title: str  # its name in the Markdown table
    rows: list[Row]  # Markdown rows, one a field (or leaf); at least one


@dataclass
class Report:
    """A plan or a drift report, laid out the same way in text and Markdown."""

    noun: str  # "plan", "drift": the Markdown heading is "reconciler <noun>"
    summary: str  # the one line that says it all, bold
    entries: list[Entry] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)  # text: (bold title, lines) after the kinds
    notes: list[str] = field(default_factory=list)  # text: lines before the summary
    footer: list[str] = field(default_factory=list)  # text: lines after the summary
    markdown_tail: list[str] = field(default_factory=list)  # Markdown after the kinds' sections
    markdown_footer: str = ""  # the Markdown's last line
    plural: dict[str, str] = field(default_factory=dict)  # a state's word when counted more than once
    # What leaves work undone or unverified (warnings, blocked ...): in Markdown, shown open
    # right under the summary, never folded away with the details.
    alerts: list[str] = field(default_factory=list)
    legend: str = ""  # the viewpoint and symbols: the text's first line, when there are entries
    # The Markdown table's header: the symbol and state column, then the two values'.
    columns: tuple[str, str, str] = ("", "live", "manifest")


def unverifiable_entry(kind: str, name: str, fields: dict[str, str]) -> Entry:
    """An object nothing else is said of, but some field could not be compared."""
    return Entry(
        kind=kind, state=UNVERIFIABLE, symbol=UNVERIFIABLE_SYMBOL, colour=UNVERIFIABLE_COLOUR,
        head=f"{UNVERIFIABLE} {KINDS[kind].label} {name}", lines=unverifiable_lines(fields), title=name,
        rows=unverifiable_rows(fields),
    )


def _by_kind(report: Report) -> list[tuple[str, list[Entry]]]:
    """The entries per kind, in the registry's order, kinds without any left out."""
    found = [(kind, [e for e in report.entries if e.kind == kind]) for kind in KINDS]
    return [(kind, entries) for kind, entries in found if entries]


def report_text(report: Report, style: Style = plain) -> str:
    """The report for people: per kind, one line per object and one per changed field, the
    sections and notes, then the summary."""
    out: list[str] = [report.legend, ""] if report.legend and report.entries else []
    for kind, entries in _by_kind(report):
        out.append(style(kind, bold=True))
        for e in entries:
            out.append(style(f"  {e.symbol} {e.head}", fg=e.colour))
            out += [f"      {line}" for line in e.lines]
        out.append("")
    for title, lines in report.sections:
        out.append(style(title, bold=True))
        out += [f"  {line}" for line in lines] + [""]
    if report.notes:
        out += [*report.notes, ""]
    out.append(style(report.summary, bold=True))
    out += report.footer
    return "\n".join(out).rstrip() + "\n"


def report_markdown(report: Report) -> str:
    """For a comment: the summary, what leaves work undone or unverified (open), then a
    collapsible section per kind with a table of the objects' fields, then what the report
    adds (`markdown_tail`) and its last line."""
    out = [f"### reconciler {report.noun}", "", f"**{report.summary}**", ""]
    if report.alerts:
        # GitHub's alert block (a plain quote elsewhere): it cannot be folded away.
        out += ["> [!WARNING]", "> **Left undone or not verified:**", ">",
                *(f"> - {md(line)}" for line in report.alerts), ""]
    for kind, entries in _by_kind(report):
        counts: dict[str, int] = {}
        for e in entries:
            counts[e.state] = counts.get(e.state, 0) + 1
        what = ", ".join(f"{n} {report.plural.get(s, s) if n != 1 else s}" for s, n in counts.items())
        out += [f"<details><summary><b>{kind}</b>: {what}</summary>", ""]
        symbol, old, new = report.columns
        out += [f"| {symbol} | object | field | {old} | {new} |".replace("|  |", "| |", 1), "|---|---|---|---|---|"]
        for e in entries:
            for i, (f, old, new) in enumerate(e.rows):
                first = (f"`{e.symbol}` {e.state}", md(e.title)) if i == 0 else ("", "")
                out.append(f"| {first[0]} | {first[1]} | {md(f)} | {md(old)} | {md(new)} |")
        out += ["", "</details>", ""]
    out += report.markdown_tail
    if report.markdown_footer:
        out.append(report.markdown_footer)
    return "\n".join(out).rstrip() + "\n"
