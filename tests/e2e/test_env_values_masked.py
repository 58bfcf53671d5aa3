"""A field the manifests set from `${env:NAME}` is a secret on both sides: its live value
(the secret before a rotation, changed in the console) is shown as `(sensitive)` as a
password's is, in every output of plan and drift, in a saved plan, apply and history, and
`drift --write` never writes it into a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Tenant

SCRIPT = "Giờ hành chính"
NOW, OLD = "secret-note-xyz", "secret-note-xyz-OLD"  # OLD contains NOW: one check finds either
ENV = {"CS_NOTE": NOW}


def files_text(root: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml")))


@pytest.fixture
def rotated(tenant: Tenant) -> Tenant:
    """The note of a call script from ${env:CS_NOTE}, applied; then the console holds another."""
    tenant.edit("routing.yaml", tenant.read("routing.yaml").replace('note: "Inbound, office hours"',
                                                                    "note: ${env:CS_NOTE}"))
    applied = tenant.run("apply", str(tenant.manifests), "--auto-approve", env=ENV)
    assert applied.exit_code == 0, applied.output
    assert tenant.sim.tenant.find("call_scripts", SCRIPT)["note"] == NOW
    tenant.sim.console_edit("call_scripts", SCRIPT, note=OLD)
    return tenant


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_plan_masks_the_live_value_of_a_field_set_from_the_environment(rotated: Tenant, fmt: str):
    result = rotated.run("plan", str(rotated.manifests), "--format", fmt, "--detailed-exitcode", env=ENV)
    assert result.exit_code == 2, result.output
    assert NOW not in result.output
    if fmt == "text":
        assert 'note: "(sensitive)" -> "(sensitive)"' in result.output
    elif fmt == "markdown":
        assert '| note | "(sensitive)" | "(sensitive)" |' in result.output
    else:
        (change,) = [c for c in json.loads(result.output)["changes"] if c["name"] == SCRIPT]
        assert change["fields"] == [{"field": "note", "old": "(sensitive)", "new": "(sensitive)", "verifiable": True}]


def test_a_saved_plan_holds_neither_value_and_applies(rotated: Tenant, tmp_path: Path):
    plan_file = tmp_path / "plan.json"
    made = rotated.run("plan", str(rotated.manifests), "--out", str(plan_file), env=ENV)
    assert made.exit_code == 0, made.output
    saved = plan_file.read_text(encoding="utf-8")
    assert NOW not in saved and "${env:CS_NOTE}" in saved  # the reference, for apply to read
    applied = rotated.run("apply", "--plan", str(plan_file), "--auto-approve", env=ENV)
    assert applied.exit_code == 0, applied.output
    assert rotated.sim.tenant.find("call_scripts", SCRIPT)["note"] == NOW
    history = rotated.run("history", "--format", "json")
    assert history.exit_code == 0, history.output
    for out in (made.output, applied.output, history.output):
        assert NOW not in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_drift_masks_the_live_value_of_a_field_set_from_the_environment(rotated: Tenant, fmt: str):
    result = rotated.run("drift", str(rotated.manifests), "--format", fmt, env=ENV)
    assert result.exit_code == 2, result.output
    assert NOW not in result.output
    if fmt == "text":
        assert 'note: live "(sensitive)", manifest "(sensitive)"' in result.output
    elif fmt == "json":
        (item,) = [i for i in json.loads(result.output)["drift"] if i["name"] == SCRIPT]
        assert item["fields"] == [{"field": "note", "live": "(sensitive)", "manifest": "(sensitive)",
                                   "verifiable": True}]


def test_drift_write_refuses_to_write_the_live_secret_into_a_manifest(rotated: Tenant):
    before = files_text(rotated.manifests)
    result = rotated.run("drift", str(rotated.manifests), "--write", env=ENV)
    assert result.exit_code == 1, result.output
    assert f"call_scripts/{SCRIPT}: note: the manifests set it from ${{env:...}}" in result.output
    assert NOW not in result.output
    assert files_text(rotated.manifests) == before


def test_drift_write_of_a_console_rename_refuses_the_live_secret_too(rotated: Tenant):
    # Renamed and given another note in the console: drift pairs the two names by the
    # hotline that points at it, and --write would take the live fields with the name.
    rotated.sim.console_edit("call_scripts", SCRIPT, script_name="Giờ làm việc")
    before = files_text(rotated.manifests)
    drift = rotated.run("drift", str(rotated.manifests), env=ENV)
    assert 'named "Giờ làm việc" in the tenant' in drift.output, drift.output
    result = rotated.run("drift", str(rotated.manifests), "--write", env=ENV)
    assert result.exit_code == 1, result.output
    assert f"call_scripts/{SCRIPT}: note: the manifests set it from ${{env:...}}" in result.output
    for out in (drift.output, result.output, files_text(rotated.manifests)):
        assert NOW not in out
    assert files_text(rotated.manifests) == before
