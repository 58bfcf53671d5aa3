"""Conflicts between plan and apply, failures mid-apply and re-runs, against the simulator."""

from __future__ import annotations

import asyncio

from reconciler.api import OmicallClient
from reconciler.engine.session import apply_to_tenant, plan_tenant
from reconciler.manifest import load_manifests
from tests.e2e.conftest import API_KEY, Tenant
from tests.e2e.test_plan_apply_cli import apply_examples, named


def test_edit_between_plan_and_apply_is_a_conflict_not_overwritten(tenant: Tenant):
    apply_examples(tenant)
    text = tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25")
    tenant.edit("groups.yaml", text.replace("member_timeout: 30", "member_timeout: 35"))
    manifests = load_manifests(tenant.manifests)

    async def go():
        async with OmicallClient(tenant.url, api_key=API_KEY) as client:
            plan, _ = await plan_tenant(client, manifests)
            # Someone edits one of the two groups in the console while the plan is reviewed.
            tenant.sim.console_edit("groups", "Kinh doanh", strategy="random")
            return await apply_to_tenant(client, plan, saved=False)

    report = asyncio.run(go())
    status = {r.name: r.status for r in report.results}
    assert status == {"Kinh doanh": "conflict", "Hỗ trợ kỹ thuật": "done"}
    (sales,) = named(tenant.sim.snapshot(), "groups", "group_name", "Kinh doanh")
    assert sales["strategy"] == "random"  # the console's edit is not overwritten


def test_failure_stops_dependents_only_and_rerun_completes(tenant: Tenant):
    # Every attempt to create an IVR menu fails: the IVR menus and the call script that
    # leads to them cannot be made; everything else is.
    tenant.sim.faults.inject("5xx", method="POST", path="/key-interaction/add", times=1000)
    first = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert first.exit_code == 1
    assert "failed" in first.output and "skipped" in first.output
    snap = tenant.sim.snapshot()
    assert named(snap, "groups", "group_name", "Kinh doanh")  # not dependent: done
    assert named(snap, "call_scripts", "script_name", "Ngoài giờ")  # not dependent: done
    assert not named(snap, "call_scripts", "script_name", "Giờ hành chính")  # needs Menu chính: skipped
    tenant.sim.faults.clear()
    second = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert second.exit_code == 0, second.output
    snap = tenant.sim.snapshot()
    for name in ("Menu chính", "Menu hỗ trợ"):
        assert len(named(snap, "ivr_menus", "script_name", name)) == 1
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_lost_responses_never_duplicate_creates(tenant: Tenant):
    tenant.sim.faults.inject("lost_response", method="POST", path="/add", times=3)
    tenant.sim.faults.inject("lost_response", method="POST", path="/upload", times=2)
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    snap = tenant.sim.snapshot()
    for kind, field in [("groups", "group_name"), ("ivr_menus", "script_name"), ("greetings", "greeting_name"),
                        ("call_scripts", "script_name")]:
        names = [i[field] for i in snap[kind]]
        assert len(names) == len(set(names)), (kind, names)
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0
