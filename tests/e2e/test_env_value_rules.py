"""A `${env:NAME}` value meets the field's rules once its value is known, as the same text
written in the manifest does: validate --live, plan, apply (a saved plan too) and drift
refuse the set, at the field's file:line:col, before anything is sent, and never print
the value (new-user review: a 410-character greeting text failed half-way through apply,
after another change had landed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import Tenant

LONG = ("Xin chào quý khách " * 22)[:410]  # the API wants fewer than 300 characters
ENV = {"TXT1": LONG, "NOTE1": "Inbound, office hours, from the vault"}
WHERE = re.compile(r"greetings\.yaml:19:11: greeting 'Phím không hợp lệ': text: the value of environment "
                   r"variable TXT1 is not valid here")


@pytest.fixture
def from_env(tenant: Tenant) -> Tenant:
    """The review's manifests: a greeting's text and a call script's note from the environment."""
    tenant.edit("greetings.yaml", tenant.read("greetings.yaml").replace(
        'text: "Phím quý khách chọn không hợp lệ, vui lòng thử lại."', "text: ${env:TXT1}"))
    tenant.edit("routing.yaml", tenant.read("routing.yaml").replace('note: "Inbound, office hours"',
                                                                    "note: ${env:NOTE1}"))
    return tenant


def refused(tenant: Tenant, *args: str, env: dict = ENV) -> str:
    result = tenant.run(*args, env=env)
    assert result.exit_code == 1, result.output
    assert WHERE.search(result.output), result.output
    assert LONG[:40] not in result.output
    assert tenant.mutations() == []
    return result.output


@pytest.mark.parametrize("command", [["validate", "--live"], ["plan"], ["apply", "--auto-approve"], ["drift"]])
def test_a_value_its_field_refuses_is_refused_before_anything_is_sent(from_env: Tenant, command: list[str]):
    refused(from_env, command[0], str(from_env.manifests), *command[1:])


def test_a_saved_plan_reads_the_values_at_apply_time_and_refuses_one_its_field_refuses(from_env: Tenant,
                                                                                        tmp_path: Path):
    plan_file = tmp_path / "plan.json"
    made = from_env.run("plan", str(from_env.manifests), "--out", str(plan_file), env={**ENV, "TXT1": "Phím sai."})
    assert made.exit_code == 0, made.output
    result = from_env.run("apply", "--plan", str(plan_file), "--auto-approve", env=ENV)
    assert result.exit_code == 1, result.output
    assert "greetings/Phím không hợp lệ: text: the value of environment variable TXT1 is not valid here" \
        in result.output, result.output
    assert LONG[:40] not in result.output
    assert from_env.mutations() == []


def test_without_the_variable_offline_validate_is_as_before_and_a_good_value_applies(from_env: Tenant):
    offline = from_env.run("validate", str(from_env.manifests), env={"TXT1": "", "NOTE1": ""})
    assert offline.exit_code == 0, offline.output
    applied = from_env.run("apply", str(from_env.manifests), "--auto-approve", env={**ENV, "TXT1": "Phím sai."})
    assert applied.exit_code == 0, applied.output
    assert from_env.sim.tenant.find("greetings", "Phím không hợp lệ")["content"] == "Phím sai."
