"""Plan and apply through the CLI against the simulator over real HTTP (issue: plan and
apply, every kind, in dependency order, safely)."""

from __future__ import annotations

import json

from tests.e2e.conftest import Tenant


def named(snapshot: dict, kind: str, field: str, name: str) -> list[dict]:
    return [i for i in snapshot[kind] if i.get(field) == name]


def apply_examples(t: Tenant) -> None:
    result = t.run("apply", str(t.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output


def test_examples_apply_then_plan_is_empty_and_second_apply_sends_nothing(tenant: Tenant):
    first = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "to create" in first.output
    apply_examples(tenant)
    snap = tenant.sim.snapshot()
    for kind, field, name in [("groups", "group_name", "Kinh doanh"), ("ivr_menus", "script_name", "Menu chính"),
                              ("greetings", "greeting_name", "Nhạc chờ"), ("call_scripts", "script_name", "Ngoài giờ")]:
        assert len(named(snap, kind, field, name)) == 1, (kind, name)
    # Pruned: the demo tenant's own groups, IVR menu and call script; the protected group stays.
    assert not named(snap, "groups", "group_name", "Nhóm Tech")
    assert named(snap, "groups", "group_name", "Nhóm nhân viên mặc định")

    again = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output

    tenant.sim.requests.clear()
    second = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert second.exit_code == 0, second.output
    assert tenant.mutations() == []


def test_one_field_changed_sends_exactly_one_mutating_request(tenant: Tenant):
    apply_examples(tenant)
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    tenant.sim.requests.clear()
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "member_timeout: 20 -> 25" in result.output
    (request,) = tenant.mutations()
    assert request.method == "POST" and "/internal_group/update/" in request.path


def test_cycles_of_ivr_menus_and_groups_are_applied_in_two_phases(tenant: Tenant):
    apply_examples(tenant)
    snap = tenant.sim.snapshot()
    (sales,) = named(snap, "groups", "group_name", "Kinh doanh")
    (support,) = named(snap, "groups", "group_name", "Hỗ trợ kỹ thuật")
    assert (sales["target_timeout_type"], sales["target_timeout"]) == ("Ring_group", support["_id"])
    assert (support["target_timeout_type"], support["target_timeout"]) == ("Ring_group", sales["_id"])
    (main,) = named(snap, "ivr_menus", "script_name", "Menu chính")
    (sub,) = named(snap, "ivr_menus", "script_name", "Menu hỗ trợ")
    main_keys = {s["ivr"]: s["action"] for s in main["scripts"] if s["action"]}
    sub_keys = {s["ivr"]: s["action"] for s in sub["scripts"] if s["action"]}
    assert main_keys["2"] == sub["_id"] and sub_keys["0"] == main["_id"]


def test_changed_greeting_text_is_replaced_referrers_repointed_old_deleted(tenant: Tenant):
    apply_examples(tenant)
    (old,) = named(tenant.sim.snapshot(), "greetings", "greeting_name", "Chào mừng")
    tenant.edit("greetings.yaml", tenant.read("greetings.yaml").replace("Công ty Hoa Sen. Bấm", "Hoa Sen. Bấm"))
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "replace greeting Chào mừng" in result.output
    snap = tenant.sim.snapshot()
    (new,) = named(snap, "greetings", "greeting_name", "Chào mừng")
    assert new["_id"] != old["_id"] and new["content"].startswith("Xin chào, cảm ơn quý khách đã gọi đến Hoa Sen")
    (main,) = named(snap, "ivr_menus", "script_name", "Menu chính")
    assert main["greeting_id"] == new["_id"]
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_changed_mp3_is_detected_and_replaced(tenant: Tenant):
    apply_examples(tenant)
    (old,) = named(tenant.sim.snapshot(), "greetings", "greeting_name", "Nhạc chờ")
    mp3 = tenant.manifests / "audio" / "nhac-cho.mp3"
    mp3.write_bytes(mp3.read_bytes() + b"\xff\xfb\x90\x64" + b"\x01" * 413)
    plan = tenant.run("plan", str(tenant.manifests), "--format", "json")
    data = json.loads(plan.output)
    (change,) = [c for c in data["changes"] if c["kind"] == "greetings"]
    assert (change["action"], change["name"]) == ("replace", "Nhạc chờ")
    repointed = {c["name"] for c in data["changes"] if c["kind"] == "ivr_menus"}
    assert repointed == {"Menu chính"}  # the only menu that plays it
    assert change["fields"][0]["verifiable"] is False
    apply = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert apply.exit_code == 0, apply.output
    snap = tenant.sim.snapshot()
    (new,) = named(snap, "greetings", "greeting_name", "Nhạc chờ")
    assert new["_id"] != old["_id"]
    (main,) = named(snap, "ivr_menus", "script_name", "Menu chính")
    assert main["greeting_short_id"] == new["_id"]
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_rename_by_previous_names_keeps_the_id(tenant: Tenant):
    apply_examples(tenant)
    (before,) = named(tenant.sim.snapshot(), "groups", "group_name", "Kinh doanh")
    text = tenant.read("groups.yaml").replace("- name: Kinh doanh\n", "- name: Bán hàng\n    previous_names: [Kinh doanh]\n")
    tenant.edit("groups.yaml", text.replace("{group: Kinh doanh}", "{group: Bán hàng}"))
    for name in ("ivr.yaml", "routing.yaml"):
        tenant.edit(name, tenant.read(name).replace("Kinh doanh", "Bán hàng"))
    tenant.sim.requests.clear()
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "~ rename group Bán hàng (renamed from 'Kinh doanh')" in result.output  # the plan says so
    assert "done  rename groups/Bán hàng: renamed from 'Kinh doanh'" in result.output  # and so does the log
    (after,) = named(tenant.sim.snapshot(), "groups", "group_name", "Bán hàng")
    assert after["_id"] == before["_id"]
    assert not [r for r in tenant.mutations() if r.method == "DELETE"]
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_prune_deletes_unlisted_and_protect_keeps(tenant: Tenant):
    plan = tenant.run("plan", str(tenant.manifests))
    assert "delete group Nhóm Tech" in plan.output
    assert "Nhóm nhân viên mặc định" not in [line.split("group ", 1)[-1] for line in plan.output.splitlines()
                                             if "delete group" in line]
    apply_examples(tenant)
    names = {g["group_name"] for g in tenant.sim.snapshot()["groups"]}
    assert names == {"Kinh doanh", "Hỗ trợ kỹ thuật", "Nhóm nhân viên mặc định"}


def test_threshold_refuses_without_force(tenant: Tenant):
    extra = "\n".join(f"  - name: Nhóm {i}" for i in range(12))
    tenant.edit("more.yaml", f"groups:\n{extra}\n")
    apply_examples(tenant)
    assert len(tenant.sim.snapshot()["groups"]) == 15
    (tenant.manifests / "more.yaml").unlink()
    tenant.sim.requests.clear()
    refused = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert refused.exit_code == 1
    assert "12 of 15 live groups would be deleted" in refused.output and "--force" in refused.output
    assert tenant.mutations() == []
    forced = tenant.run("apply", str(tenant.manifests), "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert len(tenant.sim.snapshot()["groups"]) == 3


def test_stale_saved_plan_is_refused(tenant: Tenant, tmp_path):
    apply_examples(tenant)
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    plan_file = tmp_path / "plan.json"
    assert tenant.run("plan", str(tenant.manifests), "--out", str(plan_file)).exit_code == 0
    tenant.sim.console_edit("groups", "Kinh doanh", strategy="random")
    tenant.sim.requests.clear()
    result = tenant.run("apply", "--plan", str(plan_file), "--auto-approve")
    assert result.exit_code == 1
    assert "stale" in result.output and "Kinh doanh" in result.output
    assert tenant.mutations() == []


def test_saved_plan_applies_when_current(tenant: Tenant, tmp_path):
    apply_examples(tenant)
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    plan_file = tmp_path / "plan.json"
    assert tenant.run("plan", str(tenant.manifests), "--out", str(plan_file)).exit_code == 0
    assert "OMICALL" not in plan_file.read_text() and "e2e-key" not in plan_file.read_text()
    result = tenant.run("apply", "--plan", str(plan_file), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_duplicate_live_names_stop_the_run_before_any_change(tenant: Tenant):
    apply_examples(tenant)
    tenant.sim.console_edit("groups", "Hỗ trợ kỹ thuật", group_name="Kinh doanh")
    tenant.sim.requests.clear()
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert result.exit_code == 1
    assert "2 live groups are named 'Kinh doanh'" in result.output
    assert tenant.mutations() == []
