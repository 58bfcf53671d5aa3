"""The routing graph: where a caller's call can go, as one model for every output.

Built from objects in manifest terms (the manifests, or the live tenant read the way
`plan` and `export` read it): hotline -> call script -> its steps in order -> an IVR menu's
keys and fallback -> a group's members and on_timeout. Nodes are (kind name, object
name); edges carry the label a reviewer reads (`inbound`, `step 2`, `key 1`, `fallback`,
`on_timeout`).
Pure: no HTTP, no files.
"""

from __future__ import annotations

from collections import deque

from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Location, ReconcilerError
from reconciler.kinds import KINDS
from reconciler.kinds.base import LIVE_REF, REF_WORDS, ROUTE_SCRIPT, ROUTE_TAKES_CALLS, CallRole, WeekDay, WeekFrame, \
    nfc

Node = tuple[str, str]  # (kind name, object name); kind "unsupported" for targets manifests cannot name
UNSUPPORTED = "unsupported"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What a day of a hotline's week runs (kinds/base.py: what a ROUTE kind's `week` reads).
Day = WeekDay
TimeFrame = WeekFrame


def role(node: Node) -> CallRole | None:
    """What a call does on reaching `node` (None: a kind calls do not reach, or a target
    manifests cannot name)."""
    kind = KINDS.get(node[0])
    return kind.call_role if kind is not None else None


def kinds_with(*roles: CallRole) -> list[str]:
    """The kinds whose objects have one of `roles`, in the order a caller meets the roles
    (then the registry's order)."""
    order = list(CallRole)
    found = [k for k in KINDS.values() if k.call_role in roles]
    return [k.name for k in sorted(found, key=lambda k: order.index(k.call_role))]  # type: ignore[arg-type]


def script_kind() -> str:
    """The kind a ROUTE object's call script is (the kind whose role is STEPS)."""
    return kinds_with(CallRole.STEPS)[0]


class FlowError(ReconcilerError):
    """A routing question that cannot be answered as asked (an unknown hotline, a bad --at)."""


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    label: str


@dataclass
class Routing:
    """The objects routing reads, in manifest terms: kind name -> object name -> data; where each
    was written (manifests only), and the hotlines' weekly schedules (day -> Day)."""

    objects: dict[str, dict[str, dict]]
    where: dict[Node, Any] = field(default_factory=dict)  # node -> DesiredObject (location_of)
    schedules: dict[str, dict[str, Day]] = field(default_factory=dict)  # number -> "sat" -> Day
    source: str = "manifests"  # or "live tenant"
    root: str | None = None  # the manifest directory as the user named it (None: the live tenant)
    # How the manifests' `policy.lint` sets lint's rules (code -> severity or LintRule), and
    # where each of its values is written ("lint.unreachable" -> policy.yaml:5:5)
    lint_policy: dict[str, Any] = field(default_factory=dict)
    policy_fields: dict[str, Location] = field(default_factory=dict)
    # node -> its out_edges: lint and trace ask for each object's many times over.
    edges: dict[Node, list] = field(default_factory=dict, init=False, repr=False, compare=False)
    leads: dict[Node, dict[str, Node]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def data(self, node: Node) -> dict | None:
        """The object's data, or None when it is referenced but not declared here."""
        return self.objects.get(node[0], {}).get(node[1])

    def location(self, node: Node, path: str = "") -> Location | None:
        """file:line:col of the object (or of one of its fields); None for live objects."""
        obj = self.where.get(node)
        return obj.location_of(path) if obj is not None else None

    def policy_location(self, path: str) -> Location | None:
        """file:line:col of a value of the manifests' policy ("lint.call-loop"), if written."""
        return self.policy_fields.get(path)

    def hotlines(self) -> list[str]:
        """The numbers of every hotline, sorted."""
        return [name for _, name in self.hotline_nodes()]

    def hotline_nodes(self) -> list[Node]:
        """Every hotline (the objects calls come in by: kinds whose role is ROUTE), by number."""
        return sorted((kind, name) for kind in kinds_with(CallRole.ROUTE) for name in self.objects.get(kind, {}))

    def hotline(self, number: str) -> Node:
        """The node of hotline `number` (the ROUTE kind that has it; the first one if none)."""
        kinds = kinds_with(CallRole.ROUTE)
        return next(((k, number) for k in kinds if number in self.objects.get(k, {})), (kinds[0], number))


def ref_node(ref: Any) -> Node | None:
    """The node a reference in manifest form points to ({group: CSKH}); None when unset."""
    if not isinstance(ref, dict) or len(ref) != 1:
        return None
    ((word, name),) = ref.items()
    if word in REF_WORDS:
        return REF_WORDS[word], str(name)
    return UNSUPPORTED, _target_name(name)


def out_edges(routing: Routing, node: Node) -> list[tuple[Edge, str]]:
    """The edges leaving `node`, in the order a caller meets them, each with the field path
    it is written at (for file:line:col): the references its kind gives (`Kind.references()`)
    at the fields its role follows, plus targets there manifests cannot name; a hotline's
    also go to what its week runs."""
    known = routing.edges.get(node)
    if known is None:
        known = routing.edges[node] = _out_edges(routing, node)
    return known


def _out_edges(routing: Routing, node: Node) -> list[tuple[Edge, str]]:
    data = routing.data(node)
    kind = KINDS.get(node[0])
    if data is None or kind is None or kind.call_role is None:
        return []
    known = {ref.path: (ref[0], ref[1]) for ref in kind.references(data)}
    out: list[tuple[Edge, str]] = []
    for field in kind.call_role.follows:
        for path, value in _written_at(field, data.get(field)):
            target = known.get(path) or _unsupported(value)
            if target is not None:
                out.append((Edge(node, target, _label(kind.call_role, path, data)), path))
    if kind.call_role is CallRole.ROUTE:
        default = data.get(ROUTE_SCRIPT)
        scripts = script_kind()
        for day, plan in routing.schedules.get(node[1], {}).items():
            if plan.call_script and plan.call_script != default:
                out.append((Edge(node, (scripts, plan.call_script), day), f"schedule.{day}"))
            for frame in plan.frames:
                if frame.call_script:
                    out.append((Edge(node, (scripts, frame.call_script), f"{day} {frame.start}-{frame.end}"),
                                f"schedule.{day}"))
    return out


def _written_at(field: str, value: Any) -> list[tuple[str, Any]]:
    """(path, value) of each reference a field may hold: one reference, or a list or a map
    of them (`steps.0`, `keys.1`)."""
    if isinstance(value, list):
        return [(f"{field}.{i}", v) for i, v in enumerate(value)]
    if isinstance(value, dict) and not _one_reference(value):
        return [(f"{field}.{k}", v) for k, v in value.items()]
    return [(field, value)]


def _one_reference(value: dict) -> bool:
    return len(value) == 1 and (LIVE_REF in value or next(iter(value)) in REF_WORDS)


def _unsupported(value: Any) -> Node | None:
    """A target no kind's references name ({live: ...}, or a word no kind has), as
    `ref_node` shows it; None when unset."""
    if isinstance(value, dict) and len(value) == 1:
        ((_, name),) = value.items()
        return UNSUPPORTED, _target_name(name)
    return None


def _target_name(name: Any) -> str:
    """How a target manifests cannot name is shown: `{live: {type: Callbot, id: 64b…}}`
    as "Callbot 64b…", not as Python writes a dict."""
    if isinstance(name, dict) and (name.get("type") or name.get("id")):
        return " ".join(str(name[k]) for k in ("type", "id") if name.get(k))
    return str(name)


def _label(call_role: CallRole, path: str, data: dict) -> str:
    """The label of an edge written at `path`: `steps.1` -> "step 2" (a list counts from
    one), `keys.1` -> "key 1" (a map's key), `fallback` as it is; a hotline's own call
    script is "inbound" ("inbound (off)" when it takes no calls)."""
    if call_role is CallRole.ROUTE and path == ROUTE_SCRIPT:
        return "inbound" if data.get(ROUTE_TAKES_CALLS) is not False else "inbound (off)"
    field, _, rest = path.partition(".")
    if not rest:
        return field
    word = field[:-1] if field.endswith("s") else field
    return f"{word} {int(rest) + 1}" if isinstance(data.get(field), list) else f"{word} {rest}"


@dataclass
class Graph:
    """Nodes in the order a caller meets them (hotlines first), and labelled edges."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def to_json(self) -> dict:
        def node(n: Node) -> dict:
            return {"kind": n[0], "name": n[1]}

        return {
            "nodes": [node(n) for n in self.nodes],
            "edges": [{"from": node(e.source), "to": node(e.target), "label": e.label} for e in self.edges],
        }


def build_graph(routing: Routing, hotline: str | None = None) -> Graph:
    """The routing graph of every hotline (plus routing objects no hotline reaches, so
    that nothing declared is hidden), or of one hotline's calls only."""
    if hotline is not None:
        return reachable_graph(routing, [find_hotline_node(routing, hotline)])
    graph = reachable_graph(routing, routing.hotline_nodes())
    seen = set(graph.nodes)
    rest = [(k, name) for k in kinds_with(CallRole.STEPS, CallRole.MENU, CallRole.RING_MEMBERS)
            for name in routing.objects.get(k, {}) if (k, name) not in seen]
    if rest:
        more = reachable_graph(routing, rest, seen=seen)
        graph.nodes += more.nodes
        graph.edges += more.edges
    return graph


def reachable_graph(routing: Routing, starts: list[Node], seen: set[Node] | None = None) -> Graph:
    """Breadth first from `starts`: the order a caller meets things."""
    graph = Graph()
    seen = set() if seen is None else seen
    queue: deque[Node] = deque()
    for start in starts:
        if start not in seen:
            seen.add(start)
            graph.nodes.append(start)
            queue.append(start)
    while queue:
        node = queue.popleft()
        for edge, _ in out_edges(routing, node):
            graph.edges.append(edge)
            if edge.target not in seen:
                seen.add(edge.target)
                graph.nodes.append(edge.target)
                queue.append(edge.target)
    return graph


def find_hotline(routing: Routing, number: str) -> str:
    """The hotline's number as the routing knows it ("+84..." and "84..." both match)."""
    return find_hotline_node(routing, number)[1]


def find_hotline_node(routing: Routing, number: str) -> Node:
    """The hotline as the routing knows it ("+84..." and "84..." both match)."""
    wanted = nfc(str(number)).strip()
    for node in routing.hotline_nodes():
        if node[1] == wanted or node[1].lstrip("+") == wanted.lstrip("+"):
            return node
    listed = ", ".join(routing.hotlines()) or "none"
    raise FlowError(f"hotline {wanted} is not in the {routing.source} (hotlines: {listed})")


def subject(node: Node) -> str:
    """How messages name a node: "IVR menu 'Menu chính'", "hotline 842871002283"."""
    kind, name = node
    if kind not in KINDS:
        return f"'{name}' (a target manifests cannot name)"
    # Objects named by a number (hotlines, extensions) go without quotes.
    return f"{KINDS[kind].label} '{name}'" if KINDS[kind].identity == "name" else f"{KINDS[kind].label} {name}"
