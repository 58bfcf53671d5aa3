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
