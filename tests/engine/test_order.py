"""The apply's order (reconciler/engine/order.py): cycles found once and broken in two
phases, objects that point at each other and all go away unlinked first, every
operation after what it needs."""

from __future__ import annotations

import graphlib

from reconciler.engine import order
from reconciler.engine.order import build_graph
from reconciler.engine.planner import make_plan
from reconciler.kinds import KINDS, Policy
from tests.engine.builders import FakeManifests, extension, group, ivr, live, tts

EXTS = [extension("101")]


def run_order(graph: dict) -> list:
    return list(graphlib.TopologicalSorter(graph).static_order())


def check_every_reference_exists_when_sent(ops: dict, sequence: list) -> None:
    """What a create or update sends names only objects that exist by then (created
    earlier, or live); what a finish sends may name any object created before it."""
    created: set = set()
    planned = {node[1:] for node in ops if node[0] == "create"}
    for node in sequence:
        op = ops[node]
        if node[0] in ("create", "update", "finish") and op.data is not None:
            for target in KINDS[node[1]].references(op.data):
                if target in planned and target != node[1:]:
                    assert target in created, (node, target)
                if node[0] == "create":
                    assert target != node[1:], f"{node} sends a reference to itself before it exists"
        if node[0] == "create":
            created.add(node[1:])


def ring_of_menus(n: int) -> FakeManifests:
    m = FakeManifests().add("greetings", name="Chào", text="Xin chào")
    for i in range(n):
        m.add("ivr_menus", name=f"Menu {i}", greeting="Chào", keys={"1": {"ivr": f"Menu {(i + 1) % n}"}},
              fallback={"ivr": f"Menu {i}"} if i == 0 else None)
    return m


def test_a_ring_of_menus_is_split_once_and_every_reference_exists_when_sent():
    plan = make_plan(ring_of_menus(5), live(extensions=EXTS))
    ops, graph = build_graph(plan)
    finishes = [node for node in ops if node[0] == "finish"]
    # One menu of the ring is created without its key, then completed; Menu 0's own
    # fallback (a reference to itself) is set the same way.
    assert finishes == [("finish", "ivr_menus", "Menu 0")]
    assert ops[("create", "ivr_menus", "Menu 0")].data["keys"] == {}
    assert ops[("create", "ivr_menus", "Menu 0")].data.get("fallback") is None
    assert ops[("finish", "ivr_menus", "Menu 0")].data["keys"] == {"1": {"ivr": "Menu 1"}}
    check_every_reference_exists_when_sent(ops, run_order(graph))


def test_cycles_are_found_once_not_by_sorting_per_cycle(monkeypatch):
    """Hundreds of rings cost one pass over the graph, then a check of the rings just
    broken: not a pass over the graph per cycle."""
    m = FakeManifests().add("greetings", name="Chào", text="Xin chào")
    for ring in range(200):
        for i in range(3):
            m.add("groups", name=f"Nhóm {ring}-{i}", on_timeout={"group": f"Nhóm {ring}-{(i + 1) % 3}"})
    searched = []  # the size of each graph searched for cycles
    original = order.cyclic_components
    monkeypatch.setattr(order, "cyclic_components", lambda graph: searched.append(len(graph)) or original(graph))
    ops, graph = build_graph(make_plan(m, live(extensions=EXTS)))
    assert searched[0] == 601  # the whole graph (600 groups, a greeting) once
    assert sum(searched[1:]) == 600  # then only the 200 rings of 3, once each
    assert sum(node[0] == "finish" for node in ops) == 200  # one group per ring
    check_every_reference_exists_when_sent(ops, run_order(graph))


def test_groups_that_overflow_into_each_other_and_all_go_are_unlinked_first():
    a_id, b_id = "a" * 24, "b" * 24
    state = live(extensions=EXTS, groups=[group("A", target=("Ring_group", b_id), _id=a_id),
                                          group("B", target=("Ring_group", a_id), _id=b_id)])
    plan = make_plan(FakeManifests(policy=Policy(prune=["groups"])), state)
    ops, graph = build_graph(plan)
    unlinks = [node for node in ops if node[0] == "unlink"]
    assert len(unlinks) == 1
    (_, _, name) = unlinks[0]
    other = "B" if name == "A" else "A"
    sequence = run_order(graph)
    # The unlinked group lets go of the other, which can then be deleted, then itself.
    assert sequence.index(unlinks[0]) < sequence.index(("delete", "groups", other)) \
        < sequence.index(("delete", "groups", name))
    assert ops[unlinks[0]].data.get("on_timeout") is None


def test_a_replaced_greeting_is_deleted_after_its_referrers_are_repointed():
    greeting = tts("Chào", "cũ")
    state = live(extensions=EXTS, greetings=[greeting],
                 groups=[group("A", target=("Recording", greeting["_id"]))])
    m = FakeManifests().add("greetings", name="Chào", text="mới").add("groups", name="A", on_timeout={"greeting": "Chào"})
    ops, graph = build_graph(make_plan(m, state))
    sequence = run_order(graph)
    assert sequence.index(("create", "greetings", "Chào")) < sequence.index(("update", "groups", "A")) \
        < sequence.index(("delete", "greetings", "Chào"))


def test_a_main_menu_its_sub_menus_lead_back_to_is_the_one_in_two_phases():
    """Menu chính -> Menu 1..3, each with "9: back to Menu chính": one second phase (the
    main menu), not one per sub-menu."""
    m = FakeManifests().add("greetings", name="Chào", text="Xin chào")
    m.add("ivr_menus", name="Menu chính", greeting="Chào", keys={str(i): {"ivr": f"Menu {i}"} for i in (1, 2, 3)})
    for i in (1, 2, 3):
        m.add("ivr_menus", name=f"Menu {i}", greeting="Chào", keys={"9": {"ivr": "Menu chính"}})
    ops, graph = build_graph(make_plan(m, live(extensions=EXTS)))
    assert [node for node in ops if node[0] == "finish"] == [("finish", "ivr_menus", "Menu chính")]
    check_every_reference_exists_when_sent(ops, run_order(graph))


def test_a_cycle_is_broken_where_the_first_phase_keeps_a_key():
    """An IVR menu sent with no keys may be refused ("scripts is required", the `strict`
    reading): the menu split in two phases is one that keeps a key of its own."""
    m = FakeManifests().add("greetings", name="Chào", text="Xin chào").add("groups", name="G", members=["101"])
    m.add("ivr_menus", name="A", greeting="Chào", keys={"1": {"ivr": "B"}})
    m.add("ivr_menus", name="B", greeting="Chào", keys={"1": {"ivr": "A"}, "2": {"group": "G"}})
    m.add("ivr_menus", name="C", greeting="Chào", keys={"1": {"ivr": "A"}, "2": {"ivr": "B"}})
    ops, graph = build_graph(make_plan(m, live(extensions=EXTS)))
    assert [node for node in ops if node[0] == "finish"] == [("finish", "ivr_menus", "B")]
    assert all(op.data["keys"] for node, op in ops.items() if node[1] == "ivr_menus")
    check_every_reference_exists_when_sent(ops, run_order(graph))


def test_menus_that_lead_to_each_other_and_all_go_never_send_an_empty_key_list():
    a_id, b_id = "a" * 24, "b" * 24
    greeting = tts("Chào", "Xin chào")
    state = live(extensions=EXTS, greetings=[greeting],
                 ivr_menus=[ivr("A", greeting["_id"], {"1": ("Ivr_menu", b_id)}, _id=a_id),
                            ivr("B", greeting["_id"], {"1": ("Ivr_menu", a_id)}, _id=b_id)])
    ops, graph = build_graph(make_plan(FakeManifests(policy=Policy(prune=["ivr_menus"])), state))
    (unlink,) = [node for node in ops if node[0] == "unlink"]
    # The key that led to the other menu loops back to this one until it is deleted.
    assert ops[unlink].data["keys"] == {"1": {"ivr": unlink[2]}}
    sequence = run_order(graph)
    assert sequence.index(unlink) < sequence.index(("delete", "ivr_menus", "A" if unlink[2] == "B" else "B"))
