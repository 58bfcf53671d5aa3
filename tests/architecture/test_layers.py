"""Imports flow one way between the package's layers (docs/development.md): the client
knows no kind, the kinds know neither the engine nor the loader, nothing imports the
CLI, and the simulator shares no code with the client. (Import circles: test_layout.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"

# What each layer may import of the package, besides itself.
ALLOWED = {
    "errors": set(),
    "yaml_text": set(),  # values as YAML text: export (engine) and drift --write (manifest) write it
    "api": {"errors"},
    "kinds": {"errors"},
    "manifest": {"errors", "kinds", "yaml_text"},
    "engine": {"errors", "kinds", "api", "reconciler", "yaml_text"},
    "flows": {"errors", "kinds", "engine", "reconciler"},
    # what a command does, below the CLI: it prints, asks and exits through the CLI's Console
    "commands": {"errors", "api", "kinds", "manifest", "engine", "flows", "reconciler", "yaml_text"},
    "simulator": set(),  # it stands for the vendor's server, not for our idea of it
    "cli": {"errors", "api", "kinds", "manifest", "engine", "flows", "commands", "simulator", "reconciler",
            "yaml_text"},
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
