"""`lint`: routing mistakes found before they reach callers, each with where it is written.

Errors: calls a hotline takes that cannot reach anyone by construction. The same mistake
in an object no hotline reaches yet is a warning (no caller is affected today). Info:
objects no hotline's inbound calls reach. `validate` runs the error-level checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.engine.scc import cyclic_components
from reconciler.errors import Location
from reconciler.flows.model import Node, Routing, out_edges, subject

SEVERITIES = ("error", "warning", "info")
# Every code; the README lists them with what to do.
CODES = ("hotline-without-call-script", "ivr-menu-dead-end", "group-dead-end", "ivr-menu-trap",
         "ivr-key-loops-back", "unreachable")


@dataclass(frozen=True)
class Finding:
    code: str
    node: Node
    message: str
    location: Location | None
    severity: str = "error"

    def to_json(self) -> dict:
        return {"severity": self.severity, "code": self.code, "kind": self.node[0], "name": self.node[1],
                "message": self.message, "location": str(self.location) if self.location else None}

    def __str__(self) -> str:
        where = str(self.location) if self.location else "(live tenant)"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


def lint(routing: Routing) -> list[Finding]:
    """Every finding, errors first, then in file order."""
    found: list[Finding] = []
    objects = routing.objects
    reached = reached_nodes(routing)

    def add(code: str, node: Node, message: str, path: str = "") -> None:
        severity = "error" if node in reached else "warning"
        found.append(Finding(code, node, f"{subject(node)}: {message}", routing.location(node, path), severity))

    for number, data in objects.get("hotlines", {}).items():
        if data.get("inbound") is True and not data.get("call_script"):  # reached by definition
            add("hotline-without-call-script", ("hotlines", number),
                "takes inbound calls (inbound: true) but has no call_script: callers reach nothing", "inbound")
    for name, data in objects.get("ivr_menus", {}).items():
        if not data.get("keys") and not data.get("fallback"):
            add("ivr-menu-dead-end", ("ivr_menus", name),
                "has neither keys nor a fallback: every caller is hung up on")
    for name, data in objects.get("groups", {}).items():
        if not data.get("members") and not data.get("on_timeout"):
            add("group-dead-end", ("groups", name),
                "has no members and no on_timeout: calls sent here ring nobody and end")
    found += _traps(routing, reached)
    found += _unreachable(routing, reached)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(found, key=lambda f: (order[f.severity], _where(f.location), f.code, f.node))


def _where(location: Location | None) -> tuple:
    return (location.file, location.line, location.column) if location else ("", 0, 0)


def _traps(routing: Routing, reached: set[Node]) -> list[Finding]:
    """Menus whose keys and fallback lead only back among themselves: a caller can never
    reach a person or leave. One menu alone: a key that loops back to it with no other way
    out; several: a trap (reported once, at its first menu)."""
    menus = routing.objects.get("ivr_menus", {})
    exits: dict[str, set[Node]] = {}
    for name in menus:
        exits[name] = {e.target for e, _ in out_edges(routing, ("ivr_menus", name))}
    found = []
    for group in _components(exits):
        members = {("ivr_menus", n) for n in group}
        leads_out = any(t not in members for n in group for t in exits[n])
        if leads_out or not any(exits[n] for n in group):
            continue  # a way out, or a dead end (reported as ivr-menu-dead-end)
        first = min(group, key=lambda n: _where(routing.location(("ivr_menus", n))))
        node = ("ivr_menus", first)
        severity = "error" if members & reached else "warning"
        if len(group) == 1:
            path = next((p for e, p in out_edges(routing, node) if e.target == node), "")
            found.append(Finding("ivr-key-loops-back", node, f"{subject(node)}: every key (and the fallback) "
                                 "returns to this menu: a caller can never leave it or reach a person",
                                 routing.location(node, path), severity))
        else:
            names = [f"'{n}'" for n in sorted(group) if n != first]
            others = ", ".join(names[:5])
            if len(names) > 5:  # a long ring: name a few, count the rest
                others += f" (and {len(names) - 5} more)"
            found.append(Finding("ivr-menu-trap", node, f"{subject(node)}: its keys and fallback lead only to "
                                 f"IVR menus {others} and back: a caller can never reach a person",
                                 routing.location(node), severity))
    return found


def _components(exits: dict[str, set[Node]]) -> list[list[str]]:
    """Strongly connected groups of menus (engine/scc.py: iterative, so a long chain of
    menus cannot exhaust Python's recursion), menus in declaration order. A menu that
    cannot return to itself is not a component of its own here."""
    graph = {name: [t for k, t in exits[name] if k == "ivr_menus" and t in exits] for name in exits}
    declared = {name: i for i, name in enumerate(exits)}
    groups = [sorted(c, key=declared.__getitem__) for c in cyclic_components(graph)]
    return sorted(groups, key=lambda g: declared[g[0]])


def reached_nodes(routing: Routing) -> set[Node]:
    """Everything a hotline's inbound calls reach (greetings a menu plays included)."""
    reached: set[Node] = set()
    queue: list[Node] = [("hotlines", n) for n in routing.hotlines()]
    while queue:
        node = queue.pop()
        if node in reached:
            continue
        reached.add(node)
        data = routing.data(node)
        if data is None:
            continue
        targets = [e.target for e, _ in out_edges(routing, node)]
        if node[0] == "ivr_menus":
            targets += [("greetings", data[f]) for f in ("greeting", "return_greeting", "invalid_greeting")
                        if data.get(f)]
        queue += [t for t in targets if t not in reached]
    return reached


def _unreachable(routing: Routing, reached: set[Node]) -> list[Finding]:
    """Declared objects that no hotline's inbound calls reach."""
    found = []
    for kind in ("call_scripts", "ivr_menus", "groups", "greetings"):
        for name in routing.objects.get(kind, {}):
            node = (kind, name)
            if node not in reached:
                found.append(Finding("unreachable", node, f"{subject(node)}: no hotline's inbound calls reach it",
                                     routing.location(node), "info"))
    return found


def exit_code(findings: list[Finding]) -> int:
    """The SPEC's: 0 with nothing (or only info), 2 with a warning or an error."""
    return 2 if any(f.severity in ("error", "warning") for f in findings) else 0


def render_lint_text(findings: list[Finding]) -> str:
    lines = [str(f) for f in findings]
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
    lines.append(f"Lint: {summary}." if findings else "Lint: no routing problems found.")
    return "\n".join(lines) + "\n"


__all__ = ["CODES", "Finding", "exit_code", "lint", "render_lint_text"]
