"""The order of an apply: a plan's changes as operations in a dependency graph.

Creates and updates wait for the creates of what they reference; a delete waits until
every referrer has let go of it; references that form a cycle are applied in two phases.
Pure: no HTTP here.
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass

from reconciler.engine.plan import Change, Plan
from reconciler.errors import PlanError
from reconciler.kinds import KINDS

# (step, kind, name); step: create | update | finish (second phase of a cycle) |
# unlink (drop references before deleting objects that point at each other) | delete
Node = tuple[str, str, str]


@dataclass
class Op:
    node: Node
    change: Change
    data: dict | None  # what to send (phase 1 of a cycle sends less)


def build_graph(plan: Plan) -> tuple[dict[Node, Op], dict[Node, set[Node]]]:
    ops: dict[Node, Op] = {}
    for change in plan.changes:
        k, name = change.kind, change.name
        if change.action == "create":
            ops[("create", k, name)] = Op(("create", k, name), change, change.data)
        elif change.action in ("update", "rename"):
            ops[("update", k, name)] = Op(("update", k, name), change, change.data)
        elif change.action == "replace":
            ops[("create", k, name)] = Op(("create", k, name), change, change.data)
            ops[("delete", k, name)] = Op(("delete", k, name), change, None)
        elif change.action == "delete":
            ops[("delete", k, name)] = Op(("delete", k, name), change, None)

    for node, op in list(ops.items()):
        # An object that points at itself ("press 9 to hear the menu again") is created
        # without that reference, then completed: its id does not exist before.
        if node[0] == "create" and op.data is not None and (node[1], node[2]) in KINDS[node[1]].references(op.data):
            _split(ops, node, {(node[1], node[2])})

    def deps_of(op: Op) -> set[Node]:
        step, k, name = op.node
        deps: set[Node] = set()
        if step in ("create", "update", "finish") and op.data is not None:
            for target in KINDS[k].references(op.data):
                if ("create", *target) in ops and ("create", *target) != op.node:
                    deps.add(("create", *target))
        if step == "finish":
            deps.add(("create", k, name))
        if step == "delete":
            for other in ops.values():
                if other.node == op.node or other.node[0] in ("create", "finish"):
                    continue
                if other.node[0] == "delete" and ("unlink", other.node[1], other.node[2]) in ops:
                    continue  # that referrer lets go of its references first
                if [k, name] in other.change.live_references:
                    deps.add(other.node)
            if op.change.action == "replace":
                deps.add(("create", k, name))
        return deps

    while True:
        graph = {node: deps_of(op) for node, op in ops.items()}
        try:
            graphlib.TopologicalSorter(graph).prepare()
            return ops, graph
        except graphlib.CycleError as err:
            _break_cycle(ops, list(err.args[1]))


def _split(ops: dict[Node, Op], node: Node, drop: set[tuple[str, str]]) -> bool:
    """Create `node` without its references to `drop`, and set them in a second phase."""
    op = ops[node]
    _, k, name = node
    reduced = KINDS[k].optional_references(op.data or {}, drop)
    if reduced is None:
        return False
    ops[node] = Op(node, op.change, reduced)
    ops[("finish", k, name)] = Op(("finish", k, name), op.change, op.change.data)
    return True


def _break_cycle(ops: dict[Node, Op], cycle: list[Node]) -> None:
    """Two phases for references that form a cycle (IVR menus that lead to each other,
    groups that overflow into each other): create one member without its references into
    the cycle, then set them once the others exist. Objects that point at each other and
    all go away: one first lets go of its references into the cycle (unlink), so the API
    lets the others be deleted."""
    targets = {(k, name) for step, k, name in cycle if step == "create"}
    for node in cycle:
        step, k, name = node
        if step == "create" and ops[node].data is not None and _split(ops, node, targets - {(k, name)}):
            return
    doomed = {(k, name) for step, k, name in cycle if step == "delete"}
    for node in cycle:
        step, k, name = node
        op = ops[node]
        live = op.change.data
        if step != "delete" or live is None or ("unlink", k, name) in ops:
            continue
        reduced = KINDS[k].optional_references(live, doomed - {(k, name)})
        if reduced is None or reduced == live:
            continue
        ops[("unlink", k, name)] = Op(("unlink", k, name), op.change, reduced)
        return
    raise PlanError([f"references form a cycle that cannot be broken: {' -> '.join('/'.join(n[1:]) for n in cycle)}"])


