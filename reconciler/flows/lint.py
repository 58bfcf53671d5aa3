"""`lint`: routing mistakes found before they reach callers, each with where it is written.

Errors: calls a hotline takes that cannot reach anyone by construction. The same mistake
in an object no hotline reaches yet is a warning (no caller is affected today). Warnings:
loops a call can walk (found by `trace`'s own walk model, so `lint` reports every loop a
`trace` ends in). Info: objects no hotline's inbound calls reach. `validate` runs the
error-level checks. The manifests' `policy.lint` turns a rule off, sets its severity, or
has it ignore some objects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from reconciler.engine.scc import cyclic_components
from reconciler.errors import Location
from reconciler.flows.model import Node, Routing, kinds_with, out_edges, role, subject
from reconciler.flows.trace import walkable_loops
from reconciler.kinds import KINDS
from reconciler.kinds.base import ROUTE_SCRIPT, ROUTE_TAKES_CALLS, CallRole, retired_names
from reconciler.kinds.policy import LINT_CODES, unused_lint_ignores

SEVERITIES = ("error", "warning", "info")
# Every code (declared with the policy that sets them); the README lists them with what to do.
CODES = LINT_CODES
LOOP_CODES = ("ivr-menu-trap", "ivr-key-loops-back", "call-loop", "unanswered-loop")  # a call goes round


@dataclass(frozen=True)
class Finding:
    code: str
    node: Node
    message: str
    location: Location | None
    severity: str = "error"
    nodes: tuple[Node, ...] = ()  # every object a loop or a trap goes round (node among them)
    severity_set_by: str | None = None  # "policy.lint (policy.yaml:5:5)" when the policy changed it

    def to_json(self) -> dict:
        return {"severity": self.severity, "code": self.code, "kind": self.node[0], "name": self.node[1],
                "message": self.message, "location": str(self.location) if self.location else None,
                "severity_set_by": self.severity_set_by}

    def __str__(self) -> str:
        where = str(self.location) if self.location else "(live tenant)"
        note = f"; severity set by {self.severity_set_by}" if self.severity_set_by else ""
        return f"{where}: {self.severity}: {self.message} [{self.code}{note}]"


class Findings(list):
    """The findings lint reports, and (`turned_off`) those the policy turned off."""

    def __init__(self, findings: list[Finding] = (), turned_off: list[Finding] = ()):  # type: ignore[assignment]
        super().__init__(findings)
        self.turned_off: list[Finding] = list(turned_off)


def lint(routing: Routing) -> Findings:
    """Every finding, as the manifests' `policy.lint` sets it, errors first, then in file order."""
    found = _configured(_findings(routing) + _unused_ignores(routing), routing)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    found.sort(key=lambda f: (order[f.severity], _where(f.location), f.code, f.node))
    return found


def _findings(routing: Routing) -> list[Finding]:
    """Every finding at the rules' own severities."""
    found: list[Finding] = []
    objects = routing.objects
    reached = reached_nodes(routing)

    def add(code: str, node: Node, message: str, path: str = "") -> None:
        severity = "error" if node in reached else "warning"
        found.append(Finding(code, node, f"{subject(node)}: {message}", routing.location(node, path), severity))

    for kind in kinds_with(CallRole.ROUTE):
        for number, data in objects.get(kind, {}).items():
            if data.get(ROUTE_TAKES_CALLS) is True and not data.get(ROUTE_SCRIPT):  # reached by definition
                add("hotline-without-call-script", (kind, number),
                    "takes inbound calls (inbound: true) but has no call_script: callers reach nothing",
                    ROUTE_TAKES_CALLS)
    for kind in kinds_with(CallRole.MENU):
        for name, data in objects.get(kind, {}).items():
            if not data.get("keys") and not data.get("fallback"):
                add("ivr-menu-dead-end", (kind, name),
                    "has neither keys nor a fallback: every caller is hung up on")
    for kind in kinds_with(CallRole.RING_MEMBERS):
        for name, data in objects.get(kind, {}).items():
            if not data.get("members") and not data.get("on_timeout"):
                add("group-dead-end", (kind, name),
                    "has no members and no on_timeout: calls sent here ring nobody and end")
    traps = _traps(routing, reached)
    found += traps
    found += _loops(routing, traps)
    found += _unreachable(routing, reached)
    return found


def _unused_ignores(routing: Routing) -> list[Finding]:
    """A warning per `policy.lint` ignore entry that names no object lint reads: it ignores
    nothing (a typo, or an object renamed or deleted since). A warning, not an error, as
    linters treat an unused disable directive: deleting an object by hand must not make
    the manifests invalid. Its node: ("policy", the name written)."""
    where = "the manifests" if routing.source == "manifests" else "the tenant"
    known = {name for objs in routing.objects.values() for name in objs}
    declared: dict[str, dict[str, Any]] = {}  # the manifests' objects, for their previous_names
    for (kind, name), obj in routing.where.items():
        declared.setdefault(kind, {})[name] = obj
    return [Finding("unused-lint-ignore", ("policy", name), message,
                    routing.policy_location(path) or routing.policy_location("lint"), "warning")
            for path, name, message in unused_lint_ignores(routing.lint_policy, known, where,
                                                           retired_names(declared))]


def _configured(found: list[Finding], routing: Routing) -> Findings:
    """`policy.lint` applied: a rule off, a severity set, objects ignored (a finding about
    one, or a loop or trap going round one); what it turns off is kept aside, to count."""
    out = Findings()
    for finding in found:
        setting = routing.lint_policy.get(finding.code)
        if setting is None:
            out.append(finding)
            continue
        severity = setting if isinstance(setting, str) else setting.severity
        ignored = set(getattr(setting, "ignore", []))
        if severity == "off" or ignored & {name for _, name in (finding.node, *finding.nodes)}:
            out.turned_off.append(finding)
        elif severity is not None and severity != finding.severity:
            at = routing.policy_location(f"lint.{finding.code}")
            by = f"policy.lint ({at})" if at else "policy.lint"
            out.append(replace(finding, severity=severity, severity_set_by=by))
        else:
            out.append(finding)
    return out


def _where(location: Location | None) -> tuple:
    return (location.file, location.line, location.column) if location else ("", 0, 0)


def _traps(routing: Routing, reached: set[Node]) -> list[Finding]:
    """Menus whose keys and fallback lead only back among themselves: a caller can never
    reach a person or leave. One menu alone: a key that loops back to it with no other way
    out; several: a trap (reported once, at its first menu)."""
    exits: dict[Node, set[Node]] = {}
    for kind in kinds_with(CallRole.MENU):
        for name in routing.objects.get(kind, {}):
            exits[(kind, name)] = {e.target for e, _ in out_edges(routing, (kind, name))}
    found = []
    for group in _components(exits):
        members = set(group)
        leads_out = any(t not in members for n in group for t in exits[n])
        if leads_out or not any(exits[n] for n in group):
            continue  # a way out, or a dead end (reported as ivr-menu-dead-end)
        node = min(group, key=lambda n: _where(routing.location(n)))
        severity = "error" if members & reached else "warning"
        if len(group) == 1:
            path = next((p for e, p in out_edges(routing, node) if e.target == node), "")
            found.append(Finding("ivr-key-loops-back", node, f"{subject(node)}: every key (and the fallback) "
                                 "returns to this menu: a caller can never leave it or reach a person",
                                 routing.location(node, path), severity, (node,)))
        else:
            names = [f"'{name}'" for name in sorted(n[1] for n in group if n != node)]
            others = ", ".join(names[:5])
            if len(names) > 5:  # a long ring: name a few, count the rest
                others += f" (and {len(names) - 5} more)"
            found.append(Finding("ivr-menu-trap", node, f"{subject(node)}: its keys and fallback lead only to "
                                 f"{KINDS[node[0]].label}s {others} and back: a caller can never reach a person",
                                 routing.location(node), severity, tuple(sorted(members))))
    return found


def _components(exits: dict[Node, set[Node]]) -> list[list[Node]]:
    """Strongly connected groups of menus (engine/scc.py: iterative, so a long chain of
    menus cannot exhaust Python's recursion), menus in declaration order. A menu that
    cannot return to itself is not a component of its own here."""
    graph = {menu: [t for t in exits[menu] if t in exits] for menu in exits}
    declared = {name: i for i, name in enumerate(exits)}
    groups = [sorted(c, key=declared.__getitem__) for c in cyclic_components(graph)]
    return sorted(groups, key=lambda g: declared[g[0]])


def _loops(routing: Routing, traps: list[Finding]) -> list[Finding]:
    """A warning per loop a `trace` can walk (trace.walkable_loops), at the loop's object
    written first, on the edge that goes round; a loop inside a trap already reported
    is not reported again. `call-loop`: calls go round even when everyone answers (no one
    on the way can answer); `unanswered-loop`: calls nobody answers go round."""
    trapped = [set(t.nodes) for t in traps]
    found = []
    for loop in walkable_loops(routing):
        if any(set(loop.nodes) <= members for members in trapped):
            continue
        turn = min(range(len(loop.cycle)), key=lambda i: _written(routing, loop.cycle[i][0]))
        ring = loop.cycle[turn:] + loop.cycle[:turn]
        node, _, path = ring[0]
        code = "call-loop" if loop.answered else "unanswered-loop"
        what = ("calls go round for ever and nobody on the way can answer" if loop.answered
                else "a call nobody answers goes round for ever")
        found.append(Finding(code, node, f"{subject(node)}: {what}: {_ring_text(ring)} "
                                         f"(`{loop.command(routing.root)}` walks it)",
                             routing.location(node, path), "warning", loop.nodes))
    return found


def _written(routing: Routing, node: Node) -> tuple:
    """Where an object is written (file order), then its place in its kind's list (the
    live tenant's objects have no file): the object a loop is reported at."""
    names = list(routing.objects.get(node[0], {}))
    return _where(routing.location(node)), names.index(node[1]) if node[1] in names else len(names)


def _ring_text(ring: tuple[tuple[Node, str, str], ...]) -> str:
    """"group 'A' --on_timeout--> group 'B' --on_timeout--> group 'A'" (as `trace` draws
    its hops); a long one shortened."""
    parts = [f"{subject(node)} --{label}-->" for node, label, _ in ring[:6]]
    if len(ring) > 6:
        parts.append(f"({len(ring) - 6} more) -->")
    return " ".join(parts + [subject(ring[0][0])])


def reached_nodes(routing: Routing) -> set[Node]:
    """Everything a hotline's inbound calls reach (greetings a menu plays included)."""
    reached: set[Node] = set()
    queue: list[Node] = routing.hotline_nodes()
    while queue:
        node = queue.pop()
        if node in reached:
            continue
        reached.add(node)
        data = routing.data(node)
        if data is None:
            continue
        targets = [e.target for e, _ in out_edges(routing, node)]
        if role(node) is CallRole.MENU:  # what a menu plays (its greetings)
            targets += [(ref[0], ref[1]) for ref in KINDS[node[0]].references(data)
                        if role((ref[0], ref[1])) is CallRole.PLAY]
        queue += [t for t in targets if t not in reached]
    return reached


def _unreachable(routing: Routing, reached: set[Node]) -> list[Finding]:
    """Declared objects that no hotline's inbound calls reach."""
    found = []
    for kind in kinds_with(CallRole.STEPS, CallRole.MENU, CallRole.RING_MEMBERS, CallRole.PLAY):
        for name in routing.objects.get(kind, {}):
            node = (kind, name)
            if node not in reached:
                found.append(Finding("unreachable", node, f"{subject(node)}: no hotline's inbound calls reach it",
                                     routing.location(node), "info"))
    return found


def acknowledged(findings: list[Finding]) -> dict[str, list[str]]:
    """Rule code -> the objects of its errors and warnings, for `policy.lint` ignore lists
    (what `export` writes: a tenant's routing as it is passes `validate` and `lint`)."""
    out: dict[str, list[str]] = {}
    for finding in findings:
        if finding.severity in ("error", "warning") and finding.node[1] not in out.setdefault(finding.code, []):
            out[finding.code].append(finding.node[1])
    return {code: names for code, names in out.items() if names}


def exit_code(findings: list[Finding]) -> int:
    """The SPEC's: 0 with nothing (or only info), 2 with a warning or an error."""
    return 2 if any(f.severity in ("error", "warning") for f in findings) else 0


def render_lint_text(findings: list[Finding], note: str = "") -> str:
    """A line per finding, then the counts; `note`: what else the reader must know (that
    no policy was read), said in that last line."""
    lines = [str(f) for f in findings]
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
    off = len(getattr(findings, "turned_off", []))
    muted = f"{off} finding{'s' if off != 1 else ''} turned off by policy.lint" if off else ""
    if findings:
        last = f"Lint: {summary}{'; ' + muted if muted else ''}."
    else:
        last = f"Lint: no routing problems found{f' ({muted})' if muted else ''}."
    lines.append(last + (f" Note: {note}." if note else ""))
    return "\n".join(lines) + "\n"


__all__ = ["CODES", "Finding", "Findings", "LOOP_CODES", "acknowledged", "exit_code", "lint", "render_lint_text"]
