"""`validate` and `lint` in the formats CI systems read, each checked against its consumer's
documented schema, written here from the documentation (not from our output):

- GitHub Actions workflow commands (docs.github.com, "Workflow commands for GitHub
  Actions"): `::error file={name},line={line},endLine={endLine},title={title}::{message}`,
  also `col`, `endColumn`; commands `error`, `warning`, `notice`. Escaping (actions/toolkit
  `command.ts`, which the docs refer to): in the message `%` -> `%25`, CR -> `%0D`, LF ->
  `%0A`; in property values also `:` -> `%3A` and `,` -> `%2C`.
- GitLab Code Quality (docs.gitlab.com, "Code Quality", "Code Quality report format"): a
  JSON array of objects; required `description` (string), `check_name` (string),
  `fingerprint` (string, unique), `severity` (one of info, minor, major, critical,
  blocker), `location.path` (relative path in the repository), `location.lines.begin`
  (integer; or `location.positions.begin.line`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.errors import Location, PlanError, Problem
from reconciler.flows.findings_formats import Item, escape_data, escape_property, from_error, render_gitlab
from tests.flows.conftest import EXAMPLES

# --- the consumers' schemas, from their docs ---------------------------------------------------

GITHUB_COMMANDS = {"error", "warning", "notice"}
GITHUB_PROPERTIES = {"title", "file", "col", "endColumn", "line", "endLine"}
PERCENT = re.compile(r"%(?!25|0D|0A|3A|2C)")  # a `%` that starts no escape: not escaped itself


def github_unescape(text: str, prop: bool) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
    for code, char in pairs:
        text = text.replace(code, char)
    return text.replace("%25", "%")


def parse_github(line: str) -> tuple[str, dict[str, str], str]:
    """One workflow command -> (command, properties, message), unescaped; asserts the
    syntax the runner parses."""
    assert "\n" not in line and "\r" not in line
    match = re.fullmatch(r"::(?P<cmd>[a-z]+)(?: (?P<props>[^:]*))?::(?P<msg>.*)", line)
    assert match, f"not a workflow command: {line!r}"
    assert match["cmd"] in GITHUB_COMMANDS
    props: dict[str, str] = {}
    for part in (match["props"] or "").split(","):
        key, sep, value = part.partition("=")
        assert sep and key in GITHUB_PROPERTIES, f"bad property {part!r} in {line!r}"
        assert not PERCENT.search(value), f"unescaped % in {value!r}"
        props[key] = github_unescape(value, prop=True)
    for key in ("line", "col", "endLine", "endColumn"):
        if key in props:
            assert props[key].isdigit() and int(props[key]) >= 1
    assert not PERCENT.search(match["msg"]), f"unescaped % in {match['msg']!r}"
    return match["cmd"], props, github_unescape(match["msg"], prop=False)


GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def check_gitlab_report(text: str) -> list[dict]:
    report = json.loads(text)
    assert isinstance(report, list)
    for issue in report:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
        assert issue["severity"] in GITLAB_SEVERITIES
        path = issue["location"]["path"]
        assert isinstance(path, str) and path and not path.startswith(("/", "./")) and "\\" not in path
        begin = issue["location"].get("lines", {}).get("begin")
        begin = begin if begin is not None else issue["location"]["positions"]["begin"]["line"]
        assert isinstance(begin, int) and not isinstance(begin, bool) and begin >= 1
    fingerprints = [i["fingerprint"] for i in report]
    assert len(set(fingerprints)) == len(fingerprints), "fingerprints must be unique in a report"
    return report


# --- the escaping, as documented ----------------------------------------------------------------


def test_message_escapes_percent_and_line_breaks_only():
    assert escape_data("50%\r\nnext: a, b") == "50%25%0D%0Anext: a, b"


def test_property_also_escapes_colon_and_comma():
    assert escape_property("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A"


def test_a_message_of_several_lines_stays_one_command_and_reads_back_whole():
    item = Item({"severity": "error", "code": "x", "message": "line 1\nline 2 100% sure\r"},
                Location("dir,a:b/f.yaml", 3, 7))
    from reconciler.flows.findings_formats import render_github

    out = render_github([item], Path("/nowhere"))
    lines = out.splitlines()
    assert len(lines) == 1
    command, props, message = parse_github(lines[0])
    assert (command, message) == ("error", "line 1\nline 2 100% sure\r")
    assert props["file"] == "dir,a:b/f.yaml" and props["line"] == "3" and props["col"] == "7"


# --- through the command line -------------------------------------------------------------------

INVALID = """\
groups:
  - name: "CSKH, 50%: tổng"
    strategy: rollover
    membrs: ["101"]
  - name: Bán hàng
    member_timeout: "30"
greetings:
  - name: Chào
    text: Xin chào
  - name: Chào
    text: Xin chào lần nữa
"""

ROUTING = """\
greetings:
  - name: Chào
    text: Xin chào
groups:
  - name: Trống
ivr_menus:
  - name: Câm
    greeting: Chào
hotlines:
  - number: "842870000001"
    inbound: true
"""


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"NO_COLOR": "1", **(env or {})},
                              catch_exceptions=False)


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository checkout whose name needs escaping in a property (`,` and `:`), the
    manifests in `manifests/` under it, the command run from its root."""
    root = tmp_path / "repo,one:two"
    (root / "manifests").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def test_validate_github_annotates_each_problem_on_its_line(checkout: Path):
    (checkout / "manifests" / "groups.yaml").write_text(INVALID, encoding="utf-8")
    result = run("validate", "manifests", "--format", "github")
    assert result.exit_code == 1
    commands = [parse_github(line) for line in result.stdout.splitlines()]
    got = {(c, p["file"], p["line"], p["col"], p["title"]) for c, p, _ in commands}
    assert got == {
        ("error", "manifests/groups.yaml", "4", "5", "reconciler unknown-field"),
        ("error", "manifests/groups.yaml", "6", "21", "reconciler invalid-value"),
        ("error", "manifests/groups.yaml", "10", "11", "reconciler duplicate-name"),
    }
    messages = [m for _, _, m in commands]
    assert "group 'CSKH, 50%: tổng': unknown field 'membrs'; did you mean 'members'?" in messages
    # People still read the error on stderr, as without --format.
    assert "Error: the manifests are invalid (3 problems)" in result.stderr


def test_github_paths_are_relative_to_the_workspace_when_given_absolute(checkout: Path):
    (checkout / "manifests" / "groups.yaml").write_text(INVALID, encoding="utf-8")
    result = run("validate", str(checkout / "manifests"), "--format", "github",
                 env={"GITHUB_WORKSPACE": str(checkout)})
    files = {parse_github(line)[1]["file"] for line in result.stdout.splitlines()}
    assert files == {"manifests/groups.yaml"}


def test_validate_gitlab_is_a_code_quality_report(checkout: Path):
    (checkout / "manifests" / "groups.yaml").write_text(INVALID, encoding="utf-8")
    result = run("validate", str(checkout / "manifests"), "--format", "gitlab",
                 env={"CI_PROJECT_DIR": str(checkout)})
    assert result.exit_code == 1
    report = check_gitlab_report(result.stdout)
    got = {(i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in report}
    assert got == {("unknown-field", "major", "manifests/groups.yaml", 4),
                   ("invalid-value", "major", "manifests/groups.yaml", 6),
                   ("duplicate-name", "major", "manifests/groups.yaml", 10)}


def test_validate_json_has_lint_schema_with_codes_and_objects(checkout: Path):
    (checkout / "manifests" / "groups.yaml").write_text(INVALID, encoding="utf-8")
    result = run("validate", "manifests", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["format_version"] == 1 and document["valid"] is False
    for finding in document["findings"]:
        assert set(finding) >= {"severity", "code", "kind", "name", "message", "location"}
        assert re.fullmatch(r".+:\d+:\d+", finding["location"])
    got = {(f["code"], f["kind"], f["name"], f["location"]) for f in document["findings"]}
    assert got == {("unknown-field", "groups", "CSKH, 50%: tổng", "manifests/groups.yaml:4:5"),
                   ("invalid-value", "groups", "Bán hàng", "manifests/groups.yaml:6:21"),
                   ("duplicate-name", "greetings", "Chào", "manifests/groups.yaml:10:11")}


def test_invalid_yaml_is_a_finding_too(checkout: Path):
    (checkout / "manifests" / "bad.yaml").write_text("groups: [\n", encoding="utf-8")
    result = run("validate", "manifests", "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["code"] == "invalid-yaml" and finding["location"].startswith("manifests/bad.yaml:")


def test_validate_routing_errors_carry_lint_codes(checkout: Path):
    (checkout / "manifests" / "routing.yaml").write_text(ROUTING, encoding="utf-8")
    result = run("validate", "manifests", "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["code"], finding["kind"], finding["name"]) == \
        ("hotline-without-call-script", "hotlines", "842870000001")


@pytest.mark.parametrize("fmt, empty", [("json", None), ("github", ""), ("gitlab", "[]\n")])
def test_valid_manifests_give_an_empty_report_and_exit_0(fmt: str, empty: str | None):
    result = run("validate", EXAMPLES, "--format", fmt)
    assert result.exit_code == 0
    if fmt == "json":
        assert json.loads(result.stdout) == {"format_version": 1, "valid": True, "findings": []}
    else:
        assert result.stdout == empty
    assert "valid" in result.stderr  # the summary, for people, out of the CI system's way


def test_lint_github_maps_severities_to_commands(checkout: Path):
    (checkout / "manifests" / "routing.yaml").write_text(ROUTING, encoding="utf-8")
    result = run("lint", "manifests", "--format", "github")
    assert result.exit_code == 2
    got = {(c, p["title"].removeprefix("reconciler "), p["file"]) for c, p, _ in
           map(parse_github, result.stdout.splitlines())}
    assert got == {
        ("error", "hotline-without-call-script", "manifests/routing.yaml"),
        ("warning", "group-dead-end", "manifests/routing.yaml"),
        ("warning", "ivr-menu-dead-end", "manifests/routing.yaml"),
        ("notice", "unreachable", "manifests/routing.yaml"),
    }


def test_lint_gitlab_report(checkout: Path):
    (checkout / "manifests" / "routing.yaml").write_text(ROUTING, encoding="utf-8")
    result = run("lint", "manifests", "--format", "gitlab")
    assert result.exit_code == 2
    report = check_gitlab_report(result.stdout)
    severities = {(i["check_name"], i["severity"]) for i in report}
    assert severities == {("hotline-without-call-script", "major"), ("group-dead-end", "minor"),
                          ("ivr-menu-dead-end", "minor"), ("unreachable", "info")}


def test_lint_of_invalid_manifests_reports_their_problems_and_exits_1(checkout: Path):
    (checkout / "manifests" / "groups.yaml").write_text(INVALID, encoding="utf-8")
    result = run("lint", "manifests", "--format", "gitlab")
    assert result.exit_code == 1
    assert len(check_gitlab_report(result.stdout)) == 3


def test_a_finding_with_no_file_goes_on_the_directory_and_fingerprints_stay_unique():
    """lint --live findings have no place in a file; GitLab requires a path."""
    same = {"severity": "warning", "code": "group-dead-end", "kind": "groups", "name": "A", "message": "m",
            "location": None}
    report = check_gitlab_report(render_gitlab([Item(same, None), Item(same, None)], Path.cwd(), "manifests"))
    assert [i["location"] for i in report] == [{"path": "manifests", "lines": {"begin": 1}}] * 2


def test_a_plan_check_problem_keeps_its_place():
    [item] = from_error(PlanError(["m/a.yaml:3:9: IVR menu 'X' uses group 'Y', which is neither ..."]))
    assert item.location == Location("m/a.yaml", 3, 9)
    assert item.data["code"] == "plan-check" and item.message.startswith("IVR menu 'X'")
    [plain] = from_error(PlanError(["the tenant returned a malformed group"]))
    assert plain.location is None


def test_problem_codes_survive_the_manifest_error():
    from reconciler.errors import ManifestError

    [item] = from_error(ManifestError([Problem(None, "x", "no-manifests")]))
    assert item.data["code"] == "no-manifests"
