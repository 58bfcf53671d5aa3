"""Regressions: bugs found in review of the kinds and the engine, each reproduced through
the CLI or the session against the simulator. Every test failed before its fix."""

from __future__ import annotations

import asyncio

from reconciler.api import OmicallClient
from reconciler.engine.session import apply_to_tenant, plan_tenant
from reconciler.manifest import load_manifests
from tests.e2e.conftest import API_KEY, Tenant
from tests.e2e.test_plan_apply_cli import apply_examples, named


def _ok(result) -> None:
    assert result.exit_code == 0, result.output


# --- F1: a live reference the manifests cannot express crashes plan --------------------------


def test_F1_plan_survives_group_overflowing_to_voice_mail(tenant: Tenant):
    # The vendor's own list example: the default group overflows to Voice_mail.
    tenant.sim.console_edit("groups", "Nhóm nhân viên mặc định",
                            target_timeout_type="Voice_mail", target_timeout="62da34652a310904dfbbf13b")
    result = tenant.run("plan", str(tenant.manifests))
    # Observed: KeyError: 'unsupported' traceback from GroupKind.references().
    assert result.exit_code == 0, result.output


# --- F2: an IVR menu that leads back to itself can never be created --------------------------


def test_F2_new_ivr_menu_with_a_key_back_to_itself_is_created(tenant: Tenant):
    text = tenant.read("ivr.yaml").replace('"0": {ivr: Menu chính}', '"0": {ivr: Menu chính}\n      "9": {ivr: Menu hỗ trợ}')
    tenant.edit("ivr.yaml", text)
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    # Observed: "failed create ivr_menus/Menu hỗ trợ: no live IVR menu named 'Menu hỗ trợ'", forever.
    _ok(result)
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


# --- F3: an interrupted greeting replace wedges every later apply ----------------------------


def test_F3_rerun_completes_an_interrupted_greeting_replace(tenant: Tenant):
    apply_examples(tenant)
    text = tenant.read("greetings.yaml").replace("Phím quý khách chọn không hợp lệ", "Phím không đúng")
    tenant.edit("greetings.yaml", text)
    tenant.sim.faults.inject("5xx", method="POST", path="/key-interaction/update", times=1000)
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 1
    tenant.sim.faults.clear()
    second = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    # Observed: "failed update ivr_menus/Menu chính: 2 live greeting named 'Phím không hợp lệ'" on every re-run.
    _ok(second)


# --- F4: an mp3 replace whose first upload got a 5xx adopts the OLD recording ----------------


def test_F4_changed_mp3_is_uploaded_even_after_a_5xx(tenant: Tenant):
    apply_examples(tenant)
    (old,) = named(tenant.sim.snapshot(), "greetings", "greeting_name", "Nhạc chờ")
    with open(tenant.manifests / "audio" / "nhac-cho.mp3", "ab") as f:
        f.write(b"\x00new recording")
    tenant.sim.faults.inject("5xx", method="POST", path="/greeting/upload", times=1)  # refused, not processed
    tenant.run("apply", str(tenant.manifests), "--auto-approve")
    tenant.run("apply", str(tenant.manifests), "--auto-approve")
    uploads_ok = [r for r in tenant.sim.requests if r.path.endswith("/greeting/upload") and r.status == 200]
    # Observed: the retry's find_existing() finds the old greeting (same name, an upload) and
    # takes it for the new one; the state note records the new sha256 against the old id, and
    # plan then says "No changes" while the tenant still plays the old audio.
    assert len(uploads_ok) == 2, "the changed mp3 was never uploaded"
    now = named(tenant.sim.snapshot(), "greetings", "greeting_name", "Nhạc chờ")
    assert [g["_id"] for g in now] != [old["_id"]]


# --- F5: mutually referencing objects cannot be pruned -----------------------------------------


def test_F5_prune_ivr_menus_that_lead_to_each_other(tenant: Tenant):
    apply_examples(tenant)
    (tenant.manifests / "ivr.yaml").unlink()
    tenant.edit("routing.yaml", tenant.read("routing.yaml").replace("- {ivr: Menu chính}", "- {group: Kinh doanh}"))
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    # Observed: "Error: references form a cycle that cannot be broken: ivr_menus/Menu chính -> ..."
    _ok(result)
    assert not named(tenant.sim.snapshot(), "ivr_menus", "script_name", "Menu chính")


# --- F6: deletes of objects whose referrer's update will not happen pass the plan ------------


def test_F6a_plan_refuses_deleting_a_call_script_a_hotline_keeps_using(tenant: Tenant):
    apply_examples(tenant)
    text = tenant.read("routing.yaml")
    start, end = text.index("  - name: Ngoài giờ"), text.index("\nhotlines:") + 1
    text = (text[:start] + text[end:]).replace("    call_script: Ngoài giờ\n", "")
    tenant.edit("routing.yaml", text)  # hotline 842873003388 omits call_script: "leave it alone"
    result = tenant.run("plan", str(tenant.manifests))
    # Observed: exit 0, "- delete call script Ngoài giờ"; apply then fails (or, on an API
    # that does not check, leaves the hotline routing to a deleted script).
    assert result.exit_code == 1 and "Ngoài giờ" in result.output, result.output


def test_F6b_plan_refuses_deleting_a_group_a_protected_ivr_menu_uses(tenant: Tenant):
    tenant.edit("policy.yaml", 'policy:\n  prune: [groups, ivr_menus, call_scripts]\n'
                               '  protect: ["Nhóm nhân viên mặc định", "Menu hỗ trợ"]\n')
    apply_examples(tenant)
    ivr = tenant.read("ivr.yaml").replace('"1": {group: Hỗ trợ kỹ thuật}', '"1": {group: Kinh doanh}')
    tenant.edit("ivr.yaml", ivr.replace("fallback: {group: Hỗ trợ kỹ thuật}", "fallback: {group: Kinh doanh}"))
    groups = tenant.read("groups.yaml")
    tenant.edit("groups.yaml", groups[: groups.index("  - name: Hỗ trợ kỹ thuật")].replace(
        "on_timeout: {group: Hỗ trợ kỹ thuật}", ""))
    tenant.edit("routing.yaml", tenant.read("routing.yaml").replace("{group: Hỗ trợ kỹ thuật}", "{group: Kinh doanh}"))
    result = tenant.run("plan", str(tenant.manifests))
    # Observed: exit 0 with "- delete group Hỗ trợ kỹ thuật" although the protected
    # 'Menu hỗ trợ' (its update skipped) still routes key 1 to it.
    assert result.exit_code == 1, result.output


# --- F7: a create whose name appeared in the console since the plan makes a duplicate ------


def test_F7_create_of_a_name_made_in_the_console_since_the_plan_is_a_conflict(tenant: Tenant):
    apply_examples(tenant)
    tenant.edit("groups.yaml", tenant.read("groups.yaml") + "\n  - name: Nhóm mới\n    members: [\"101\"]\n")
    manifests = load_manifests(tenant.manifests)

    async def go():
        async with OmicallClient(tenant.url, api_key=API_KEY) as client:
            plan, _ = await plan_tenant(client, manifests)
            async with OmicallClient(tenant.url, api_key=API_KEY) as other:  # a colleague, meanwhile
                await other.send("POST", "/api/call_center/internal_group/add",
                                 json={"group_name": "Nhóm mới", "strategy": "random", "sip_members": ["102"],
                                       "timeout": 15})
            return await apply_to_tenant(client, plan, saved=False)

    report = asyncio.run(go())
    # Observed: status "done" and two live groups named 'Nhóm mới' (after which every plan errors).
    assert len(named(tenant.sim.snapshot(), "groups", "group_name", "Nhóm mới")) == 1
    assert {r.name: r.status for r in report.results}.get("Nhóm mới") == "conflict"


# --- F8: a `recording:` greeting missing from the tenant passes plan, fails apply -------------


def test_F8_plan_rejects_a_recording_greeting_that_cannot_be_created(tenant: Tenant):
    (tenant.manifests / "extra.yaml").write_text(
        "greetings:\n  - name: Lời chào cũ\n    recording: abc.mp3\n", encoding="utf-8")
    result = tenant.run("plan", str(tenant.manifests))
    # Observed: exit 0 with "+ create greeting Lời chào cũ"; apply then fails with
    # "ValueError: ... an uploaded recording cannot be re-created from its name alone".
    assert result.exit_code == 1, result.output


# --- F9: a killed apply's greeting create lands after the next apply made its own -------------


def _replay_greeting_create(tenant: Tenant, name: str) -> None:
    """Send again the create the apply sent for greeting `name`: a killed apply's request
    that reaches the server only after the next apply created the same greeting."""
    (sent,) = [r for r in tenant.sim.requests
               if r.path.endswith("/upload-text-to-speech") and name in str(r.query) + str(r.json)]

    async def go() -> None:
        async with OmicallClient(tenant.url, api_key=API_KEY) as late:
            await late.send("POST", sent.path, params=dict(sent.query), json=sent.json)

    asyncio.run(go())


def test_F9_a_late_greeting_create_is_cleaned_up_by_the_next_apply(tenant: Tenant):
    apply_examples(tenant)
    _replay_greeting_create(tenant, "Chào mừng")
    copies = named(tenant.sim.snapshot(), "greetings", "greeting_name", "Chào mừng")
    assert len(copies) == 2
    in_use = {m["greeting_id"] for m in tenant.sim.snapshot()["ivr_menus"]}
    (kept,) = [g["_id"] for g in copies if g["_id"] in in_use]
    plan = tenant.run("plan", str(tenant.manifests))
    # Observed: "2 live greetings are named 'Chào mừng' ... the reconciler never guesses" on every run.
    assert plan.exit_code == 0, plan.output
    assert "left over from an interrupted replace" in plan.output
    _ok(tenant.run("apply", str(tenant.manifests), "--auto-approve"))
    assert [g["_id"] for g in named(tenant.sim.snapshot(), "greetings", "greeting_name", "Chào mừng")] == [kept]
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_F9_two_matching_greetings_both_in_use_are_never_guessed(tenant: Tenant):
    apply_examples(tenant)
    _replay_greeting_create(tenant, "Chào mừng")
    copies = named(tenant.sim.snapshot(), "greetings", "greeting_name", "Chào mừng")
    unused = next(g["_id"] for g in copies if g["_id"] not in {m["greeting_id"] for m in tenant.sim.snapshot()["ivr_menus"]})
    tenant.sim.console_edit("ivr_menus", "Menu hỗ trợ", greeting_short_id=unused)  # someone uses the copy
    result = tenant.run("plan", str(tenant.manifests))
    assert result.exit_code == 1
    assert "2 live greetings are named 'Chào mừng'" in result.output
