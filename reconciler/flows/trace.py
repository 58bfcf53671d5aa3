"""`trace`: one call walked hop by hop through the routing, and how it ends.

The vendor's doc does not define run-time behaviour; this is the model (the README and the
SPEC state it): the call script's steps run in order; an IVR menu takes the next key the
caller presses; a key the menu lacks counts as a failure, no key left as a timeout (also a
failure), and after `max_failures` the call takes the fallback; a group with members or an
extension answers unless the call is traced unanswered, and then its `on_timeout` is
followed, or else the call script's next step. A greeting plays and the call goes on.
The walk stops at the first repeat of (object, keys left, step): a loop.

`walkable_loops` explores every call this model allows (any keys, answered or not, any
time of the week) and returns each loop a trace can walk, with one call that walks it:
`lint` reports them, so the two commands never disagree about a loop.
"""

from __future__ import annotations

import re
import shlex
from collections import deque
from dataclasses import dataclass, field

from reconciler import FORMAT_VERSION
from reconciler.flows.model import DAYS, UNSUPPORTED, Day, FlowError, Node, Routing, find_hotline_node, out_edges, \
    role, script_kind, subject
from reconciler.kinds.base import ROUTE_SCRIPT, ROUTE_TAKES_CALLS, CallRole

KEYPAD = tuple("0123456789") + ("*", "#")  # the keys a caller can press, in the keypad's order
RINGS = (CallRole.RING_MEMBERS, CallRole.RING)

ENDS = ("answered", "unanswered", "hung_up", "loop")
_DAY_WORDS = {**{d: d for d in DAYS}, "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
              "friday": "fri", "saturday": "sat", "sunday": "sun"}


@dataclass
class Hop:
    node: Node
    via: str | None  # the edge label that led here; None for the hotline
    note: str = ""


@dataclass
class Trace:
    hotline: str
    keys: list[str]
    answered: bool
    hops: list[Hop] = field(default_factory=list)
    end: str = "hung_up"  # one of ENDS
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "hotline": self.hotline,
            "keys": self.keys,
            "answered": self.answered,
            "hops": [{"kind": h.node[0], "name": h.node[1], "via": h.via, "note": h.note} for h in self.hops],
            "end": self.end,
            "reason": self.reason,
            "notes": self.notes,
        }


class _Ended(Exception):
    def __init__(self, end: str, reason: str):
        self.end, self.reason = end, reason


def parse_keys(text: str | None) -> list[str]:
    """"2,1" -> ["2", "1"]; every key one of 0-9, *, #."""
    if not text:
        return []
    keys = [k.strip() for k in text.split(",")]
    bad = [k for k in keys if not re.fullmatch(r"[0-9*#]", k)]
    if bad:
        raise FlowError(f"--keys: {', '.join(repr(k) for k in bad)} is not a key a caller can press "
                        "(one of 0-9, *, #, separated by commas: --keys 2,1)")
    return keys


def parse_at(text: str) -> tuple[str, str]:
    """"Sat 19:30" -> ("sat", "19:30")."""
    match = re.fullmatch(r"\s*([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*", text or "")
    day = _DAY_WORDS.get(match.group(1).lower()) if match else None
    if not match or day is None or int(match.group(2)) > 23 or int(match.group(3)) > 59:
        raise FlowError(f"--at {text!r}: expected a weekday and a time, e.g. --at \"Sat 19:30\"")
    return day, f"{int(match.group(2)):02d}:{match.group(3)}"


def trace_call(routing: Routing, hotline: str, keys: list[str], *, answered: bool = True,
               at: tuple[str, str] | None = None) -> Trace:
    """Walk one call to `hotline` pressing `keys`; see the module's docstring for the model."""
    start = find_hotline_node(routing, hotline)
    number = start[1]
    walk = _Walk(routing, Trace(number, list(keys), answered))
    try:
        walk.call(start, at)
    except _Ended as ended:
        walk.trace.end, walk.trace.reason = ended.end, ended.reason
    return walk.trace


class _Walk:
    def __init__(self, routing: Routing, trace: Trace):
        self.routing = routing
        self.trace = trace
        self.keys = list(trace.keys)
        self.seen: set[tuple[Node, int, int]] = set()
        self.step = -1
        self.last_rang: Node | None = None  # the last group or extension that rang unanswered

    def visit(self, node: Node, via: str | None, note: str = "") -> Hop:
        state = (node, len(self.keys), self.step)
        hop = Hop(node, via, note)
        self.trace.hops.append(hop)
        if state in self.seen:
            hop.note = "again"
            raise _Ended("loop", f"the call comes back to {subject(node)} with nothing changed "
                                 "(same keys left to press): it would go round for ever")
        self.seen.add(state)
        return hop

    def call(self, hotline: Node, at: tuple[str, str] | None) -> None:
        data = self.routing.data(hotline) or {}
        self.visit(hotline, None)
        if data.get(ROUTE_TAKES_CALLS) is False:
            raise _Ended("hung_up", f"{subject(hotline)} does not take inbound calls (inbound: false)")
        script, label = self.pick_call_script(hotline[1], data, at)
        if not script:
            raise _Ended("hung_up", f"{subject(hotline)} has no call script: nothing answers the call")
        node: Node = (script_kind(), script)
        self.visit(node, label)
        data = self.routing.data(node)
        if data is None:
            raise _Ended("hung_up", f"{subject(node)} is not in the {self.routing.source}: its steps are unknown")
        for edge, path in out_edges(self.routing, node):
            self.step = int(path.partition(".")[2])  # steps.N
            self.run(edge.target, edge.label)
        if self.last_rang is not None:
            raise _Ended("unanswered", f"nobody answered at {subject(self.last_rang)}, and the call script has "
                                       "no step after it: the call ends unanswered")
        raise _Ended("hung_up", f"the steps of {subject(node)} end without anyone answering: the caller is hung up on")

    def pick_call_script(self, number: str, data: dict, at: tuple[str, str] | None) -> tuple[str | None, str]:
        default = data.get(ROUTE_SCRIPT)
        if at is None:
            return default, "inbound"
        day, time = at
        plan = self.routing.schedules.get(number, {}).get(day)
        if not self.routing.schedules.get(number):
            where = "the manifests carry" if self.routing.source == "manifests" else "the tenant has"
            self.trace.notes.append(f"--at {day} {time}: {where} no weekly schedule for hotline {number}, "
                                    "so its call_script runs at every hour")
            return default, "inbound"
        if plan is not None:
            for frame in plan.frames:
                if frame.start <= time < frame.end and frame.call_script:
                    self.trace.notes.append(f"--at {day} {time}: the schedule's {frame.start}-{frame.end} frame")
                    return frame.call_script, f"{day} {frame.start}-{frame.end}"
            if plan.call_script:
                self.trace.notes.append(f"--at {day} {time}: the schedule's call script for {day}")
                return plan.call_script, day if plan.call_script != default else "inbound"
        self.trace.notes.append(f"--at {day} {time}: the schedule sets nothing else then; call_script runs")
        return default, "inbound"

    def run(self, node: Node, via: str) -> None:
        """Run one destination; returns when the call goes on to the call script's next step."""
        call_role = role(node)
        data = self.routing.data(node)
        if node[0] == UNSUPPORTED:
            self.visit(node, via, "a target manifests cannot name")
            raise _Ended("hung_up", f"the call goes to {node[1]}, which the reconciler cannot follow")
        if call_role is CallRole.PLAY:
            text = (data or {}).get("text")
            self.visit(node, via, f"plays “{_short(text)}”" if text else "plays")
        elif call_role is CallRole.MENU:
            self.menu(node, via, data)
        elif call_role in RINGS:
            self.ring(node, via, data)

    def menu(self, node: Node, via: str, data: dict | None) -> None:
        hop = self.visit(node, via)
        if data is None:
            hop.note = f"not in the {self.routing.source}: its keys are unknown"
            raise _Ended("hung_up", f"{subject(node)} is not in the {self.routing.source}")
        leads = _leads(self.routing, node)
        keys, limit, events = _keys(leads), data.get("max_failures") or 1, []
        failures = 0
        while failures < limit:
            if not self.keys:
                events.append(f"no key pressed: {limit - failures} timeout{'s' if limit - failures > 1 else ''}")
                failures = limit
                break
            key = self.keys.pop(0)
            target = keys.get(key)
            if target is not None:
                hop.note = "; ".join(events + [f"caller presses {key}"])
                self.run(target, f"key {key}")
                return
            failures += 1
            events.append(f"key {key} is not in the menu (failure {failures} of {limit})")
        hop.note = "; ".join(events)
        fallback = leads.get("fallback")
        if fallback is None:
            raise _Ended("hung_up", f"{subject(node)} has no fallback after {limit} failure"
                                    f"{'s' if limit > 1 else ''}: the caller is hung up on")
        self.run(fallback, "fallback")

    def ring(self, node: Node, via: str, data: dict | None) -> None:
        leads = _leads(self.routing, node)
        members = _members(leads)
        has_members = role(node) is CallRole.RING_MEMBERS
        if has_members and data is not None and not members:
            hop = self.visit(node, via, "has no members: nobody rings")
        else:
            rings = f"rings {', '.join(members)}" if members else "rings"
            if data is None and has_members:
                rings += f" (not in the {self.routing.source}: members unknown)"
            hop = self.visit(node, via, rings)
            if self.trace.answered:
                raise _Ended("answered", f"{subject(node)} answers")
            hop.note += ": no answer"
        self.last_rang = node
        on_timeout = leads.get("on_timeout")
        if on_timeout is not None:
            self.run(on_timeout, "on_timeout")


def _leads(routing: Routing, node: Node) -> dict[str, Node]:
    """Field path -> where the edge written there leads (`out_edges`)."""
    known = routing.leads.get(node)
    if known is None:
        known = routing.leads[node] = {path: edge.target for edge, path in out_edges(routing, node)}
    return known


def _keys(leads: dict[str, Node]) -> dict[str, Node]:
    """A menu's keys (`keys.KEY`) -> where each leads."""
    return {path.partition(".")[2]: target for path, target in leads.items() if path.startswith("keys.")}


def _members(leads: dict[str, Node]) -> list[str]:
    """The names of the members a RING_MEMBERS object rings (`members.N`), in order."""
    return [target[1] for path, target in leads.items() if path.startswith("members.")]


# --- every loop a trace can walk --------------------------------------------------------


@dataclass(frozen=True)
class Loop:
    """A loop of the walk model: its objects in the order the call goes round, each with the
    edge that leaves it (label and field path), and one call that walks into it."""

    cycle: tuple[tuple[Node, str, str], ...]  # (object, edge label, field path)
    hotline: str
    keys: tuple[str, ...]
    answered: bool
    at: tuple[str, str] | None = None

    @property
    def nodes(self) -> tuple[Node, ...]:
        return tuple(node for node, _, _ in self.cycle)

    def command(self, root: str | None) -> str:
        """The `trace` command that walks it, on the manifests in `root` (None: --live)."""
        args = ["reconciler", "trace", self.hotline, shlex.quote(root) if root is not None else "--live"]
        if self.keys:
            args.append(f"--keys {shlex.quote(','.join(self.keys))}")  # '*' and '#' quoted for a shell
        if not self.answered:
            args.append("--unanswered")
        if self.at:
            args.append(f"--at {shlex.quote(f'{self.at[0].capitalize()} {self.at[1]}')}")
        return " ".join(args)


State = tuple[Node, bool]  # where the call is, and whether the caller may still press keys


def walkable_loops(routing: Routing) -> list[Loop]:
    """Every loop `trace_call` can end in, over every hotline, key sequence, answered or
    not, and time of the week; a loop a call walks both answered and unanswered is given
    answered. The walk is explored, not enumerated: what a call does next depends only on
    where it is and whether the caller still presses keys (and a call script's next step
    runs when the step before can return), so each such state is looked at once for the
    whole tenant; one call script is then walked per loop found, for the keys."""
    found: dict[frozenset[Node], Loop] = {}
    for answered in (True, False):
        order, origin = _reach(routing, answered)
        walked: dict[str, dict[Node, tuple[int, tuple[str, ...]]]] = {}
        for nodes, ring, entry in _cycles(routing, order, answered):
            if nodes in found:
                continue
            number, script, at = origin[entry]
            if script not in walked:
                walked[script] = _explore(routing, script, answered)
            keys = walked[script][entry][1]
            found[nodes] = Loop(tuple((n, label, label) for n, label in ring), number, keys, answered, at)
    return list(found.values())


def _scripts_of(routing: Routing, number: str, data: dict) -> list[tuple[str, tuple[str, str] | None]]:
    """The call scripts a call to the hotline can run, each with an `--at` that picks it
    (None: the hotline's call_script, traced without --at)."""
    out: list[tuple[str, tuple[str, str] | None]] = []
    if data.get(ROUTE_SCRIPT):
        out.append((data[ROUTE_SCRIPT], None))
    for day, plan in routing.schedules.get(number, {}).items():
        for frame in plan.frames:
            if frame.call_script:
                out.append((frame.call_script, (day, frame.start)))
        if plan.call_script:
            free = _time_outside(plan)
            if free is not None:
                out.append((plan.call_script, (day, free)))
    return out


def _time_outside(plan: Day) -> str | None:
    """A time of day no time frame with a call script covers (the day's own script runs)."""
    for minute in range(24 * 60):
        time = f"{minute // 60:02d}:{minute % 60:02d}"
        if not any(f.start <= time < f.end and f.call_script for f in plan.frames):
            return time
    return None


def _rings_unanswered(routing: Routing, node: Node, data: dict | None, answered: bool) -> bool:
    """Whether a group or extension the call reaches lets it go on (`_Walk.ring`): nobody
    answers, or a declared group has no members to ring."""
    if not answered:
        return True
    return role(node) is CallRole.RING_MEMBERS and data is not None and not _members(_leads(routing, node))


def _visited(node: Node) -> bool:
    """Whether `_Walk.run` visits the object (a greeting, a menu, a group or an extension,
    or a target manifests cannot name)."""
    return node[0] == UNSUPPORTED or role(node) in (CallRole.PLAY, CallRole.MENU, *RINGS)


def _moves(routing: Routing, node: Node, may: bool, answered: bool) -> tuple[list[tuple[Node, bool, tuple[str, ...]]], bool]:
    """What `_Walk.run` can do with the call at `node`: where it goes next (the object,
    whether the caller may still press keys, the keys pressed on the way), and whether the
    call returns from here to the call script's next step."""
    call_role = role(node)
    if not _visited(node) or call_role is CallRole.PLAY:
        return [], True  # a greeting plays; a target `run` does not follow is passed over
    data = routing.data(node)
    if call_role is CallRole.MENU:
        return (_menu_moves(routing, node, data, may) if data is not None else []), False
    if call_role in RINGS:
        if not _rings_unanswered(routing, node, data, answered):
            return [], False  # answered: the call ends
        target = _leads(routing, node).get("on_timeout")
        return ([(target, may, ())], False) if target is not None else ([], True)
    return [], False  # a target manifests cannot name: the call is hung up


def _menu_moves(routing: Routing, node: Node, data: dict, may: bool) -> list[tuple[Node, bool, tuple[str, ...]]]:
    """Where a menu sends the call (`_Walk.menu`): a key it has; its fallback after
    max_failures keys it lacks; its fallback when no key is left (nothing pressed after)."""
    leads = _leads(routing, node)
    menu_keys, limit = _keys(leads), data.get("max_failures") or 1
    moves: list[tuple[Node, bool, tuple[str, ...]]] = []
    fallback = leads.get("fallback")
    if may:
        for key in KEYPAD:
            target = menu_keys.get(key)
            if target is not None:
                moves.append((target, True, (key,)))
        wrong = next((k for k in KEYPAD if menu_keys.get(k) is None), None)
        if wrong is not None and fallback is not None:
            moves.append((fallback, True, (wrong,) * limit))
    if fallback is not None:
        moves.append((fallback, False, ()))
    return moves


def _returns(routing: Routing, answered: bool) -> dict[State, set[bool]]:
    """For every state a call script's step can lead to: with which "may still press keys"
    the call can return from it to the next step (found backwards from where calls return)."""
    scripts = script_kind()
    starts = {edge.target for name in routing.objects.get(scripts, {})
              for edge, _ in out_edges(routing, (scripts, name))}
    states: list[State] = [(node, may) for node in starts for may in (True, False)]  # type: ignore[misc]
    seen = set(states)
    back: dict[State, list[State]] = {}
    out: dict[State, set[bool]] = {}
    queue: deque[tuple[State, bool]] = deque()
    for state in states:  # grows as new states are met
        moves, returns = _moves(routing, state[0], state[1], answered)
        if returns:
            queue.append((state, state[1]))
        for target, may, _ in moves:
            nxt = (target, may)
            back.setdefault(nxt, []).append(state)
            if nxt not in seen:
                seen.add(nxt)
                states.append(nxt)
    while queue:
        state, may = queue.popleft()
        if may in out.setdefault(state, set()):
            continue
        out[state].add(may)
        queue += [(before, may) for before in back.get(state, [])]
    return out


def _reach(routing: Routing, answered: bool) -> tuple[dict[Node, int], dict[Node, tuple]]:
    """Every object a call can visit (-> the order found), and the call that gets there
    first (-> hotline, call script, --at)."""
    returns = _returns(routing, answered)
    queue: deque[tuple[State, tuple]] = deque()
    scripts = script_kind()
    for hotline in routing.hotline_nodes():
        number, data = hotline[1], routing.data(hotline) or {}
        if data.get(ROUTE_TAKES_CALLS) is False:
            continue
        for script, at in _scripts_of(routing, number, data):
            entries = {True}
            for edge, _ in out_edges(routing, (scripts, script)):
                first = edge.target
                queue += [((first, may), (number, script, at)) for may in sorted(entries, reverse=True)]
                entries = set().union(*(returns.get((first, may), set()) for may in entries))
                if not entries:
                    break  # every call ends in this step: the next ones are never run
    order: dict[Node, int] = {}
    origin: dict[Node, tuple] = {}
    seen: set[State] = set()
    while queue:
        state, source = queue.popleft()
        if state in seen:
            continue
        seen.add(state)
        node, may = state
        if _visited(node) and node not in order:
            order[node], origin[node] = len(order), source
        moves, _ = _moves(routing, node, may, answered)
        queue += [((target, more), source) for target, more, _ in moves]
    return order, origin


def _explore(routing: Routing, script: str, answered: bool) -> dict[Node, tuple[int, tuple[str, ...]]]:
    """Every object a call running `script` can visit -> (order found, the keys of one call
    that gets there with no key left to press)."""
    reached: dict[Node, tuple[int, tuple[str, ...]]] = {}
    entries: dict[bool, tuple[str, ...]] = {True: ()}  # may press keys -> keys pressed so far
    for edge, _ in out_edges(routing, (script_kind(), script)):
        first = edge.target
        back: dict[bool, tuple[str, ...]] = {}
        seen: set[State] = set()
        queue = deque((first, may, keys) for may, keys in entries.items())
        while queue:
            node, may, keys = queue.popleft()
            if (node, may) in seen:
                continue
            seen.add((node, may))
            if _visited(node):
                reached.setdefault(node, (len(reached), keys))
            moves, returns = _moves(routing, node, may, answered)
            if returns:
                back.setdefault(may, keys)
            queue += [(target, more, keys + pressed) for target, more, pressed in moves]
        if not back:
            break
        entries = back
    return reached


def _cycles(routing: Routing, order: dict[Node, int], answered: bool) -> list[tuple]:
    """The loops a call with no key left walks from the objects reached: (their set, the
    ring from where calls first enter it, that object)."""
    loops = []
    done: set[Node] = set()
    for start in sorted(order, key=order.__getitem__):
        path: list[tuple[Node, str]] = []
        on_path: dict[Node, int] = {}
        node: Node | None = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            step = _keyless_next(routing, node, answered)
            path.append((node, step[1] if step else ""))
            node = step[0] if step else None
        if node is not None and node in on_path:  # round again: a loop
            ring = path[on_path[node]:]
            entry = min((n for n, _ in ring), key=lambda n: order.get(n, len(order)))
            turn = [n for n, _ in ring].index(entry)
            loops.append((frozenset(n for n, _ in ring), ring[turn:] + ring[:turn], entry))
        done.update(on_path)
    return loops


def _keyless_next(routing: Routing, node: Node, answered: bool) -> tuple[Node, str] | None:
    """Where the call goes from `node` when the caller presses no more keys, and the edge's
    label; None when the call ends there or returns to the call script's next step."""
    moves, _ = _moves(routing, node, False, answered)
    if not moves:
        return None
    return moves[0][0], "fallback" if role(node) is CallRole.MENU else "on_timeout"


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_trace_text(trace: Trace) -> str:
    """The walk for people: one numbered line per hop, then how it ends."""
    pressed = ",".join(trace.keys) if trace.keys else "none"
    # What the walk assumes, not how it ends (an empty group leaves a call unanswered anyway).
    assumed = "when someone answers" if trace.answered else "when nobody answers"
    head = f"Call to hotline {trace.hotline} (keys: {pressed}; {assumed})"
    out = [head]
    out += [f"  note: {n}" for n in trace.notes]
    for i, hop in enumerate(trace.hops, 1):
        line = f"  {i:>2}. {subject(hop.node)}"
        if hop.via:
            line = f"  {i:>2}. --{hop.via}--> {subject(hop.node)}"
        if hop.note:
            line += f"  ({hop.note})"
        out.append(line)
    out.append(f"End: {trace.end.replace('_', ' ')}: {trace.reason}.")
    return "\n".join(out) + "\n"
