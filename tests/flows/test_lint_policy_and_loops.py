"""Issue 21, items 4 and 5: `lint` rules set by the manifests' `policy.lint` (off, a
severity, objects ignored), validated like every other field and shown in the output; a
fresh export passes `validate` and `lint` as the CI recipes run them; and every loop a
`trace` ends in is a `lint` finding, with the trace that walks it."""

from __future__ import annotations

import shlex
import tempfile
import shutil
from pathlib import Path

import pytest

from reconciler.simulator import Simulator
from tests.flows.conftest import EXAMPLES, run, run_json
from click.testing import CliRunner
from reconciler.cli import cli

MAIN = "842871002283"


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    root = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("ci"))
    return root


def _without_lint_policy(root: Path) -> None:
    (root / "policy.yaml").write_text("policy:\n  prune: [groups, ivr_menus, call_scripts]\n"
                                      "  protect: [\"Nhóm nhân viên mặc định\"]\n", "utf-8")


# --- item 5: one model of a call for trace and lint ---------------------------------------


def test_the_loop_trace_walks_on_the_examples_is_a_lint_warning(examples: Path):
    _without_lint_policy(examples)
    walked = run("trace", MAIN, examples, "--keys", "1", "--unanswered")
    assert "End: loop:" in walked.output
    result = run("lint", examples)
    assert result.exit_code == 2, result.output
    command = f"reconciler trace 842873003388 {examples} --unanswered"  # the shortest way in
    assert result.output == (
        f"{examples / 'groups.yaml'}:9:17: warning: group 'Kinh doanh': a call nobody answers goes round for ever: "
        "group 'Kinh doanh' --on_timeout--> group 'Hỗ trợ kỹ thuật' --on_timeout--> group 'Kinh doanh' "
        f"(`{command}` walks it) [unanswered-loop]\n"
        "Lint: 0 errors, 1 warning, 0 infos.\n")
    # the command the finding gives walks the loop
    again = run(*shlex.split(command)[1:])
    assert again.output.endswith("End: loop: the call comes back to group 'Hỗ trợ kỹ thuật' with nothing changed "
                                 "(same keys left to press): it would go round for ever.\n")
    assert run("validate", examples).exit_code == 0  # a warning: validate refuses errors only


def test_the_shipped_examples_acknowledge_their_overflow_loop_in_policy_lint():
    """On purpose there: policy.lint makes it an info, shown, and CI (lint, validate) passes."""
    result = run("lint", EXAMPLES)
    assert result.exit_code == 0
    assert result.output.startswith(f"{EXAMPLES / 'groups.yaml'}:9:17: info: group 'Kinh doanh': a call nobody "
                                    "answers goes round for ever")
    assert run("validate", EXAMPLES).exit_code == 0


LOOPING_MENUS = """
groups:
  - name: Bán hàng
    members: ["101"]
ivr_menus:
  - name: Chính
    greeting: Chào
    keys:
      "1": {group: Bán hàng}
      "2": {ivr: Phụ}
    fallback: {ivr: Phụ}
  - name: Phụ
    greeting: Chờ
    keys:
      "1": {group: Bán hàng}
    fallback: {ivr: Chính}
call_scripts:
  - name: Kịch bản
    steps: [{ivr: Chính}]
hotlines:
  - number: "842871002283"
    call_script: Kịch bản
    inbound: true
"""


def test_a_loop_callers_walk_even_when_everyone_answers_is_a_call_loop(manifests):
    directory = manifests(LOOPING_MENUS)
    walked = run("trace", MAIN, directory)  # the caller presses nothing
    assert walked.output.endswith("End: loop: the call comes back to IVR menu 'Chính' with nothing changed "
                                  "(same keys left to press): it would go round for ever.\n")
    [finding] = run_json("lint", directory)["findings"]
    assert (finding["severity"], finding["code"], finding["name"]) == ("warning", "call-loop", "Chính")
    assert finding["location"] == f"{directory / 'routing.yaml'}:16:15"  # Chính's fallback
    assert finding["message"] == (
        "IVR menu 'Chính': calls go round for ever and nobody on the way can answer: IVR menu 'Chính' --fallback--> "
        f"IVR menu 'Phụ' --fallback--> IVR menu 'Chính' (`reconciler trace {MAIN} {directory}` walks it)")


TRAP = """
ivr_menus:
  - name: Chính
    greeting: Chào
    keys:
      "2": {ivr: Phụ}
    fallback: {ivr: Phụ}
  - name: Phụ
    greeting: Chờ
    fallback: {ivr: Chính}
call_scripts:
  - name: Kịch bản
    steps: [{ivr: Chính}]
hotlines:
  - number: "842871002283"
    call_script: Kịch bản
    inbound: true
"""


def test_a_trap_is_reported_once_not_again_as_a_loop(manifests):
    directory = manifests(TRAP)
    assert "End: loop:" in run("trace", MAIN, directory).output
    codes = [f["code"] for f in run_json("lint", directory)["findings"] if f["severity"] != "info"]
    assert codes == ["ivr-menu-trap"]


def test_lint_live_reports_the_loop_trace_live_walks(sim: Simulator, examples: Path):
    env = {"OMICALL_URL": sim.url, "OMICALL_API_KEY": sim.api_key, "OMICALL_TOKEN": None, "NO_COLOR": "1"}
    assert CliRunner().invoke(cli, ["apply", str(examples), "--auto-approve"], env=env).exit_code == 0
    walked = CliRunner().invoke(cli, ["trace", MAIN, "--live", "--keys", "1", "--unanswered"], env=env)
    assert "End: loop:" in walked.output
    linted = CliRunner().invoke(cli, ["lint", "--live"], env=env)
    assert linted.exit_code == 2
    assert (f"(live tenant): warning: group 'Kinh doanh': a call nobody answers goes round for ever: group 'Kinh doanh' "
            "--on_timeout--> group 'Hỗ trợ kỹ thuật' --on_timeout--> group 'Kinh doanh' (`reconciler trace 842873003388 "
            "--live --unanswered` walks it) [unanswered-loop]") in linted.output


# --- item 4: policy.lint ---------------------------------------------------------------------

BROKEN = """
groups:
  - name: Trống
  - name: Lẻ loi
    members: ["101"]
call_scripts:
  - name: Chính
    steps: [{group: Trống}]
hotlines:
  - number: "842871002283"
    call_script: Chính
    inbound: true
  - number: "842870000001"
    inbound: true
"""


def test_policy_lint_sets_a_rules_severity_and_says_so(manifests):
    directory = manifests(BROKEN)
    assert run("validate", directory).exit_code == 1
    (directory / "policy.yaml").write_text("policy:\n  lint:\n    hotline-without-call-script: warning\n"
                                           "    group-dead-end: {severity: info}\n", "utf-8")
    result = run("lint", directory)
    assert result.exit_code == 2  # a warning is left
    policy = directory / "policy.yaml"
    assert (f"warning: hotline 842870000001: takes inbound calls (inbound: true) but has no call_script: callers "
            f"reach nothing [hotline-without-call-script; severity set by policy.lint ({policy}:3:34)]") in result.output
    assert (f"info: group 'Trống': has no members and no on_timeout: calls sent here ring nobody and end "
            f"[group-dead-end; severity set by policy.lint ({policy}:4:21)]") in result.output
    assert result.output.endswith("Lint: 0 errors, 1 warning, 4 infos.\n")
    assert run("validate", directory).exit_code == 0  # no error left
    [json_finding] = [f for f in run_json("lint", directory)["findings"] if f["code"] == "group-dead-end"]
    assert json_finding["severity_set_by"] == f"policy.lint ({policy}:4:21)"


def test_policy_lint_turns_a_rule_off_or_ignores_objects(manifests):
    directory = manifests(BROKEN)
    (directory / "policy.yaml").write_text("policy:\n  lint:\n    unreachable: off\n"
                                           "    hotline-without-call-script: {ignore: [\"842870000001\"]}\n"
                                           "    group-dead-end: {severity: warning, ignore: [Trống]}\n", "utf-8")
    result = run("lint", directory)
    assert (result.exit_code, result.output) == (
        0, "Lint: no routing problems found (5 findings turned off by policy.lint).\n")
    assert run("validate", directory).exit_code == 0


@pytest.mark.parametrize("policy, problem", [
    ("unreachabel: off", "policy.yaml:3:5: policy: lint: key 'unreachabel': expected one of hotline-without-call-script, "
                         "ivr-menu-dead-end, group-dead-end, ivr-menu-trap, ivr-key-loops-back, call-loop, "
                         "unanswered-loop, unreachable, unused-lint-ignore, got 'unreachabel'; did you mean 'unreachable'?"),
    ("unreachable: warn", "policy.yaml:3:18: policy: lint.unreachable: expected 'off' or 'error' or 'warning' or "
                          "'info' or a mapping, got 'warn'; did you mean 'warning'?"),
    ("unreachable: {severity: eror}", "policy.yaml:3:29: policy: lint.unreachable.severity: expected one of off, "
                                      "error, warning, info, got 'eror'; did you mean 'error'?"),
    ("unreachable: {ignor: [Trống]}", "policy.yaml:3:19: policy: unknown field 'ignor' in lint.unreachable; "
                                      "did you mean 'ignore'?"),
])
def test_policy_lint_mistakes_are_refused_with_a_position(manifests, policy: str, problem: str):
    directory = manifests(BROKEN)
    (directory / "policy.yaml").write_text(f"policy:\n  lint:\n    {policy}\n", "utf-8")
    for command in ("validate", "lint"):
        result = run(command, directory)
        assert result.exit_code == 1
        assert f"  {directory / problem}" in result.output.splitlines(), result.output


def test_the_schema_knows_policy_lint():
    import json

    schema = json.loads(run("schema").output)
    lint = schema["$defs"]["Policy"]["properties"]["lint"]
    assert set(lint["propertyNames"]["enum"]) >= {"unanswered-loop", "call-loop", "hotline-without-call-script"}


# --- item 4: a fresh export passes the CI recipes' checks --------------------------------------


def test_a_fresh_export_of_the_demo_tenant_passes_validate_and_lint(sim: Simulator, tmp_path: Path):
    env = {"OMICALL_URL": sim.url, "OMICALL_API_KEY": sim.api_key, "OMICALL_TOKEN": None, "NO_COLOR": "1"}
    out = tmp_path / "live"
    exported = CliRunner().invoke(cli, ["export", "--out", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    assert (f"Note: 1 routing finding of the tenant acknowledged in {out / 'policy.yaml'} (policy.lint), so that "
            "validate and lint pass; fix them, then remove them there.") in exported.stderr
    assert "    hotline-without-call-script:\n      ignore: [\"842873003388\"]\n" in (out / "policy.yaml").read_text()
    for args in (["validate", str(out)], ["lint", str(out)], ["plan", str(out), "--detailed-exitcode"]):
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 0, (args, result.output)
    # removing the acknowledgment brings the finding back: it was hidden, not lost
    policy = out / "policy.yaml"
    policy.write_text(policy.read_text().split("  # `reconciler lint` found")[0], "utf-8")
    assert CliRunner().invoke(cli, ["validate", str(out)], env=env).exit_code == 1


def test_an_export_into_a_directory_with_a_policy_leaves_it_and_says_what_lint_will_report(sim: Simulator,
                                                                                             tmp_path: Path):
    env = {"OMICALL_URL": sim.url, "OMICALL_API_KEY": sim.api_key, "OMICALL_TOKEN": None, "NO_COLOR": "1"}
    out = tmp_path / "live"
    out.mkdir()
    (out / "policy.yaml").write_text("policy:\n  prune: []\n", "utf-8")
    exported = CliRunner().invoke(cli, ["export", "--out", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    assert (f"Note: `reconciler lint {out}` reports 1 routing finding of the tenant; {out / 'policy.yaml'} is yours, "
            "so they are not acknowledged there.") in exported.stderr
    assert (out / "policy.yaml").read_text("utf-8") == "policy:\n  prune: []\n"


def test_many_acknowledged_objects_are_listed_one_a_line():
    from reconciler.engine.export import policy_text
    from reconciler.manifest.yaml_source import read_yaml

    text = policy_text({"hotline-without-call-script": ["0101", "0102", "0103", "0104"], "unreachable": ["yes"]})
    assert '      ignore:\n        - "0101"\n' in text
    path = Path(tempfile.mkdtemp()) / "policy.yaml"
    path.write_text(text, "utf-8")
    lint_policy = read_yaml(path, str(path)).data["policy"]["lint"]
    assert lint_policy == {"hotline-without-call-script": {"ignore": ["0101", "0102", "0103", "0104"]},
                           "unreachable": {"ignore": ["yes"]}}
