"""Names that `previous_names` retires (a new-user review). With `- name: Bán hàng` and
`previous_names: [Kinh doanh]`, the live group 'Kinh doanh' is that object: apply renames
it. `--target groups/Kinh doanh` used to make a partial plan with "no changes" (the
rename left out) and exit 0, and a protect entry naming the old name held the rename back
for ever ("No changes", exit 0), while lint said an ignore entry naming it named nothing.
Now the target and the protect entry are errors naming the new name, the lint warning
says the name is renamed, and `drift --write` renames a protect entry with the object."""

from __future__ import annotations

from pathlib import Path

from reconciler.simulator import Simulator
from tests.e2e.conftest import API_KEY, Tenant
from tests.e2e.test_drift_write_lint_ignores import _all_pass, _changed_lines, _exported

OLD, NEW = "Kinh doanh", "Bán hàng"


def renamed_everywhere(tenant: Tenant) -> None:
    """The examples applied, then group 'Kinh doanh' renamed to 'Bán hàng' (previous_names)
    with every reference to it renamed too: a valid rename."""
    done = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert done.exit_code == 0, done.output
    for path in sorted(tenant.manifests.glob("*.yaml")):
        text = path.read_text("utf-8").replace(f"{{group: {OLD}}}", f"{{group: {NEW}}}").replace(f"[{OLD}]", f"[{NEW}]")
        path.write_text(text.replace(f"  - name: {OLD}\n", f"  - name: {NEW}\n    previous_names: [{OLD}]\n"), "utf-8")
    assert tenant.run("validate", str(tenant.manifests)).exit_code == 0


def position(tenant: Tenant, name: str, text: str) -> str:
    """"FILE:LINE:COL" of the first `text` in manifest file `name`."""
    path = tenant.manifests / name
    line_no, line = next((n, line) for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)
    return f"{path}:{line_no}:{line.index(text) + 1}"


def test_a_target_naming_a_retired_name_is_an_error_naming_the_new_one(tenant: Tenant):
    renamed_everywhere(tenant)
    before = len(tenant.mutations())
    for command in (["plan", "--detailed-exitcode"], ["apply", "--auto-approve"]):
        result = tenant.run(command[0], str(tenant.manifests), "--target", f"groups/{OLD}", *command[1:])
        assert result.exit_code == 1, result.output
        assert (f"--target groups/{OLD}: group '{OLD}' is renamed to '{NEW}' (previous_names); "
                f"target groups/{NEW}") in result.stderr
        assert "Partial plan" not in result.output
    # A typo of the old name is never pointed back at it.
    typo = tenant.run("plan", str(tenant.manifests), "--target", f"groups/{OLD}x")
    assert typo.exit_code == 1 and f"no group '{OLD}x'" in typo.stderr, typo.output
    assert f"did you mean groups/{OLD}?" not in typo.stderr
    assert len(tenant.mutations()) == before
    # The new name targets the rename.
    right = tenant.run("plan", str(tenant.manifests), "--target", f"groups/{NEW}", "--detailed-exitcode")
    assert right.exit_code == 2, right.output
    assert f"~ rename group {NEW} (renamed from '{OLD}')" in right.output
    assert "1 to rename" in right.output


def test_a_protect_entry_naming_a_retired_name_is_an_error_at_the_entry(tenant: Tenant):
    renamed_everywhere(tenant)
    policy = tenant.manifests / "policy.yaml"
    policy.write_text(policy.read_text("utf-8").replace('protect: ["Nhóm nhân viên mặc định"]',
                                                        f'protect: ["Nhóm nhân viên mặc định", "{OLD}"]'), "utf-8")
    at = position(tenant, "policy.yaml", f'"{OLD}"')
    declared = position(tenant, "groups.yaml", OLD)
    expected = (f"{at}: policy: protect.1: group '{OLD}' is renamed to '{NEW}' "
                f"(previous_names in {declared}): use the new name")
    before = len(tenant.mutations())
    for command in (["validate"], ["lint"], ["plan", "--detailed-exitcode"], ["apply", "--auto-approve"],
                    ["drift", "--write"]):
        result = tenant.run(command[0], str(tenant.manifests), *command[1:])
        assert result.exit_code == 1, (command, result.output)
        assert expected in result.stderr, (command, result.stderr)
        assert "No changes" not in result.output
    assert len(tenant.mutations()) == before
    # Protecting the new name holds the rename back, as protect says.
    policy.write_text(policy.read_text("utf-8").replace(f'"{OLD}"]', f'"{NEW}"]'), "utf-8")
    held = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode")
    assert held.exit_code == 0 and "protected" in held.output, held.output


def test_a_lint_ignore_entry_naming_a_retired_name_says_it_is_renamed(tenant: Tenant):
    renamed_everywhere(tenant)
    policy = tenant.manifests / "policy.yaml"
    policy.write_text(policy.read_text("utf-8").replace(
        "unanswered-loop: info", f'unanswered-loop: info\n    unreachable: {{ignore: ["{OLD}"]}}'), "utf-8")
    at = position(tenant, "policy.yaml", f'"{OLD}"')
    expected = (f"{at}: warning: policy: lint.unreachable.ignore.0: '{OLD}' is renamed to '{NEW}' "
                f"(a group's previous_names), so it ignores nothing; use the new name")
    result = tenant.run("lint", str(tenant.manifests))
    assert expected in result.output, result.output
    assert "names no object" not in result.output


def test_drift_write_renames_a_protect_entry_with_the_object_it_protects(tmp_path: Path):
    """A console rename of a protected object: `drift --write` takes the tenant's name (the
    old one kept in previous_names), so the protect entry follows, or the manifests it
    writes would be refused (the entry would name a retired name)."""
    with Simulator(api_key=API_KEY) as sim:
        tenant, console = _exported(tmp_path, sim)
        policy = tenant.manifests / "policy.yaml"
        policy.write_text(policy.read_text("utf-8").replace("protect: []", 'protect: ["Hỗ trợ kỹ thuật"]'), "utf-8")
        before = policy.read_text("utf-8")
        _all_pass(tenant)
        console.update_group("Hỗ trợ kỹ thuật", group_name="Kỹ thuật")
        written = tenant.run("drift", str(tenant.manifests), "--write")
        assert written.exit_code == 2, written.output
        assert "Error" not in written.output
        assert f"  edited  {policy} (policy.protect, policy.lint)" in written.output
        assert "policy.protect follows the tenant: [Kỹ thuật]" in written.output
        assert _changed_lines(before, policy.read_text("utf-8")) == [
            '-  protect: ["Hỗ trợ kỹ thuật"]      # e.g. ["Nhóm nhân viên mặc định"]',
            '+  protect: ["Kỹ thuật"]      # e.g. ["Nhóm nhân viên mặc định"]',
            "-      ignore: [Hỗ trợ kỹ thuật]",
            "+      ignore: [Kỹ thuật]"]
        _all_pass(tenant)
