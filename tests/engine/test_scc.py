"""Strongly connected components and back edges (reconciler/engine/scc.py), checked
against a brute-force definition on random graphs."""

from __future__ import annotations

import graphlib
import random

import pytest

from reconciler.engine.scc import back_edges, cyclic_components, strongly_connected_components


def test_a_chain_is_one_component_per_node_dependencies_first():
    graph = {"a": ["b"], "b": ["c"], "c": []}
    assert strongly_connected_components(graph) == [["c"], ["b"], ["a"]]
    assert cyclic_components(graph) == []


def test_a_ring_is_one_component_and_a_self_loop_is_a_cycle():
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"], "e": ["a"]}
    components = strongly_connected_components(graph)
    assert sorted(map(sorted, components)) == [["a", "b", "c"], ["d"], ["e"]]
    assert sorted(map(sorted, cyclic_components(graph))) == [["a", "b", "c"], ["d"]]


def test_nodes_only_pointed_at_need_not_be_keys():
    assert strongly_connected_components({"a": ["z"]}) == [["z"], ["a"]]


def test_a_chain_of_100000_nodes_does_not_recurse():
    n = 100_000
    graph = {i: [i + 1] for i in range(n)}
    graph[n] = [0]  # and one ring through all of them
    (component,) = strongly_connected_components(graph)
    assert len(component) == n + 1


def reachable(graph: dict, start) -> set:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for succ in graph.get(node, ()):
            if succ not in seen:
                seen.add(succ)
                todo.append(succ)
    return seen


@pytest.mark.parametrize("seed", range(30))
def test_random_graphs_match_the_definition_and_back_edges_break_every_cycle(seed):
    rnd = random.Random(seed)
    n = rnd.randint(1, 40)
    graph = {i: list(dict.fromkeys(rnd.randrange(n) for _ in range(rnd.randint(0, 3)))) for i in range(n)}
    components = strongly_connected_components(graph)
    # Each node once; two nodes share a component exactly when each reaches the other.
    assert sorted(node for c in components for node in c) == list(range(n))
    where = {node: i for i, c in enumerate(components) for node in c}
    reach = {node: reachable(graph, node) for node in graph}
    for a in graph:
        for b in graph:
            assert (where[a] == where[b]) == (a == b or (b in reach[a] and a in reach[b]))
    # Dependencies first: every edge leads to the same component or an earlier one.
    assert all(where[b] <= where[a] for a in graph for b in graph[a])
    # Without the back edges of each cyclic component, no cycle is left.
    cut = {edge for component in cyclic_components(graph) for edge in back_edges(graph, component)}
    rest = {a: [b for b in graph[a] if (a, b) not in cut] for a in graph}
    graphlib.TopologicalSorter(rest).prepare()  # raises CycleError on a cycle


def test_results_follow_the_graphs_order():
    graph = {"x": ["y"], "y": ["x"], "p": ["q"], "q": ["p"]}
    assert cyclic_components(graph) == [["x", "y"], ["p", "q"]]
    assert back_edges(graph, ["x", "y"]) == [("y", "x")]
