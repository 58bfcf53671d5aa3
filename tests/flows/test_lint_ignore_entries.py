"""`policy.lint` ignore entries that name nothing (issue 21 item 4, follow-up): a lint
warning, `unused-lint-ignore`, at the entry with a did-you-mean, as linters report an
unused disable directive; not a validate error, so deleting an object by hand (or a
console rename adopted by `drift --write`) never makes the manifests invalid."""

from __future__ import annotations

from pathlib import Path

from tests.flows.conftest import run, run_json

ROUTING = """
groups:
  - name: Trống
  - name: Lẻ loi
    members: ["101"]
call_scripts:
  - name: Chính
    steps: [{group: Lẻ loi}]
hotlines:
  - number: "842871002283"
    call_script: Chính
    inbound: true
"""


def test_an_ignore_entry_naming_nothing_is_a_lint_warning_not_a_validate_error(manifests):
    directory: Path = manifests(ROUTING)
    (directory / "policy.yaml").write_text("policy:\n  lint:\n    unreachable: {ignore: [Trong]}\n", "utf-8")
    assert run("validate", directory).exit_code == 0
    result = run("lint", directory)
    assert result.exit_code == 2, result.output
    assert (f"{directory / 'policy.yaml'}:3:28: warning: policy: lint.unreachable.ignore.0: 'Trong' names no object "
            "in the manifests, so it ignores nothing; did you mean 'Trống'? [unused-lint-ignore]") in result.output
    [finding] = [f for f in run_json("lint", directory)["findings"] if f["code"] == "unused-lint-ignore"]
    assert (finding["severity"], finding["kind"], finding["name"]) == ("warning", "policy", "Trong")
    # the rule is one as any other: policy.lint sets it too
    (directory / "policy.yaml").write_text("policy:\n  lint:\n    unreachable: {ignore: [Trong]}\n"
                                           "    unused-lint-ignore: off\n", "utf-8")
    assert "unused-lint-ignore" not in run("lint", directory).output


def test_an_ignore_entry_that_names_an_object_is_not_reported(manifests):
    directory: Path = manifests(ROUTING)
    (directory / "policy.yaml").write_text("policy:\n  lint:\n    unreachable: {ignore: [Trống]}\n", "utf-8")
    assert "unused-lint-ignore" not in run("lint", directory).output
