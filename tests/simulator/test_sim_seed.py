"""Seeds, snapshots, console edits and the demo tenant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.simulator import SeedError, Simulator
from reconciler.simulator.references import dangling
from tests.simulator.helpers import open_api

SEED = {
    "extensions": [{"sip_user": "201", "full_name": "Vũ Minh", "email": "minh@example.vn", "password": "pw-201"}],
    "greetings": [{"greeting_name": "Chào"}],
    "groups": [{"group_name": "Đội A", "sip_members": ["201"], "timeout": 15,
                "call_queue_config": {"enable": True, "waiting_time": 60}}],
    "hotlines": [{"number": "842800000001"}],
}


def test_demo_tenant_is_consistent_and_has_the_doc_objects() -> None:
    sim = Simulator()
    tenant = sim.tenant
    assert dangling(tenant) == []
    assert sorted(tenant.extensions) == ["100", "101", "102", "103", "104", "145", "147"]
    assert sorted(g["group_name"] for g in tenant.groups.values()) == [
        "Nhóm CSKH", "Nhóm Sales", "Nhóm Tech", "Nhóm nhân viên mặc định"]
    assert {g["target_timeout"] for g in tenant.groups.values()} == {""}
    menu = tenant.find("ivr_menus", "KỊCH BẢN BẤM PHÍM")
    assert menu["greeting_id"] in tenant.greetings
    assert {g["voice"] for g in tenant.greetings.values()} == {"banmai"}
    second = tenant.hotlines["842873003388"]
    assert second["configs"]["default_script"] == "" and second["access_type"] == "applies_to_all_employees"


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_seed_from_a_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"seed{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(SEED, ensure_ascii=False), encoding="utf-8")
    else:
        from ruamel.yaml import YAML

        with path.open("w", encoding="utf-8") as handle:
            YAML(typ="safe").dump(SEED, handle)
    sim = Simulator(str(path))
    api = open_api(sim, "inproc")
    (group,) = api.ok("GET", "internal_group/list")["items"]
    assert group["group_name_unsigned"] == "Doi A" and len(group["_id"]) == 24
    assert group["members"][0]["agent_id"] == sim.tenant.extensions["201"]["agent_id"]
    assert group["members"][0]["timeout"] == 15
    assert sim.tenant.groups[group["_id"]]["call_queue_config"]["waiting_time"] == 60
    assert api.ok("GET", "hotline/search")["items"][0]["number"] == "842800000001"


def test_snapshot_round_trips_the_tenant_including_hidden_fields() -> None:
    sim = Simulator()
    api = open_api(sim, "inproc")
    api.ok("POST", "internal_phone/update", json={"sip_user": "101", "password": "changed"})
    api.ok("POST", "internal_group/add", json={"group_name": "Mới", "strategy": "random", "sip_members": ["102", "100"],
                                               "timeout": 20})
    snap = sim.snapshot()
    clone = Simulator(snap)
    assert clone.snapshot() == snap
    assert clone.tenant.extensions["101"]["password"] == "changed"
    clone_api = open_api(clone, "inproc")
    for path in ("internal_group/list", "key-interaction/list", "call_script/list", "hotline/search", "internal_phone/list"):
        assert clone_api.ok("GET", path) == api.ok("GET", path)


def test_empty_seed_is_an_empty_tenant() -> None:
    api = open_api(Simulator({}), "inproc")
    assert api.ok("GET", "internal_group/list")["items"] == []
    assert api.ok("GET", "internal_group/list")["total_pages"] == 0


@pytest.mark.parametrize(("seed", "message"), [
    ({"groups": [{"group_name": "X", "sip_members": ["999"]}]}, "extension '999'"),
    ({"ivr_menus": [{"script_name": "M", "greeting_id": "0123456789abcdef01234567"}]}, "Recording"),
    ({"teams": []}, "unknown kinds"),
    ({"groups": [{"strategy": "random"}]}, "without"),
])
def test_inconsistent_seeds_are_refused(seed: dict, message: str) -> None:
    with pytest.raises(SeedError, match=message):
        Simulator(seed)


def test_console_edit_changes_fields_name_copy_and_date() -> None:
    sim = Simulator()
    api = open_api(sim, "inproc")
    before = api.group("Nhóm Sales")
    sim.console_edit("groups", "Nhóm Sales", group_name="Nhóm Bán hàng", strategy="random")
    after = api.group("Nhóm Bán hàng")
    assert after["group_name_unsigned"] == "Nhom Ban hang" and after["strategy"] == "random"
    assert after["last_updated_date"] > before["last_updated_date"]
    with pytest.raises(KeyError):
        sim.console_edit("groups", "Nhóm Sales", strategy="random")
