"""The tests' own layout (docs/development.md): every kind has its test file in
tests/kinds/, no test module sits loose at the top of tests/, the benchmarks import
nothing from the tests (what both use, such as the generated tenant, lives in the package),
and no modules import each other in a circle."""

from __future__ import annotations

import ast
from pathlib import Path


from reconciler.kinds import KINDS, Kind

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
# At the top of tests/: the package marker and the fixtures every folder shares.
TOP = {"__init__.py", "conftest.py"}


def kind_test_file(kind: Kind, folder: Path = TESTS / "kinds") -> Path:
    """tests/kinds/test_<module>.py for a kind declared in reconciler/kinds/<module>.py."""
    return folder / f"test_{type(kind).__module__.rsplit('.', 1)[-1]}.py"


def kinds_without_tests(kinds: list[Kind], folder: Path = TESTS / "kinds") -> list[str]:
    """Why each kind lacks its own tests: no file, no test in it, or a file that never
    takes the kind from the registry (KINDS["<name>"])."""
    problems = []
    for kind in kinds:
        path = kind_test_file(kind, folder)
        if not path.is_file():
            problems.append(f"{kind.name}: no {path.relative_to(folder.parent.parent)}")
            continue
        text = path.read_text(encoding="utf-8")
        tests = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
        if not tests:
            problems.append(f"{kind.name}: {path.name} holds no test")
        elif f'KINDS["{kind.name}"]' not in text:
            problems.append(f'{kind.name}: {path.name} never takes KINDS["{kind.name}"]')
    return problems


def imported_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level:
            found.append(node.module or "")
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def test_every_registered_kind_has_its_own_test_file():
    assert kinds_without_tests(list(KINDS.values())) == []


def test_the_check_sees_a_kind_without_tests(tmp_path: Path):
    class VoicemailKind(Kind):
        pass  # declared in this module: its test file would be tests/kinds/test_test_layout.py

    voicemail = VoicemailKind()
    VoicemailKind.name = "voicemails"
    (tmp_path / "tests" / "kinds").mkdir(parents=True)
    folder = tmp_path / "tests" / "kinds"
    assert kinds_without_tests([voicemail], folder) == ["voicemails: no tests/kinds/test_test_layout.py"]
    (folder / "test_test_layout.py").write_text("def helper():\n    pass\n", encoding="utf-8")
    assert kinds_without_tests([voicemail], folder) == ["voicemails: test_test_layout.py holds no test"]
    (folder / "test_test_layout.py").write_text("def test_x():\n    pass\n", encoding="utf-8")
    assert kinds_without_tests([voicemail], folder) == [
        'voicemails: test_test_layout.py never takes KINDS["voicemails"]']


def test_no_test_module_sits_loose_at_the_top_of_tests():
    loose = sorted(p.name for p in TESTS.glob("*.py") if p.name not in TOP)
    assert loose == [], "move them into the folder of what they test (tests/ci/, tests/docs/, ...)"


def test_every_test_folder_is_a_package():
    # Test modules import each other's helpers as tests.<folder>.<module>.
    folders = {p.parent for p in TESTS.rglob("test_*.py")}
    assert [str(f.relative_to(ROOT)) for f in sorted(folders) if not (f / "__init__.py").is_file()] == []


def test_the_benchmarks_import_nothing_from_the_tests():
    wrong = [f"{path.relative_to(ROOT)}: imports {module}" for path in sorted((ROOT / "benchmarks").rglob("*.py"))
             for module in imported_modules(path) if module.split(".")[0] == "tests"]
    assert wrong == []


def test_the_benchmark_check_sees_an_import_from_the_tests(tmp_path: Path):
    (tmp_path / "bench.py").write_text("import tests.e2e.conftest\nfrom tests.kinds import helpers\n")
    assert imported_modules(tmp_path / "bench.py") == ["tests.e2e.conftest", "tests.kinds"]


def _run_time_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in `tree` except those under `if TYPE_CHECKING:`, which
    only type checkers run (a type hint may name a module that imports this one)."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending += node.orelse
        else:
            pending += ast.iter_child_nodes(node)
    return found


def module_imports(roots: list[Path]) -> dict[str, set[str]]:
    """Module -> the modules under `roots` it imports when it runs (anywhere in it,
    relative imports resolved; `from a import b` counts as an import of a.b when b is a
    module, else of a)."""
    modules: dict[str, Path] = {}
    for root in roots:
        for path in root.rglob("*.py"):
            parts = path.relative_to(root.parent).with_suffix("").parts
            modules[".".join(parts[:-1] if path.name == "__init__.py" else parts)] = path

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets: set[str] = set()
        for node in _run_time_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
                name = ".".join(p for p in (base, node.module or "") if p)
                named = [f"{name}.{alias.name}" for alias in node.names]
                # each name is the submodule it names, else something of the module itself
                targets |= {known(n) if n in modules else known(name) for n in named}
            elif isinstance(node, ast.Import):
                targets |= {known(alias.name) for alias in node.names}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The sets of modules that import each other in a circle (strongly connected
    components of more than one module), each sorted."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return sorted(circles)


def test_no_import_circle_among_the_tests_and_benchmarks():
    assert import_circles(module_imports([TESTS, ROOT / "benchmarks"])) == []


def test_no_import_circle_in_the_package():
    assert import_circles(module_imports([ROOT / "reconciler"])) == []


def test_the_circle_check_sees_a_circle(tmp_path: Path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from pkg.a import A\n")
    (package / "a.py").write_text("from .sub import b\nA = 1\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("def f():\n    from pkg import A\n")
    (package / "c.py").write_text("import pkg.a\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.d\n")
    (package / "d.py").write_text("import pkg.c\n")  # c imports d only for type hints: no circle
    assert import_circles(module_imports([package])) == [["pkg", "pkg.a", "pkg.sub.b"]]


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
    assert import_circles(module_imports([tmp_path / "reconciler"])) == [["reconciler.kinds", "reconciler.kinds.policy"]]
