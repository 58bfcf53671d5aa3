"""What a plan does to callers: each changed hotline's call flow after the change (new
nodes and edges marked, removed ones dashed), and the impact of deletes and repointing:
which hotlines' callers lose their way to which groups.

One model for `graph` and plans: the flow before is the routing graph of the live tenant
(`graph --live`), the flow after is the routing graph of the tenant once the plan is
applied, which for manifests that state every routing field is `graph DIR` of the
manifests; both come from flows/model.py's builder, and the diagram is their difference."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.live import LiveState
from reconciler.engine.plan import Action, Plan
from reconciler.engine.scc import strongly_connected_components
from reconciler.flows.model import Day, Graph, Node, Routing, TimeFrame, out_edges, reachable_graph, ref_node, \
    role, script_kind, subject
from reconciler.flows.render import NEW, NOW_REACHED, render_mermaid
from reconciler.flows.sources import routing_from_live
from reconciler.kinds import KINDS
from reconciler.kinds.base import KIND_REF_WORD, ROUTE_SCRIPT, CallRole


@dataclass
class FlowDiagram:
    hotline: str
    mermaid: str
    nodes: int


@dataclass
class FlowChanges:
    diagrams: list[FlowDiagram] = field(default_factory=list)
    impact: list[str] = field(default_factory=list)  # one sentence per hotline and lost group


def flow_changes(plan: Plan, live: LiveState, *, draw: bool = True) -> FlowChanges:
    """The call flows `plan` changes, drawn after the change (unless not `draw`: a text
    plan shows only the impact), and what callers lose."""
    if not plan.changes:
        return FlowChanges()
    before = routing_from_live(live)
    renames = {(c.kind, c.rename_from): c.name for c in plan.changes if c.action == Action.RENAME and c.rename_from}
    before = _renamed(before, renames)  # a rename keeps ids: not a change of the flow
    after = _after(before, plan)
    out = FlowChanges()
    if not draw:
        return _impact_only(before, after)
    deleted = {(c.kind, c.name) for c in plan.changes if c.action == Action.DELETE}
    for number in sorted(set(before.hotlines()) | set(after.hotlines())):
        start: list[Node] = [_hotline(number, after, before)]
        was, now = reachable_graph(before, start), reachable_graph(after, start)
        if set(was.edges) == set(now.edges) and set(was.nodes) == set(now.nodes):
            continue
        out.diagrams.append(_diagram(number, was, now, before, after, deleted))
        lost = [n for n in was.nodes if role(n) is CallRole.RING_MEMBERS and n not in set(now.nodes)]
        out.impact += [f"hotline {number}: callers lose their way to {subject(n)}" for n in lost]
    return out


def _impact_only(before: Routing, after: Routing) -> FlowChanges:
    """The impact alone, in time linear in the routing: the groups each hotline reaches,
    before and after, as bit sets over the components of the routing graph (a hotline may
    reach most of a big tenant through menus that lead to each other: walking each
    hotline's flow would cost hotlines x objects)."""
    out = FlowChanges()
    index: dict[Node, int] = {}  # group -> its bit, shared by both
    was_reach, now_reach = _groups_reached(before, index), _groups_reached(after, index)
    for number in sorted(set(before.hotlines()) | set(after.hotlines())):
        start: Node = _hotline(number, after, before)
        if was_reach.get(start, 0) & ~now_reach.get(start, 0):
            # Named in the order a caller meets them, as with the diagrams.
            now_nodes = set(reachable_graph(after, [start]).nodes)
            lost = [n for n in reachable_graph(before, [start]).nodes
                    if role(n) is CallRole.RING_MEMBERS and n not in now_nodes]
            out.impact += [f"hotline {number}: callers lose their way to {subject(n)}" for n in lost]
    return out


def _hotline(number: str, *routings: Routing) -> Node:
    """Hotline `number`'s node in the first of `routings` that has it."""
    for routing in routings:
        if number in routing.hotlines():
            return routing.hotline(number)
    return routings[0].hotline(number)


def _groups_reached(routing: Routing, index: dict[Node, int]) -> dict[Node, int]:
    """Each hotline -> the groups reachable from it, a bit set (bits by `index`)."""
    targets: dict[Node, list[Node]] = {}
    stack: list[Node] = routing.hotline_nodes()
    while stack:
        node = stack.pop()
        if node not in targets:
            targets[node] = [edge.target for edge, _ in out_edges(routing, node)]
            stack += targets[node]
    bits: dict[Node, int] = {}  # node -> bit set of the groups it reaches
    for component in strongly_connected_components(targets):  # what a component reaches first
        mask = 0
        for node in component:
            if role(node) is CallRole.RING_MEMBERS:
                mask |= 1 << index.setdefault(node, len(index))
            for target in targets[node]:
                mask |= bits.get(target, 0)
        for node in component:
            bits[node] = mask
    return {node: mask for node, mask in bits.items() if role(node) is CallRole.ROUTE}


def _diagram(number: str, was: Graph, now: Graph, before: Routing, after: Routing, deleted: set[Node]) -> FlowDiagram:
    """The flow after the change, with what the change adds marked "new" (an object or
    edge the tenant does not have) or "now reached" (one it has, newly on this hotline's
    way), and what it takes away kept, marked "removed" (an edge),
    "deleted" (an object the plan deletes) or "no longer reached" (still there, but not on
    this hotline's way any more)."""
    now_nodes, now_edges = set(now.nodes), set(now.edges)
    was_nodes, was_edges = set(was.nodes), set(was.edges)
    marks: dict = {item: NEW for item in (now_nodes - was_nodes) | (now_edges - was_edges)}
    for node in now_nodes - was_nodes:
        if node[1] in before.objects.get(node[0], {}):
            marks[node] = NOW_REACHED
    for edge in now_edges - was_edges:
        if edge in {e for e, _ in out_edges(before, edge.source)}:
            marks[edge] = NOW_REACHED
    for node in was_nodes - now_nodes:
        marks[node] = "deleted" if node in deleted else "no longer reached"
    for edge in was_edges - now_edges:
        kept = edge in {e for e, _ in out_edges(after, edge.source)}
        marks[edge] = "no longer reached" if kept else "removed"
    merged = Graph(now.nodes + [n for n in was.nodes if n not in now_nodes],
                   now.edges + [e for e in was.edges if e not in now_edges])
    return FlowDiagram(number, render_mermaid(merged, marks), len(merged.nodes))


def _after(before: Routing, plan: Plan) -> Routing:
    """The routing once `plan` is applied: the manifest's values over the live ones (a
    field the manifests leave out stays as the tenant has it), and each hotline's weekly
    schedule as apply leaves it."""
    objects = copy.deepcopy(before.objects)
    schedules = dict(before.schedules)
    for change in plan.changes:
        kind = objects.setdefault(change.kind, {})
        if change.action == Action.DELETE:
            kind.pop(change.name, None)
        elif change.data is not None:
            kind[change.name] = {**kind.get(change.name, {}), **change.data}
            if role((change.kind, change.name)) is CallRole.ROUTE:
                days = _schedule_after(KINDS[change.kind], change.data, {f.field for f in change.fields},
                                       schedules.get(change.name))
                schedules.pop(change.name, None)
                if days:
                    schedules[change.name] = days
    return Routing(objects, schedules=schedules, source="plan")


def _schedule_after(kind: Any, want: dict, changed: set[str], live: dict[str, Day] | None) -> dict[str, Day] | None:
    """A hotline's weekly schedule after the plan. The tenant's schedule (read from
    `configs.working_days`: every day names its script, the default's too) stays as it is
    unless `call_script` changes: hotline/update then sets every day to the new script, so
    no day differs any more. A schedule the manifest states is what `graph DIR` draws: the
    same as the tenant's, or the plan cannot be applied (the API cannot set one)."""
    stated = want.get("schedule")
    if ROUTE_SCRIPT not in changed and (stated is None or "schedule" not in changed):
        return live
    return kind.week(want) if stated is not None else None


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
            if role((kind, name)) is CallRole.ROUTE and (script_kind(), data.get(ROUTE_SCRIPT)) in renames:
                objs[name][ROUTE_SCRIPT] = renames[(script_kind(), data[ROUTE_SCRIPT])]
    schedules = {number: {name: _renamed_day(day, renames) for name, day in days.items()}
                 for number, days in routing.schedules.items()}
    return Routing(objects, schedules=schedules, source=routing.source)


def _renamed_day(day: Day, renames: dict[tuple[str, Any], str]) -> Day:
    def script(name: str | None) -> str | None:
        return renames.get((script_kind(), name), name)

    return Day(script(day.call_script), tuple(TimeFrame(f.start, f.end, script(f.call_script)) for f in day.frames))


def _rewrite(value: Any, renames: dict[tuple[str, Any], str]) -> Any:
    node = ref_node(value)
    if node is not None and node in renames:
        return {KIND_REF_WORD[node[0]]: renames[node]}
    if isinstance(value, dict):
        return {k: _rewrite(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, renames) for v in value]
    return value
