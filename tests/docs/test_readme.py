"""The README is the user's manual: its Quick start is exactly the two commands that set
everything up, `.ci/run` runs the second, and every command it shows exists with the
options it shows."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.cli import cli
from tests.ci.test_ci_recipes import invocations_in, parse

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)```", section, re.S)
    assert block, "Quick start has no code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_demo_then_tests():
    demo, tests = quick_start_commands()
    assert demo.endswith("reconciler demo examples") and "pip install" in demo
    assert "pytest" in tests and "'.[test]'" in tests and "pip install" in tests


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci.splitlines()


def test_every_command_the_readme_shows_exists_with_its_options():
    blocks = re.findall(r"```[a-z]*\n(.*?)```", README, re.S)
    spans = re.findall(r"`(reconciler [^`]*)`", README)
    found = [inv for text in blocks for inv in invocations_in(text, "README")]
    # Some spans name things, not commands: the state note's, the lock's and the history's
    # call scripts, a pip requirement.
    spans = [s for s in spans if not s.startswith(("reconciler state (safe", "reconciler lock (safe",
                                                   "reconciler history (safe", "reconciler @ "))]
    found += [inv for span in spans for inv in invocations_in(span, "README")]
    assert len(found) > 15
    problems = []
    for inv in found:
        if "[" in inv.shell or "..." in inv.shell or "|" in inv.argv or any(a.isupper() for a in inv.argv):
            # A synopsis (`plan [DIR] [--out FILE]`): check the command and every option named.
            command = cli.commands.get(inv.argv[0])
            if command is None:
                problems.append(f"{inv}: no command {inv.argv[0]}")
                continue
            known = {o for p in command.params for o in getattr(p, "opts", [])}
            named = {t.strip("[]") for t in inv.argv[1:] if t.strip("[]").startswith("--")}
            problems += [f"{inv}: no option {o}" for o in sorted(named - known)]
            continue
        problems += [f"{inv}: {p}" for p in parse(inv.argv, cli.commands).problems]
    assert not problems, "\n".join(problems)
