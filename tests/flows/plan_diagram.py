"""Read back the call-flow diagrams of a markdown plan, for tests that compare them with
`graph`: each Mermaid block parsed into its nodes and edges, with what the plan marks on
them, in the terms of `graph --format json` (kind and name, names as Mermaid labels
write them). Parsing the printed Mermaid, not calling the code that wrote it, is the
point: what is compared is what a reviewer sees."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from reconciler.flows.render import SHAPES, mermaid_text

Node = tuple[str, str]  # (kind, name as written in a Mermaid label)
Edge = tuple[Node, Node, str]  # (from, to, label without the plan's mark)
GONE = ("removed", "deleted", "no longer reached")
ADDED = ("new", "now reached")

_TITLE = re.compile(r"Call flow of hotline (\S+) after this plan")
_KIND_OF_WORD = {word: kind for kind, (_, _, _, word) in SHAPES.items()}
_NODE = re.compile(r'^  (n\d+)(?:\(\[|\[\[|\[/|\{\{|\(\(|\[|>)"(.*)<br/><small>(.*)</small>"(?:\]\)|\]\]|/\]|\}\}|\)\)|\])$')
_EDGE = re.compile(r'^  (n\d+) (-->|==>|-\.->)\|"(.*)"\| (n\d+)$')
_ARROW_MARKED = {"-->": False, "==>": True, "-.->": True}


@dataclass
class Diagram:
    """One hotline's diagram: every node and edge with its mark (None: unchanged)."""

    hotline: str
    nodes: dict[Node, str | None] = field(default_factory=dict)
    edges: Counter = field(default_factory=Counter)  # (edge, mark) -> how many times drawn

    def part(self, *marks: str | None) -> tuple[set[Node], Counter]:
        """The nodes and edges drawn with one of `marks`."""
        nodes = {n for n, m in self.nodes.items() if m in marks}
        edges = Counter({e: c for (e, m), c in self.edges.items() if m in marks})
        return nodes, edges

    def after(self) -> tuple[set[Node], Counter]:
        """What the hotline's flow is once the plan is applied: all but what is dashed."""
        return self.part(None, *ADDED)


def diagrams(markdown: str) -> dict[str, Diagram]:
    """hotline -> its diagram, for every call-flow diagram of a markdown plan."""
    out: dict[str, Diagram] = {}
    parts = markdown.split("```mermaid\n")
    for before, block in zip(parts, parts[1:]):
        titles = _TITLE.findall(before)
        assert titles, f"a Mermaid block without a call-flow title before it:\n{block}"
        diagram = parse(block.split("```", 1)[0], titles[-1])
        assert diagram.hotline not in out, f"hotline {diagram.hotline} is drawn twice"
        out[diagram.hotline] = diagram
    return out


def parse(mermaid: str, hotline: str) -> Diagram:
    """One `flowchart LR` as plan_flows draws it; fails on a line it cannot read, and
    checks that the styles (bold green, dashed grey) are on exactly the marked items."""
    diagram = Diagram(hotline)
    ids: dict[str, Node] = {}
    edges: list[tuple[Edge, str | None]] = []
    classes: dict[str, set[str]] = {}
    styled: dict[int, str] = {}
    lines = mermaid.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR", lines[0]
    for line in lines[1:]:
        if match := _NODE.match(line):
            node_id, name, small = match.groups()
            word, _, mark = small.partition(", ")
            node = (_KIND_OF_WORD[word], name)
            assert node not in diagram.nodes, f"{node} drawn twice"
            ids[node_id] = node
            diagram.nodes[node] = mark or None
        elif match := _EDGE.match(line):
            source, arrow, label, target = match.groups()
            mark = None
            if _ARROW_MARKED[arrow]:
                label, _, mark = label.rpartition(" (")
                assert mark.endswith(")"), line
                mark = mark[:-1]
                assert (mark in ADDED) == (arrow == "==>"), line
            edges.append(((ids[source], ids[target], label), mark))
        elif line.startswith("  classDef "):
            continue
        elif line.startswith("  class "):
            members, name = line[len("  class "):].split(" ")
            classes[name] = set(members.split(","))
        elif line.startswith("  linkStyle "):
            index, style = line[len("  linkStyle "):].split(" ", 1)
            styled[int(index)] = style
        else:
            raise AssertionError(f"a diagram line this reader does not know: {line!r}")
    diagram.edges = Counter(edges)
    by_id = {node: node_id for node_id, node in ids.items()}
    assert classes.get("new", set()) == {by_id[n] for n, m in diagram.nodes.items() if m in ADDED}
    assert classes.get("gone", set()) == {by_id[n] for n, m in diagram.nodes.items() if m in GONE}
    assert set(styled) == {i for i, (_, mark) in enumerate(edges) if mark is not None}
    for mark in diagram.nodes.values():
        assert mark in (None, *ADDED, *GONE), mark
    return diagram


def graph_of(data: dict) -> tuple[set[Node], Counter]:
    """`graph --format json` in the same terms: nodes, and edges counted."""
    def node(n: dict) -> Node:
        return n["kind"], mermaid_text(n["name"])

    nodes = {node(n) for n in data["nodes"]}
    edges = Counter((node(e["from"]), node(e["to"]), mermaid_text(e["label"])) for e in data["edges"])
    return nodes, edges


def renamed(graph: tuple[set[Node], Counter], renames: dict[Node, str]) -> tuple[set[Node], Counter]:
    """`graph` with renamed objects under their new names ((kind, old) -> new)."""
    def node(n: Node) -> Node:
        return (n[0], renames[n]) if n in renames else n

    nodes, edges = graph
    return {node(n) for n in nodes}, Counter({(node(a), node(b), label): c for (a, b, label), c in edges.items()})
