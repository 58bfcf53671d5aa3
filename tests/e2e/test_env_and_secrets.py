"""${env:NAME} values and SIP passwords, end to end."""

from __future__ import annotations

from tests.e2e.conftest import Tenant
from tests.e2e.test_plan_apply_cli import named


def test_greeting_text_from_the_environment_is_uploaded_expanded_and_stays_in_sync(tenant: Tenant):
    text = tenant.read("greetings.yaml").replace(
        'text: "Phím quý khách chọn không hợp lệ, vui lòng thử lại."', 'text: "${env:INVALID_KEY_TEXT}"')
    tenant.edit("greetings.yaml", text)
    env = {"INVALID_KEY_TEXT": "Phím không đúng."}
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve", env=env).exit_code == 0
    (greeting,) = named(tenant.sim.snapshot(), "greetings", "greeting_name", "Phím không hợp lệ")
    assert greeting["content"] == "Phím không đúng."
    again = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode", env=env)
    assert again.exit_code == 0, again.output
    assert "Phím không đúng." not in again.output  # shown as (sensitive), never the value


def test_sip_password_is_applied_verified_by_keyed_fingerprint_and_never_shown(tenant: Tenant, tmp_path):
    tenant.edit("extensions.yaml", tenant.read("extensions.yaml").replace(
        '- sip_user: "101"\n', '- sip_user: "101"\n    password: ${env:EXT_101_PASSWORD}\n'))
    env = {"EXT_101_PASSWORD": "s3cret-PIN-4821"}
    first = tenant.run("apply", str(tenant.manifests), "--auto-approve", env=env)
    assert first.exit_code == 0, first.output
    assert tenant.sim.tenant.extensions["101"]["password"] == "s3cret-PIN-4821"
    plan_file = tmp_path / "plan.json"
    again = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode", "--out", str(plan_file), env=env)
    assert again.exit_code == 0, again.output
    (note,) = named(tenant.sim.snapshot(), "call_scripts", "script_name", "reconciler state (safe to delete)")
    for text in (first.output, again.output, plan_file.read_text(), note["note"]):
        assert "s3cret-PIN-4821" not in text
    # A new password is sent; the key of the fingerprints is the API key, which the tenant never holds.
    changed = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode", env={"EXT_101_PASSWORD": "other"})
    assert changed.exit_code == 2 and "password" in changed.output and "other" not in changed.output


def test_hotline_update_restates_the_live_fields_the_manifest_leaves_alone(tenant: Tenant):
    tenant.edit("routing.yaml", tenant.read("routing.yaml").replace(
        '  - number: "842871002283"\n    call_script: Giờ hành chính\n    inbound: true\n    outbound: true\n'
        '    outbound_access: all\n', '  - number: "842871002283"\n    call_script: Giờ hành chính\n'))
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    (update,) = [r for r in tenant.sim.requests if r.path.endswith("/hotline/update") and r.json["hotline"] == "842871002283"]
    assert update.json["allow_call_in"] == "true" and update.json["allow_call_out"] == "true"
    assert update.json["access_type"] == "applies_to_all_employees"


def test_a_plan_saved_without_a_secret_says_at_once_that_apply_will_refuse_it(tenant: Tenant, tmp_path):
    """Found by a new user: the save line said "apply it with: reconciler apply --plan ...",
    which then refused the plan for the missing secret."""
    tenant.edit("extensions.yaml", tenant.read("extensions.yaml").replace(
        '- sip_user: "101"\n', '- sip_user: "101"\n    password: ${env:EXT_101_PASSWORD}\n'))
    plan_file = tmp_path / "plan.json"
    made = tenant.run("plan", str(tenant.manifests), "--out", str(plan_file), env={"EXT_101_PASSWORD": None})
    assert made.exit_code == 0, made.output
    assert "for review only" in made.stderr and "EXT_101_PASSWORD" in made.stderr
    assert "apply it with" not in made.stderr
    refused = tenant.run("apply", "--plan", str(plan_file), "--auto-approve", env={"EXT_101_PASSWORD": None})
    assert refused.exit_code == 1 and "EXT_101_PASSWORD" in refused.stderr
