"""Imports flow one way between the package's layers (README, Development): the client
knows no kind, the kinds know neither the engine nor the loader, nothing imports the
CLI, and the simulator shares no code with the client. And no module imports, through
others, one that imports it: no circle hidden by an import at the bottom of a file."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"

# What each layer may import of the package, besides itself.
ALLOWED = {
    "errors": set(),
    "yaml_text": set(),  # values as YAML text: export (engine) and drift --write (manifest) write it
    "api": {"errors"},
    "kinds": {"errors"},
    "manifest": {"errors", "kinds", "yaml_text"},
    "engine": {"errors", "kinds", "api", "reconciler", "yaml_text"},
    "flows": {"errors", "kinds", "engine", "reconciler"},
    "simulator": set(),  # it stands for the vendor's server, not for our idea of it
    "cli": {"errors", "api", "kinds", "manifest", "engine", "flows", "simulator", "reconciler", "yaml_text"},
    "__main__": {"cli"},
    "reconciler": set(),
}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "reconciler"


def imports_across_layers(root: Path) -> list[tuple[str, str, str]]:
    """(file, its layer, the layer it imports) for every import of another layer of the
    package under `root`, relative imports resolved."""
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        package = parts[:-1]  # what a relative import starts from
        layer = _layer(".".join(parts[:-1] if path.name == "__init__.py" else parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    modules = [".".join((*base, node.module or ""))]
                else:
                    modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                if module.split(".")[0] != "reconciler":
                    continue
                target = _layer(module)
                if target != layer:
                    found.append((str(path.relative_to(root.parent)), layer, target))
    return found


def test_every_layer_imports_only_the_layers_below_it():
    wrong = [f"{path}: {layer} imports {target}" for path, layer, target in imports_across_layers(PACKAGE)
             if target not in ALLOWED[layer]]
    assert wrong == []


@pytest.mark.parametrize("source, expected", [
    ("from reconciler.engine.plan import Plan\n", ("api", "engine")),
    ("from ..engine import plan\n", ("api", "engine")),
    ("import reconciler.cli\n", ("api", "cli")),
])
def test_the_check_sees_an_import_the_wrong_way(tmp_path: Path, source: str, expected: tuple[str, str]):
    (tmp_path / "reconciler" / "api").mkdir(parents=True)
    (tmp_path / "reconciler" / "api" / "client.py").write_text(source, encoding="utf-8")
    found = imports_across_layers(tmp_path / "reconciler")
    assert [(layer, target) for _, layer, target in found] == [expected]
    assert expected[1] not in ALLOWED[expected[0]]


def _module_name(path: Path, root: Path) -> tuple[str, tuple[str, ...]]:
    """The dotted name of a file under `root`, and the package a relative import starts from."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    if path.name == "__init__.py":
        return ".".join(parts[:-1]), parts[:-1]
    return ".".join(parts), parts[:-1]


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:` (never run: no circle at import)."""
    nodes: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        nodes.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (a name imported from a package is the
    submodule when there is one)."""
    files = {_module_name(path, root)[0]: path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        package = _module_name(path, root)[1]
        targets: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join((*package[: len(package) - node.level + 1], *([base] if base else [])))
                for alias in node.names:
                    targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base)
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
        graph[module] = {t for t in targets if t in files and t != module}
    return graph


def import_circles(root: Path) -> list[list[str]]:
    """Sets of modules that import each other, directly or through others (the strongly
    connected components of the import graph with more than one module), sorted."""
    graph = import_graph(root)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in graph[module]:
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in graph:
        if module not in order:
            visit(module)
    return sorted(circles)


def test_no_module_imports_itself_through_others():
    assert import_circles(PACKAGE) == []


def test_the_check_sees_a_circle_hidden_at_the_bottom_of_a_file(tmp_path: Path):
    """As `kinds/__init__` and `kinds/policy` were: the registry imported the policy after
    the kinds, the policy imported the registry."""
    kinds = tmp_path / "reconciler" / "kinds"
    kinds.mkdir(parents=True)
    (kinds / "__init__.py").write_text("KINDS = {}\nfrom reconciler.kinds.policy import Policy  # noqa: E402\n",
                                       encoding="utf-8")
    (kinds / "policy.py").write_text("from reconciler.kinds import KINDS, base\n", encoding="utf-8")
    (kinds / "base.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                   "    from reconciler.kinds.policy import Policy\n", encoding="utf-8")
    (kinds / "group.py").write_text("from . import base\n", encoding="utf-8")
    assert import_circles(tmp_path / "reconciler") == [["reconciler.kinds", "reconciler.kinds.policy"]]
