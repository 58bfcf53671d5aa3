"""The nightly adopt-or-revert recipes and the many-tenants recipes in examples/ci/.

Like tests/ci/test_ci_recipes.py: every `reconciler ...` they run names a real command and
real options (read from click), credentials come only from the CI's secret store, and the
shell they run is run here, with the real CLI against the simulator: a console edit
becomes a pull request (GitHub, through a stub `gh`) or a merge request (GitLab, through a
stub of its API); two tenants fan out, one failing, and the other's job still passes
and gets its own plan comment.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from reconciler.cli import cli
from reconciler.simulator import Simulator
from tests.simulator.helpers import open_api
from tests.ci.test_ci_recipes import (
    CI, EXAMPLES, REPO, all_strings, github_shell, github_steps, invocations_in, load, parse, run_github_script,
    run_shell,
)

GITHUB_ADOPT = CI / ".github" / "workflows" / "omicall-adopt.yml"
GITLAB_ADOPT = CI / ".gitlab" / "omicall-adopt.yml"
GITHUB_TENANTS = CI / ".github" / "workflows" / "omicall-tenants.yml"
GITLAB_TENANTS = CI / ".gitlab" / "omicall-tenants.gitlab-ci.yml"
GITHUB_RECIPES = [GITHUB_ADOPT, GITHUB_TENANTS]
GITLAB_RECIPES = [GITLAB_ADOPT, GITLAB_TENANTS]
RECIPES = GITHUB_RECIPES + GITLAB_RECIPES
SECRET = re.compile(r"^\$\{\{\s*(secrets\.[A-Z0-9_]+|secrets\[format\('[A-Z0-9_]+\{0\}', matrix\.secret\)\]"
                    r"|github\.token)\s*\}\}$")


def shell_strings(path: Path) -> list[tuple[str, str]]:
    doc = load(path)
    if path in GITHUB_RECIPES:
        return [(step["_where"], step["run"]) for _, _, step in github_steps(doc) if "run" in step]
    out = []
    for name, job in doc.items():
        if isinstance(job, dict):
            for key in ("before_script", "script", "after_script"):
                lines = job.get(key) or []
                out += [(f"{name} {key}", line) for line in ([lines] if isinstance(lines, str) else lines)]
    return out


def invocations(path: Path) -> list:
    return [inv for where, text in shell_strings(path) for inv in invocations_in(text, where)]


# --- every recipe ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_invocation_uses_existing_commands_and_options(path: Path):
    found = invocations(path)
    assert found, f"{path.name} never runs the reconciler"
    problems = [f"{inv}: {p}" for inv in found for p in parse(inv.argv, cli.commands).problems]
    assert not problems, "\n".join(problems)
    checked = {inv.shell for inv in found}
    for key, text in all_strings(load(path)):
        if key not in ("name", "id") and text not in checked:
            assert not [m for m in re.findall(r"\breconciler\s+([a-z][a-z-]*)", text) if m in cli.commands], key


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_credentials_only_come_from_the_secret_store(path: Path):
    doc = load(path)
    for key, text in all_strings(doc):
        if isinstance(key, str) and re.search(r"(?i)(api_?key|token|secret|password)", key) and key != "secret":
            assert SECRET.match(text.strip()), f"{path.name}: {key} is set to {text!r}"
        for value in re.findall(r"\b(?:OMICALL_API_KEY|OMICALL_TOKEN|OMICALL_URL)\s*[=:]\s*(\S+)", text):
            assert value.startswith(("$", '"$')), f"{path.name}: written literally: {value}"
    if path in GITLAB_RECIPES:
        for scope in [doc, *[j for j in doc.values() if isinstance(j, dict)]]:
            assert not {"OMICALL_URL", "OMICALL_API_KEY", "OMICALL_TOKEN"} & set(scope.get("variables") or {})


# --- a user's repository under git, a simulated tenant, stubs of gh and the GitLab API ------------


@pytest.fixture
def adopt_repo(tmp_path: Path) -> Iterator[tuple[Path, dict, Any]]:
    """The examples in manifests/, applied to a simulated tenant, committed on main and
    pushed to a bare origin; the real `reconciler` and a stub `gh` on PATH; a console."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo / "manifests", ignore=shutil.ignore_patterns("ci"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "reconciler").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
    # gh: records its arguments (and the body file it is given); `pr view` says $GH_PR_STATE.
    (bin_dir / "gh").write_text('#!/bin/sh\necho "$*" >> "$GH_LOG"\n'
                                'for a in "$@"; do [ -f "$a" ] && cp "$a" "$GH_LOG.body"; done\n'
                                'if [ "$1 $2" = "pr view" ]; then [ -n "$GH_PR_STATE" ] || exit 1; '
                                'echo "$GH_PR_STATE"; fi\n')
    for tool in ("reconciler", "gh"):
        (bin_dir / tool).chmod(0o755)
    with Simulator(api_key="ci-key") as sim:
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(REPO),
               "OMICALL_URL": sim.url, "OMICALL_API_KEY": "ci-key", "NO_COLOR": "1",
               "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "output"),
               "GH_LOG": str(tmp_path / "gh.log"), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}
        env.pop("OMICALL_TOKEN", None)
        done = run_shell(["sh", "-e"], "reconciler apply manifests/ --auto-approve", repo, env)
        assert done.returncode == 0, done.stderr
        git = f"git init -q -b main && git add -A && git commit -q -m manifests && " \
              f"git init -q --bare ../origin.git && git remote add origin ../origin.git && git push -q origin main"
        assert run_shell(["sh", "-e"], git, repo, env).returncode == 0
        yield repo, env, open_api(sim, "http")


def console_member_timeout(api: Any, group: str, seconds: int) -> None:
    """A supervisor changes a group's ring time in the console."""
    phones = {e["agent_id"]: e["sip_user"] for e in api.ok("GET", "internal_phone/list", params={"size": 100})["items"]}
    g = api.group(group)
    api.ok("POST", f"internal_group/update/{g['_id']}", json={
        "group_name": g["group_name"], "strategy": g["strategy"], "timeout": seconds,
        "sip_members": [phones[m["agent_id"]] for m in g["members"]], "ring_group_type": g["ring_group_type"],
        "target_timeout_type": g["target_timeout_type"], "target_timeout": g["target_timeout"]})


def github_step(doc: dict, name: str) -> tuple[list[str], dict, dict]:
    [(job, step)] = [(job, step) for _, job, step in github_steps(doc) if step.get("name") == name]
    return github_shell(doc, job, step), job, step


def test_github_adopt_opens_then_updates_one_pull_request(adopt_repo: tuple[Path, dict, Any]):
    repo, env, api = adopt_repo
    doc = load(GITHUB_ADOPT)
    on = doc.get("on", doc.get(True))
    assert "schedule" in on and "pull_request" not in on
    shell, job, drift = github_step(doc, "Adopt the drift into the manifests")
    [inv] = invocations_in(drift["run"], "adopt")
    assert parse(inv.argv, cli.commands).options == {"--write": True, "--format": "markdown"}
    assert job["concurrency"]["cancel-in-progress"] is False
    pr_shell, _, pr = github_step(doc, "Open or update the pull request")
    assert pr["if"] == "steps.drift.outputs.changed == 'true'"
    pr_env = {**env, "BASE": "main", "GH_TOKEN": "t"}
    output = Path(env["GITHUB_OUTPUT"])

    def night() -> bool:
        output.write_text("")
        done = run_shell(shell, drift["run"], repo, env)
        assert done.returncode == 0, (done.stdout, done.stderr)
        changed = "changed=true" in output.read_text()
        if changed:
            done = run_shell(pr_shell, pr["run"], repo, pr_env)
            assert done.returncode == 0, (done.stdout, done.stderr)
            run_shell(["sh", "-e"], "git switch -q main && git checkout -q -- . ", repo, env)
        return changed

    assert night() is False  # in sync: no pull request
    console_member_timeout(api, "Kinh doanh", 25)
    assert night() is True
    log = Path(env["GH_LOG"])
    assert "pr create --head omicall/adopt-drift --base main" in log.read_text()
    body = Path(env["GH_LOG"] + ".body").read_text()
    assert "**Merge** to adopt" in body and "### reconciler drift" in body and "Kinh doanh" in body
    branch = subprocess.run(["git", "--git-dir", str(repo.parent / "origin.git"), "diff", "main",
                             "omicall/adopt-drift"], capture_output=True, text=True).stdout
    assert "-    member_timeout: 20\n+    member_timeout: 25" in branch
    # The next night the pull request is still open: it is updated, not opened again.
    console_member_timeout(api, "Kinh doanh", 35)
    pr_env["GH_PR_STATE"] = "OPEN"
    log.write_text("")
    assert night() is True
    assert "pr edit omicall/adopt-drift --body-file body.md" in log.read_text()
    assert "pr create" not in log.read_text()


class _GitLabApi(http.server.BaseHTTPRequestHandler):
    """A stub of the GitLab API: records requests, answers from `replies` by method and path."""

    requests: list[tuple[str, str, Any]] = []
    replies: dict[tuple[str, str], Any] = {}

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(length)) if length else None
        assert self.headers["PRIVATE-TOKEN"] == "api-token"
        path = self.path.split("?")[0]
        self.requests.append((self.command, self.path, data))
        default = [] if self.command == "GET" else {"id": 1}
        body = json.dumps(self.replies.get((self.command, path), default)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gitlab_api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GitLabApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _GitLabApi.requests, _GitLabApi.replies = [], {}
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/v4"
    finally:
        server.shutdown()
        server.server_close()


def test_gitlab_adopt_commits_through_the_api_and_opens_then_updates_one_merge_request(
        adopt_repo: tuple[Path, dict, Any], gitlab_api: str):
    repo, env, api = adopt_repo
    job = load(GITLAB_ADOPT)["omicall-adopt"]
    assert [r["if"] for r in job["rules"]] == ['$CI_PIPELINE_SOURCE == "schedule"']
    assert job["artifacts"]["when"] == "always"
    env = {**env, "CI_API_V4_URL": gitlab_api, "CI_PROJECT_ID": "12", "OMICALL_MR_TOKEN": "api-token",
           "CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_ID": "77"}
    script = "\n".join(job["script"])
    mrs = "/api/v4/projects/12/merge_requests"

    done = run_shell(["bash", "-eo", "pipefail"], script, repo, env)
    assert done.returncode == 0, done.stderr
    assert _GitLabApi.requests == []  # in sync: nothing sent
    console_member_timeout(api, "Kinh doanh", 25)
    done = run_shell(["bash", "-eo", "pipefail"], script, repo, env)
    assert done.returncode == 0, done.stderr
    (commit, listing, created) = _GitLabApi.requests
    assert commit[:2] == ("POST", "/api/v4/projects/12/repository/commits")
    assert commit[2]["branch"] == "omicall/adopt-drift" and commit[2]["start_branch"] == "main" and commit[2]["force"]
    [action] = commit[2]["actions"]
    assert action["action"] == "update" and action["file_path"] == "manifests/groups.yaml"
    assert action["content"] == (repo / "manifests" / "groups.yaml").read_text()
    assert "member_timeout: 25" in action["content"]
    assert listing[0] == "GET" and listing[1].startswith(mrs + "?") and "source_branch=omicall%2Fadopt-drift" in listing[1]
    assert created[:2] == ("POST", mrs) and created[2]["target_branch"] == "main"
    assert "### reconciler drift" in created[2]["description"] and "Kinh doanh" in created[2]["description"]
    # An open merge request is updated.
    _GitLabApi.requests.clear()
    _GitLabApi.replies[("GET", mrs)] = [{"iid": 4}]
    done = run_shell(["bash", "-eo", "pipefail"], script, repo, env)
    assert done.returncode == 0, done.stderr
    assert [r[:2] for r in _GitLabApi.requests][-1] == ("PUT", mrs + "/4")
    # A drift that cannot be written fails the job, and nothing is sent.
    _GitLabApi.requests.clear()
    (repo / "manifests" / "groups.yaml").write_text("groups: {}\n")
    done = run_shell(["bash", "-eo", "pipefail"], script, repo, env)
    assert done.returncode == 1 and _GitLabApi.requests == []


# --- many tenants -----------------------------------------------------------------------------------


@pytest.fixture
def tenants_repo(tmp_path: Path) -> Iterator[tuple[Path, dict, dict]]:
    """tenants/hanoi and tenants/ha-noi-2 (the examples each), two simulated tenants, and
    the secrets a CI holds: the second tenant's API key is wrong."""
    repo = tmp_path / "repo"
    for name in ("hanoi", "ha-noi-2"):
        shutil.copytree(EXAMPLES, repo / "tenants" / name, ignore=shutil.ignore_patterns("ci"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "reconciler").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
    (bin_dir / "reconciler").chmod(0o755)
    with Simulator(api_key="key-1") as one, Simulator(api_key="key-2") as two:
        secrets = {"OMICALL_URL_HANOI": one.url, "OMICALL_API_KEY_HANOI": "key-1",
                   "OMICALL_URL_HA_NOI_2": two.url, "OMICALL_API_KEY_HA_NOI_2": "not-the-key"}
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(REPO), "NO_COLOR": "1",
               "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "output")}
        for name in ("OMICALL_TOKEN", "OMICALL_URL", "OMICALL_API_KEY"):
            env.pop(name, None)
        yield repo, env, secrets


def expand(text: str, matrix: dict, secrets: dict) -> str:
    """The GitHub expressions the tenants recipe uses, evaluated for one matrix entry."""
    text = re.sub(r"\$\{\{\s*secrets\[format\('(\w+)\{0\}', matrix\.secret\)\]\s*\}\}",
                  lambda m: secrets.get(m.group(1) + matrix["secret"], ""), text)
    return re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m: matrix[m.group(1)], text)


def test_github_tenants_fan_out_one_job_per_directory_and_a_failure_stops_no_other(
        tenants_repo: tuple[Path, dict, dict], monkeypatch: pytest.MonkeyPatch):
    repo, env, secrets = tenants_repo
    doc = load(GITHUB_TENANTS)
    # The matrix is the listing of tenants/.
    [(_, list_job, listing)] = [(n, j, s) for n, j, s in github_steps(doc) if s.get("id") == "list"]
    done = run_shell(github_shell(doc, list_job, listing), listing["run"], repo, env)
    assert done.returncode == 0, done.stderr
    matrix = json.loads(Path(env["GITHUB_OUTPUT"]).read_text().split("matrix=", 1)[1])
    assert matrix == {"include": [{"tenant": "ha-noi-2", "secret": "HA_NOI_2"}, {"tenant": "hanoi", "secret": "HANOI"}]}
    for name in ("plan", "apply", "drift"):
        job = doc["jobs"][name]
        assert job["strategy"]["fail-fast"] is False
        assert job["strategy"]["matrix"] == "${{ fromJSON(needs.tenants.outputs.matrix) }}"
        assert "tenants" in job["needs"]
    assert doc["jobs"]["apply"]["concurrency"]["group"] == "omicall-apply-${{ matrix.tenant }}"

    job = doc["jobs"]["plan"]
    outcomes, comments = {}, {}
    for entry in matrix["include"]:
        job_env = {**env, **{k: expand(v, entry, secrets) for k, v in job["env"].items()}}
        failed = False
        for step in job["steps"]:
            if "run" in step and not step["run"].startswith("pip install") and not failed:
                step_env = {**job_env, **{k: expand(v, entry, secrets) for k, v in (step.get("env") or {}).items()}}
                offline = step["run"].startswith(("reconciler validate", "reconciler lint"))
                assert ("OMICALL_API_KEY" in step_env) is not offline  # offline steps get no secret
                failed = run_shell(github_shell(doc, job, step), step["run"], repo, step_env).returncode != 0
            if step.get("uses", "").startswith("actions/github-script"):
                assert step["if"] == "always()"
                monkeypatch.setenv("TENANT", entry["tenant"])  # the job's env, seen by the script
                calls = run_github_script(step["with"]["script"], [], repo)
                comments[entry["tenant"]] = [c for c in calls if c["name"] == "create"][0]["body"]
        outcomes[entry["tenant"]] = failed
        (repo / "plan.md").unlink(missing_ok=True)
    assert outcomes == {"hanoi": False, "ha-noi-2": True}
    assert comments["hanoi"].startswith("<!-- omicall-plan:hanoi -->\n#### Tenant `hanoi`")
    assert "### reconciler plan" in comments["hanoi"]
    # The failed tenant's comment says why: the plan's own error document, a wrong key.
    assert comments["ha-noi-2"].startswith("<!-- omicall-plan:ha-noi-2 -->")
    assert "the plan cannot be made" in comments["ha-noi-2"] and "api_key_invalid" in comments["ha-noi-2"]

    # apply and drift for the tenant whose secrets are right, each with its own.
    for name in ("apply", "drift"):
        job = doc["jobs"][name]
        entry = {"tenant": "hanoi", "secret": "HANOI"}
        job_env = {**env, **{k: expand(v, entry, secrets) for k, v in job["env"].items()}}
        assert job_env["OMICALL_URL"] == secrets["OMICALL_URL_HANOI"]
        for step in job["steps"]:
            if "run" in step and not step["run"].startswith("pip install"):
                done = run_shell(github_shell(doc, job, step), step["run"], repo, job_env)
                assert done.returncode == 0, (name, done.stdout, done.stderr)


def test_gitlab_tenants_fan_out_with_parallel_matrix_and_a_note_per_tenant(
        tenants_repo: tuple[Path, dict, dict], gitlab_api: str):
    repo, env, secrets = tenants_repo
    doc = load(GITLAB_TENANTS)
    tenants = doc[".tenants"]["parallel"]["matrix"][0]["TENANT"]
    assert tenants == ["hanoi", "saigon"]  # the recipe's example list
    for name in ("plan", "apply", "drift"):
        assert doc[name]["extends"] == ".tenants" and not doc[name].get("allow_failure")
    assert doc["apply"]["resource_group"] == "omicall-$TENANT"
    before = doc["default"]["before_script"][1:]  # the install aside
    job = doc["plan"]
    ci = {"CI_API_V4_URL": gitlab_api, "CI_PROJECT_ID": "12", "CI_MERGE_REQUEST_IID": "34",
          "CI_COMMIT_SHORT_SHA": "abc1234", "CI_JOB_URL": "https://gitlab.example/job/1", "OMICALL_NOTE_TOKEN": "api-token"}
    outcomes = {}
    for tenant in ("hanoi", "ha-noi-2"):
        job_env = {**env, **secrets, **ci, "TENANT": tenant}
        (repo / "plan.md").unlink(missing_ok=True)
        # The runner: before_script and script in one shell; after_script in another, always.
        done = run_shell(["bash", "-eo", "pipefail"], "\n".join(before + job["script"]), repo, job_env)
        outcomes[tenant] = done.returncode
        after = run_shell(["bash", "-eo", "pipefail"], "\n".join(job["after_script"]), repo, job_env)
        assert after.returncode == 0, after.stderr
    assert outcomes["hanoi"] == 0 and outcomes["ha-noi-2"] != 0
    posted = {r[2]["body"].split(" -->")[0]: r[2]["body"] for r in _GitLabApi.requests if r[0] == "POST"}
    assert set(posted) == {"<!-- omicall-plan:hanoi", "<!-- omicall-plan:ha-noi-2"}
    assert "### reconciler plan" in posted["<!-- omicall-plan:hanoi"]
    assert "the plan cannot be made" in posted["<!-- omicall-plan:ha-noi-2"]
    assert "api_key_invalid" in posted["<!-- omicall-plan:ha-noi-2"]
    for name in ("apply", "drift"):
        done = run_shell(["bash", "-eo", "pipefail"], "\n".join(before + doc[name]["script"]), repo,
                         {**env, **secrets, "TENANT": "hanoi"})
        assert done.returncode == 0, (name, done.stdout, done.stderr)


def _with_password(directory: Path) -> None:
    extensions = directory / "extensions.yaml"
    extensions.write_text(extensions.read_text().replace(
        "    call_timeout: 30\n", "    call_timeout: 30\n    password: ${env:EXT_101_PASSWORD}\n", 1))


def test_github_tenants_apply_is_gated_and_takes_each_tenants_sip_passwords(tenants_repo: tuple[Path, dict, dict]):
    repo, env, secrets = tenants_repo
    _with_password(repo / "tenants" / "hanoi")
    secrets = {**secrets, "EXT_101_PASSWORD_HANOI": "pw-hanoi"}
    doc = load(GITHUB_TENANTS)
    for name in ("tenants", "plan", "drift"):
        assert "EXT_101_PASSWORD" not in (doc["jobs"][name].get("env") or {}), name  # apply only
    job = doc["jobs"]["apply"]
    entry = {"tenant": "hanoi", "secret": "HANOI"}
    job_env = {**env, **{k: expand(v, entry, secrets) for k, v in job["env"].items()}}
    assert job_env["EXT_101_PASSWORD"] == "pw-hanoi"  # this tenant's own secret
    steps = [s for s in job["steps"] if "run" in s and not s["run"].startswith("pip install")]
    commands = [i.command for s in steps for i in invocations_in(s["run"], "apply")]
    assert commands[:2] == ["validate", "lint"] and commands.index("plan") > 1  # gated before planning
    for step in steps:
        done = run_shell(github_shell(doc, job, step), step["run"], repo, job_env)
        assert done.returncode == 0, (step["run"], done.stdout, done.stderr)
    # Broken manifests on main: the job stops at validate; nothing is planned or applied.
    (repo / "plan.json").unlink()
    (repo / "tenants" / "hanoi" / "groups.yaml").write_text("groups:\n  - name: X\n    membrs: []\n")
    outcomes = [run_shell(github_shell(doc, job, s), s["run"], repo, job_env).returncode for s in steps[:1]]
    assert outcomes == [1] and not (repo / "plan.json").exists()


def test_gitlab_tenants_apply_is_gated_and_takes_each_tenants_sip_passwords(tenants_repo: tuple[Path, dict, dict]):
    repo, env, secrets = tenants_repo
    _with_password(repo / "tenants" / "hanoi")
    doc = load(GITLAB_TENANTS)
    job = doc["apply"]
    assert job["environment"] == "production/$TENANT"  # the passwords' variables are scoped to production/*
    assert "environment" not in doc["plan"] and "environment" not in doc["drift"]
    before = doc["default"]["before_script"][1:]  # the install aside
    lines = [i.command for line in job["script"] for i in invocations_in(line, "apply")]
    assert lines[:2] == ["validate", "lint"]
    job_env = {**env, **secrets, "TENANT": "hanoi"}
    # Without this tenant's password, apply refuses and names the variable.
    done = run_shell(["bash", "-eo", "pipefail"], "\n".join(before + job["script"]), repo, job_env)
    assert done.returncode == 1 and "EXT_101_PASSWORD" in done.stderr
    done = run_shell(["bash", "-eo", "pipefail"], "\n".join(before + job["script"]), repo,
                     {**job_env, "EXT_101_PASSWORD_HANOI": "pw-hanoi"})
    assert done.returncode == 0, (done.stdout, done.stderr)
    (repo / "plan.json").unlink()
    (repo / "tenants" / "hanoi" / "groups.yaml").write_text("groups:\n  - name: X\n    membrs: []\n")
    done = run_shell(["bash", "-eo", "pipefail"], "\n".join(before + job["script"]), repo,
                     {**job_env, "EXT_101_PASSWORD_HANOI": "pw-hanoi"})
    assert done.returncode == 1 and "membrs" in done.stderr and not (repo / "plan.json").exists()
