"""Property (issue 21, part d): for generated manifest sets, `lint` reports every loop a
`trace` ends in, and every loop lint reports is one a trace walks (the call it names walks
it). Traces are enumerated: every hotline, answered or not, every time of the week its
schedule distinguishes, every key sequence up to a bound over the keys the menus use and
one they do not."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.flows.lint import LOOP_CODES, lint
from reconciler.flows.model import Routing
from reconciler.flows.sources import routing_from_manifests
from reconciler.flows.trace import trace_call, walkable_loops
from reconciler.kinds.ivr_menu import KEYS
from reconciler.manifest import load_manifests
from tests.e2e.test_properties import manifest_sets, write

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_KEYS = 3  # key sequences up to this long


@st.composite
def tenants_with_hotlines(draw: Any) -> dict[str, Any]:
    """test_properties' manifest sets (groups, menus, call scripts that lead anywhere,
    cycles included), with hotlines that run those call scripts, some on a weekly schedule."""
    manifests = draw(manifest_sets())
    # More overflow and fallback rings than those sets draw by chance: loops to find.
    groups, menus = [g["name"] for g in manifests["groups"]], [m["name"] for m in manifests["ivr_menus"]]
    for group in manifests["groups"]:
        others = [n for n in groups if n != group["name"]]
        if others and draw(st.booleans()):
            group["on_timeout"] = {"group": draw(st.sampled_from(others))}
    for menu in manifests["ivr_menus"]:
        if draw(st.booleans()):
            menu["fallback"] = draw(st.sampled_from([{"ivr": n} for n in menus] + [{"group": n} for n in groups]))
    scripts = [s["name"] for s in manifests["call_scripts"]]
    hotlines = []
    for i in range(draw(st.integers(1, 2))):
        hotline: dict[str, Any] = {"number": f"8428710000{i:02d}",
                                   "inbound": draw(st.sampled_from([True, True, None, False]))}
        if scripts and draw(st.integers(0, 4)):
            hotline["call_script"] = draw(st.sampled_from(scripts))
        if scripts and draw(st.booleans()):
            days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=2, unique=True))
            hotline["schedule"] = {
                day: draw(st.one_of(st.sampled_from(scripts), st.just(
                    [{"from": "08:00", "to": "12:00", "call_script": draw(st.sampled_from(scripts))}])))
                for day in days}
        hotlines.append(hotline)
    manifests["hotlines"] = hotlines
    return manifests


def _times(routing: Routing, number: str) -> list[tuple[str, str] | None]:
    """No --at, and a time in and out of every time frame of every day the schedule sets."""
    times: list[tuple[str, str] | None] = [None]
    for day, plan in routing.schedules.get(number, {}).items():
        times += [(day, "00:00")] + [(day, frame.start) for frame in plan.frames]
    return times


def _key_sequences(routing: Routing) -> list[tuple[str, ...]]:
    used = sorted({k for menu in routing.objects.get("ivr_menus", {}).values() for k in (menu.get("keys") or {})},
                  key=KEYS.index)[:4]
    unused = next(k for k in KEYS if k not in used)
    alphabet = used + [unused]
    return [seq for n in range(MAX_KEYS + 1) for seq in itertools.product(alphabet, repeat=n)]


@settings(max_examples=40)
@given(tenants_with_hotlines())
def test_lint_reports_every_loop_trace_walks_and_no_other(manifests: dict):
    root = Path(tempfile.mkdtemp())
    try:
        write(root, manifests)
        routing = routing_from_manifests(load_manifests(root))
    finally:
        shutil.rmtree(root)
    loops = [f for f in lint(routing) if f.code in LOOP_CODES]
    sequences = _key_sequences(routing)
    for number in routing.hotlines():
        for answered, at in itertools.product((True, False), _times(routing, number)):
            for keys in sequences:
                walked = trace_call(routing, number, list(keys), answered=answered, at=at)
                if walked.end != "loop":
                    continue
                where = walked.hops[-1].node
                assert any(where in f.nodes for f in loops), (number, keys, answered, at, walked.reason, loops)
    # and the other way: each loop lint reports (traps aside) is walked by the call it names
    for loop in walkable_loops(routing):
        walked = trace_call(routing, loop.hotline, list(loop.keys), answered=loop.answered, at=loop.at)
        assert walked.end == "loop" and walked.hops[-1].node in loop.nodes, (loop, walked)
    reported = {frozenset(f.nodes) for f in loops if f.code in ("call-loop", "unanswered-loop")}
    assert reported <= {frozenset(loop.nodes) for loop in walkable_loops(routing)}
