"""`lint DIR --live` (issue 21 item 4, follow-up): the tenant's objects, checked as DIR's
`policy.lint` sets the rules; without DIR no policy, and the last line says so. A DIR
given that does not exist is an error (exit 1) for lint, graph and trace alike, never
silently ignored; graph and trace with --live say that they do not read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.simulator import Simulator

HOTLINE = "842873003388"  # the demo tenant's hotline that takes calls and has no call script


def _run(sim: Simulator, *args: str) -> Result:
    env = {"OMICALL_URL": sim.url, "OMICALL_API_KEY": sim.api_key, "OMICALL_TOKEN": None, "NO_COLOR": "1"}
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


@pytest.mark.parametrize("args", [("lint", "doesnotexist", "--live"), ("graph", "doesnotexist", "--live"),
                                  ("trace", HOTLINE, "doesnotexist", "--live")])
def test_a_dir_that_does_not_exist_is_an_error_with_live(sim: Simulator, tmp_path: Path, args: tuple[str, ...]):
    result = _run(sim, *[str(tmp_path / a) if a == "doesnotexist" else a for a in args])
    assert result.exit_code == 1, result.output
    assert f"{tmp_path / 'doesnotexist'}: no such file or directory" in result.output
    assert "(live tenant)" not in result.output  # nothing read from the tenant


def test_lint_live_follows_the_policy_of_the_dir_given(sim: Simulator, tmp_path: Path):
    out = tmp_path / "exported"
    assert _run(sim, "export", "--out", out).exit_code == 0
    assert f"ignore: [\"{HOTLINE}\"]" in (out / "policy.yaml").read_text("utf-8")
    # without DIR: no policy, every rule its own severity, and the last line says so
    bare = _run(sim, "lint", "--live")
    assert bare.exit_code == 2, bare.output
    assert f"(live tenant): error: hotline {HOTLINE}: takes inbound calls" in bare.output
    assert bare.output.splitlines()[-1].endswith(" Note: no policy.lint read: `lint DIR --live` applies DIR's.")
    # with the export's DIR: what it acknowledges is turned off, as `lint DIR` does
    linted = _run(sim, "lint", out, "--live")
    assert linted.exit_code == 0, linted.output
    assert "hotline-without-call-script" not in linted.output
    assert "1 finding turned off by policy.lint" in linted.output.splitlines()[-1]
    # a severity set there is shown with where it is set
    (out / "policy.yaml").write_text("policy:\n  lint:\n    hotline-without-call-script: warning\n", "utf-8")
    warned = _run(sim, "lint", out, "--live")
    assert warned.exit_code == 2
    assert (f"(live tenant): warning: hotline {HOTLINE}: takes inbound calls (inbound: true) but has no call_script: "
            f"callers reach nothing [hotline-without-call-script; severity set by policy.lint "
            f"({out / 'policy.yaml'}:3:34)]") in warned.output
    # an ignore entry naming none of the tenant's objects is reported against the tenant
    (out / "policy.yaml").write_text("policy:\n  lint:\n    unreachable: {ignore: [Kich ban bam phim]}\n", "utf-8")
    stale = _run(sim, "lint", out, "--live")
    assert (f"{out / 'policy.yaml'}:3:28: warning: policy: lint.unreachable.ignore.0: 'Kich ban bam phim' names no "
            "object in the tenant, so it ignores nothing; did you mean 'KỊCH BẢN BẤM PHÍM'? [unused-lint-ignore]") in stale.output


def test_graph_and_trace_live_say_they_do_not_read_the_dir(sim: Simulator, tmp_path: Path):
    for args in (("graph", tmp_path, "--live"), ("trace", HOTLINE, tmp_path, "--live")):
        result = _run(sim, *args)
        assert result.exit_code == 0, result.output
        assert f"Note: with --live, {args[0]} reads the tenant; {tmp_path} is not read." in result.stderr
