"""Cycles of a directed graph, found once: strongly connected components (Tarjan's
algorithm, iterative, so a long chain does not hit Python's recursion limit) and the
back edges of a depth-first search inside one component. Linear in nodes and edges.

A graph is a mapping of each node to the nodes it points at (for the applier: the
operations it depends on). Nodes only pointed at need not be keys. Results follow the
order of the mapping and of each node's successors, so the same graph always gives the
same answer.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

N = TypeVar("N", bound=Hashable)


def strongly_connected_components(graph: Mapping[N, Iterable[N]]) -> list[list[N]]:
    """Every strongly connected component, each listed once; a component comes after
    every component it points at (dependencies first)."""
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    on_stack: set[N] = set()
    stack: list[N] = []
    components: list[list[N]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph.get(root, ())))]
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(graph.get(succ, ()))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component[::-1])
    return components


def cyclic_components(graph: Mapping[N, Iterable[N]]) -> list[list[N]]:
    """The components that hold a cycle: several nodes, or one that points at itself."""
    return [c for c in strongly_connected_components(graph)
            if len(c) > 1 or c[0] in set(graph.get(c[0], ()))]


def back_edges(graph: Mapping[N, Iterable[N]], nodes: Iterable[N]) -> list[tuple[N, N]]:
    """The edges (from, to) of a depth-first search over `nodes` only (edges leaving them
    are ignored) that lead back to a node on the search's current path. Removing every
    back edge leaves no cycle among `nodes`."""
    members = list(nodes)
    inside = set(members)
    state: dict[N, int] = {}  # 1: on the current path, 2: finished
    found: list[tuple[N, N]] = []
    for root in members:
        if root in state:
            continue
        state[root] = 1
        work = [(root, iter(graph.get(root, ())))]
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in inside:
                    continue
                seen = state.get(succ)
                if seen is None:
                    state[succ] = 1
                    work.append((succ, iter(graph.get(succ, ()))))
                    break
                if seen == 1:
                    found.append((node, succ))
            else:
                state[node] = 2
                work.pop()
    return found
