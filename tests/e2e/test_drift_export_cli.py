"""Drift and export through the CLI against the simulator over real HTTP (issue: drift
reports and export, the GitOps loop): export, then plan is empty, then export again gives
the same bytes; a console edit shows as drift and apply puts it back."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import pytest

from reconciler.simulator import Simulator
from tests.e2e.conftest import API_KEY, Tenant


def _oid(prefix: int, n: int) -> str:
    return f"{prefix:02x}{n:022x}"


# Names a YAML writer must quote or keep as they are to read them back unchanged.
AWKWARD = ["123", "yes", "null", "Nhóm: A", "#1 Hỗ trợ", "- gạch", "'nháy'", '"kép"', "Ngôn ngữ  kép ",
           "1e3", "~", "true", "* sao", "Tiếng Việt có dấu ở đây", "<details>"]


def generated_seed(seed: int = 7, scale: int = 1) -> dict:
    """A tenant of about 450 objects referring to each other every way the API allows:
    groups overflowing into groups, IVR menus and greetings; IVR keys to groups and menus;
    call scripts through greetings, menus, groups and extensions; hotlines running call
    scripts, some restricted to extensions and groups; uploaded mp3s among the greetings.
    `scale` multiplies every count (for benchmarks)."""
    rnd = random.Random(seed)
    extensions = [{"sip_user": str(100 + i), "agent_id": _oid(1, i), "full_name": f"Nhân viên {i}",
                   "email": f"nv{i}@example.vn", "password": f"pw-secret-{i:04d}"} for i in range(60 * scale)]
    sip_users = [e["sip_user"] for e in extensions]
    greetings = []
    for i in range(100 * scale):
        name = f"Lời chào {i:03d}" if i >= len(AWKWARD) else AWKWARD[i]
        if i % 10 == 9:
            greetings.append({"_id": _oid(2, i), "greeting_name": name, "formality": "Tải lên",
                              "recording_file": f"{i:08d}-ghi-am.mp3", "content": f"ghi-am-{i}.mp3",
                              "voice": "", "speed": 0})
        else:
            greetings.append({"_id": _oid(2, i), "greeting_name": name, "formality": "Robot đọc",
                              "recording_file": f"{i:08d}.mp3",
                              "content": f"Xin chào quý khách, đây là lời chào số {i}: bấm phím # để gặp tổng đài viên.",
                              "voice": rnd.choice(["northern_female_ngocanh", "southern_male_tienhuy",
                                                   "northern_male_anhkiet", "southern_female_khangan"]),
                              "speed": rnd.randint(-3, 3)})
    # An NFD-typed name (a Mac keyboard): exported, and matched, as NFC.
    greetings[20]["greeting_name"] = unicodedata.normalize("NFD", "Chào buổi sáng")
    group_ids = [_oid(3, i) for i in range(90 * scale)]
    ivr_ids = [_oid(4, i) for i in range(70 * scale)]
    greeting_ids = [g["_id"] for g in greetings]
    groups = []
    for i, gid in enumerate(group_ids):
        name = AWKWARD[i] if i < len(AWKWARD) else f"Nhóm {i:03d}"
        target = rnd.choice([("", ""), ("Ring_group", rnd.choice(group_ids)), ("Ivr_menu", rnd.choice(ivr_ids)),
                             ("Recording", rnd.choice(greeting_ids))])
        groups.append({"_id": gid, "group_name": name, "strategy": rnd.choice(["enterprise", "rollover", "random"]),
                       "ring_group_type": rnd.choice([0, 1, 4]), "sip_members": rnd.sample(sip_users, rnd.randint(0, 4)),
                       "timeout": rnd.choice([15, 20, 30, 45]), "target_timeout_type": target[0],
                       "target_timeout": target[1],
                       "call_queue_config": {"enable": True, "is_in_call": True, "is_offline": False,
                                             "waiting_time": 60}})
    ivr_menus = []
    for i, mid in enumerate(ivr_ids):
        keys = rnd.sample(list("0123456789*#"), rnd.randint(0, 5))
        scripts = [{"ivr": k, "action_type": t, "action": rnd.choice(group_ids if t == "Ring_group" else ivr_ids)}
                   for k in keys for t in [rnd.choice(["Ring_group", "Ivr_menu"])]]
        fallback = rnd.choice([("", ""), ("Ring_group", rnd.choice(group_ids)), ("Recording", rnd.choice(greeting_ids))])
        ivr_menus.append({"_id": mid, "script_name": f"Menu {i:03d}" if i else "Menu chính",
                          "greeting_id": rnd.choice(greeting_ids),
                          "greeting_short_id": rnd.choice(["", rnd.choice(greeting_ids)]),
                          "invalid_sound_id": rnd.choice(["", rnd.choice(greeting_ids)]),
                          "time_out": rnd.randint(1, 10), "max_failure": rnd.randint(1, 5), "scripts": scripts,
                          "action_type": fallback[0], "action": fallback[1]})
    call_scripts = []
    for i in range(90 * scale):
        steps = []
        for _ in range(rnd.randint(1, 3)):
            t = rnd.choice(["Recording", "Ivr_menu", "Ring_group", "Extension"])
            pool = {"Recording": greeting_ids, "Ivr_menu": ivr_ids, "Ring_group": group_ids,
                    "Extension": [e["agent_id"] for e in extensions]}[t]
            steps.append({"action_type": t, "action_id": rnd.choice(pool)})
        criterias = [{"type": t, "wait_time": str(rnd.randint(0, 30)), "timeout_time": str(rnd.randint(0, 30))}
                     for t in rnd.sample(["2", "3", "4"], rnd.randint(0, 3))]
        call_scripts.append({"_id": _oid(5, i), "script_name": f"Kịch bản {i:03d}",
                             "note": rnd.choice(["", "Giờ hành chính", "note: với dấu hai chấm"]),
                             "scripts": steps, "criterias": criterias})
    hotlines = []
    for i in range(40 * scale):
        restricted = i % 4 == 3
        hotlines.append({"number": f"8428710{i:05d}",
                         "configs": {"allow_call_in": i % 3 != 0, "allow_call_out": i % 5 != 0,
                                     "default_script": rnd.choice(["", _oid(5, rnd.randrange(90 * scale))])},
                         "access_type": "applies_according_to_employee_criteria" if restricted
                         else "applies_to_all_employees",
                         "extensions": rnd.sample(sip_users, 2) if restricted else [],
                         "group_ids": rnd.sample(group_ids, 1) if restricted else []})
    return {"extensions": extensions, "greetings": greetings, "groups": groups, "ivr_menus": ivr_menus,
            "call_scripts": call_scripts, "hotlines": hotlines}


def files_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def export_plan_reexport(t: Tenant, out: Path) -> dict[str, bytes]:
    """export -> plan is empty -> export again gives the same bytes."""
    first = t.run("export", "--out", str(out))
    assert first.exit_code == 0, first.output
    exported = files_of(out)
    plan = t.run("plan", str(out), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.output
    again = t.run("export", "--out", str(out))
    assert again.exit_code == 0, again.output
    assert files_of(out) == exported
    return exported


def test_demo_tenant_exports_replans_empty_and_reexports_identical(tenant: Tenant, tmp_path: Path):
    out = tmp_path / "exported"
    files = export_plan_reexport(tenant, out)
    assert sorted(files) == ["call_scripts.yaml", "extensions.yaml", "greetings.yaml", "groups.yaml",
                             "hotlines.yaml", "ivr_menus.yaml", "policy.yaml"]
    for name, data in files.items():
        # The editor line heads every file, under export's own marker line in the kinds' files.
        head = data.decode().splitlines()[:2]
        assert any(line.startswith("# yaml-language-server: $schema=") for line in head), name
    groups = files["groups.yaml"].decode()
    assert "- name: Nhóm CSKH\n" in groups  # Vietnamese unescaped
    assert 'members: ["101", "100"]' in groups  # ring order kept, numbers quoted
    assert "Không" not in groups and "\\u" not in groups
    assert "queue" not in groups.split("groups:", 1)[1]  # write-only: never exported
    ivr = files["ivr_menus.yaml"].decode()
    assert '"1": {group: Nhóm CSKH}' in ivr  # references by name, not id
    assert "62ff1" not in ivr
    extensions = files["extensions.yaml"].decode()
    assert '- sip_user: "100"\n' in extensions and "password" not in extensions.split("extensions:", 1)[1]
    assert "anpw2024xx" not in "".join(f.decode() for f in files.values())  # the demo's SIP password


def test_export_reads_each_list_once(tenant: Tenant, tmp_path: Path):
    tenant.sim.requests.clear()
    assert tenant.run("export", "--out", str(tmp_path / "x")).exit_code == 0
    lists = [r.path for r in tenant.sim.requests if r.method == "GET" and r.path != "/api/auth"]
    assert sorted(lists) == sorted(set(lists)) and len(lists) == 6


@pytest.fixture
def big_tenant(tmp_path: Path):
    sim = Simulator(generated_seed(), api_key=API_KEY)
    url = sim.start()
    try:
        yield Tenant(sim, url, tmp_path)
    finally:
        sim.stop()


def test_generated_tenant_of_several_hundred_objects_round_trips(big_tenant: Tenant, tmp_path: Path):
    out = tmp_path / "exported"
    files = export_plan_reexport(big_tenant, out)
    total = sum(len(v) for v in big_tenant.sim.snapshot().values())
    assert total > 400
    greetings = files["greetings.yaml"].decode()
    # Uploaded mp3s: kept by the tenant's file name, with the reason.
    assert "recording: 00000009-ghi-am.mp3  # uploaded mp3: the API never returns its audio" in greetings
    assert "- name: Chào buổi sáng\n" in greetings  # NFD in the tenant, NFC in the manifest
    assert "- name: '123'" in greetings or '- name: "123"' in greetings
    hotlines = files["hotlines.yaml"].decode()
    restricted = [block for block in hotlines.split("\n\n") if "842871000003" in block][0]
    # The tenant returns its `accesses` (the default reading): the restricted lists are written.
    assert "outbound_access left out" not in restricted and "outbound_access:\n      extensions: [" in restricted
    # The restricted lists stay as they were after an apply of the export.
    before = big_tenant.sim.snapshot()["hotlines"]
    applied = big_tenant.run("apply", str(out), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert big_tenant.mutations() == [] and big_tenant.sim.snapshot()["hotlines"] == before


def test_export_leaves_out_ambiguous_names_alone_and_exits_1(tenant: Tenant, tmp_path: Path):
    # Issue 9: the rest of the tenant is written; the left-out objects are named.
    tenant.sim.console_edit("groups", "Nhóm Tech", group_name="Nhóm Sales")
    out = tmp_path / "exported"
    result = tenant.run("export", "--out", str(out))
    assert result.exit_code == 1
    assert "Not exported: group 'Nhóm Sales' (ids " in result.output and "2 live groups share this name" in result.output
    assert "62ff11b208d4bf3ea694a6f3" in result.output and "62ff11a208d4bf3ea694a539" in result.output
    assert "Export incomplete" in result.output
    groups = (out / "groups.yaml").read_text(encoding="utf-8")
    assert "name: Nhóm CSKH" in groups and "name: Nhóm Sales" not in groups
    assert tenant.run("plan", str(out), "--detailed-exitcode").exit_code == 0


def test_console_edit_is_drift_and_apply_puts_it_back(tenant: Tenant, tmp_path: Path):
    out = tmp_path / "exported"
    assert tenant.run("export", "--out", str(out)).exit_code == 0
    in_sync = tenant.run("drift", str(out))
    assert in_sync.exit_code == 0, in_sync.output
    assert in_sync.output.startswith("In sync")

    tenant.sim.console_edit("groups", "Nhóm CSKH", strategy="random")
    text = tenant.run("drift", str(out))
    assert text.exit_code == 2, text.output
    assert "~ group Nhóm CSKH: differs from the manifests" in text.output
    assert 'strategy: live "random", manifest "enterprise"' in text.output
    as_json = tenant.run("drift", str(out), "--format", "json")
    assert as_json.exit_code == 2
    data = json.loads(as_json.output)
    (item,) = data["drift"]
    assert (item["kind"], item["name"], item["state"]) == ("groups", "Nhóm CSKH", "differs")
    assert item["fields"] == [{"field": "strategy", "live": "random", "manifest": "enterprise", "verifiable": True}]
    assert data["in_sync"] is False and data["format_version"] == 1

    applied = tenant.run("apply", str(out), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert tenant.sim.tenant.find("groups", "Nhóm CSKH")["strategy"] == "enterprise"
    assert tenant.run("drift", str(out)).exit_code == 0


def test_drift_of_the_examples_lists_unmanaged_apart_and_checks_fingerprints(tenant: Tenant):
    before = tenant.run("drift", str(tenant.manifests), "--format", "json")
    assert before.exit_code == 2
    data = json.loads(before.output)
    states = {(i["kind"], i["name"]): i["state"] for i in data["drift"]}
    assert states[("groups", "Kinh doanh")] == "missing"
    assert states[("groups", "Nhóm Tech")] == "extra"  # groups are pruned: drift
    assert ("greetings", "Thêm mới") not in states  # greetings are not pruned: unmanaged, not drift
    assert "Thêm mới" in data["unmanaged"]["greetings"]
    assert data["unverified"]["extensions"]["101"] == [{"field": "enabled", "fingerprint": "missing"},
                                                       {"field": "call_timeout", "fingerprint": "missing"}]

    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    tenant.sim.requests.clear()
    after = tenant.run("drift", str(tenant.manifests), "--format", "json")
    assert after.exit_code == 0, after.output
    data = json.loads(after.output)
    assert data["drift"] == [] and data["in_sync"] is True
    assert data["unverified"]["extensions"]["101"] == [{"field": "enabled", "fingerprint": "matches"},
                                                       {"field": "call_timeout", "fingerprint": "matches"}]
    assert data["unverified"]["groups"]["Kinh doanh"] == [{"field": "queue", "fingerprint": "matches"}]
    lists = [r.path for r in tenant.sim.requests if r.method == "GET" and r.path != "/api/auth"]
    assert len(lists) == len(set(lists)) == 6  # every list read once

    # A write-only field changed in the manifests: unverifiable, but the fingerprint says so.
    tenant.edit("extensions.yaml", tenant.read("extensions.yaml").replace("call_timeout: 30\n", "call_timeout: 45\n", 1))
    changed = tenant.run("drift", str(tenant.manifests))
    assert changed.exit_code == 2
    assert ("call_timeout: live not returned by the API (manifest changed since the last apply); manifest 45"
            in changed.output)


def test_drift_markdown_is_a_pr_comment(tenant: Tenant, tmp_path: Path):
    out = tmp_path / "exported"
    assert tenant.run("export", "--out", str(out)).exit_code == 0
    tenant.sim.console_edit("ivr_menus", "KỊCH BẢN BẤM PHÍM", time_out=9)
    md = tenant.run("drift", str(out), "--format", "markdown")
    assert md.exit_code == 2
    lines = md.output.splitlines()
    assert lines[2] == "**Drift: 1 differs, 0 missing from the tenant, 0 not in the manifests (18 in sync).**"
    assert "<details><summary><b>ivr_menus</b>: 1 differs</summary>" in lines
    assert "| `~` differs | KỊCH BẢN BẤM PHÍM | input_timeout | 9 | 3 |" in lines
    assert f"`reconciler apply {out}`" in lines[-1]


def test_drift_exit_1_on_invalid_manifests(tenant: Tenant):
    tenant.edit("groups.yaml", "groups:\n  - name: X\n    stratgy: random\n")
    result = tenant.run("drift", str(tenant.manifests))
    assert result.exit_code == 1
    assert "groups.yaml:3:5" in result.output


def test_export_after_an_apply_keeps_what_the_api_hides_and_skips_the_state_note(tenant: Tenant, tmp_path: Path):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    out = tmp_path / "exported"
    files = export_plan_reexport(tenant, out)
    assert "reconciler state" not in files["call_scripts.yaml"].decode()  # the state note is not an object
    greetings = files["greetings.yaml"].decode()
    nhac_cho = greetings.split("- name: Nhạc chờ\n", 1)[1].split("\n\n", 1)[0]
    assert nhac_cho.startswith("    recording: ") and "# uploaded mp3" in nhac_cho
    hotlines = files["hotlines.yaml"].decode()
    assert 'outbound_access:\n      extensions: ["101"]\n      groups: [Kinh doanh]' in hotlines  # as `accesses` show
    # Queue settings and extension settings are left alone: applying the export sends nothing.
    tenant.sim.requests.clear()
    assert tenant.run("apply", str(out), "--auto-approve").exit_code == 0
    assert tenant.mutations() == []


def test_export_keeps_the_users_policy_and_refuses_foreign_manifests(tenant: Tenant, tmp_path: Path):
    out = tmp_path / "exported"
    assert tenant.run("export", "--out", str(out)).exit_code == 0
    policy = "policy:\n  prune: [groups]\n  protect: [Nhóm Tech]\n"
    (out / "policy.yaml").write_text(policy, encoding="utf-8")
    again = tenant.run("export", "--out", str(out))
    assert again.exit_code == 0, again.output
    assert (out / "policy.yaml").read_text(encoding="utf-8") == policy
    assert "kept  " in again.output
    (out / "more").mkdir()
    (out / "more" / "groups.yml").write_text("groups: []\n", encoding="utf-8")
    before = files_of(out)
    refused = tenant.run("export", "--out", str(out))
    assert refused.exit_code == 1
    assert "more/groups.yml" in refused.output
    assert files_of(out) == before
