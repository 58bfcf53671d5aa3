"""The order of an apply: a plan's changes as operations in a dependency graph.

Creates and updates wait for the creates of what they reference; a delete waits until
every referrer has let go of it; references that form a cycle are applied in two phases.
Pure: no HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.scc import back_edges, cyclic_components
from reconciler.errors import PlanError
from reconciler.kinds import KINDS

class Step(StrEnum):
    """One operation of an apply on one object (a change is one or two of them). A
    StrEnum: reports and progress lines show the plain words."""

    CREATE = "create"
    UPDATE = "update"  # also a rename
    FINISH = "finish"  # the second phase of a cycle: the references the first phase left out
    UNLINK = "unlink"  # references dropped before objects that point at each other are deleted
    DELETE = "delete"


Node = tuple[Step, str, str]  # (step, kind, name)

# The steps of each change, in order: a replace creates the new object, then deletes the old.
STEPS: dict[Action, tuple[Step, ...]] = {
    Action.CREATE: (Step.CREATE,),
    Action.RENAME: (Step.UPDATE,),
    Action.UPDATE: (Step.UPDATE,),
    Action.REPLACE: (Step.CREATE, Step.DELETE),
    Action.DELETE: (Step.DELETE,),
}


@dataclass
class Op:
    node: Node
    change: Change
    data: dict | None  # what to send (phase 1 of a cycle sends less)


Graph = dict[Node, dict[Node, None]]  # node -> the nodes it waits for (an ordered set)


def build_graph(plan: Plan) -> tuple[dict[Node, Op], Graph]:
    """The operations of `plan` and what each waits for, without cycles: references that
    form one are set in a second phase (`finish`), and objects that point at each other
    and all go away first let go of each other (`unlink`). Linear in the plan's size:
    cycles are found once, as strongly connected components."""
    ops = _operations(plan)
    references = _References()
    graph = _dependencies(ops, references)
    broken: set[Node] = set()
    cycles = cyclic_components(graph)
    while cycles:
        for component in cycles:
            if not _break_component(ops, graph, component, broken):
                raise PlanError([f"references form a cycle that cannot be broken: "
                                 f"{' -> '.join('/'.join(n[1:]) for n in component)}"])
        graph = _dependencies(ops, references)
        # Breaking only removes edges between the operations there were (the new finish
        # and unlink steps wait for nothing or nothing waits for them): a cycle left is
        # inside a component just broken, so only those are searched again.
        cycles = [c for component in cycles for c in cyclic_components(_within(graph, component))]
    return ops, graph


class _References:
    """Each operation's references, read from its data once (the graph is worked out
    again after each round of cycle breaking, and most operations keep their data)."""

    def __init__(self) -> None:
        self._seen: dict[Node, tuple[dict, list]] = {}

    def of(self, node: Node, data: dict) -> list:
        seen = self._seen.get(node)
        if seen is None or seen[0] is not data:
            seen = self._seen[node] = (data, KINDS[node[1]].references(data))
        return seen[1]


def _within(graph: Graph, nodes: list[Node]) -> Graph:
    """The part of `graph` among `nodes`."""
    inside = set(nodes)
    return {node: {dep: None for dep in graph[node] if dep in inside} for node in nodes}


def _operations(plan: Plan) -> dict[Node, Op]:
    ops: dict[Node, Op] = {}
    for change in plan.changes:
        k, name = change.kind, change.name
        for step in STEPS[change.action]:
            ops[(step, k, name)] = Op((step, k, name), change, None if step == Step.DELETE else change.new)
    for node, op in list(ops.items()):
        # An object that points at itself ("press 9 to hear the menu again") is created
        # without that reference, then completed: its id does not exist before.
        if node[0] == Step.CREATE and op.data is not None and (node[1], node[2]) in KINDS[node[1]].references(op.data):
            _split(ops, node, {(node[1], node[2])})
    return ops


def _dependencies(ops: dict[Node, Op], references: _References) -> Graph:
    """What each operation waits for: a create, update or finish waits for the creates of
    what it references; a finish for its own create; a delete for every operation that
    lets go of it (the updates and deletes of its live referrers, or their unlink), and
    a replace's delete for the new object's create."""
    # Operations by the objects their live versions reference: a delete's referrers.
    referrers: dict[tuple[str, str], list[Node]] = {}
    for node, op in ops.items():
        if node[0] not in (Step.CREATE, Step.FINISH):
            for ref_kind, ref_name in op.change.live_references:
                referrers.setdefault((ref_kind, ref_name), []).append(node)
    graph: Graph = {}
    for node, op in ops.items():
        step, k, name = node
        deps: dict[Node, None] = {}
        if step in (Step.CREATE, Step.UPDATE, Step.FINISH) and op.data is not None:
            for target in references.of(node, op.data):
                create = (Step.CREATE, *target)
                if create in ops and create != node:
                    deps[create] = None
        if step == Step.FINISH:
            deps[(Step.CREATE, k, name)] = None
        if step == Step.DELETE:
            for other in referrers.get((k, name), ()):
                if other == node:
                    continue
                if other[0] == Step.DELETE and (Step.UNLINK, other[1], other[2]) in ops:
                    continue  # that referrer lets go of its references first
                deps[other] = None
            if op.change.action == Action.REPLACE:
                deps[(Step.CREATE, k, name)] = None
        graph[node] = deps
    return graph


def _split(ops: dict[Node, Op], node: Node, drop: set[tuple[str, str]], keep_lists: bool = False) -> bool:
    """Create `node` without its references to `drop`, and set them in a second phase.
    With `keep_lists`, not when that first phase would send an empty required list."""
    op = ops[node]
    _, k, name = node
    reduced = KINDS[k].optional_references(op.data or {}, drop)
    if reduced is None or (keep_lists and KINDS[k].empties_list(op.data or {}, reduced)):
        return False
    ops[node] = Op(node, op.change, reduced)
    ops[(Step.FINISH, k, name)] = Op((Step.FINISH, k, name), op.change, op.change.new)
    return True


def _unlink(ops: dict[Node, Op], node: Node, doomed: set[tuple[str, str]]) -> bool:
    """Before `node`'s object is deleted, drop its references to `doomed` (objects that
    are deleted with it and that it points at), so the API lets those go first."""
    _, k, name = node
    op = ops[node]
    live = op.change.data  # a delete's `existing`; a replace's old object is read as its `new`
    if live is None or (Step.UNLINK, k, name) in ops:
        return False
    reduced = KINDS[k].release(live, doomed - {(k, name)}, name)
    if reduced is None or reduced == live:
        return False
    ops[(Step.UNLINK, k, name)] = Op((Step.UNLINK, k, name), op.change, reduced)
    return True


def _break_component(ops: dict[Node, Op], graph: Graph, component: list[Node], broken: set[Node]) -> bool:
    """Break every cycle of one strongly connected component in one go, guided by the back
    edges of a depth-first search (every cycle holds one).

    Creates (IVR menus that lead to each other, groups that overflow into each other): the
    object a back edge leads to is created without its references into the component,
    then completed (two phases). Every cycle through it leaves it by one of those
    references, so all are cut; and it is where the search came from (a main menu its
    sub-menus lead back to), so few objects need a second phase. Members already in two
    phases (they point at themselves) go first: for them it costs no request.
    Deletes (objects that point at each other and all go): the object a back edge leads
    to lets go of its references first (unlink), which cuts that edge.

    A first phase that would send an empty required list (an IVR menu whose every key
    leads into the cycle: a server may refuse "scripts is required") is the last resort:
    another member is split if one can be.

    `build_graph` checks the result on the new graph. False when nothing could change."""
    return any(_break(ops, graph, component, broken, keep_lists) for keep_lists in (True, False))


def _break(ops: dict[Node, Op], graph: Graph, component: list[Node], broken: set[Node], keep_lists: bool) -> bool:
    """One attempt of `_break_component`; `keep_lists`: see `_split`."""
    targets = {(k, name) for step, k, name in component if step == Step.CREATE}
    doomed = {(k, name) for step, k, name in component if step == Step.DELETE}

    def split(node: Node) -> bool:
        if node[0] != Step.CREATE or node in broken or ops[node].data is None:
            return False
        if _split(ops, node, targets - {node[1:]}, keep_lists):
            broken.add(node)
            return True
        return False

    free = [node for node in component if (Step.FINISH, *node[1:]) in ops and split(node)]
    if free:
        return True
    # Start the search at the most referenced members (hubs such as a main menu): back
    # edges then lead to them.
    members = set(component)
    referenced = dict.fromkeys(component, 0)
    for node in component:
        for dep in graph[node]:
            if dep in members:
                referenced[dep] += 1
    changed = False
    for source, target in back_edges(graph, sorted(component, key=lambda n: -referenced[n])):
        if target in broken or source in broken:
            continue  # its references into the component are gone: so is this edge
        if split(target) or split(source):
            changed = True
        elif target[0] == Step.DELETE and _unlink(ops, target, doomed):
            changed = True
    if changed:
        return True
    # No back edge could be cut where it is: any member that can be.
    return any(split(node) or (node[0] == Step.DELETE and _unlink(ops, node, doomed)) for node in component)
