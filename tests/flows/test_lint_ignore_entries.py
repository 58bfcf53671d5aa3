"""`policy.lint` ignore entries that name nothing (issue 21 item 4, follow-up): a lint
warning, `unused-lint-ignore`, at the entry with a did-you-mean, as linters report an
unused disable directive; not a validate error, so deleting an object by hand (or a
console rename adopted by `drift --write`) never makes the manifests invalid."""

from __future__ import annotations

import json
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


def test_validate_on_valid_manifests_shows_the_warning_too(manifests):
    directory: Path = manifests(ROUTING)
    (directory / "policy.yaml").write_text("policy:\n  lint:\n    unreachable: {ignore: [Trong]}\n", "utf-8")
    result = run("validate", directory)
    assert result.exit_code == 0
    assert (f"Warning: {directory / 'policy.yaml'}:3:28: policy: lint.unreachable.ignore.0: 'Trong' names no object in "
            "the manifests, so it ignores nothing; did you mean 'Trống'? [unused-lint-ignore; see `reconciler lint`]"
            ) in result.stderr
    document = json.loads(run("validate", directory, "--format", "json").stdout)
    assert document["valid"] is True
    assert [(f["severity"], f["code"], f["location"]) for f in document["findings"]] == [
        ("warning", "unused-lint-ignore", f"{directory / 'policy.yaml'}:3:28")]


MISTAKES = """policy:
  lint:
    unanswered-lop: info
    unreachable: warn
    call-loop: {sevrity: info}
    group-dead-end: {ignore: [Le loi]}
"""


def test_every_mistake_of_a_policy_lint_is_reported_in_one_run(manifests):
    """The ignore entry naming nothing used to show only once the other three were fixed."""
    directory: Path = manifests(ROUTING)
    (directory / "policy.yaml").write_text(MISTAKES, "utf-8")
    policy = directory / "policy.yaml"
    for command in ("validate", "lint"):
        result = run(command, directory)
        assert result.exit_code == 1
        lines = result.output.splitlines()
        assert lines[0] == "Error: the manifests are invalid (3 problems; 1 warning):"
        assert [line.split(": ", 1)[0] for line in lines[1:]] == [
            f"  {policy}:3:5", f"  {policy}:4:18", f"  {policy}:5:17", f"  {policy}:6:31"]
        assert lines[4] == (f"  {policy}:6:31: warning: policy: lint.group-dead-end.ignore.0: 'Le loi' names no object "
                            "in the manifests, so it ignores nothing; did you mean 'Lẻ loi'?")
    findings = json.loads(run("validate", directory, "--format", "json").stdout)["findings"]
    assert [(f["severity"], f["code"]) for f in findings] == [
        ("error", "invalid-value"), ("error", "invalid-value"), ("error", "unknown-field"),
        ("warning", "unused-lint-ignore")]
