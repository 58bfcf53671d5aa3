"""`reconciler lint`: each finding with its severity, code and file:line:col; exit codes;
`validate` refusing the error-level ones."""

from __future__ import annotations

import json

from tests.flows.conftest import EXAMPLES, run, run_json

BROKEN = """
groups:
  - name: Trống
  - name: Trống có lối ra
    on_timeout: {greeting: Chờ}
ivr_menus:
  - name: Câm
    greeting: Chào
  - name: A
    greeting: Chào
    keys:
      "1": {ivr: B}
  - name: B
    greeting: Chào
    keys:
      "1": {ivr: A}
    fallback: {ivr: A}
  - name: Vòng
    greeting: Chào
    keys:
      "0": {ivr: Vòng}
call_scripts:
  - name: Chính
    steps: [{ivr: Câm}, {ivr: A}, {ivr: Vòng}, {group: Trống}]
  - name: Bỏ quên
    steps: [{group: Trống có lối ra}]
hotlines:
  - number: "842871002283"
    call_script: Chính
    inbound: true
  - number: "842870000001"
    inbound: true
"""


def findings(directory) -> list[dict]:
    result = run("lint", directory, "--format", "json")
    return json.loads(result.output)["findings"]


def test_each_finding_with_severity_code_object_and_position(manifests):
    directory = manifests(BROKEN)
    got = {(f["severity"], f["code"], f["kind"], f["name"], f["location"]) for f in findings(directory)}
    file = str(directory / "routing.yaml")
    assert got == {
        ("error", "hotline-without-call-script", "hotlines", "842870000001", f"{file}:37:14"),
        ("error", "ivr-menu-dead-end", "ivr_menus", "Câm", f"{file}:12:5"),
        ("error", "group-dead-end", "groups", "Trống", f"{file}:8:5"),
        ("error", "ivr-menu-trap", "ivr_menus", "A", f"{file}:14:5"),
        ("error", "ivr-key-loops-back", "ivr_menus", "Vòng", f"{file}:26:12"),
        ("info", "unreachable", "call_scripts", "Bỏ quên", f"{file}:30:5"),
        ("info", "unreachable", "groups", "Trống có lối ra", f"{file}:9:5"),
        ("info", "unreachable", "greetings", "Chờ", f"{file}:4:5"),  # only that group plays it
    }


def test_text_output_errors_first_with_messages_and_exit_2(manifests):
    directory = manifests(BROKEN)
    result = run("lint", directory)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0].endswith("error: group 'Trống': has no members and no on_timeout: calls sent here ring nobody "
                             "and end [group-dead-end]")
    assert f"{directory / 'routing.yaml'}:14:5: error: IVR menu 'A': its keys and fallback lead only to IVR menus " \
           "'B' and back: a caller can never reach a person [ivr-menu-trap]" in lines
    assert any("IVR menu 'Vòng': every key (and the fallback) returns to this menu" in line for line in lines)
    assert "IVR menu 'Câm': has neither keys nor a fallback: every caller is hung up on" in result.output
    assert "hotline 842870000001: takes inbound calls (inbound: true) but has no call_script" in result.output
    assert lines[-1] == "Lint: 5 errors, 0 warnings, 3 infos."


def test_examples_are_clean_and_exit_0():
    # Their groups' overflow loop is acknowledged in examples/policy.yaml (policy.lint): an info.
    result = run("lint", EXAMPLES)
    assert result.exit_code == 0
    assert result.output.endswith("[unanswered-loop; severity set by policy.lint "
                                  f"({EXAMPLES / 'policy.yaml'}:10:22)]\nLint: 0 errors, 0 warnings, 1 info.\n")


def test_only_info_exits_0(manifests):
    directory = manifests("groups:\n  - name: Lẻ loi\n    members: ['101']\n")
    result = run("lint", directory)
    assert result.exit_code == 0
    assert "info: group 'Lẻ loi': no hotline's inbound calls reach it [unreachable]" in result.output
    assert "info: greeting 'Chào'" in result.output


def test_a_mistake_no_hotline_reaches_yet_is_a_warning_and_exits_2(manifests):
    directory = manifests("groups:\n  - name: Trống\n")
    [warning] = [f for f in findings(directory) if f["severity"] == "warning"]
    assert warning["code"] == "group-dead-end"
    assert run("lint", directory).exit_code == 2
    assert run("validate", directory).exit_code == 0  # validate refuses errors only


def test_validate_refuses_the_error_level_findings_with_their_positions(manifests):
    directory = manifests(BROKEN)
    result = run("validate", directory)
    assert result.exit_code == 1
    assert "the manifests are invalid (5 problems)" in result.output
    assert f"{directory / 'routing.yaml'}:8:5: group 'Trống': has no members and no on_timeout" in result.output
    assert "[ivr-menu-trap; see `reconciler lint`]" in result.output
    assert "unreachable" not in result.output


def test_lint_of_invalid_manifests_fails_to_run_with_exit_1(manifests):
    result = run("lint", manifests("groups:\n  - name: X\n    colour: red\n"))
    assert result.exit_code == 1
    assert "unknown field 'colour'" in result.output


def test_a_long_ring_of_menus_is_one_trap_not_a_crash(manifests):
    # 1,500 menus, each key leading to the next and the last back to the first: deeper than
    # Python's recursion limit, which a recursive walk of the menus hit (an internal error).
    count = 1500
    text = "ivr_menus:\n" + "".join(
        f"  - {{name: M{i}, greeting: Chào, keys: {{\"1\": {{ivr: M{(i + 1) % count}}}}}}}\n" for i in range(count))
    data = run_json("lint", manifests(text))
    traps = [f for f in data["findings"] if f["code"] == "ivr-menu-trap"]
    assert len(traps) == 1 and traps[0]["name"] == "M0"
    assert traps[0]["message"].endswith("'M1', 'M10', 'M100', 'M1000', 'M1001' (and 1494 more) and back: "
                                        "a caller can never reach a person")
