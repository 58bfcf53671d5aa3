"""Drift that apply will not or cannot put back is still drift (a new user's review).

- A declared object that policy.protect covers, changed in the console: drift exited 0
  ("No drift apply would change", `"in_sync": true`) and `drift --write` adopted nothing.
  It is drift (exit 2), shown with its fields, marked as one apply does not change (no
  `fix_command`), and `drift --write` adopts it.
- A new group in a pruned kind that an unmanaged call script uses: drift and `drift
  --write` failed (exit 1, "cannot delete group ... still uses it") although they change
  nothing. Drift reports the group (exit 2) and says apply could not delete it; `--write`
  appends it. `plan` and `apply` still refuse.

In both, what `drift` shows is what `drift --write` writes (one detection), and after
`--write` plan and drift agree: no changes, in sync."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.manifest.loader import load_manifests
from reconciler.simulator import Simulator
from tests.e2e.conftest import API_KEY, EXAMPLES, Tenant
from tests.simulator.helpers import open_api

NIGHT, CONSOLE_SCRIPT = "Trực đêm", "Console CS"
BLOCKED = (f"cannot delete group '{NIGHT}': call script '{CONSOLE_SCRIPT}' still uses it and is not managed here "
           "(declare it in the manifests, or change it in the console first)")


def start(seed: dict, root: Path) -> tuple[Simulator, Tenant]:
    manifests = root / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    sim = Simulator(api_key=API_KEY, seed=seed)
    sim.start()
    return sim, Tenant(sim, sim.url, manifests)


@pytest.fixture
def fresh(applied_seed: dict, tmp_path: Path) -> Iterator[Tenant]:
    """The examples just applied, and a copy of them."""
    sim, tenant = start(applied_seed, tmp_path)
    try:
        yield tenant
    finally:
        sim.stop()


def protect(tenant: Tenant, *names: str) -> None:
    listed = ", ".join(f'"{n}"' for n in ["Nhóm nhân viên mặc định", *names])
    tenant.edit("policy.yaml", tenant.read("policy.yaml").replace('protect: ["Nhóm nhân viên mặc định"]',
                                                                  f"protect: [{listed}]"))


def drift_json(tenant: Tenant) -> tuple[int, dict]:
    result = tenant.run("drift", str(tenant.manifests), "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def assert_in_sync_after_write(tenant: Tenant) -> None:
    """After `drift --write`: plan shows no changes, drift is in sync (exit 0 in every format)."""
    plan = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    for fmt in ("text", "json", "markdown"):
        again = tenant.run("drift", str(tenant.manifests), "--format", fmt)
        assert again.exit_code == 0, (fmt, again.output)
    assert drift_json(tenant)[1]["in_sync"] is True


# --- (A) a protected object changed in the console ----------------------------------------


def test_a_protected_object_changed_in_the_console_is_drift_apply_leaves_and_write_adopts(fresh: Tenant):
    protect(fresh, "Kinh doanh")
    api = open_api(fresh.sim, "http")
    api.ok("POST", "internal_group/remove-members", json={"group_id": api.group("Kinh doanh")["_id"],
                                                          "sip_users": ["102"]})
    text = fresh.run("drift", str(fresh.manifests))
    assert text.exit_code == 2, text.output
    out = text.output
    assert "~ group Kinh doanh: differs from the manifests" in out
    assert '- members: manifest "102" (not in the tenant)' in out
    assert "apply would not change it: policy.protect covers it" in out
    assert "In sync" not in out and "No drift" not in out
    assert "1 protected by policy, not changed though it differs" in out
    # Apply is not offered as the way back: it would change nothing.
    assert "Put the tenant back" not in out
    assert (f"Apply does not change this drift: policy.protect covers it. Adopt the live changes into the manifests "
            f"with `reconciler drift {fresh.manifests} --write`") in out

    code, data = drift_json(fresh)
    assert code == 2
    assert data["in_sync"] is False and data["fix_command"] is None
    (item,) = data["drift"]
    assert (item["kind"], item["name"], item["state"], item["protected"]) == ("groups", "Kinh doanh", "differs", True)
    assert item["fields"][0]["field"] == "members" and item["apply_action"] == "not change it: policy.protect covers it"
    assert data["summary"]["differs"] == 1 and data["summary"]["protected_differs"] == 1
    md = fresh.run("drift", str(fresh.manifests), "--format", "markdown")
    assert md.exit_code == 2 and "| `~` differs | Kinh doanh (protected by policy.protect" in md.output

    # Apply indeed leaves it as it is: the drift stays.
    fresh.sim.requests.clear()
    assert fresh.run("apply", str(fresh.manifests), "--auto-approve").exit_code == 0
    assert fresh.mutations() == []
    assert drift_json(fresh)[0] == 2

    written = fresh.run("drift", str(fresh.manifests), "--write")
    assert written.exit_code == 2, written.output
    assert "edited" in written.output and "groups.yaml (1 object)" in written.output
    group = load_manifests(fresh.manifests).objects["groups"]["Kinh doanh"].model
    assert group.members == ["101"]
    assert 'members: ["101"]' in fresh.read("groups.yaml")
    assert_in_sync_after_write(fresh)


def test_a_protected_and_an_unprotected_change_apply_fixes_one_and_says_so(fresh: Tenant):
    protect(fresh, "Kinh doanh")
    fresh.sim.console_edit("groups", "Kinh doanh", strategy="random")
    fresh.sim.console_edit("groups", "Hỗ trợ kỹ thuật", strategy="random")
    code, data = drift_json(fresh)
    assert code == 2
    assert {(i["name"], i["protected"]) for i in data["drift"]} == {("Kinh doanh", True), ("Hỗ trợ kỹ thuật", False)}
    assert data["fix_command"] == f"reconciler apply {fresh.manifests}"
    text = fresh.run("drift", str(fresh.manifests)).output
    assert (f"Put the tenant back to the manifests with `reconciler apply {fresh.manifests}` (it leaves the 1 "
            "protected by policy as it is), or adopt") in text
    assert fresh.run("apply", str(fresh.manifests), "--auto-approve").exit_code == 0
    code, data = drift_json(fresh)
    assert code == 2 and [i["name"] for i in data["drift"]] == ["Kinh doanh"]


# --- (B) a delete apply could not make does not stop the report ---------------------------


def test_a_new_group_an_unmanaged_call_script_uses_is_drift_not_an_error(fresh: Tenant):
    policy = fresh.read("policy.yaml")
    fresh.edit("policy.yaml", policy.replace("prune: [groups, ivr_menus, call_scripts]", "prune: [groups, ivr_menus]"))
    api = open_api(fresh.sim, "http")
    api.ok("POST", "internal_group/add", json={"group_name": NIGHT, "strategy": "rollover", "sip_members": ["101"],
                                               "timeout": 20})
    api.ok("POST", "call_script/add", json={"script_name": CONSOLE_SCRIPT, "note": "",
                                            "scripts": [{"action_type": "Ring_group",
                                                         "action_id": api.group(NIGHT)["_id"]}]})
    before = {p.name: p.read_bytes() for p in fresh.manifests.glob("*.yaml")}

    text = fresh.run("drift", str(fresh.manifests))
    assert text.exit_code == 2, text.output
    assert f"+ group {NIGHT}: in the tenant, not in the manifests" in text.output
    assert f"Apply cannot put this back: {BLOCKED}" in text.output
    assert "Error" not in text.output
    code, data = drift_json(fresh)
    assert code == 2 and "error" not in data and data["in_sync"] is False
    assert [(i["kind"], i["name"], i["state"]) for i in data["drift"]] == [("groups", NIGHT, "extra")]
    assert data["blocked"] == [BLOCKED]
    md = fresh.run("drift", str(fresh.manifests), "--format", "markdown")
    assert md.exit_code == 2 and f"Apply cannot put this back: {BLOCKED}" in md.output

    # plan and apply still refuse, before any change.
    plan = fresh.run("plan", str(fresh.manifests))
    assert plan.exit_code == 1 and BLOCKED in plan.output
    fresh.sim.requests.clear()
    apply = fresh.run("apply", str(fresh.manifests), "--auto-approve")
    assert apply.exit_code == 1 and BLOCKED in apply.output
    assert fresh.mutations() == []
    assert {p.name: p.read_bytes() for p in fresh.manifests.glob("*.yaml")} == before

    written = fresh.run("drift", str(fresh.manifests), "--write")
    assert written.exit_code == 2, written.output
    assert "groups.yaml (1 object)" in written.output
    group = load_manifests(fresh.manifests).objects["groups"][NIGHT].model
    assert group.members == ["101"]
    assert fresh.read("groups.yaml").startswith(before["groups.yaml"].decode())  # appended, the rest as it was
    assert_in_sync_after_write(fresh)



def test_a_delete_held_up_by_a_protected_group_says_protected_not_unmanaged(fresh: Tenant):
    """The demo's default group is protected and not declared: its overflow to a new console
    group stops that group's delete. The advice was "declare it in the manifests", which
    only leads to a second refusal (a protected object is never changed)."""
    api = open_api(fresh.sim, "http")
    api.ok("POST", "internal_group/add", json={"group_name": NIGHT, "strategy": "rollover", "sip_members": ["101"],
                                               "timeout": 20})
    default = api.group("Nhóm nhân viên mặc định")
    api.ok("POST", f"internal_group/update/{default['_id']}", json={
        "group_name": default["group_name"], "strategy": "enterprise", "sip_members": ["100"], "timeout": 30,
        "target_timeout_type": "Ring_group", "target_timeout": api.group(NIGHT)["_id"]})
    expected = (f"cannot delete group '{NIGHT}': group 'Nhóm nhân viên mặc định' still uses it and is protected by "
                "policy.protect (change it in the console first, or unprotect it)")
    plan = fresh.run("plan", str(fresh.manifests))
    assert plan.exit_code == 1 and expected in " ".join(plan.output.split()), plan.output
    assert "not managed here" not in plan.output
    drift = fresh.run("drift", str(fresh.manifests))
    assert drift.exit_code == 2 and expected in " ".join(drift.output.split()), drift.output
    # The item itself does not promise what apply cannot do as things stand.
    assert "apply would delete the group, once what still uses it is settled" in drift.output

# --- one detection: what drift shows is what --write writes --------------------------------

# Console edits of the examples' declared objects (raw API fields), and the manifest field
# each shows as.
EDITS = {
    ("groups", "Kinh doanh"): ({"strategy": "random"}, "strategy"),
    ("groups", "Hỗ trợ kỹ thuật"): ({"strategy": "random"}, "strategy"),
    ("ivr_menus", "Menu chính"): ({"time_out": 9}, "input_timeout"),
    ("call_scripts", "Ngoài giờ"): ({"note": "Sửa trong console"}, "note"),
}


@given(edited=st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=4, unique=True),
       protected=st.sets(st.sampled_from(sorted(name for _, name in EDITS))))
def test_the_drift_shown_protected_or_not_is_the_drift_write_writes(
        applied_seed: dict, tmp_path_factory: pytest.TempPathFactory, edited: list, protected: set):
    sim, tenant = start(applied_seed, tmp_path_factory.mktemp("prop"))
    try:
        if protected:
            protect(tenant, *sorted(protected))
        for kind, name in edited:
            sim.console_edit(kind, name, **EDITS[(kind, name)][0])
        code, data = drift_json(tenant)
        assert code == 2, data
        shown = {(i["kind"], i["name"]): ([f["field"] for f in i["fields"]], i["protected"]) for i in data["drift"]}
        assert shown == {(k, n): ([EDITS[(k, n)][1]], n in protected) for k, n in edited}
        assert (data["fix_command"] is None) == all(n in protected for _, n in edited)
        for fmt in ("text", "markdown"):
            assert tenant.run("drift", str(tenant.manifests), "--format", fmt).exit_code == 2

        written = tenant.run("drift", str(tenant.manifests), "--write")
        assert written.exit_code == 2, written.output
        after = load_manifests(tenant.manifests)
        for kind, name in edited:
            field = EDITS[(kind, name)][1]
            live = {"strategy": "random", "input_timeout": 9, "note": "Sửa trong console"}[field]
            assert getattr(after.objects[kind][name].model, field) == live, (kind, name)
        assert_in_sync_after_write(tenant)
    finally:
        sim.stop()
