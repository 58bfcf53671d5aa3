"""What a plan does to callers: each changed hotline's call flow after the change (new
nodes and edges marked, removed ones dashed), and the impact of deletes and repointing:
which hotlines' callers lose their way to which groups."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.live import LiveState
from reconciler.engine.plan import Action, Plan
from reconciler.flows.model import Graph, Node, Routing, out_edges, reachable_graph, ref_node, subject
from reconciler.flows.render import render_mermaid
from reconciler.flows.sources import routing_from_live
from reconciler.kinds.base import KIND_REF_WORD


@dataclass
class FlowDiagram:
    hotline: str
    mermaid: str
    nodes: int


@dataclass
class FlowChanges:
    diagrams: list[FlowDiagram] = field(default_factory=list)
    impact: list[str] = field(default_factory=list)  # one sentence per hotline and lost group


def flow_changes(plan: Plan, live: LiveState) -> FlowChanges:
    """The call flows `plan` changes, drawn after the change, and what callers lose."""
    if not plan.changes:
        return FlowChanges()
    before = routing_from_live(live)
    renames = {(c.kind, c.rename_from): c.name for c in plan.changes if c.action == Action.RENAME and c.rename_from}
    before = _renamed(before, renames)  # a rename keeps ids: not a change of the flow
    after = _after(before, plan)
    out = FlowChanges()
    for number in sorted(set(before.hotlines()) | set(after.hotlines())):
        start: list[Node] = [("hotlines", number)]
        was, now = reachable_graph(before, start), reachable_graph(after, start)
        if set(was.edges) == set(now.edges) and set(was.nodes) == set(now.nodes):
            continue
        out.diagrams.append(_diagram(number, was, now, after))
        lost = [n for n in was.nodes if n[0] == "groups" and n not in set(now.nodes)]
        out.impact += [f"hotline {number}: callers lose their way to {subject(n)}" for n in lost]
    return out


def _diagram(number: str, was: Graph, now: Graph, after: Routing) -> FlowDiagram:
    """The flow after the change, with what the change adds marked "new" and what it
    takes away kept, marked "removed" (an edge), "deleted" (an object) or "no longer
    reached" (still there, but not on this hotline's way any more)."""
    now_nodes, now_edges = set(now.nodes), set(now.edges)
    was_nodes, was_edges = set(was.nodes), set(was.edges)
    marks: dict = {item: "new" for item in (now_nodes - was_nodes) | (now_edges - was_edges)}
    for node in was_nodes - now_nodes:
        marks[node] = "no longer reached" if node[0] == "extensions" or after.data(node) else "deleted"
    for edge in was_edges - now_edges:
        kept = edge in {e for e, _ in out_edges(after, edge.source)}
        marks[edge] = "no longer reached" if kept else "removed"
    merged = Graph(now.nodes + [n for n in was.nodes if n not in now_nodes],
                   now.edges + [e for e in was.edges if e not in now_edges])
    return FlowDiagram(number, render_mermaid(merged, marks), len(merged.nodes))


def _after(before: Routing, plan: Plan) -> Routing:
    """The routing once `plan` is applied: the manifest's values over the live ones."""
    objects = copy.deepcopy(before.objects)
    for change in plan.changes:
        kind = objects.setdefault(change.kind, {})
        if change.action == Action.DELETE:
            kind.pop(change.name, None)
        elif change.data is not None:
            kind[change.name] = {**kind.get(change.name, {}), **change.data}
    return Routing(objects, schedules=before.schedules, source="plan")


def _renamed(routing: Routing, renames: dict[tuple[str, Any], str]) -> Routing:
    """`routing` with renamed objects (and every reference to them) under their new names."""
    if not renames:
        return routing
    objects = copy.deepcopy(routing.objects)
    for (kind, old), new in renames.items():
        if old in objects.get(kind, {}):
            objects[kind][new] = objects[kind].pop(old)
    for kind, objs in objects.items():
        for name, data in objs.items():
            objs[name] = _rewrite(data, renames)
            if kind == "hotlines" and ("call_scripts", data.get("call_script")) in renames:
                objs[name]["call_script"] = renames[("call_scripts", data["call_script"])]
    return Routing(objects, schedules=routing.schedules, source=routing.source)


def _rewrite(value: Any, renames: dict[tuple[str, Any], str]) -> Any:
    node = ref_node(value)
    if node is not None and node in renames:
        return {KIND_REF_WORD[node[0]]: renames[node]}
    if isinstance(value, dict):
        return {k: _rewrite(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, renames) for v in value]
    return value
