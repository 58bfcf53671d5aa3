"""The CI recipes in examples/ci/ stay in step with the command line.

Every `reconciler ...` a recipe runs must name a real command and only options that command
defines (read from click, so renaming a flag breaks these tests), and the recipes keep the
behaviour users rely on: plan on a pull request, apply a saved plan on main, a drift check
that fails on drift, secrets only from the CI's secret store. The shell steps that decide
pass/fail, and the scripts that post the plan comment, are run here against stubs.
"""

from __future__ import annotations

import copy
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import click
import pytest
from ruamel.yaml import YAML

from reconciler.cli import cli

CI = Path(__file__).resolve().parents[2] / "examples" / "ci"
GITHUB = CI / ".github" / "workflows" / "omicall.yml"
GITLAB = CI / ".gitlab-ci.yml"
PRE_COMMIT = CI / ".pre-commit-config.yaml"
RECIPES = [GITHUB, GITLAB, PRE_COMMIT]

SECRET_NAMES = ("OMICALL_API_KEY", "OMICALL_TOKEN")


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


# --- finding `reconciler ...` in shell strings -------------------------------------------------

OPERATORS = {";", ";;", "&", "&&", "|", "||", "|&", "(", ")", "\n"}
KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time", "exec"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass
class Invocation:
    where: str          # file and job/step, for messages
    argv: list[str]     # after `reconciler`
    shell: str          # the whole string it came from

    @property
    def command(self) -> str | None:
        return self.argv[0] if self.argv else None

    def __str__(self) -> str:
        return f"{self.where}: reconciler {' '.join(self.argv)}"


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def _simple_commands(tokens: list[str]) -> Iterator[list[str]]:
    """The words of each simple command, redirections removed."""
    current: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in OPERATORS:
            yield current
            current = []
        elif tok[0] in "<>":  # a redirection and its target
            i += 1
        elif tok.isdigit() and i + 1 < len(tokens) and tokens[i + 1][0] in "<>":
            pass  # the fd of `2>&1`
        else:
            current.append(tok)
        i += 1
    yield current


def invocations_in(shell: str, where: str) -> list[Invocation]:
    """Every `reconciler ...` (or `python -m reconciler ...`) run by a shell string."""
    found = []
    text = shell.replace("\\\n", " ")
    heredoc_end: str | None = None
    for line in text.splitlines():
        if heredoc_end is not None:  # a heredoc's body is data, not commands
            if line.strip() == heredoc_end:
                heredoc_end = None
            continue
        marker = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        if marker:
            heredoc_end = marker.group(1)
        if not re.search(r"\breconciler\b", line):
            continue
        tokens = _tokens(line)  # a line naming the reconciler must be plain shell
        for words in _simple_commands(tokens):
            while words and (words[0] in KEYWORDS or ASSIGNMENT.match(words[0])):
                words = words[1:]
            if words and (words[0] == "reconciler" or words[0].endswith("/reconciler")):
                found.append(Invocation(where, words[1:], shell))
            elif words[:3] in (["python", "-m", "reconciler"], ["python3", "-m", "reconciler"]):
                found.append(Invocation(where, words[3:], shell))
    return found


# --- checking an invocation against click ------------------------------------------------------


@dataclass
class Parsed:
    options: dict[str, Any] = field(default_factory=dict)  # by the option's first long name
    positional: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse(argv: list[str], commands: Mapping[str, click.Command]) -> Parsed:
    """argv (after `reconciler`) read as click would: unknown commands or options, flags with
    values, options without one, values outside a choice and extra arguments are problems."""
    result = Parsed()
    if not argv:
        result.problems.append("no command given")
        return result
    name, args = argv[0], argv[1:]
    command = commands.get(name)
    if command is None:
        result.problems.append(f"no command {name!r} (the CLI has: {', '.join(sorted(commands))})")
        return result
    options: dict[str, click.Option] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in (*param.opts, *param.secondary_opts):
                options[opt] = param
    help_names = cli.context_settings.get("help_option_names", ["--help"])
    i = 0
    while i < len(args):
        tok = args[i]
        i += 1
        if not tok.startswith("-") or tok == "-":
            result.positional.append(tok)
            continue
        opt, eq, value = tok.partition("=")
        if opt in help_names:
            continue
        param = options.get(opt)
        if param is None:
            result.problems.append(f"`{name}` has no option {opt} (it has: {', '.join(sorted(options))})")
            continue
        key = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        if param.is_flag or param.count:
            if eq:
                result.problems.append(f"{opt} is a flag and takes no value")
            result.options[key] = opt not in param.secondary_opts
            continue
        if not eq:
            if i >= len(args):
                result.problems.append(f"{opt} needs a value")
                continue
            value = args[i]
            i += 1
        if isinstance(param.type, click.Choice) and not value.startswith("$") and value not in param.type.choices:
            result.problems.append(f"{opt} {value}: not one of {', '.join(param.type.choices)}")
        result.options[key] = value
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    room = float("inf") if any(a.nargs < 0 for a in arguments) else sum(a.nargs for a in arguments)
    if len(result.positional) > room:
        result.problems.append(f"`{name}` takes {int(room)} argument(s), given {result.positional}")
    return result


# --- the recipes' shell strings ------------------------------------------------------------------


def github_steps(doc: dict) -> Iterator[tuple[str, dict, dict]]:
    for job_name, job in doc["jobs"].items():
        for n, step in enumerate(job.get("steps", [])):
            yield job_name, job, {"_where": f"job {job_name} step {step.get('name', n + 1)}", **step}


def shell_strings(path: Path) -> list[tuple[str, str]]:
    """(where, shell text) for everything the recipe runs as a command."""
    doc = load(path)
    out = []
    if path == GITHUB:
        out += [(step["_where"], step["run"]) for _, _, step in github_steps(doc) if "run" in step]
    elif path == GITLAB:
        for name, job in doc.items():
            if not isinstance(job, dict):
                continue
            for key in ("before_script", "script", "after_script"):
                lines = job.get(key) or []
                lines = [lines] if isinstance(lines, str) else lines
                out += [(f"job {name} {key}", line) for line in lines]
    else:
        out += [(f"hook {hook['id']}", hook["entry"]) for repo in doc["repos"] for hook in repo["hooks"]]
    return [(f"{path.name} {where}", text) for where, text in out]


def invocations(path: Path) -> list[Invocation]:
    return [inv for where, text in shell_strings(path) for inv in invocations_in(text, where)]


def all_strings(node: Any, key: Any = None) -> Iterator[tuple[Any, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from all_strings(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from all_strings(v, key)
    elif isinstance(node, str):
        yield key, node


# --- every recipe --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_is_yaml_and_runs_the_reconciler(path: Path):
    assert isinstance(load(path), dict)
    assert invocations(path), f"{path.name} never runs the reconciler"


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_invocation_uses_existing_commands_and_options(path: Path):
    problems = [f"{inv}: {p}" for inv in invocations(path) for p in parse(inv.argv, cli.commands).problems]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_no_reconciler_command_hides_outside_the_checked_strings(path: Path):
    """A `reconciler <command>` anywhere else in the file (say a script the extraction
    misses) would escape the option check."""
    checked = {inv.shell for inv in invocations(path)}
    for key, text in all_strings(load(path)):
        if key in ("name", "id") or text in checked:
            continue
        mentions = [m for m in re.findall(r"\breconciler\s+([a-z][a-z-]*)", text) if m in cli.commands]
        assert not mentions, f"{path.name}: `{key}` runs reconciler {mentions} outside a checked shell string"


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_recipe_validates_the_manifests(path: Path):
    assert any(inv.command == "validate" and inv.argv[1:2] == ["manifests/"] for inv in invocations(path))


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_credentials_only_come_from_the_secret_store(path: Path):
    doc = load(path)
    expression = re.compile(r"^(\$\{\{\s*(secrets\.[A-Z0-9_]+|github\.token)\s*\}\}|\$\{?[A-Z][A-Z0-9_]*\}?)$")
    for key, text in all_strings(doc):
        if isinstance(key, str) and re.search(r"(?i)(api_?key|token|secret|password)", key):
            assert expression.match(text.strip()), f"{path.name}: {key} is set to a literal"
        for name in SECRET_NAMES:
            for value in re.findall(rf"\b{name}\s*[=:]\s*(\S+)", text):
                assert value.startswith(("$", '"$')), f"{path.name}: {name} written literally: {value}"
        assert not re.search(r"(?i)private-token:\s*[^$\s]", text), f"{path.name}: a literal API token"
    for inv in invocations(path):
        assert not any(re.search(r"(?i)(key|token|password)", a) for a in inv.argv), str(inv)


def installs(path: Path) -> list[str]:
    """The requirements each `pip install` in the recipe names, variables resolved."""
    doc = load(path)
    variables = {**(doc.get("env") or {}), **(doc.get("variables") or {})}
    found = []
    for _, text in shell_strings(path):
        for line in text.splitlines():
            if "pip" not in line:
                continue
            for words in _simple_commands(_tokens(line)):
                if words[:2] == ["pip", "install"] or (words[1:3] == ["-m", "pip"] and "install" in words):
                    for word in words[words.index("install") + 1:]:
                        if not word.startswith("-"):
                            found.append(re.sub(r"^\$\{?(\w+)\}?$", lambda m: variables.get(m.group(1), m.group(0)), word))
    return found


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=lambda p: p.name)
def test_installs_the_reconciler_by_a_pinned_direct_reference(path: Path):
    """`pip install reconciler` would fetch an unrelated project of that name from PyPI."""
    requirements = installs(path)
    assert requirements
    for requirement in requirements:
        assert re.fullmatch(r"reconciler @ \S+@v?\d[\w.]*", requirement), requirement


def test_renaming_a_flag_breaks_the_recipes():
    """The check above is not vacuous: rename apply's --auto-approve, plan's --out and a
    --format choice, and the recipes no longer pass."""
    renamed = dict(cli.commands)
    apply = copy.deepcopy(cli.commands["apply"])
    for param in apply.params:
        if param.name == "auto_approve":
            param.opts = ["--yes"]
    plan = copy.deepcopy(cli.commands["plan"])
    for param in plan.params:
        if param.name == "out":
            param.opts = ["--output"]
        if isinstance(param.type, click.Choice):
            param.type = click.Choice(["text", "json", "md"])
    renamed.update(apply=apply, plan=plan)
    for path in (GITHUB, GITLAB):
        problems = [p for inv in invocations(path) for p in parse(inv.argv, renamed).problems]
        assert any("--auto-approve" in p for p in problems), path.name
        assert any("--out" in p for p in problems), path.name
    assert parse(["plan", "manifests/", "--format", "markdown"], renamed).problems
    assert parse(["drfit", "manifests/"], cli.commands).problems
    assert parse(["plan", "a", "b"], cli.commands).problems
    assert parse(["apply", "--auto-approve=yes"], cli.commands).problems
    assert parse(["plan", "--out"], cli.commands).problems


def test_extraction_reads_shell_syntax():
    found = invocations_in(
        'status=0\nreconciler drift manifests/ --format markdown > drift.md || status=$?\n'
        'if true; then python -m reconciler plan x --out p.json 2>&1 | tee log; fi\n'
        'pip install reconciler\necho "reconciler apply is not run here" \\\n  | cat\n'
        "python3 - <<'PY'\nreconciler plan --bogus\nPY\n", "t")
    assert [i.argv for i in found] == [["drift", "manifests/", "--format", "markdown"],
                                       ["plan", "x", "--out", "p.json"]]


# --- GitHub Actions --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def github() -> dict:
    return load(GITHUB)


def triggers(doc: dict) -> dict:
    on = doc.get("on", doc.get(True))  # YAML 1.1 readers turn `on` into True
    return {on: None} if isinstance(on, str) else {k: None for k in on} if isinstance(on, list) else on


def github_job_env(doc: dict, job: dict, step: dict | None = None) -> dict:
    return {**doc.get("env", {}), **job.get("env", {}), **((step or {}).get("env") or {})}


def jobs_running(doc: dict, command: str, event: str = "") -> list[tuple[str, dict, list[dict]]]:
    """The jobs (whose `if` mentions `event`) that run `reconciler <command>`."""
    found = []
    for job_name, job in doc["jobs"].items():
        if event not in job.get("if", ""):
            continue
        steps = [s for _, _, s in github_steps({"jobs": {job_name: job}})]
        if any(inv.command == command for s in steps if "run" in s for inv in invocations_in(s["run"], s["_where"])):
            found.append((job_name, job, steps))
    return found


def step_invocations(step: dict) -> list[Invocation]:
    return invocations_in(step["run"], step["_where"]) if "run" in step else []


def test_github_triggers(github: dict):
    on = triggers(github)
    assert "pull_request" in on and "pull_request_target" not in on  # never run PR code with write secrets
    assert "main" in on["push"]["branches"]
    assert all(re.fullmatch(r"\S+ \S+ \S+ \S+ \S+", s["cron"]) for s in on["schedule"])


def test_github_pull_request_validates_then_posts_a_sticky_plan_comment(github: dict):
    [(name, job, steps)] = jobs_running(github, "plan", "pull_request")
    assert "validate" in job.get("needs", [])
    plans = [parse(i.argv, cli.commands) for s in steps for i in step_invocations(s) if i.command == "plan"]
    assert any(p.options.get("--format") == "markdown" and p.options.get("--out") for p in plans)
    assert job["permissions"].get("pull-requests") == "write"
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert any("plan.json" in s["with"]["path"] for s in uploads)
    comment = [s for s in steps if s.get("uses", "").startswith("actions/github-script")
               or "gh pr comment" in s.get("run", "")]
    assert comment, "the plan is not posted on the pull request"
    env = github_job_env(github, job)
    assert env["OMICALL_API_KEY"] == "${{ secrets.OMICALL_API_KEY }}"
    assert env["OMICALL_URL"] == "${{ secrets.OMICALL_URL }}"
    validate_job = github["jobs"][job["needs"] if isinstance(job["needs"], str) else job["needs"][0]]
    assert "pull_request" in validate_job["if"]


def test_github_main_plans_then_applies_that_saved_plan_one_at_a_time(github: dict):
    [(name, job, steps)] = jobs_running(github, "apply")
    assert "push" in job["if"] and "refs/heads/main" in job["if"]
    runs = [(i, parse(i.argv, cli.commands)) for s in steps for i in step_invocations(s)]
    [(apply_index, applied)] = [(n, p) for n, (i, p) in enumerate(runs) if i.command == "apply"]
    assert applied.options.get("--auto-approve") is True
    assert "--force" not in applied.options  # a mass delete must stop for a human
    saved = applied.options.get("--plan")
    assert saved, "apply does not use a saved plan"
    # The plan applied is made in this same job, before the apply.
    assert any(i.command == "plan" and p.options.get("--out") == saved for i, p in runs[:apply_index])
    assert job["concurrency"]["group"]
    assert job["concurrency"].get("cancel-in-progress", False) is False  # never kill an apply midway
    env = github_job_env(github, job)
    assert env["OMICALL_API_KEY"] == "${{ secrets.OMICALL_API_KEY }}"


def test_github_tenant_commands_have_credentials(github: dict):
    for job_name, job in github["jobs"].items():
        for _, _, step in github_steps({"jobs": {job_name: job}}):
            for inv in step_invocations(step):
                params = {o for p in cli.commands[inv.command].params for o in getattr(p, "opts", [])}
                live = "--url" in params and ("--live" not in params or "--live" in inv.argv)
                env = github_job_env(github, job, step)
                if live:
                    assert {"OMICALL_URL", "OMICALL_API_KEY"} <= env.keys(), str(inv)
                else:  # offline commands get no secrets (they also run for forks)
                    assert "OMICALL_API_KEY" not in env, str(inv)


def github_shell(doc: dict, job: dict, step: dict) -> list[str]:
    shell = step.get("shell") or job.get("defaults", {}).get("run", {}).get("shell") \
        or doc.get("defaults", {}).get("run", {}).get("shell")
    # What GitHub runs for each `shell:` value on Linux.
    return {None: ["bash", "-e"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
            "sh": ["sh", "-e"]}[shell]


@pytest.fixture
def stub_reconciler(tmp_path: Path) -> Path:
    """A `reconciler` on PATH that prints a report and exits $STUB_EXIT."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "reconciler"
    stub.write_text('#!/bin/sh\necho "### report ($*)"\nexit "${STUB_EXIT:-0}"\n')
    stub.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize("exit_code, job_fails", [(0, False), (2, True), (1, True), (3, False)])
def test_github_drift_job_fails_on_drift_and_always_writes_the_summary(
        github: dict, stub_reconciler: Path, tmp_path: Path, exit_code: int, job_fails: bool):
    [(name, job, steps)] = jobs_running(github, "drift")
    assert "schedule" in job["if"]
    assert not job.get("continue-on-error")
    [step] = [s for s in steps if any(i.command == "drift" for i in step_invocations(s))]
    assert not step.get("continue-on-error")
    [inv] = [i for i in step_invocations(step) if i.command == "drift"]
    assert parse(inv.argv, cli.commands).options.get("--format") == "markdown"
    assert "${{" not in step["run"]
    summary = tmp_path / "summary.md"
    done = subprocess.run([*github_shell(github, job, step), "-c", step["run"]], cwd=tmp_path,
                          env={**os.environ, "PATH": f"{stub_reconciler}:{os.environ['PATH']}",
                               "GITHUB_STEP_SUMMARY": str(summary), "STUB_EXIT": str(exit_code)},
                          capture_output=True, text=True)
    assert (done.returncode != 0) is job_fails, done
    assert "### report (drift manifests/ --format markdown)" in summary.read_text()


def run_github_script(script: str, comments: list[dict], tmp_path: Path, env: dict | None = None) -> list[dict]:
    """Run an actions/github-script script under node with a recording `github` object."""
    (tmp_path / "script.js").write_text(script)
    harness = tmp_path / "harness.js"
    harness.write_text("""
const fs = require('fs');
const calls = [];
const comments = JSON.parse(process.argv[2]);
const record = name => async args => { calls.push({ name, ...args }); return { data: {} }; };
const github = {
  paginate: async (fn, args) => { calls.push({ name: 'list', ...args }); return comments; },
  rest: { issues: { listComments: 'listComments', updateComment: record('update'), createComment: record('create') } },
};
const context = { repo: { owner: 'o', repo: 'r' }, issue: { number: 7 }, sha: '0123456789abcdef',
                  serverUrl: 'https://github.com', runId: 42 };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('require', 'github', 'context', fs.readFileSync(process.argv[3], 'utf8'))(require, github, context)
  .then(() => console.log(JSON.stringify(calls)), err => { console.error(err); process.exit(1); });
""")
    done = subprocess.run(["node", str(harness), json.dumps(comments), str(tmp_path / "script.js")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PLAN_OUTCOME": "success", "CHECKS_OUTCOME": "success", **(env or {})})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_github_plan_comment_is_updated_not_repeated(github: dict, tmp_path: Path):
    [script] = [s["with"]["script"] for _, _, s in github_steps(github)
                if s.get("uses", "").startswith("actions/github-script")]
    (tmp_path / "plan.md").write_text("### reconciler plan\n\n**2 to create**\n")
    calls = run_github_script(script, [], tmp_path)
    [created] = [c for c in calls if c["name"] == "create"]
    assert created["issue_number"] == 7 and "**2 to create**" in created["body"]
    marker = created["body"].splitlines()[0]
    old = [{"id": 1, "user": {"type": "User"}, "body": "looks good"},
           {"id": 5, "user": {"type": "Bot"}, "body": marker + "\nold plan"}]
    calls = run_github_script(script, old, tmp_path)
    assert [c["name"] for c in calls] == ["list", "update"]
    assert calls[1]["comment_id"] == 5 and "**2 to create**" in calls[1]["body"]
    (tmp_path / "plan.md").write_text("x" * 200_000)
    calls = run_github_script(script, [], tmp_path)
    assert len(calls[-1]["body"]) < 65_536


# --- GitLab CI ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gitlab() -> dict:
    return load(GITLAB)


def gitlab_job(doc: dict, command: str, rule: str = "") -> tuple[str, dict]:
    """The job (whose rules mention `rule`) that runs `reconciler <command>`: the one named
    after the command when several do (the plan job validates too)."""
    found = [(name, job) for name, job in doc.items() if isinstance(job, dict) and rule in gitlab_rules(job)
             and any(inv.command == command for line in job.get("script", []) for inv in invocations_in(line, name))]
    if len(found) > 1:
        found = [(name, job) for name, job in found if name == command]
    [one] = found
    return one


def gitlab_rules(job: dict) -> str:
    return " ".join(rule.get("if", "") for rule in job.get("rules", []))


def test_gitlab_merge_request_plans_as_markdown(gitlab: dict):
    name, job = gitlab_job(gitlab, "plan", "merge_request_event")
    plans = [parse(i.argv, cli.commands) for line in job["script"] for i in invocations_in(line, name)]
    assert any(p.options.get("--format") == "markdown" and p.options.get("--out") for p in plans)
    assert "plan.md" in job["artifacts"]["paths"]
    _, validate = gitlab_job(gitlab, "validate")
    assert "merge_request_event" in gitlab_rules(validate)
    assert gitlab["stages"].index(validate["stage"]) < gitlab["stages"].index(job["stage"])


def test_gitlab_default_branch_plans_then_applies_that_saved_plan_one_at_a_time(gitlab: dict):
    name, job = gitlab_job(gitlab, "apply")
    assert "CI_DEFAULT_BRANCH" in gitlab_rules(job)
    assert job["resource_group"]
    runs = [(i, parse(i.argv, cli.commands)) for line in job["script"] for i in invocations_in(line, name)]
    [(apply_index, applied)] = [(n, p) for n, (i, p) in enumerate(runs) if i.command == "apply"]
    assert applied.options.get("--auto-approve") is True and "--force" not in applied.options
    assert any(i.command == "plan" and p.options.get("--out") == applied.options.get("--plan")
               for i, p in runs[:apply_index])
    assert not job.get("allow_failure")


@pytest.mark.parametrize("shell", [["bash", "-eo", "pipefail"], ["sh", "-e"]], ids=["bash", "sh"])
@pytest.mark.parametrize("exit_code, job_fails", [(0, False), (2, True), (1, True), (3, False)])
def test_gitlab_drift_job_fails_on_drift_and_keeps_the_report(
        gitlab: dict, stub_reconciler: Path, tmp_path: Path, shell: list[str], exit_code: int, job_fails: bool):
    name, job = gitlab_job(gitlab, "drift")
    assert gitlab_rules(job).strip() == '$CI_PIPELINE_SOURCE == "schedule"'
    assert not job.get("allow_failure")  # `allow_failure: {exit_codes: [2]}` would hide drift
    assert job["artifacts"]["when"] == "always" and "drift.md" in job["artifacts"]["paths"]
    # The runner runs a job's script lines in one shell that stops at the first failure.
    done = subprocess.run([*shell, "-c", "\n".join(job["script"])], cwd=tmp_path,
                          env={**os.environ, "PATH": f"{stub_reconciler}:{os.environ['PATH']}",
                               "STUB_EXIT": str(exit_code)}, capture_output=True, text=True)
    assert (done.returncode != 0) is job_fails, done
    assert "### report (drift manifests/ --format markdown)" in (tmp_path / "drift.md").read_text()
    assert "### report" in done.stdout  # in the job log too


def test_gitlab_uses_no_credentials_in_the_file(gitlab: dict):
    for scope in [gitlab, *[j for j in gitlab.values() if isinstance(j, dict)]]:
        variables = scope.get("variables") or {}
        assert not {"OMICALL_URL", "OMICALL_API_KEY", "OMICALL_TOKEN"} & set(variables)


class _Notes(http.server.BaseHTTPRequestHandler):
    notes: list[dict] = []
    requests: list[tuple[str, str, dict | None]] = []

    def _reply(self, data: Any) -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self) -> dict | None:
        length = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(length)) if length else None
        assert self.headers["PRIVATE-TOKEN"] == "note-token"
        self.requests.append((self.command, self.path, data))
        return data

    def do_GET(self) -> None:
        self._record()
        self._reply(self.notes)

    def do_POST(self) -> None:
        self._reply({"id": 99, **(self._record() or {})})

    do_PUT = do_POST

    def log_message(self, *args: Any) -> None:
        pass


def run_gitlab_job(job: dict, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """A GitLab job as the runner runs it: `script` in one shell that stops at the first
    failure, then `after_script` in another, always, told the outcome (CI_JOB_STATUS).
    The result is the script's, with after_script's output appended."""
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(job["script"])], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)
    if job.get("after_script"):
        status = "success" if done.returncode == 0 else "failed"
        after = subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(job["after_script"])], cwd=cwd,
                               env={**env, "CI_JOB_STATUS": status}, capture_output=True, text=True, timeout=60)
        assert after.returncode == 0, after.stderr  # after_script failures do not fail a job: show them here
        done.stdout += after.stdout
        done.stderr += after.stderr
    return done


def run_with_notes_api(handler: type, job: dict, stub_reconciler: Path,
                       tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """The GitLab plan job (script, then after_script) against a stub notes API served by
    `handler`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "PATH": f"{stub_reconciler}:{os.environ['PATH']}",
               "OMICALL_NOTE_TOKEN": "note-token", "CI_API_V4_URL": f"http://127.0.0.1:{server.server_port}/api/v4",
               "CI_PROJECT_ID": "12", "CI_MERGE_REQUEST_IID": "34", "CI_COMMIT_SHORT_SHA": "abc1234",
               "CI_JOB_URL": "https://gitlab.example/job/1"}
        done = run_gitlab_job(job, tmp_path, env)
    finally:
        server.shutdown()
        server.server_close()
    return done, env


@pytest.mark.parametrize("existing", [False, True], ids=["first-push", "next-push"])
def test_gitlab_plan_note_is_updated_not_repeated(gitlab: dict, stub_reconciler: Path, tmp_path: Path,
                                                  existing: bool):
    name, job = gitlab_job(gitlab, "plan", "merge_request_event")
    _Notes.requests = []
    _Notes.notes = [{"id": 3, "body": "a reviewer's note"}]
    if existing:
        _Notes.notes.append({"id": 8, "body": "<!-- omicall-plan -->\nold plan"})
    done, env = run_with_notes_api(_Notes, job, stub_reconciler, tmp_path)
    assert done.returncode == 0, done.stderr
    methods = [(m, p.split("?")[0]) for m, p, _ in _Notes.requests]
    notes = "/api/v4/projects/12/merge_requests/34/notes"
    assert methods == [("GET", notes), ("PUT", notes + "/8") if existing else ("POST", notes)]
    body = _Notes.requests[-1][2]["body"]
    assert body.startswith("<!-- omicall-plan -->") and "### report (plan manifests/" in body
    # Without the token the job still passes, with the plan as an artifact only.
    del env["OMICALL_NOTE_TOKEN"]
    done = run_gitlab_job(job, tmp_path, env)
    assert done.returncode == 0, done.stderr


# --- pre-commit --------------------------------------------------------------------------------


def test_pre_commit_hooks_validate_and_lint_the_whole_set_when_manifests_change():
    [repo] = load(PRE_COMMIT)["repos"]
    assert repo["repo"] == "local"
    hooks = repo["hooks"]
    assert [h["id"] for h in hooks] == ["reconciler-validate", "reconciler-lint"]
    for hook, command in zip(hooks, ("validate", "lint")):
        assert hook["pass_filenames"] is False  # each takes one directory, not a file list
        [inv] = invocations_in(hook["entry"], "entry")
        assert inv.argv == [command, "manifests/"]
        files = re.compile(hook["files"])
        assert files.search("manifests/groups.yaml") and files.search("manifests/sub/ivr.yml")
        assert not files.search("README.md") and not files.search(".github/workflows/omicall.yml")


def test_ci_recipes_lint_the_routing_where_they_validate():
    # GitHub: as annotations on the pull request's lines; GitLab: in the job log.
    for path, lint in ((GITHUB, ["lint", "manifests/", "--format", "github"]), (GITLAB, ["lint", "manifests/"])):
        argvs = [inv.argv for where, shell in shell_strings(path) for inv in invocations_in(shell, where)]
        assert lint in argvs, path


# --- the recipes end to end, with the real CLI against the simulator ----------------------------

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@pytest.fixture
def user_repo(tmp_path: Path) -> Iterator[tuple[Path, dict]]:
    """A user's repository (the examples in manifests/), the real `reconciler` on PATH and
    the credentials a CI would give, connected to a simulated tenant."""
    from reconciler.simulator import Simulator

    repo = tmp_path / "repo"
    demo = EXAMPLES / "manifests" if (EXAMPLES / "manifests").is_dir() else EXAMPLES
    shutil.copytree(demo, repo / "manifests", ignore=shutil.ignore_patterns("ci"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "reconciler"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
    wrapper.chmod(0o755)
    with Simulator(api_key="ci-key") as sim:
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(REPO),
               "OMICALL_URL": sim.url, "OMICALL_API_KEY": "ci-key", "NO_COLOR": "1",
               "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
        env.pop("OMICALL_TOKEN", None)
        yield repo, env


def run_shell(command: list[str], script: str, repo: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([*command, "-c", script], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=300)


GITHUB_EVENTS = {"plan": "pull_request", "apply": "push", "drift": "schedule"}


def github_job_scripts(doc: dict, command: str) -> list[tuple[list[str], str]]:
    """The shell steps of the job that runs `reconciler <command>`, install steps left out."""
    [(name, job, steps)] = jobs_running(doc, command, GITHUB_EVENTS[command])
    return [(github_shell(doc, job, s), s["run"]) for s in steps
            if "run" in s and not s["run"].startswith("pip install")]


def test_github_recipe_end_to_end(github: dict, user_repo: tuple[Path, dict]):
    repo, env = user_repo
    summary = Path(env["GITHUB_STEP_SUMMARY"])
    for stage in ("plan", "apply", "drift"):
        summary.write_text("")
        for shell, script in github_job_scripts(github, stage):
            done = run_shell(shell, script, repo, env)
            assert done.returncode == 0, (stage, script, done.stdout, done.stderr)
        if stage == "plan":
            plan = (repo / "plan.md").read_text()
            assert plan.startswith("### reconciler plan") and "create" in plan  # markdown only on stdout
            json.loads((repo / "plan.json").read_text())
        if stage == "apply":
            assert "### reconciler plan" in summary.read_text()
    # The manifests on main now say something the tenant does not: the drift job fails.
    groups = repo / "manifests" / "groups.yaml"
    groups.write_text(groups.read_text().replace("member_timeout: 20", "member_timeout: 25"))
    [(shell, script)] = [(sh, s) for sh, s in github_job_scripts(github, "drift") if "reconciler drift" in s]
    done = run_shell(shell, script, repo, env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Kinh doanh" in summary.read_text()


def test_github_apply_refuses_a_plan_gone_stale(github: dict, user_repo: tuple[Path, dict]):
    """The apply job's two steps, with the tenant changed between them: apply fails rather
    than overwrite what changed."""
    repo, env = user_repo
    for shell, script in github_job_scripts(github, "apply"):
        assert run_shell(shell, script, repo, env).returncode == 0
    groups = repo / "manifests" / "groups.yaml"
    groups.write_text(groups.read_text().replace("member_timeout: 20", "member_timeout: 25"))
    [plan_step, apply_step] = github_job_scripts(github, "apply")
    assert run_shell(*plan_step, repo, env).returncode == 0
    # Someone edits the group in the tenant after the plan was made.
    other = repo.parent / "other"
    shutil.copytree(repo / "manifests", other)
    (other / "groups.yaml").write_text(groups.read_text().replace("member_timeout: 25", "member_timeout: 40"))
    assert run_shell(["sh", "-e"], f"reconciler apply {other} --auto-approve", repo, env).returncode == 0
    done = run_shell(*apply_step, repo, env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "stale" in done.stderr and "Kinh doanh" in done.stderr


def test_gitlab_recipe_end_to_end(gitlab: dict, user_repo: tuple[Path, dict]):
    repo, env = user_repo
    for command, rule in [("validate", "merge_request_event"), ("plan", "merge_request_event"),
                          ("apply", "CI_DEFAULT_BRANCH"), ("drift", "schedule")]:
        name, job = gitlab_job(gitlab, command, rule)
        done = run_shell(["bash", "-eo", "pipefail"], "\n".join(job["script"]), repo, env)
        assert done.returncode == 0, (name, done.stdout, done.stderr)
    assert (repo / "plan.md").read_text().startswith("### reconciler plan")


def _with_managed_password(repo: Path) -> None:
    extensions = repo / "manifests" / "extensions.yaml"
    extensions.write_text(extensions.read_text().replace(
        "    call_timeout: 30\n", "    call_timeout: 30\n    password: ${env:EXT_101_PASSWORD}\n", 1))


def test_github_recipe_gives_sip_passwords_to_the_apply_job_only(github: dict, user_repo: tuple[Path, dict]):
    """Managed SIP passwords do not break the recipe: validate, plan and drift run without
    them (and say what they could not verify); apply, which sends them, gets them."""
    repo, env = user_repo
    _with_managed_password(repo)
    env.pop("EXT_101_PASSWORD", None)
    for name, job in github["jobs"].items():
        job_env = github_job_env(github, job)
        if name == "apply":
            assert job_env["EXT_101_PASSWORD"] == "${{ secrets.EXT_101_PASSWORD }}"
        else:
            assert "EXT_101_PASSWORD" not in job_env, name
    assert run_shell(["sh", "-e"], "reconciler validate manifests/", repo, env).returncode == 0
    for stage in ("plan", "apply", "drift"):
        stage_env = {**env, "EXT_101_PASSWORD": "s3cret-pw"} if stage == "apply" else env
        for shell, script in github_job_scripts(github, stage):
            done = run_shell(shell, script, repo, stage_env)
            assert done.returncode == 0, (stage, script, done.stdout, done.stderr)
            if stage != "apply" and "reconciler" in script:
                assert "EXT_101_PASSWORD is not set" in (repo / f"{stage}.md").read_text()


def test_gitlab_recipe_scopes_sip_passwords_to_the_apply_job(gitlab: dict, user_repo: tuple[Path, dict]):
    repo, env = user_repo
    _with_managed_password(repo)
    env.pop("EXT_101_PASSWORD", None)
    _, apply_job = gitlab_job(gitlab, "apply", "CI_DEFAULT_BRANCH")
    assert apply_job["environment"] == "production"  # the variables' Environment scope
    for command, rule in [("validate", "merge_request_event"), ("plan", "merge_request_event"),
                          ("apply", "CI_DEFAULT_BRANCH"), ("drift", "schedule")]:
        name, job = gitlab_job(gitlab, command, rule)
        job_env = {**env, "EXT_101_PASSWORD": "s3cret-pw"} if command == "apply" else env
        assert ("environment" in job) == (command == "apply"), name
        done = run_shell(["bash", "-eo", "pipefail"], "\n".join(job["script"]), repo, job_env)
        assert done.returncode == 0, (name, done.stdout, done.stderr)


class _PagedNotes(_Notes):
    """GitLab's notes API as it pages: per_page at most 100, X-Next-Page until the last."""

    def do_GET(self) -> None:
        from urllib.parse import parse_qs, urlsplit

        self._record()
        query = parse_qs(urlsplit(self.path).query)
        page, size = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["20"])[0])
        batch = self.notes[(page - 1) * size:page * size]
        body = json.dumps(batch).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Next-Page", str(page + 1) if page * size < len(self.notes) else "")
        self.end_headers()
        self.wfile.write(body)


def test_gitlab_plan_note_is_found_past_the_first_100_notes(gitlab: dict, stub_reconciler: Path, tmp_path: Path):
    name, job = gitlab_job(gitlab, "plan", "merge_request_event")
    _PagedNotes.requests = []
    _PagedNotes.notes = [{"id": i, "body": f"review comment {i}"} for i in range(1, 151)]
    _PagedNotes.notes[129] = {"id": 130, "body": "<!-- omicall-plan -->\nold plan"}
    done, _ = run_with_notes_api(_PagedNotes, job, stub_reconciler, tmp_path)
    assert done.returncode == 0, done.stderr
    notes = "/api/v4/projects/12/merge_requests/34/notes"
    writes = [(m, p) for m, p, _ in _PagedNotes.requests if m != "GET"]
    assert writes == [("PUT", notes + "/130")]  # updated, not a second note


def test_github_plan_comment_is_replaced_when_the_plan_fails(github: dict, tmp_path: Path):
    """A failed plan must not leave the previous (stale) plan on the pull request."""
    [(name, job, steps)] = jobs_running(github, "plan", "pull_request")
    [plan_step] = [s for s in steps if "reconciler plan" in s.get("run", "")]
    [comment] = [s for s in steps if s.get("uses", "").startswith("actions/github-script")]
    assert comment["if"] == "${{ !cancelled() }}"  # runs after a failed plan step too
    assert comment["env"]["PLAN_OUTCOME"] == "${{ steps.%s.outcome }}" % plan_step["id"]
    (tmp_path / "plan.md").write_text("### reconciler plan\n\n**Error: the plan cannot be made.**\n")
    marker = "<!-- omicall-plan -->"
    old = [{"id": 5, "user": {"type": "Bot"}, "body": marker + "\nPlan: 1 to create"}]
    calls = run_github_script(comment["with"]["script"], old, tmp_path, env={"PLAN_OUTCOME": "failure"})
    [update] = [c for c in calls if c["name"] == "update"]
    assert update["comment_id"] == 5 and "The plan failed for this commit" in update["body"]
    assert "Error: the plan cannot be made." in update["body"] and "1 to create" not in update["body"]
    (tmp_path / "plan.md").unlink()  # the step died before writing anything
    calls = run_github_script(comment["with"]["script"], old, tmp_path, env={"PLAN_OUTCOME": "failure"})
    assert "The plan failed for this commit" in calls[-1]["body"]


@pytest.mark.parametrize("path", RECIPES[:2], ids=lambda p: p.name)
def test_recipes_say_how_to_install_from_a_private_repository(path: Path):
    text = path.read_text(encoding="utf-8")
    assert "insteadOf" in text and ("RECONCILER_REPO_TOKEN" in text or "CI_JOB_TOKEN" in text)
    # The README's CI recipes link their details, kept in docs/ci.md.
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "(docs/ci.md)" in readme
    ci_doc = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    assert "## A private reconciler repository" in ci_doc and "insteadOf" in ci_doc


# --- CI formats in the recipes, and a plan comment never stale (issue 22) -------------------------

# One mistake (a misspelt field); both groups stay declared, as the other files use them.
INVALID_GROUPS = ("groups:\n  - name: Kinh doanh\n    strategy: rollover\n    membrs: ['101']\n"
                  "  - name: Hỗ trợ kỹ thuật\n    strategy: enterprise\n    members: ['103']\n")


def test_github_validate_job_annotates_each_problem_on_its_line(github: dict, user_repo: tuple[Path, dict]):
    """The validate job's steps, run on a broken manifest, print GitHub workflow commands
    for the file as the repository names it (checked against GitHub's documented syntax)."""
    from tests.flows.test_findings_formats import parse_github

    repo, env = user_repo
    (repo / "manifests" / "groups.yaml").write_text(INVALID_GROUPS, encoding="utf-8")
    job = github["jobs"]["validate"]
    steps = [s for _, _, s in github_steps({"jobs": {"validate": job}}) if step_invocations(s)]
    assert [parse(i.argv, cli.commands).options.get("--format") for s in steps for i in step_invocations(s)] == \
        ["github", "github"]
    done = run_shell(github_shell(github, job, steps[0]), steps[0]["run"], repo,
                     {**env, "GITHUB_WORKSPACE": str(repo)})
    assert done.returncode == 1  # the job fails, and says where
    [(command, props, message)] = [parse_github(line) for line in done.stdout.splitlines()]
    assert (command, props["file"], props["line"], props["col"]) == ("error", "manifests/groups.yaml", "4", "5")
    assert "unknown field 'membrs'" in message


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_github_plan_comment_is_marked_stale_when_validate_or_lint_fails(github: dict, tmp_path: Path):
    [(name, job, steps)] = jobs_running(github, "plan", "pull_request")
    assert job["if"].startswith("!cancelled()")  # the job runs after a failed validate, to say so
    [plan_step] = [s for s in steps if "reconciler plan" in s.get("run", "")]
    assert plan_step["if"] == "needs.validate.result == 'success'"  # but plans only valid manifests
    [comment] = [s for s in steps if s.get("uses", "").startswith("actions/github-script")]
    assert comment["env"]["CHECKS_OUTCOME"] == "${{ needs.validate.result }}"
    marker = "<!-- omicall-plan -->"
    old = [{"id": 5, "user": {"type": "Bot"}, "body": marker + "\nPlan: 1 to create"}]
    calls = run_github_script(comment["with"]["script"], old, tmp_path,
                              env={"CHECKS_OUTCOME": "failure", "PLAN_OUTCOME": "skipped"})
    [update] = [c for c in calls if c["name"] == "update"]
    assert update["comment_id"] == 5 and "validate or lint failed" in update["body"]
    assert "out of date" in update["body"] and "1 to create" not in update["body"]


def test_gitlab_validate_job_fills_the_code_quality_widget(gitlab: dict, user_repo: tuple[Path, dict]):
    from tests.flows.test_findings_formats import check_gitlab_report

    repo, env = user_repo
    name, job = gitlab_job(gitlab, "validate", "merge_request_event")
    report = job["artifacts"]["reports"]["codequality"]
    assert isinstance(report, str) and job["artifacts"]["when"] == "always"  # one file a job, kept on failure
    (repo / "manifests" / "groups.yaml").write_text(INVALID_GROUPS, encoding="utf-8")
    done = run_gitlab_job(job, repo, {**env, "CI_PROJECT_DIR": str(repo)})
    assert done.returncode != 0
    [issue] = check_gitlab_report((repo / report).read_text(encoding="utf-8"))
    assert issue["location"] == {"path": "manifests/groups.yaml", "lines": {"begin": 4}}
    assert issue["check_name"] == "unknown-field"


def test_gitlab_plan_note_says_so_when_validate_fails(gitlab: dict, user_repo: tuple[Path, dict], tmp_path: Path):
    """The real CLI on broken manifests: the plan job runs anyway (it does not wait for the
    validate job), fails at its own validate, and its after_script replaces the old note."""
    repo, env = user_repo
    name, job = gitlab_job(gitlab, "plan", "merge_request_event")
    assert job["needs"] == []
    (repo / "manifests" / "groups.yaml").write_text(INVALID_GROUPS, encoding="utf-8")
    _Notes.requests = []
    _Notes.notes = [{"id": 8, "body": "<!-- omicall-plan -->\nPlan: 1 to create"}]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Notes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ci = {"OMICALL_NOTE_TOKEN": "note-token", "CI_API_V4_URL": f"http://127.0.0.1:{server.server_port}/api/v4",
              "CI_PROJECT_ID": "12", "CI_MERGE_REQUEST_IID": "34", "CI_COMMIT_SHORT_SHA": "abc1234",
              "CI_JOB_URL": "https://gitlab.example/job/1"}
        done = run_gitlab_job(job, repo, {**env, **ci})
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode != 0
    assert not (repo / "plan.json").exists()  # nothing was planned
    [(method, path, data)] = [r for r in _Notes.requests if r[0] != "GET"]
    assert (method, path) == ("PUT", "/api/v4/projects/12/merge_requests/34/notes/8")
    assert "validate or lint failed" in data["body"] and "1 to create" not in data["body"]


def test_gitlab_plan_note_says_so_when_the_plan_fails(gitlab: dict, stub_reconciler: Path, tmp_path: Path):
    """The plan's own error document is posted, under a line that says it failed."""
    name, job = gitlab_job(gitlab, "plan", "merge_request_event")
    _Notes.requests = []
    _Notes.notes = [{"id": 8, "body": "<!-- omicall-plan -->\nPlan: 1 to create"}]
    stub = stub_reconciler / "reconciler"
    stub.write_text('#!/bin/sh\nif [ "$1" = plan ]; then echo "### reconciler plan"; echo "**Error: the plan cannot '
                    'be made.**"; exit 1; fi\nexit 0\n')
    done, _ = run_with_notes_api(_Notes, job, stub_reconciler, tmp_path)
    assert done.returncode == 1
    body = [r for r in _Notes.requests if r[0] == "PUT"][0][2]["body"]
    assert "The plan failed for this commit" in body and "the plan cannot be made" in body
