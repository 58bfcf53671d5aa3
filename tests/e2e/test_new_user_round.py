"""Issue 10, tried as a new user would: nothing overwritten, nothing silent. Each test goes
through the CLI against the simulator over real HTTP."""

from __future__ import annotations

from pathlib import Path

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


def test_drift_footer_points_export_at_a_directory_of_its_own(tenant: Tenant):
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 21"))
    for fmt in ("text", "markdown"):
        result = tenant.run("drift", str(tenant.manifests), "--format", fmt)
        assert result.exit_code == 2, result.output
        assert "reconciler export --out live-export" in result.output
        assert "into a new directory" in result.output


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
    assert plan.exit_code == 0, plan.output  # nothing else changed
    assert "extension '101': password not verified: environment variable EXT_101_PASSWORD is not set" in plan.output
    drift = tenant.run("drift", str(tenant.manifests), env=without)
    assert drift.exit_code == 0, drift.output
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
