"""A user's mistakes through the CLI: a clear message, exit 1 (never click's 2, which CI
would read as "changes" or "drift"), no traceback, nothing sent to the tenant."""

from __future__ import annotations

import json
import signal
import socket
import time

from click.testing import CliRunner

from reconciler.cli import cli
from tests.e2e.conftest import Tenant
from tests.e2e.test_plan_apply_cli import apply_examples


def test_apply_without_a_terminal_needs_auto_approve(tenant: Tenant):
    result = tenant.run("apply", str(tenant.manifests))  # CliRunner's stdin is no terminal
    assert result.exit_code == 1
    assert "--auto-approve" in result.output
    assert tenant.mutations() == []


def test_usage_errors_exit_1_not_2(tenant: Tenant, tmp_path):
    for args in (["drift", str(tmp_path / "missing")], ["plan", "--detailed-exitcode", str(tmp_path / "missing")],
                 ["plan", str(tenant.manifests), "--format", "yaml"], ["plan", ".", "--concurrency", "0"]):
        result = tenant.run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output


def test_apply_takes_a_directory_or_a_saved_plan_not_both(tenant: Tenant, tmp_path):
    plan_file = tmp_path / "p.json"
    assert tenant.run("plan", str(tenant.manifests), "--out", str(plan_file)).exit_code == 0
    result = tenant.run("apply", str(tenant.manifests), "--plan", str(plan_file), "--auto-approve")
    assert result.exit_code == 1 and "either DIRECTORY or --plan" in result.output
    assert tenant.mutations() == []


def test_plan_errors_are_listed_once_with_a_suggestion_and_json_still_gets_a_document(tenant: Tenant):
    tenant.edit("ivr.yaml", tenant.read("ivr.yaml").replace("{group: Kinh doanh}", "{group: Kinh doan}"))
    text = tenant.run("plan", str(tenant.manifests))
    assert text.exit_code == 1
    assert "did you mean 'Kinh doanh'?" in text.output
    lines = [line for line in text.output.splitlines() if "Kinh doan'" in line]
    assert len(lines) == len(set(lines))
    as_json = tenant.run("plan", str(tenant.manifests), "--format", "json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["error"] is True and any("Kinh doan" in p for p in document["problems"])


def test_export_refuses_the_default_directory_inside_a_manifest_directory(tenant: Tenant, monkeypatch):
    monkeypatch.chdir(tenant.manifests)
    result = tenant.run("export")
    assert result.exit_code == 1 and "--out" in result.output
    assert not (tenant.manifests / "exported").exists()


def test_sim_mistakes_are_messages_not_tracebacks(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    bad_seed = tmp_path / "seed.yaml"
    bad_seed.write_text("groups: [\n", encoding="utf-8")
    try:
        for args in (["sim", "--port", str(port)], ["sim", "--seed", str(bad_seed)], ["sim", "--port", "99999"]):
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 1, (args, result.output)
            assert "Traceback" not in result.output and "Error" in result.output
    finally:
        busy.close()


def test_ctrl_c_during_apply_stops_cleanly_and_a_rerun_finishes(tenant: Tenant):
    tenant.sim.latency = 0.2
    proc = tenant.start_apply()
    deadline = time.monotonic() + 30
    while not tenant.mutations() and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "Traceback" not in err and "never retrieved" not in err, err
    assert "Run apply again" in err
    # Requests the interrupted process had sent are still being served (each waits out
    # the latency first); let them land before the next run reads the tenant.
    assert tenant.sim.wait_idle()
    tenant.sim.latency = 0.0
    apply_examples(tenant)
    tenant.upload_what_a_stopped_apply_left_unverifiable()
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0
