"""`--target kind/name` on plan and apply, and `apply --format json`, against the simulator.

The examples against the demo tenant plan 11 creates, 4 updates and 5 deletes (groups
Nhóm CSKH, Nhóm Sales, Nhóm Tech, IVR menu KỊCH BẢN BẤM PHÍM, call script Nhóm CSKH).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Tenant
from tests.e2e.test_plan_apply_cli import named

DELETES = {"delete groups/Nhóm CSKH", "delete groups/Nhóm Sales", "delete groups/Nhóm Tech",
           "delete ivr_menus/KỊCH BẢN BẤM PHÍM", "delete call_scripts/Nhóm CSKH"}

# IVR menu Menu chính and what it needs created first: its three greetings, the group its
# key 1 and fallback ring (and the group that one overflows to), the menu its key 2 opens
# (and that menu's greeting).
MENU_AND_NEEDS = {
    "create greetings/Chào mừng", "create greetings/Nhạc chờ", "create greetings/Phím không hợp lệ",
    "create greetings/Menu hỗ trợ", "create groups/Kinh doanh", "create groups/Hỗ trợ kỹ thuật",
    "create ivr_menus/Menu chính", "create ivr_menus/Menu hỗ trợ",
}


def plan_json(tenant: Tenant, *args: str) -> dict:
    result = tenant.run("plan", str(tenant.manifests), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def changes(document: dict) -> set[str]:
    return {f"{c['action']} {c['kind']}/{c['name']}" for c in document["changes"]}


def test_a_targeted_plan_holds_the_target_and_what_it_needs_and_says_it_is_partial(tenant: Tenant):
    whole = plan_json(tenant)
    assert "partial" not in whole  # a whole plan's JSON is what it always was
    partial = plan_json(tenant, "--target", "ivr_menus/Menu chính")
    assert changes(partial) == MENU_AND_NEEDS
    assert partial["partial"] is True and partial["targets"] == ["ivr_menus/Menu chính"]
    assert set(partial["left_out"]) == changes(whole) - MENU_AND_NEEDS
    assert partial["summary"]["delete"] == 0  # nothing else pruned

    text = tenant.run("plan", str(tenant.manifests), "--target", "ivr_menus/Menu chính")
    assert "Partial plan (--target ivr_menus/Menu chính): only these objects and what they need; 12 other " \
           "changes left out." in text.stdout
    assert "delete group Nhóm Sales" not in text.stdout
    markdown = tenant.run("plan", str(tenant.manifests), "--format", "markdown", "--target", "ivr_menus/Menu chính")
    assert "**Partial plan (--target ivr_menus/Menu chính)" in markdown.stdout
    assert "Apply with `reconciler apply --target 'ivr_menus/Menu chính'`." in markdown.stdout


def test_targeted_apply_changes_only_the_targets_and_what_they_need(tenant: Tenant):
    whole = changes(plan_json(tenant))
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--target", "ivr_menus/Menu chính")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 10 done" in result.stdout  # 8 objects; two cycles finished in a second phase
    # What is left is exactly what the targeted apply left out: the groups it would prune are there.
    assert changes(plan_json(tenant)) == whole - MENU_AND_NEEDS
    for name in ("Nhóm CSKH", "Nhóm Sales", "Nhóm Tech"):
        assert named(tenant.sim.snapshot(), "groups", "group_name", name)
    again = plan_json(tenant, "--target", "ivr_menus/Menu chính")
    assert again["changes"] == [] and again["partial"] is True
    text = tenant.run("plan", str(tenant.manifests), "--target", "ivr_menus/Menu chính")
    assert "no changes; 12 other changes left out." in text.stdout
    assert "matches the manifests" not in text.stdout  # never "in sync" for what was not planned


def test_targeting_a_delete_deletes_that_one_only(tenant: Tenant):
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--target", "groups/Nhóm Sales")
    assert result.exit_code == 0, result.output
    snap = tenant.sim.snapshot()
    assert not named(snap, "groups", "group_name", "Nhóm Sales")
    assert named(snap, "groups", "group_name", "Nhóm Tech") and named(snap, "groups", "group_name", "Nhóm CSKH")
    assert changes(plan_json(tenant)) & DELETES == DELETES - {"delete groups/Nhóm Sales"}


def test_a_target_whose_change_needs_another_delete_is_refused_naming_it(tenant: Tenant):
    # Group Nhóm CSKH is still used by the call script and the IVR menu the plan deletes.
    result = tenant.run("plan", str(tenant.manifests), "--target", "groups/Nhóm CSKH")
    assert result.exit_code == 1
    # Quoted for a shell: the names have spaces.
    assert "add --target 'call_scripts/Nhóm CSKH'" in result.stderr
    assert "add --target 'ivr_menus/KỊCH BẢN BẤM PHÍM'" in result.stderr
    assert "Traceback" not in result.output


def test_a_saved_targeted_plan_applies_only_its_targets(tenant: Tenant, tmp_path: Path):
    whole = changes(plan_json(tenant))
    saved = tmp_path / "plan.json"
    made = tenant.run("plan", str(tenant.manifests), "--target", "hotlines/842873003388", "--out", str(saved))
    assert made.exit_code == 0, made.output
    applied = tenant.run("apply", "--plan", str(saved), "--auto-approve", "--format", "json")
    assert applied.exit_code == 0, applied.output
    report = json.loads(applied.stdout)
    done = {f"{o['action']} {o['kind']}/{o['name']}" for o in report["objects"]}
    # The hotline, its call script Ngoài giờ and what that one needs, and the group its
    # outbound access names (with the group that one overflows to).
    assert done == {"update hotlines/842873003388", "create call_scripts/Ngoài giờ",
                    "create greetings/Ngoài giờ làm việc", "create groups/Hỗ trợ kỹ thuật", "create groups/Kinh doanh"}
    assert report["partial"] is True and report["targets"] == ["hotlines/842873003388"]
    assert changes(plan_json(tenant)) == whole - done


def test_target_is_for_the_plan_not_for_a_saved_one(tenant: Tenant, tmp_path: Path):
    saved = tmp_path / "plan.json"
    tenant.run("plan", str(tenant.manifests), "--out", str(saved))
    result = tenant.run("apply", "--plan", str(saved), "--target", "groups/Kinh doanh")
    assert result.exit_code == 1 and "--target belongs to the plan" in result.output


def test_an_unknown_target_is_an_error_with_a_suggestion(tenant: Tenant):
    before = len(tenant.mutations())
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--target", "groups/Kinh doan")
    assert result.exit_code == 1
    assert "--target groups/Kinh doan: no group 'Kinh doan' in the manifests or the tenant; did you mean " \
           "groups/Kinh doanh?" in result.stderr
    wrong_kind = tenant.run("plan", str(tenant.manifests), "--target", "group/Kinh doanh")
    assert wrong_kind.exit_code == 1 and "no kind 'group'; did you mean groups/Kinh doanh?" in wrong_kind.stderr
    no_slash = tenant.run("plan", str(tenant.manifests), "--target", "Kinh doanh")
    assert no_slash.exit_code == 1 and "write it as KIND/NAME" in no_slash.stderr
    assert len(tenant.mutations()) == before  # nothing sent


# --- apply --format json -------------------------------------------------------------------------


def test_apply_json_reports_each_object_with_its_new_id(tenant: Tenant):
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)  # stdout is the document alone: plan and progress on stderr
    assert "Apply complete" in result.stderr
    assert report["format_version"] == 1 and report["outcome"] == "complete"
    assert report["summary"] == {"done": 20, "failed": 0, "conflict": 0, "skipped": 0, "not_finished": 0}
    objects = {(o["kind"], o["name"]): o for o in report["objects"]}
    snap = tenant.sim.snapshot()
    (sales,) = named(snap, "groups", "group_name", "Kinh doanh")
    created = objects[("groups", "Kinh doanh")]
    assert created["action"] == "create" and created["status"] == "done"
    assert created["id"] == str(sales["_id"] if "_id" in sales else sales["id"])
    deleted = objects[("groups", "Nhóm Sales")]
    assert deleted["action"] == "delete" and deleted["id"] and deleted["operations"][0]["status"] == "done"
    assert all(o["status"] == "done" for o in report["objects"])


def test_apply_json_says_what_failed_and_what_was_skipped_and_why(tenant: Tenant):
    tenant.sim.faults.inject("5xx", method="POST", path="/key-interaction/add", times=1000)
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["outcome"] == "incomplete"
    objects = {(o["kind"], o["name"]): o for o in report["objects"]}
    menu = objects[("ivr_menus", "Menu chính")]
    assert menu["status"] == "failed" and menu["id"] is None and menu["operations"][0]["message"]
    script = objects[("call_scripts", "Giờ hành chính")]
    assert script["status"] == "skipped"
    assert script["operations"][0]["message"] == "it needs create ivr_menus/Menu chính, which did not succeed"
    assert objects[("call_scripts", "Ngoài giờ")]["status"] == "done"
    # Only the menu's create failed (its retries exhausted); what needs it, directly or not, was skipped.
    assert report["summary"]["failed"] == 1 and report["summary"]["skipped"] == 5
    assert objects[("groups", "Nhóm CSKH")]["operations"][0]["message"] == \
        "it needs delete call_scripts/Nhóm CSKH, which did not succeed"


def test_apply_json_with_nothing_to_do_and_on_error(tenant: Tenant):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    nothing = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--format", "json")
    assert nothing.exit_code == 0
    assert json.loads(nothing.stdout)["outcome"] == "no_changes"
    tenant.edit("bad.yaml", "groups: [\n")
    broken = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--format", "json")
    assert broken.exit_code == 1
    document = json.loads(broken.stdout)
    assert document["error"] is True and any("bad.yaml" in p for p in document["problems"])


def test_targeting_a_replaced_greeting_brings_the_referrers_it_repoints(tenant: Tenant):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    greetings = tenant.read("greetings.yaml")
    assert "Bấm phím 1 để gặp" in greetings
    tenant.edit("greetings.yaml", greetings.replace("Bấm phím 1 để gặp", "Nhấn phím 1 để gặp"))
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    partial = plan_json(tenant, "--target", "greetings/Chào mừng")
    # The API cannot update a greeting: a new one, the menu that plays it repointed, the old one deleted.
    assert changes(partial) == {"replace greetings/Chào mừng", "update ivr_menus/Menu chính"}
    assert partial["left_out"] == ["update groups/Kinh doanh"]
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--target", "greetings/Chào mừng")
    assert result.exit_code == 0, result.output
    assert changes(plan_json(tenant)) == {"update groups/Kinh doanh"}


def test_a_secret_only_another_object_uses_does_not_stop_a_targeted_apply(tenant: Tenant):
    """Plan and apply run where only some secrets are set: targeting a group does not need
    extension 101's SIP password; targeting the extension does, and says which."""
    extensions = tenant.read("extensions.yaml")
    assert "    call_timeout: 30\n" in extensions
    tenant.edit("extensions.yaml", extensions.replace(
        "    call_timeout: 30\n", "    call_timeout: 30\n    password: ${env:EXT_101_PASSWORD}\n", 1))
    env = {"EXT_101_PASSWORD": None}
    whole = tenant.run("apply", str(tenant.manifests), "--auto-approve", env=env)
    assert whole.exit_code == 1 and "EXT_101_PASSWORD" in whole.stderr
    group = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--target", "groups/Kinh doanh", env=env)
    assert group.exit_code == 0, group.output
    extension = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--target", "extensions/101", env=env)
    assert extension.exit_code == 1 and "EXT_101_PASSWORD" in extension.stderr


def test_a_targeted_plan_counts_only_its_own_unverifiable_fields(tenant: Tenant):
    """A secret unset here that only a left-out object uses is not this plan's blind spot:
    a targeted plan with nothing to do says so and exits 0 (found merging: it said
    "1 unverifiable" of an extension it had left out)."""
    tenant.run("apply", str(tenant.manifests), "--auto-approve")
    extensions = tenant.read("extensions.yaml")
    tenant.edit("extensions.yaml", extensions.replace(
        "    call_timeout: 30\n", "    call_timeout: 30\n    password: ${env:EXT_101_PASSWORD}\n", 1))
    env = {"EXT_101_PASSWORD": None}
    whole = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode", "--format", "json", env=env)
    assert whole.exit_code == 2 and json.loads(whole.stdout)["summary"]["unverifiable"] == 1
    group = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode", "--format", "json",
                       "--target", "groups/Kinh doanh", env=env)
    assert group.exit_code == 0, group.output
    assert json.loads(group.stdout)["summary"]["unverifiable"] == 0
    assert not any("EXT_101_PASSWORD" in w for w in json.loads(group.stdout)["warnings"])  # not this plan's
    extension = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode", "--target", "extensions/101", env=env)
    assert extension.exit_code == 2 and "1 unverifiable" in extension.stdout


def test_validate_live_json_names_a_reference_to_nothing_with_its_code_and_place(tenant: Tenant):
    groups = tenant.read("groups.yaml")
    assert "on_timeout: {group: Kinh doanh}" in groups
    tenant.edit("groups.yaml", groups.replace("on_timeout: {group: Kinh doanh}", "on_timeout: {group: Không có}", 1))
    result = tenant.run("validate", str(tenant.manifests), "--live", "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["code"], finding["kind"], finding["name"]) == ("dangling-reference", "groups", "Hỗ trợ kỹ thuật")
    assert finding["location"].startswith(f"{tenant.manifests / 'groups.yaml'}:")


def test_apply_json_of_an_interrupted_apply_says_what_was_done_and_what_never_started(tenant: Tenant):
    import os
    import signal
    import subprocess
    import re
    import sys
    import threading

    from tests.e2e.conftest import API_KEY

    tenant.sim.latency = 0.05  # slow enough to stop in the middle
    env = {**os.environ, "OMICALL_URL": tenant.url, "OMICALL_API_KEY": API_KEY, "NO_COLOR": "1"}
    env.pop("OMICALL_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(tenant.manifests), "--auto-approve",
                             "--format", "json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Stop it once the progress on stderr says one object is done. (Counting the tenant's
    # mutations raced: four requests handled in parallel could all be in flight, none done.)
    progress: list[str] = []
    first_done = threading.Event()

    def read_progress() -> None:
        for line in proc.stderr:
            progress.append(line)
            if re.match(r"\[\s*\d+/\d+\]\s+done\s", line):
                first_done.set()

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    assert first_done.wait(timeout=60), "".join(progress)
    proc.send_signal(signal.SIGTERM)
    out = proc.stdout.read()
    proc.wait(timeout=60)
    reader.join(timeout=60)
    err = "".join(progress)
    assert proc.returncode == 1, (out, err)
    report = json.loads(out)
    assert report["outcome"] == "interrupted"
    statuses = {o["status"] for o in report["objects"]}
    assert "not_finished" in statuses and "done" in statuses
    assert all(o["id"] for o in report["objects"] if o["status"] == "done")  # a create's new id too
    assert tenant.sim.wait_idle()
    tenant.sim.latency = 0.0
