"""Issue 10, tried as a new user would: nothing overwritten, nothing silent. Each test goes
through the CLI against the simulator over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Tenant


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- export never overwrites the user's manifests -----------------------------------------


def test_export_refuses_to_replace_hand_written_manifests_of_the_same_names(tenant: Tenant):
    before = files_of(tenant.manifests)
    result = tenant.run("export", "--out", str(tenant.manifests))
    assert result.exit_code == 1
    assert "greetings.yaml" in result.output and "groups.yaml" in result.output
    assert "not written by export" in result.output and "--force" in result.output
    assert files_of(tenant.manifests) == before  # nothing written


def test_export_refuses_an_exported_file_the_user_edited(tenant: Tenant, tmp_path: Path):
    out = tmp_path / "live"
    assert tenant.run("export", "--out", str(out)).exit_code == 0
    groups = out / "groups.yaml"
    edited = groups.read_text(encoding="utf-8") + "# our queue settings live here\n"
    groups.write_text(edited, encoding="utf-8")
    again = tenant.run("export", "--out", str(out))
    assert again.exit_code == 1 and "groups.yaml" in again.output
    assert groups.read_text(encoding="utf-8") == edited
    # Unedited exported files are replaced freely (re-export is byte-identical).
    groups.unlink()
    assert tenant.run("export", "--out", str(out)).exit_code == 0


def test_export_force_replaces_the_users_files_and_says_which(tenant: Tenant, tmp_path: Path):
    out = tmp_path / "live"
    out.mkdir()
    (out / "groups.yaml").write_text("groups: []  # mine\n", encoding="utf-8")
    result = tenant.run("export", "--out", str(out), "--force")
    assert result.exit_code == 0, result.output
    replaced = [line for line in result.output.splitlines() if line.strip().startswith("replaced")]
    assert len(replaced) == 1 and "groups.yaml" in replaced[0] and "--force" in replaced[0]
    assert (out / "groups.yaml").read_text(encoding="utf-8").startswith("# Written by `reconciler export`")


def test_drift_footer_points_at_the_safe_ways_to_adopt_or_revert(tenant: Tenant):
    # Not at `export` over the manifests, which would lose comments and write-only fields.
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 21"))
    for fmt in ("text", "markdown"):
        result = tenant.run("drift", str(tenant.manifests), "--format", fmt)
        assert result.exit_code == 2, result.output
        # The directory as typed, not the word DIR (issue #21 item 6).
        assert f"`reconciler drift {tenant.manifests} --write`" in result.output
        assert f"`reconciler apply {tenant.manifests}`" in result.output
        assert "reconciler export" not in result.output


# --- managed SIP passwords: read-only commands work without the secret ---------------------

PASSWORD_LINE = "    call_timeout: 30\n    password: ${env:EXT_101_PASSWORD}\n"


def with_password(tenant: Tenant) -> None:
    text = tenant.read("extensions.yaml")
    tenant.edit("extensions.yaml", text.replace("    call_timeout: 30\n", PASSWORD_LINE, 1))


def test_validate_checks_the_secret_reference_not_its_value(tenant: Tenant):
    with_password(tenant)
    result = tenant.run("validate", str(tenant.manifests), env={"EXT_101_PASSWORD": None})
    assert result.exit_code == 0, result.output
    bad = tenant.read("extensions.yaml").replace("${env:EXT_101_PASSWORD}", "${env:EXT 101}")
    tenant.edit("extensions.yaml", bad)
    assert tenant.run("validate", str(tenant.manifests), env={"EXT_101_PASSWORD": None}).exit_code == 1


def test_plan_and_drift_work_without_the_secret_and_say_which_they_could_not_verify(tenant: Tenant):
    with_password(tenant)
    secret = {"EXT_101_PASSWORD": "s3cret-pw"}
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve", env=secret).exit_code == 0
    without = {"EXT_101_PASSWORD": None}
    plan = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode", env=without)
    # Nothing else changed, but the password was not compared: not "no changes" (issue 21).
    assert plan.exit_code == 2, plan.output
    assert "1 unverifiable" in plan.output and "No changes" not in plan.output
    assert "extension '101': password not verified: environment variable EXT_101_PASSWORD is not set" in plan.output
    drift = tenant.run("drift", str(tenant.manifests), env=without)
    assert drift.exit_code == 3, drift.output  # no drift found, but not all verified
    assert "In sync" not in drift.output
    assert "EXT_101_PASSWORD is not set" in drift.output
    as_json = tenant.run("plan", str(tenant.manifests), "--format", "json", env=without)
    assert '"secrets_not_set": [\n    "EXT_101_PASSWORD"\n  ]' in as_json.output


def test_apply_without_the_secret_is_refused_before_anything_is_sent(tenant: Tenant):
    with_password(tenant)
    tenant.sim.requests.clear()
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve", env={"EXT_101_PASSWORD": None})
    assert result.exit_code == 1
    assert "environment variable EXT_101_PASSWORD is not set" in result.output
    assert "Traceback" not in result.output
    assert tenant.mutations() == []


def test_a_plan_saved_without_the_secret_is_refused_by_apply(tenant: Tenant, tmp_path: Path):
    with_password(tenant)
    saved = tmp_path / "plan.json"
    made = tenant.run("plan", str(tenant.manifests), "--out", str(saved), env={"EXT_101_PASSWORD": None})
    assert made.exit_code == 0, made.output
    tenant.sim.requests.clear()
    result = tenant.run("apply", "--plan", str(saved), "--auto-approve", env={"EXT_101_PASSWORD": "s3cret-pw"})
    assert result.exit_code == 1
    assert "made where EXT_101_PASSWORD was not set" in result.output
    assert tenant.mutations() == []


# --- policy.protect: typos warn, protected differences are shown and counted ---------------


def protect(tenant: Tenant, *names: str) -> None:
    policy = tenant.read("policy.yaml")
    listed = ", ".join(f'"{n}"' for n in names)
    tenant.edit("policy.yaml", policy.replace('protect: ["Nhóm nhân viên mặc định"]', f"protect: [{listed}]"))


def test_a_protect_entry_that_matches_nothing_warns_with_did_you_mean(tenant: Tenant):
    protect(tenant, "Nhom Tech")  # the tenant has "Nhóm Tech"
    expected = ("policy.protect: 'Nhom Tech' matches no object in the manifests or the tenant, so it protects "
                "nothing; did you mean 'Nhóm Tech'?")
    for args in (["validate", "--live"], ["plan"], ["drift"]):
        result = tenant.run(*args, str(tenant.manifests))
        assert f"Warning: {expected}" in result.output, (args, result.output)
    as_json = tenant.run("plan", str(tenant.manifests), "--format", "json")
    assert expected in as_json.output


def test_a_protected_object_that_differs_is_shown_and_counted_not_in_sync(tenant: Tenant):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    protect(tenant, "Kinh doanh")
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    plan = tenant.run("plan", str(tenant.manifests))
    assert "groups/Kinh doanh: differs (member_timeout), protected: not changed" in plan.output
    assert "1 protected by policy and not changed though it differs" in plan.output
    assert "The tenant matches the manifests" not in plan.output
    drift = tenant.run("drift", str(tenant.manifests))
    assert "groups/Kinh doanh: differs (member_timeout), protected: not changed" in drift.output
    assert "In sync" not in drift.output and "1 protected by policy, not changed though it differs" in drift.output
    as_json = tenant.run("drift", str(tenant.manifests), "--format", "json")
    assert '"protected_differs": 1' in as_json.output


def test_a_protected_object_of_a_pruned_kind_is_not_listed_as_unmanaged(tenant: Tenant):
    protect(tenant, "Nhóm Tech")  # a live group the manifests do not declare; groups are pruned
    drift = tenant.run("drift", str(tenant.manifests), "--format", "json")
    report = json.loads(drift.output)
    assert "Nhóm Tech" not in report["unmanaged"].get("groups", [])
    assert "groups/Nhóm Tech: not in the manifests, protected: not deleted" in report["protected"]
    text = tenant.run("drift", str(tenant.manifests)).output
    # Unmanaged objects are listed as "  groups: A, B"; the protected one is not among them.
    assert not [line for line in text.splitlines() if line.startswith("  groups:") and "Nhóm Tech" in line]


# --- validate --live runs the plan's checks -------------------------------------------------


def test_validate_live_refuses_a_hotline_the_tenant_does_not_have_and_suggests_its_spelling(tenant: Tenant):
    routing = tenant.read("routing.yaml")
    for spelling in ("02871002283", "+842871002283"):
        tenant.edit("routing.yaml", routing.replace('"842871002283"', f'"{spelling}"'))
        for command in ("validate", "plan"):
            args = [command, str(tenant.manifests)] + (["--live"] if command == "validate" else [])
            result = tenant.run(*args)
            assert result.exit_code == 1, result.output
            assert f"hotline '{spelling}' does not exist in the tenant" in result.output
            assert "the tenant has it as '842871002283'" in result.output


# --- credential and URL mistakes ------------------------------------------------------------


def test_a_wrong_api_key_names_the_variable_and_leaves_no_warning(tenant: Tenant):
    """Run as a user would (a real process): a coroutine left unawaited printed a
    RuntimeWarning at exit."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "OMICALL_URL": tenant.url, "OMICALL_API_KEY": "wrong-key-123", "NO_COLOR": "1"}
    env.pop("OMICALL_TOKEN", None)
    done = subprocess.run([sys.executable, "-m", "reconciler", "plan", str(tenant.manifests)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "the API key was refused: check OMICALL_API_KEY" in done.stderr
    assert "RuntimeWarning" not in done.stderr and "never awaited" not in done.stderr
    assert "wrong-key-123" not in done.stderr + done.stdout


def test_a_connection_error_names_the_url(tenant: Tenant):
    result = tenant.run("plan", str(tenant.manifests), env={"OMICALL_URL": "http://127.0.0.1:1"})
    assert result.exit_code == 1
    assert "could not connect to http://127.0.0.1:1" in result.output


def test_a_host_name_that_does_not_resolve_is_not_retried(tenant: Tenant, monkeypatch):
    import socket

    lookups = []

    def no_such_host(host, *args, **kwargs):
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    result = tenant.run("plan", str(tenant.manifests), env={"OMICALL_URL": "https://omicall.example.invalid"})
    assert result.exit_code == 1
    assert "cannot connect to https://omicall.example.invalid: its host name does not resolve" in result.output
    # One lookup: not five attempts with backoff (the resolver may get bytes or text).
    assert [h.decode() if isinstance(h, bytes) else h for h in lookups] == ["omicall.example.invalid"]


# --- a stale saved plan ------------------------------------------------------------------------


def test_a_saved_plan_is_stale_when_objects_were_created_since_and_the_headline_is_not_a_problem(
        tenant: Tenant, tmp_path: Path):
    import shutil

    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    other = tmp_path / "colleague"
    shutil.copytree(tenant.manifests, other)
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    saved = tmp_path / "plan.json"
    assert tenant.run("plan", str(tenant.manifests), "--out", str(saved)).exit_code == 0
    # A colleague adds a group before the plan is applied.
    groups = other / "groups.yaml"
    groups.write_text(groups.read_text(encoding="utf-8") + "\n  - name: Nhóm mới\n    members: [\"101\"]\n",
                      encoding="utf-8")
    assert tenant.run("apply", str(other), "--auto-approve").exit_code == 0
    tenant.sim.requests.clear()
    result = tenant.run("apply", "--plan", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "Error: the saved plan is stale; make a new plan (1 problem):\n" \
           "  group 'Nhóm mới' was created in the tenant since the plan was made\n" in result.output
    assert tenant.mutations() == []



def test_a_saved_plan_is_stale_when_a_group_it_points_at_was_renamed_in_the_console(tenant: Tenant, tmp_path: Path):
    """Both halves of a console rename are named: before, only "'X' was created" was said,
    as if the group the plan points at were still there."""
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    saved = tmp_path / "plan.json"
    assert tenant.run("plan", str(tenant.manifests), "--out", str(saved)).exit_code == 0
    support = tenant.sim.tenant.find("groups", "Hỗ trợ kỹ thuật")
    support["group_name"] = "Kỹ thuật cũ"  # renamed in the console; the plan leaves it alone
    tenant.sim.requests.clear()
    result = tenant.run("apply", "--plan", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "  group 'Kỹ thuật cũ' was created in the tenant since the plan was made\n" in result.output
    assert "  group 'Hỗ trợ kỹ thuật' is no longer in the tenant (deleted or renamed since the plan was made)\n" \
        in result.output
    assert tenant.mutations() == []
    # Refused before anything was sent: no apply to record (it was listed as "interrupted").
    history = json.loads(tenant.run("history", "--format", "json").output)
    assert [e["result"] for e in history["entries"]] == ["complete"], history


def test_a_saved_plan_names_a_console_rename_of_an_object_it_changes(tenant: Tenant, tmp_path: Path):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    saved = tmp_path / "plan.json"
    assert tenant.run("plan", str(tenant.manifests), "--out", str(saved)).exit_code == 0
    tenant.sim.tenant.find("groups", "Kinh doanh")["group_name"] = "KD"  # the group the plan updates
    tenant.sim.requests.clear()
    result = tenant.run("apply", "--plan", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "  group 'Kinh doanh' was renamed to 'KD' in the tenant since the plan was made\n" in result.output
    assert "'KD' was created" not in result.output and tenant.mutations() == []

def test_a_short_secret_is_masked_as_a_whole_token_only(tenant: Tenant):
    # The server answers "api_key_invalid" / "token_invalid": masking "key" or "valid"
    # inside those words garbled them ("api_***_invalid").
    refused = tenant.run("plan", str(tenant.manifests), env={"OMICALL_API_KEY": "key"})
    assert refused.exit_code == 1 and "server said: api_key_invalid" in refused.output
    token = tenant.run("plan", str(tenant.manifests), env={"OMICALL_API_KEY": None, "OMICALL_TOKEN": "valid"})
    assert token.exit_code == 1 and "server said: token_invalid" in token.output


# --- SIGTERM during apply ------------------------------------------------------------------------


@pytest.mark.parametrize("ctrl_c", [True, False], ids=["ctrl-c-handled", "ctrl-c-ignored"])
def test_sigterm_stops_apply_like_ctrl_c_and_says_what_to_do(tenant: Tenant, ctrl_c: bool):
    """Also when Ctrl-C is ignored, as in a background job of a shell script (`reconciler
    apply … &` in a CI step): SIGTERM was then ignored too, and the apply ran to its end."""
    import signal
    import time

    tenant.sim.latency = 0.05  # slow enough to stop in the middle
    proc = tenant.start_apply(ctrl_c=ctrl_c)
    deadline = time.monotonic() + 60
    while len(tenant.mutations()) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    assert "Interrupted: the operations in flight were stopped. Run apply again to finish the work" in err
    assert "Traceback" not in err
    # What the stopped process had sent lands first (it can exit before the simulator
    # answers its last requests; a late one would be a conflict, as the README says).
    assert tenant.sim.wait_idle()
    tenant.sim.latency = 0.0
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    tenant.upload_what_a_stopped_apply_left_unverifiable()
    again = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_sigterm_during_the_confirmation_prompt_sends_nothing_and_says_so(tenant: Tenant, monkeypatch):
    """A SIGTERM while apply waits for its "yes" takes effect once the prompt returns: it
    used to go on to say "the operations in flight were stopped" when none had started."""
    from reconciler.commands import apply as apply_module
    from reconciler.engine import session

    def approved_while_stopped(*args: object) -> bool:
        session.stop()  # what the SIGTERM handler does, while the prompt blocks
        return True  # and then the user answers yes

    monkeypatch.setattr(apply_module, "approved", approved_while_stopped)
    result = tenant.run("apply", str(tenant.manifests))
    assert result.exit_code == 1
    assert "operations in flight" not in result.output and "Aborted" in result.output
    assert tenant.mutations() == []


# --- sim: a line to paste, --verbose, what --seed takes -----------------------------------------


def test_sim_prints_a_paste_able_export_line_and_logs_requests_without_secrets_with_verbose():
    import signal
    import subprocess
    import sys

    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "sim", "--api-key", "sim-secret-key", "--verbose"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert proc.stdout.readline().strip() == "API key: sim-secret-key"
        assert proc.stdout.readline().strip() == f"export OMICALL_URL={url} OMICALL_API_KEY=sim-secret-key"
        token = httpx.get(f"{url}/api/auth", params={"apiKey": "sim-secret-key"}).json()["payload"]["access_token"]
        httpx.get(f"{url}/api/call_center/internal_group/list", params={"page": 1, "size": 10},
                  headers={"Authorization": f"Bearer {token}"})
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        log = proc.stderr.read()
    finally:
        proc.kill()
    assert "GET /api/call_center/internal_group/list?page=1&size=10 -> 200" in log
    assert "GET /api/auth" in log and "sim-secret-key" not in log and token not in log


def test_sim_seed_says_it_takes_api_shapes_not_manifests(tmp_path: Path):
    from click.testing import CliRunner

    from reconciler.cli import cli
    from tests.e2e.conftest import EXAMPLES

    for seed in (EXAMPLES, EXAMPLES / "groups.yaml"):
        result = CliRunner().invoke(cli, ["sim", "--seed", str(seed)])
        assert result.exit_code == 1
        assert "--seed takes one JSON or YAML file of the tenant in the API's own shapes" in result.output
        assert "reconciler apply DIR" in result.output and "Traceback" not in result.output


# --- demo: --force, and outside a checkout ----------------------------------------------------------


def test_the_packaged_examples_are_the_repositorys_examples():
    from reconciler.cli import packaged_examples
    from tests.e2e.conftest import EXAMPLES

    shipped = files_of(packaged_examples())
    in_repo = {name: data for name, data in files_of(EXAMPLES).items() if not name.startswith("ci/")}
    assert shipped == in_repo


def test_demo_runs_outside_a_checkout(tmp_path: Path, monkeypatch):
    from click.testing import CliRunner

    from reconciler.cli import cli

    monkeypatch.chdir(tmp_path)  # no examples/ here
    result = CliRunner().invoke(cli, ["demo"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("Demo complete: the simulator now matches the manifests.")


def test_demo_force_passes_the_delete_threshold(tmp_path: Path):
    import shutil

    from click.testing import CliRunner

    from reconciler.cli import cli
    from tests.e2e.conftest import EXAMPLES

    manifests = tmp_path / "m"
    shutil.copytree(EXAMPLES, manifests, ignore=shutil.ignore_patterns("ci"))
    policy = manifests / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + "  max_delete_percent: 0\n  threshold_min_objects: 1\n",
                      encoding="utf-8")
    refused = CliRunner().invoke(cli, ["demo", str(manifests)], env={"NO_COLOR": "1"})
    assert refused.exit_code == 1 and "run with --force if that is intended" in refused.output
    forced = CliRunner().invoke(cli, ["demo", str(manifests), "--force"], env={"NO_COLOR": "1"})
    assert forced.exit_code == 0, forced.output


# --- manifest mistakes, through `reconciler validate` ---------------------------------------------

CASES = Path(__file__).resolve().parents[1] / "manifest" / "cases"


def test_manifest_mistakes_are_explained_in_plain_words_through_the_cli(monkeypatch):
    """Quoted numbers, hex, wrong indentation, a colon in a value, a group overflowing
    to itself, and a duplicate object whose other errors show at once."""
    from click.testing import CliRunner

    from reconciler.cli import cli

    for case in ("quoted_integer", "hex_extension_number", "yaml_bad_indentation", "yaml_colon_in_value",
                 "group_overflows_to_itself", "duplicate_object_still_validated", "env_unset_is_not_a_problem"):
        monkeypatch.chdir(CASES / case)
        result = CliRunner().invoke(cli, ["validate", "."], env={"RECONCILER_TEST_UNSET_PASSWORD": None})
        expected = (CASES / case / "expected.txt").read_text(encoding="utf-8").splitlines()
        assert result.exit_code == 1, case
        assert [line[2:] for line in result.stderr.splitlines()[1:]] == expected, case


# --- help, completion, progress ------------------------------------------------------------------


def test_every_option_of_every_command_has_help_text():
    import click

    from reconciler.cli import cli

    missing = [f"{name} {'/'.join(p.opts)}" for name, cmd in cli.commands.items() for p in cmd.params
               if isinstance(p, click.Option) and not p.help]
    assert missing == []


def test_shell_completion_works_as_the_readme_says():
    import os
    import subprocess
    import sys

    script = subprocess.run([sys.executable, "-m", "reconciler"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "_RECONCILER_COMPLETE": "bash_source"})
    assert script.returncode == 0 and "_reconciler_completion" in script.stdout
    words = subprocess.run([sys.executable, "-m", "reconciler"], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "_RECONCILER_COMPLETE": "bash_complete",
                                "COMP_WORDS": "reconciler dr", "COMP_CWORD": "1"})
    assert "plain,drift" in words.stdout.splitlines()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_RECONCILER_COMPLETE=bash_source reconciler)"' in readme


def test_apply_progress_columns_line_up(tenant: Tenant):
    import re

    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("[")]
    assert len(lines) >= 10  # two-digit positions are reached
    starts = {re.search(r"(done|failed|skipped|conflict)", line).start() for line in lines}
    assert len(starts) == 1, lines


# --- the JSON error document, as the README shows it -------------------------------------------------


def test_plan_and_drift_json_print_an_error_document_when_no_plan_can_be_made(tenant: Tenant):
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 0"))
    for command in ("plan", "drift"):
        result = tenant.run(command, str(tenant.manifests), "--format", "json")
        assert result.exit_code == 1
        document = json.loads(result.stdout)
        assert document["format_version"] == 1 and document["error"] is True
        assert any("member_timeout: expected an integer from 1 to 600, got 0" in p for p in document["problems"])
    unreachable = tenant.run("plan", str(tenant.manifests), "--format", "json", env={"OMICALL_URL": "http://127.0.0.1:1"})
    assert json.loads(unreachable.stdout)["error"] is True


def test_the_readme_quotes_the_real_messages(tenant: Tenant, tmp_path: Path, monkeypatch):
    """The troubleshooting table and the validate example show what the tool prints."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    no_key = tenant.run("plan", str(tenant.manifests), env={"OMICALL_API_KEY": None})
    no_url = tenant.run("plan", str(tenant.manifests), env={"OMICALL_URL": None})
    remote_http = tenant.run("plan", str(tenant.manifests), env={"OMICALL_URL": "http://example.com"})
    for result in (no_key, no_url, remote_http):
        assert result.exit_code == 1
        assert f"`{result.stderr.strip()}`" in readme, result.stderr
    example = tmp_path / "readme-example"  # not the tenant's copy of examples/ (tmp_path/manifests)
    (example / "b").mkdir(parents=True)
    (example / "groups.yaml").write_text('groups:\n  - name: CSKH\n    strategy: rollover\n'
                                         '    memebrs: ["101", "102"]\n    member_timeout: 0\n', encoding="utf-8")
    (example / "b" / "c.yaml").write_text("groups:\n  - name: CSKH\n    strategy: all\n", encoding="utf-8")
    monkeypatch.chdir(example)
    shown = tenant.run("validate", ".")
    assert shown.exit_code == 1
    assert shown.stderr in readme


def test_an_empty_secret_counts_as_not_set(tenant: Tenant):
    """GitHub gives "" for a secret nobody created: apply must not send an empty password."""
    with_password(tenant)
    tenant.sim.requests.clear()
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve", env={"EXT_101_PASSWORD": ""})
    assert result.exit_code == 1 and "EXT_101_PASSWORD is not set" in result.output
    assert tenant.mutations() == []
