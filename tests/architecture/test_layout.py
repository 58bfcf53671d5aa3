"""The tests' own layout (README, Development): every kind has its test file in
tests/kinds/, no test module sits loose at the top of tests/, and the benchmarks import
nothing from the tests (what both use, such as the generated tenant, lives in the package)."""

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
