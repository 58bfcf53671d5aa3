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
from reconciler.kinds.base import REF_WORDS, nfc
from reconciler.kinds.ivr_menu import KEYS

Node = tuple[str, str]  # (kind name, object name); kind "unsupported" for targets manifests cannot name
UNSUPPORTED = "unsupported"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class FlowError(ReconcilerError):
    """A routing question that cannot be answered as asked (an unknown hotline, a bad --at)."""


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    label: str


@dataclass(frozen=True)
class TimeFrame:
    """Part of a day (from <= time < to, "HH:MM") that runs another call script."""

    start: str
    end: str
    call_script: str | None


@dataclass(frozen=True)
class Day:
    """What one weekday of a hotline's schedule runs: a call script, or time frames."""

    call_script: str | None
    frames: tuple[TimeFrame, ...] = ()


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
        return sorted(self.objects.get("hotlines", {}))


def ref_node(ref: Any) -> Node | None:
    """The node a reference in manifest form points to ({group: CSKH}); None when unset."""
    if not isinstance(ref, dict) or len(ref) != 1:
        return None
    ((word, name),) = ref.items()
    if word in REF_WORDS:
        return REF_WORDS[word], str(name)
    return UNSUPPORTED, str(name)


def out_edges(routing: Routing, node: Node) -> list[tuple[Edge, str]]:
    """The edges leaving `node`, in the order a caller meets them, each with the field path
    it is written at (for file:line:col)."""
    data = routing.data(node)
    if data is None:
        return []
    kind = node[0]
    out: list[tuple[Edge, str]] = []

    def add(ref: Any, label: str, path: str) -> None:
        target = ref_node(ref)
        if target is not None:
            out.append((Edge(node, target, label), path))

    if kind == "hotlines":
        if data.get("call_script"):
            label = "inbound" if data.get("inbound") is not False else "inbound (off)"
            add({"call_script": data["call_script"]}, label, "call_script")
        for day, plan in routing.schedules.get(node[1], {}).items():
            if plan.call_script and plan.call_script != data.get("call_script"):
                add({"call_script": plan.call_script}, day, f"schedule.{day}")
            for frame in plan.frames:
                if frame.call_script:
                    add({"call_script": frame.call_script}, f"{day} {frame.start}-{frame.end}", f"schedule.{day}")
    elif kind == "call_scripts":
        for i, step in enumerate(data.get("steps") or []):
            add(step, f"step {i + 1}", f"steps.{i}")
    elif kind == "ivr_menus":
        keys = data.get("keys") or {}
        for key in sorted(keys, key=lambda k: KEYS.index(k) if k in KEYS else 99):
            add(keys[key], f"key {key}", f"keys.{key}")
        add(data.get("fallback"), "fallback", "fallback")
    elif kind == "groups":
        for i, member in enumerate(data.get("members") or []):
            add({"extension": member}, f"member {i + 1}", f"members.{i}")
        add(data.get("on_timeout"), "on_timeout", "on_timeout")
    return out


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
        number = find_hotline(routing, hotline)
        return reachable_graph(routing, [("hotlines", number)])
    starts = [("hotlines", n) for n in routing.hotlines()]
    graph = reachable_graph(routing, starts)
    seen = set(graph.nodes)
    rest = [(k, name) for k in ("call_scripts", "ivr_menus", "groups")
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
    wanted = nfc(str(number)).strip()
    for known in routing.hotlines():
        if known == wanted or known.lstrip("+") == wanted.lstrip("+"):
            return known
    listed = ", ".join(routing.hotlines()) or "none"
    raise FlowError(f"hotline {wanted} is not in the {routing.source} (hotlines: {listed})")


def subject(node: Node) -> str:
    """How messages name a node: "IVR menu 'Menu chính'", "hotline 842871002283"."""
    kind, name = node
    if kind == "hotlines":
        return f"hotline {name}"
    if kind == "extensions":
        return f"extension {name}"
    if kind == UNSUPPORTED:
        return f"'{name}' (a target manifests cannot name)"
    return f"{KINDS[kind].label} '{name}'"
