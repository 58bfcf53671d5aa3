"""The simulator's modules import each other one way: none imports, at its top or lazily
inside a function, a module that imports it back (issue 23: `ConnectionDropped` lived in
app.py, which the HTTP server and the in-process transport imported lazily)."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

SIMULATOR = Path(__file__).resolve().parents[2] / "reconciler" / "simulator"


def _imports(path: Path) -> set[str]:
    """The modules of the simulator `path` imports at run time (not for type checking)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for_types = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and getattr(block.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(block)}
    package = path.relative_to(SIMULATOR).parent.parts
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level and id(node) not in for_types:
            base = package[:len(package) - node.level + 1]
            if node.module:
                found.add("/".join((*base, *node.module.split("."))))
            else:
                found |= {"/".join((*base, alias.name)) for alias in node.names}
    return found


def test_no_module_of_the_simulator_imports_one_that_imports_it_back():
    graph = {str(p.relative_to(SIMULATOR).with_suffix("")): _imports(p) for p in SIMULATOR.rglob("*.py")
             if p.name != "__init__.py"}
    graph = {module: {d for d in deps if d in graph} for module, deps in graph.items()}
    assert graph["app"], "the check reads the imports"
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        raise AssertionError(f"import circle: {' -> '.join(err.args[1])}") from None
