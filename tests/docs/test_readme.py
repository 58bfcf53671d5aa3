"""The README is the user's manual, and docs/ holds what it links to: its Quick start is
exactly the two commands that set everything up, `.ci/run` runs the second, every command
the README or a docs page shows exists with the options it shows, every relative link
resolves (file and anchor), every docs page is one click from the README, and the README
stays short enough for a newcomer (under 500 lines)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.cli import cli
from tests.ci.test_ci_recipes import invocations_in, parse

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)\)")


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


def test_the_readme_fits_a_newcomer():
    lines = README.splitlines()
    assert len(lines) < 500, f"README.md has {len(lines)} lines: move detail to docs/"
    toc = README.index("**Contents**")
    assert toc < README.index("## Quick start"), "the table of contents comes first"


def test_the_commands_table_lists_every_command():
    table = README.split("## Commands\n\n", 1)[1].split("\n\n", 1)[0]
    assert not [name for name in cli.commands if f"| `reconciler {name}" not in table]


def test_every_docs_page_is_one_click_from_the_readme():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in LINK.findall(README)}
    assert DOCS, "docs/ has no pages"
    assert not [p.name for p in DOCS if p.resolve() not in linked]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_shown_exists_with_its_options(page: Path):
    text = page.read_text(encoding="utf-8")
    where = str(page.relative_to(ROOT))
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
    spans = [" ".join(s.split()) for s in re.findall(r"`(reconciler [^`]*)`", text)]  # a span may wrap
    found = [inv for block in blocks for inv in invocations_in(block, where)]
    # Some spans name things, not commands: the reconciler's own call scripts (the state
    # note's, the lock's, the history's), a pip requirement.
    spans = [s for s in spans if not s.startswith(("reconciler state (safe", "reconciler lock (safe",
                                                   "reconciler history (safe", "reconciler @ "))]
    found += [inv for span in spans for inv in invocations_in(span, where)]
    if page.name == "README.md":
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


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped (letters
    of any script, digits, `_` and `-` kept), spaces as `-`, a repeat numbered `-1`, `-2`."""
    seen: dict[str, int] = {}
    for line in FENCE.sub("", path.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"#{1,6} +(.*?) *#*$", line)
        if not heading:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1))
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        yield slug if count == 0 else f"{slug}-{count}"


def test_slugs_as_github_makes_them(tmp_path: Path):
    page = tmp_path / "p.md"
    page.write_text('# What "No changes" means, and the exit codes\n## Adopting the drift: `drift --write`\n'
                    "## call_scripts\n## Hỗ trợ\n## Hỗ trợ\n```\n# not a heading\n```\n", encoding="utf-8")
    assert list(anchors(page)) == ["what-no-changes-means-and-the-exit-codes", "adopting-the-drift-drift---write",
                                   "call_scripts", "hỗ-trợ", "hỗ-trợ-1"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path):
    problems = []
    for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            problems.append(f"{target}: no such file")
        elif anchor and (file.suffix != ".md" or anchor not in set(anchors(file))):
            problems.append(f"{target}: no heading with that anchor in {file.relative_to(ROOT)}")
    assert not problems, "\n".join(problems)
