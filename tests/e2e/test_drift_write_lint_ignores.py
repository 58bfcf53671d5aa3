"""`drift --write` on a tenant `export` wrote (issue 21 item 4, follow-up): the policy.yaml
export writes acknowledges the tenant's findings in `policy.lint` ignore lists, by object
name. A console rename or delete of such an object must not stop --write: the entries
follow what it adopts (renamed with a rename, dropped with an object removed), policy.yaml
edited in place, every other byte kept; then validate, lint and plan all pass."""

from __future__ import annotations

import difflib
from pathlib import Path

from reconciler.simulator import Simulator
from tests.e2e.conftest import API_KEY, EXAMPLES, Tenant
from tests.e2e.test_drift_write import Console
from tests.simulator.helpers import open_api


def _exported(tmp_path: Path, sim: Simulator) -> tuple[Tenant, Console]:
    """The examples applied to a fresh tenant, then exported into tmp_path/x."""
    tenant = Tenant(sim, sim.url, tmp_path / "x")
    assert tenant.run("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    exported = tenant.run("export", "--out", str(tenant.manifests))
    assert exported.exit_code == 0, exported.output
    return tenant, Console(open_api(sim, "http"))


def _changed_lines(before: str, after: str) -> list[str]:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _all_pass(tenant: Tenant) -> None:
    for args in (("validate",), ("lint",), ("plan", "--detailed-exitcode")):
        result = tenant.run(args[0], str(tenant.manifests), *args[1:])
        assert result.exit_code == 0, (args, result.output)


def test_a_console_rename_of_an_acknowledged_object_renames_its_ignore_entry(tmp_path: Path):
    with Simulator(api_key=API_KEY) as sim:
        tenant, console = _exported(tmp_path, sim)
        policy = tenant.manifests / "policy.yaml"
        before = policy.read_text("utf-8")
        assert "    unanswered-loop:\n      ignore: [Hỗ trợ kỹ thuật]\n" in before
        console.update_group("Hỗ trợ kỹ thuật", group_name="Kỹ thuật")
        written = tenant.run("drift", str(tenant.manifests), "--write")
        assert written.exit_code == 2, written.output
        assert "Error" not in written.output
        assert f"  edited  {policy} (policy.lint)" in written.output
        assert _changed_lines(before, policy.read_text("utf-8")) == ["-      ignore: [Hỗ trợ kỹ thuật]",
                                                                      "+      ignore: [Kỹ thuật]"]
        _all_pass(tenant)


def test_a_console_delete_of_an_ignored_object_drops_its_ignore_entry(tmp_path: Path):
    with Simulator(api_key=API_KEY) as sim:
        tenant, console = _exported(tmp_path, sim)
        policy = tenant.manifests / "policy.yaml"
        # a rule that leaves a menu alone, in a block list, beside the entry export wrote
        text = policy.read_text("utf-8") + "    unreachable:\n      ignore:\n        - Menu hỗ trợ\n"
        policy.write_text(text, "utf-8")
        _all_pass(tenant)
        console.repoint_key("Menu chính", "2", "Kinh doanh")
        console.delete_menu("Menu hỗ trợ")
        greetings = console.api.ok("GET", "greeting/list", params={"size": 50})["items"]
        (greeting,) = [g for g in greetings if g["greeting_name"] == "Menu hỗ trợ"]  # the menu's, of the same name
        console.api.ok("DELETE", f"greeting/delete/{greeting['_id']}")
        written = tenant.run("drift", str(tenant.manifests), "--write")
        assert written.exit_code == 2, written.output
        assert "Error" not in written.output
        assert _changed_lines(text, policy.read_text("utf-8")) == ["-      ignore:", "-        - Menu hỗ trợ",
                                                                    "+      ignore: []"]
        _all_pass(tenant)
