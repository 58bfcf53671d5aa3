"""A reference into a kind `policy.prune` owns must name an object the manifests declare:
for such a kind the manifests are the whole truth, so a misspelt name is an offline error
(the pre-commit hook catches it), with a did-you-mean, at the reference's file:line:col;
`graph`, `trace` and `lint` refuse the same way instead of drawing an object that does not
exist (issue 21, item 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"NO_COLOR": "1"})


@pytest.fixture
def misspelt(tmp_path: Path) -> Path:
    """examples/ with key 3 of 'Menu chính' going to group 'Kinh doan' (groups are pruned)."""
    root = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("ci"))
    ivr = root / "ivr.yaml"
    ivr.write_text(ivr.read_text("utf-8").replace('      "2": {ivr: Menu hỗ trợ}\n',
                                                  '      "2": {ivr: Menu hỗ trợ}\n      "3": {group: Kinh doan}\n',
                                                  1), "utf-8")
    return root


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


@pytest.mark.parametrize("command", [["validate"], ["lint"], ["graph"], ["graph", "--format", "json"],
                                     ["trace", "842871002283"]])
def test_a_misspelt_reference_into_a_pruned_kind_is_refused_offline(misspelt: Path, command: list[str]) -> None:
    args = [*command, misspelt] if command[0] != "trace" else [*command, misspelt, "--keys", "3"]
    result = run(*args)
    assert result.exit_code == 1, result.output
    line = _line_of(misspelt / "ivr.yaml", "Kinh doan}")
    assert (f"{misspelt / 'ivr.yaml'}:{line}:12: IVR menu 'Menu chính': keys.3: group 'Kinh doan' is not declared "
            "in the manifests, and policy.prune owns groups (the manifests declare every group); did you mean "
            "'Kinh doanh'?") in result.stderr
    assert "Kinh doan\"" not in result.stdout and "Traceback" not in result.output  # nothing drawn


def test_the_suggestion_ignores_diacritics(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("policy:\n  prune: [groups]\n"
                                     "groups:\n  - name: Bán hàng\n    members: [\"101\"]\n"
                                     "ivr_menus:\n  - name: Menu\n    greeting: Chào\n    keys:\n"
                                     "      \"3\": {group: Ban hang}\n", "utf-8")
    result = run("validate", tmp_path)
    assert result.exit_code == 1
    assert (f"{tmp_path / 'm.yaml'}:10:12: IVR menu 'Menu': keys.3: group 'Ban hang' is not declared in the manifests, "
            "and policy.prune owns groups (the manifests declare every group); did you mean 'Bán hàng'?") in result.stderr
    # greetings are not pruned here: 'Chào' may be a live greeting, looked up by `validate --live`
    assert "Chào" not in result.stderr


def test_a_protected_name_of_a_pruned_kind_may_be_the_tenants(tmp_path: Path) -> None:
    """Protected objects are never pruned: the manifests may use the tenant's without declaring it."""
    (tmp_path / "m.yaml").write_text("policy:\n  prune: [groups]\n  protect: [Nhóm nhân viên mặc định]\n"
                                     "ivr_menus:\n  - name: Menu\n    greeting: Chào\n    keys:\n"
                                     "      \"3\": {group: Nhóm nhân viên mặc định}\n", "utf-8")
    assert run("validate", tmp_path).exit_code == 0


def test_a_mistake_inside_a_referenced_object_is_reported_once(tmp_path: Path):
    """A group with a misspelt field is still declared: the IVR menus and the hotline that
    use it get no 'not declared' error each (found merging: five problems for one typo)."""
    root = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("ci"))
    groups = root / "groups.yaml"
    groups.write_text(groups.read_text("utf-8").replace('    members: ["101", "102"]', '    membrs: ["101", "102"]', 1),
                      "utf-8")
    result = run("validate", root)
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert len(problems) == 1, result.output
    assert "unknown field 'membrs'; did you mean 'members'?" in problems[0]
