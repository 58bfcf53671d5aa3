"""The routing graph as Mermaid (GitHub and GitLab draw it in comments and READMEs),
Graphviz dot, and JSON. Names are shown as people wrote them; kinds differ by shape."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from reconciler import FORMAT_VERSION
from reconciler.flows.model import UNSUPPORTED, Edge, Graph, Node
from reconciler.kinds import KINDS
from reconciler.kinds.base import CallShape

# A kind that declares no shape of its own is drawn as a plain box.
PLAIN = CallShape("[", "]", "box")
_UNSUPPORTED = (">", "]", "note", "other")


class _Shapes(Mapping):
    """kind -> (Mermaid opening, closing), Graphviz shape, the word under the name: each
    kind's `call_shape` and `label`, read from the registry when asked (a kind registered
    later is drawn too)."""

    def __getitem__(self, kind: str) -> tuple[str, str, str, str]:
        if kind == UNSUPPORTED:
            return _UNSUPPORTED
        declared = KINDS[kind]
        return (*(declared.call_shape or PLAIN), declared.label)  # type: ignore[return-value]

    def __iter__(self) -> Iterator[str]:
        return iter([*KINDS, UNSUPPORTED])

    def __len__(self) -> int:
        return len(KINDS) + 1


SHAPES: Mapping[str, tuple[str, str, str, str]] = _Shapes()
# Mermaid reads `#name;` / `#123;` as a character entity inside a "..." label.
_MERMAID_ESCAPES = {"#": "#35;", '"': "#quot;", "<": "#60;", ">": "#62;", "&": "#38;", "`": "#96;"}


def mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid "..." label: quotes, #, HTML and markdown marks as
    entities, line breaks as spaces."""
    text = " ".join(text.split())
    return "".join(_MERMAID_ESCAPES.get(c, c) for c in text)


NEW = "new"
NOW_REACHED = "now reached"  # an object the tenant has, newly on a hotline's way
ADDED = (NEW, NOW_REACHED)  # what a plan adds to a flow: drawn bold green


def render_mermaid(graph: Graph, marks: dict | None = None) -> str:
    """A `flowchart LR`. `marks` (for plans) maps nodes and edges to what a plan does to
    them: "new" and "now reached" are drawn bold green; anything else ("removed",
    "deleted", "no longer reached") dashed grey; the mark is written beside the label."""
    marks = marks or {}
    ids = {node: f"n{i}" for i, node in enumerate(graph.nodes, 1)}
    out = ["flowchart LR"]
    for node in graph.nodes:
        opening, closing, _, word = SHAPES[node[0]]
        if node in marks:
            word += f", {marks[node]}"
        label = f"{mermaid_text(node[1])}<br/><small>{word}</small>"
        out.append(f'  {ids[node]}{opening}"{label}"{closing}')
    styles: list[str] = []
    for i, edge in enumerate(graph.edges):
        mark = marks.get(edge)
        arrow = "-->" if mark is None else "==>" if mark in ADDED else "-.->"
        label = edge.label if mark is None else f"{edge.label} ({mark})"
        out.append(f'  {ids[edge.source]} {arrow}|"{mermaid_text(label)}"| {ids[edge.target]}')
        if mark is not None:
            colour = "stroke:#1a7f37,stroke-width:3px" if mark in ADDED else "stroke:#8c959f"
            styles.append(f"  linkStyle {i} {colour}")
    new = [ids[n] for n in graph.nodes if marks.get(n) in ADDED]
    gone = [ids[n] for n in graph.nodes if n in marks and marks[n] not in ADDED]
    if new or gone:
        out.append("  classDef new stroke:#1a7f37,stroke-width:3px,color:#1a7f37")
        out.append("  classDef gone stroke:#8c959f,stroke-dasharray:5 5,color:#8c959f")
    if new:
        out.append(f"  class {','.join(new)} new")
    if gone:
        out.append(f"  class {','.join(gone)} gone")
    return "\n".join(out + styles) + "\n"


def _dot_escape(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def render_dot(graph: Graph) -> str:
    """A Graphviz digraph (`dot -Tsvg`), left to right."""
    ids = {node: f"n{i}" for i, node in enumerate(graph.nodes, 1)}
    out = ["digraph routing {", "  rankdir=LR;", '  node [fontname="Helvetica"];', '  edge [fontname="Helvetica"];']
    for node in graph.nodes:
        _, _, shape, word = SHAPES[node[0]]
        out.append(f'  {ids[node]} [shape={shape}, label="{_dot_escape(node[1])}\\n({word})"];')
    for edge in graph.edges:
        out.append(f'  {ids[edge.source]} -> {ids[edge.target]} [label="{_dot_escape(edge.label)}"];')
    out.append("}")
    return "\n".join(out) + "\n"


def render_graph_json(graph: Graph) -> str:
    return json.dumps({"format_version": FORMAT_VERSION, **graph.to_json()}, ensure_ascii=False, indent=2) + "\n"


def render_graph(graph: Graph, fmt: str) -> str:
    """`fmt`: mermaid, dot or json."""
    if fmt == "dot":
        return render_dot(graph)
    if fmt == "json":
        return render_graph_json(graph)
    return render_mermaid(graph)


__all__ = ["Edge", "Node", "SHAPES", "mermaid_text", "render_dot", "render_graph", "render_mermaid"]
