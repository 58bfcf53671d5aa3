"""The Done-when matrix of issue 9: under every reading of the doc's open questions (and
the strict preset), from the demo tenant, through the CLI over real HTTP:

apply of examples/, re-plan empty, a second apply sends no mutating request, drift is
clean, export writes every object and its plan is empty, and a prune that also repoints a hotline
(outbound access from a group list to all, the group pruned) completes in one apply.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.kinds.call_script import HISTORY_NAME, LOCK_NAME, STATE_NOTE_NAME
from reconciler.simulator import Simulator
from reconciler.simulator.readings import DEFAULTS, PRESETS, QUESTIONS

from .conftest import API_KEY, EXAMPLES, Tenant

NON_DEFAULT = [r for readings in QUESTIONS.values() for r in list(readings)[1:]]
MATRIX = ["default", *NON_DEFAULT, *PRESETS]

# A call script that calls an extension straight (the Extension step's action_id is open)
# and a group a hotline restricts outbound calls to, pruned later.
EXTRA_ROUTING = """
  - name: Gọi thẳng Bình
    steps:
      - {extension: "101"}
"""
NIGHT_GROUP = """
  - name: Trực đêm
    strategy: enterprise
    members: ["102"]
    member_timeout: 30
"""


def _readings(name: str) -> list[str]:
    return [] if name == "default" else [name]


@pytest.fixture(params=MATRIX)
def reading_tenant(request, tmp_path: Path):
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    sim = Simulator(api_key=API_KEY, readings=_readings(request.param))
    url = sim.start()
    try:
        yield Tenant(sim, url, manifests)
    finally:
        sim.stop()


def _live_objects(sim: Simulator) -> int:
    snap = sim.snapshot()
    return sum(len(v) for k, v in snap.items() if k != "call_scripts") + sum(
        1 for s in snap["call_scripts"] if s["script_name"] not in (STATE_NOTE_NAME, LOCK_NAME, HISTORY_NAME))


def _exported_objects(out: Path) -> int:
    yaml = YAML(typ="safe")
    documents = [yaml.load(f.read_text("utf-8")) or {} for f in out.glob("*.yaml")]
    return sum(len(v or []) for d in documents for k, v in d.items() if k != "policy")


def test_examples_round_trip_and_prune_under_reading(reading_tenant: Tenant, tmp_path: Path) -> None:
    t = reading_tenant
    routing = t.read("routing.yaml")
    t.edit("routing.yaml", routing.replace("\nhotlines:", EXTRA_ROUTING + "\nhotlines:", 1))
    t.edit("groups.yaml", t.read("groups.yaml") + NIGHT_GROUP)
    restricted_to_night = t.read("routing.yaml").replace("groups: [Kinh doanh]", "groups: [Kinh doanh, Trực đêm]")
    t.edit("routing.yaml", restricted_to_night)

    first = t.run("apply", str(t.manifests), "--auto-approve")
    assert first.exit_code == 0, first.output
    replan = t.run("plan", str(t.manifests), "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output

    before = len(t.mutations())
    second = t.run("apply", str(t.manifests), "--auto-approve")
    assert second.exit_code == 0, second.output
    assert t.mutations()[before:] == []

    out = tmp_path / "exported"
    exported = t.run("export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert _exported_objects(out) == _live_objects(t.sim)
    assert t.run("plan", str(out), "--detailed-exitcode").exit_code == 0
    in_sync = t.run("drift", str(t.manifests))
    assert in_sync.exit_code == 0, in_sync.output

    # Prune the group the hotline restricts outbound calls to, and open the hotline to all.
    t.edit("groups.yaml", t.read("groups.yaml").replace(NIGHT_GROUP, "\n"))
    opened = t.read("routing.yaml").split("  - number: \"842873003388\"")[0] + (
        '  - number: "842873003388"\n    call_script: Ngoài giờ\n    inbound: true\n    outbound: true\n'
        "    outbound_access: all\n")
    t.edit("routing.yaml", opened)
    pruned = t.run("apply", str(t.manifests), "--auto-approve")
    assert pruned.exit_code == 0, pruned.output
    assert not t.sim.tenant.find_all("groups", "Trực đêm")
    final = t.run("plan", str(t.manifests), "--detailed-exitcode")
    assert final.exit_code == 0, final.output


def test_the_matrix_covers_every_reading() -> None:
    covered = set(DEFAULTS) | set(NON_DEFAULT)
    assert covered == {r for readings in QUESTIONS.values() for r in readings}


# --- the state note -------------------------------------------------------------------------


def _mp3_only(tmp_path: Path) -> Path:
    manifests = tmp_path / "mp3"
    (manifests / "audio").mkdir(parents=True)
    shutil.copy(EXAMPLES / "audio" / "nhac-cho.mp3", manifests / "audio" / "nhac-cho.mp3")
    (manifests / "greetings.yaml").write_text("greetings:\n  - name: Nhạc chờ\n    file: audio/nhac-cho.mp3\n",
                                              encoding="utf-8")
    return manifests


@pytest.mark.parametrize("reading", ["extension-step-agent-id", "extension-step-sip-user"])
def test_state_note_has_a_step_and_blocks_nothing_under_reading(tmp_path: Path, reading: str) -> None:
    sim = Simulator(api_key=API_KEY, readings=["scripts-nonempty", reading])
    t = Tenant(sim, sim.start(), _mp3_only(tmp_path))
    try:
        assert t.run("apply", str(t.manifests), "--auto-approve").exit_code == 0
        (note,) = sim.tenant.find_all("call_scripts", STATE_NOTE_NAME)
        (step,) = note["scripts"]
        owner = sim.tenant.extensions["100"]
        assert step["action_type"] == "Extension"
        assert step["action_id"] == ("100" if reading == "extension-step-sip-user" else owner["agent_id"])
        before = len(t.mutations())
        assert t.run("apply", str(t.manifests), "--auto-approve").exit_code == 0
        assert t.mutations()[before:] == []
    finally:
        sim.stop()


def test_a_state_note_that_cannot_be_saved_fails_the_apply_and_never_churns_the_mp3(tmp_path: Path) -> None:
    # No extension for the note's step, and a server that refuses an empty `scripts`.
    sim = Simulator({}, api_key=API_KEY, readings=["scripts-nonempty"])
    t = Tenant(sim, sim.start(), _mp3_only(tmp_path))
    try:
        first = t.run("apply", str(t.manifests), "--auto-approve")
        assert first.exit_code == 1, first.output
        assert "the state note could not be saved" in first.output and "scripts is required" in first.output
        assert "mp3 greetings will show as unverified" in first.output
        # The fields it names come from the kinds (those the API never returns), in manifest words.
        assert "group queue; hotline dedicated_to, outbound_access; extension call_timeout, enabled, password" \
            in " ".join(first.output.split())
        assert len(sim.tenant.greetings) == 1

        replan = t.run("plan", str(t.manifests), "--detailed-exitcode")
        # Not replaced, and not "no changes" either: its audio was not compared (issue 21).
        assert replan.exit_code == 2, replan.output
        assert "? unverifiable greeting Nhạc chờ" in replan.output and "No changes" not in replan.output
        assert "greeting 'Nhạc chờ': the tenant holds no fingerprint of its file_sha256" in replan.output
        assert "--force-upload" in replan.output
        before = len(t.mutations())
        assert t.run("apply", str(t.manifests), "--auto-approve").exit_code == 0
        assert t.mutations()[before:] == []

        forced = t.run("plan", str(t.manifests), "--force-upload", "--detailed-exitcode")
        assert forced.exit_code == 2 and "replace" in forced.output
    finally:
        sim.stop()


# --- live values manifests cannot state -----------------------------------------------------


def test_unknown_enum_values_are_reported_per_object_and_the_rest_proceeds(tmp_path: Path) -> None:
    seed = {
        "extensions": [{"sip_user": "101"}],
        "groups": [{"group_name": "Lạ", "strategy": "ring_all", "sip_members": ["101"]},
                   {"group_name": "Ưu tiên lạ", "ring_group_type": 9, "sip_members": ["101"]},
                   {"group_name": "Bình thường", "sip_members": ["101"]}],
        "greetings": [{"greeting_name": "Giọng mới", "content": "Xin chào", "voice": "robot_v9", "speed": 0}],
    }
    sim = Simulator(seed, api_key=API_KEY, readings=["extra-fields"])
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "groups.yaml").write_text(
        "groups:\n  - name: Lạ\n    strategy: enterprise\n    members: [\"101\"]\n    member_timeout: 30\n",
        encoding="utf-8")
    t = Tenant(sim, sim.start(), manifests)
    try:
        plan = t.run("plan", str(manifests))
        assert plan.exit_code == 0 and 'strategy: "ring_all" -> "enterprise"' in plan.output, plan.output
        drift = t.run("drift", str(manifests))
        assert drift.exit_code == 2 and "Traceback" not in drift.output
        out = tmp_path / "exported"
        exported = t.run("export", "--out", str(out))
        assert exported.exit_code == 1 and "Traceback" not in exported.output
        assert "Not exported: group 'Lạ' (id " in exported.output and "strategy" in exported.output
        assert "Not exported: group 'Ưu tiên lạ' (id " in exported.output
        assert "Not exported: greeting 'Giọng mới' (id " in exported.output
        assert "name: Bình thường" in (out / "groups.yaml").read_text(encoding="utf-8")
        assert t.run("apply", str(manifests), "--auto-approve").exit_code == 0
        assert sim.tenant.find("groups", "Lạ")["strategy"] == "enterprise"
    finally:
        sim.stop()


def test_an_object_with_a_live_reference_can_still_be_managed(tmp_path: Path) -> None:
    sim = Simulator(api_key=API_KEY, readings=["live-unknown-types"])
    t = Tenant(sim, sim.start(), tmp_path / "exported")
    try:
        assert t.run("export", "--out", str(t.manifests)).exit_code == 0
        groups = t.read("groups.yaml")
        assert "on_timeout: {live: {type: Voice_mail, id: 62da34652a310904dfbbf13b}}" in groups
        assert "- {ivr: KỊCH BẢN BẤM PHÍM}" not in groups
        assert '"3": {live: {type: Callbot, id: 64b0c0ffee0000000000cb01}}' in t.read("ivr_menus.yaml")
        # Add a member to the group that overflows to voicemail: the overflow is sent back as it was.
        default = groups.index("name: Nhóm nhân viên mặc định")
        t.edit("groups.yaml", groups[:default] + groups[default:].replace('members: ["100"]', 'members: ["100", "101"]', 1))
        applied = t.run("apply", str(t.manifests), "--auto-approve")
        assert applied.exit_code == 0, applied.output
        (update,) = [r for r in t.mutations() if "/internal_group/update/" in r.path]
        assert (update.json["target_timeout_type"], update.json["target_timeout"]) == ("Voice_mail", "62da34652a310904dfbbf13b")
        record = sim.tenant.find("groups", "Nhóm nhân viên mặc định")
        assert record["sip_members"] == ["100", "101"] and record["target_timeout_type"] == "Voice_mail"
        assert t.run("plan", str(t.manifests), "--detailed-exitcode").exit_code == 0
        # Drawn as the target's type and id, in every graph (Python's {'type': …} before).
        for graph in (t.run("graph", "--live"), t.run("graph", str(t.manifests)),
                      t.run("graph", "--live", "--format", "dot")):
            assert graph.exit_code == 0, graph.output
            assert "Callbot 64b0c0ffee0000000000cb01" in graph.output, graph.output
            assert "Voice_mail 62da34652a310904dfbbf13b" in graph.output and "{'type'" not in graph.output
    finally:
        sim.stop()


def test_a_malformed_live_reference_is_a_manifest_error_at_its_place(tmp_path: Path) -> None:
    sim = Simulator(api_key=API_KEY)
    (tmp_path / "groups.yaml").write_text(
        "groups:\n  - name: X\n    members: []\n    on_timeout: {live: {type: Voice_mail}}\n", encoding="utf-8")
    t = Tenant(sim, "http://127.0.0.1:9", tmp_path)
    result = t.run("validate", str(tmp_path))
    assert result.exit_code == 1 and "groups.yaml:4" in result.output and "live reference" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("reading", ["accesses-typed", "accesses-ids", "accesses-hidden"])
def test_a_refused_delete_is_retried_once_after_the_referrers_under_reading(tmp_path: Path, reading: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Even with its ordering lost (a server that hides who uses what), the group's delete
    # refused "in use" is tried again once the hotline has let go of it.
    import asyncio

    from reconciler.api import OmicallClient
    from reconciler.engine.applier import apply_plan
    from reconciler.engine.live import read_live
    from reconciler.engine.planner import make_plan
    from reconciler.manifest import load_manifests

    sim = Simulator(api_key=API_KEY, readings=[reading])
    url = sim.start()
    manifests = tmp_path / "m"
    shutil.copytree(EXAMPLES, manifests)
    t = Tenant(sim, url, manifests)
    try:
        assert t.run("apply", str(manifests), "--auto-approve").exit_code == 0
        routing = t.read("routing.yaml").replace("outbound_access:\n      extensions: [\"101\"]\n      groups: [Kinh doanh]",
                                                 "outbound_access: all")
        t.edit("routing.yaml", routing)
        groups = t.read("groups.yaml")
        t.edit("groups.yaml", groups.replace("on_timeout: {group: Kinh doanh}", ""))
        t.edit("ivr.yaml", t.read("ivr.yaml").replace("{group: Kinh doanh}", "{group: Hỗ trợ kỹ thuật}"))
        t.edit("groups.yaml", t.read("groups.yaml").split("  - name: Kinh doanh")[0]
               + "  - name: Hỗ trợ kỹ thuật" + t.read("groups.yaml").split("  - name: Hỗ trợ kỹ thuật")[1])

        async def run() -> object:
            async with OmicallClient.from_env(url) as c:
                live = await read_live(c)
                plan = make_plan(load_manifests(str(manifests)), live)
                for change in plan.changes:
                    change.live_references = []  # the order is lost
                return await apply_plan(c, plan, await read_live(c))

        # The hotline's update is held back (one 429), so the delete surely comes first.
        sim.faults.inject("429", method="POST", path="/hotline/update", times=1, retry_after=0.3)
        group_id = sim.tenant.find("groups", "Kinh doanh")["_id"]
        monkeypatch.setenv("OMICALL_API_KEY", API_KEY)
        monkeypatch.delenv("OMICALL_TOKEN", raising=False)
        report = asyncio.run(run())
        assert report.ok, [(r.address, r.message) for r in report.results if r.status != "done"]
        assert not sim.tenant.find_all("groups", "Kinh doanh")
        deletes = [r for r in t.mutations() if r.method == "DELETE" and r.path.endswith(group_id)]
        assert len(deletes) == 2  # refused "in use", then done after the hotline let go
        (opened,) = [r for r in t.mutations() if r.path.endswith("/hotline/update") and r.status == 200
                     and r.json.get("hotline") == "842873003388" and r.json.get("access_type") == "applies_to_all_employees"]
        assert opened.json["extensions"] == [] and opened.json["group_ids"] == []
    finally:
        sim.stop()


def test_menus_in_a_cycle_with_a_live_key_are_created_in_two_phases(tmp_path: Path) -> None:
    sim = Simulator(api_key=API_KEY, readings=["live-unknown-types"])
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "ivr.yaml").write_text(
        "ivr_menus:\n"
        "  - name: A\n    greeting: Thêm mới\n    keys:\n      \"1\": {ivr: B}\n"
        "      \"3\": {live: {type: Callbot, id: 64b0c0ffee0000000000cb01}}\n"
        "  - name: B\n    greeting: Thêm mới\n    keys:\n      \"0\": {ivr: A}\n", encoding="utf-8")
    t = Tenant(sim, sim.start(), manifests)
    try:
        applied = t.run("apply", str(manifests), "--auto-approve")
        assert applied.exit_code == 0, applied.output
        keys = {s["ivr"]: s["action_type"] for s in sim.tenant.find("ivr_menus", "A")["scripts"]}
        assert keys == {"1": "Ivr_menu", "3": "Callbot"}
        assert t.run("plan", str(manifests), "--detailed-exitcode").exit_code == 0
    finally:
        sim.stop()


def test_force_upload_with_a_saved_plan_is_a_usage_error(tmp_path: Path) -> None:
    sim = Simulator(api_key=API_KEY)
    t = Tenant(sim, sim.start(), _mp3_only(tmp_path))
    try:
        saved = tmp_path / "plan.json"
        assert t.run("plan", str(t.manifests), "--force-upload", "--out", str(saved)).exit_code == 0
        misuse = t.run("apply", "--plan", str(saved), "--force-upload", "--auto-approve")
        assert misuse.exit_code == 1 and "use `plan --force-upload --out FILE`" in misuse.output
        assert t.run("apply", "--plan", str(saved), "--auto-approve").exit_code == 0
    finally:
        sim.stop()


# --- never an empty `scripts` the manifests did not ask for ---------------------------------

LOOP_MENUS = """
  - name: Vòng A
    greeting: Chào mừng
    keys:
      "1": {ivr: Vòng B}
  - name: Vòng B
    greeting: Chào mừng
    keys:
      "1": {ivr: Vòng A}
      "2": {group: Kinh doanh}
"""


@pytest.fixture
def strict_tenant(tmp_path: Path):
    """examples/ and the demo tenant, under the `strict` preset (`scripts-nonempty` among them)."""
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    sim = Simulator(api_key=API_KEY, readings=["strict"])
    try:
        yield Tenant(sim, sim.start(), manifests)
    finally:
        sim.stop()


def test_menus_that_lead_to_each_other_are_created_and_pruned_under_scripts_nonempty(strict_tenant: Tenant) -> None:
    t, sim, manifests = strict_tenant, strict_tenant.sim, strict_tenant.manifests
    base = t.read("ivr.yaml")
    t.edit("ivr.yaml", base + LOOP_MENUS)
    first = t.run("apply", str(manifests), "--auto-approve")
    # Observed: "create ivr_menus/Vòng A ... server said: scripts is required" (its first
    # phase had no keys) on every run.
    assert first.exit_code == 0, first.output
    assert t.run("plan", str(manifests), "--detailed-exitcode").exit_code == 0
    t.edit("ivr.yaml", base + LOOP_MENUS.replace('      "2": {group: Kinh doanh}\n', ""))  # one key each
    assert t.run("apply", str(manifests), "--auto-approve").exit_code == 0
    assert [s["ivr"] for s in sim.tenant.find_all("ivr_menus", "Vòng B")[0]["scripts"] if s["action"]] == ["1"]
    t.edit("ivr.yaml", base)
    pruned = t.run("apply", str(manifests), "--auto-approve")
    # Before: the unlink before the deletes sent a menu with no keys, refused (test_order.py).
    assert pruned.exit_code == 0, pruned.output
    assert not sim.tenant.find_all("ivr_menus", "Vòng A") and not sim.tenant.find_all("ivr_menus", "Vòng B")
    assert t.run("plan", str(manifests), "--detailed-exitcode").exit_code == 0


def test_plan_warns_that_an_ivr_menu_without_keys_may_be_refused(strict_tenant: Tenant) -> None:
    t, manifests = strict_tenant, strict_tenant.manifests
    t.edit("ivr.yaml", t.read("ivr.yaml") + "\n  - name: Chỉ lời chào\n    greeting: Chào mừng\n"
           "    fallback: {group: Kinh doanh}\n")
    plan = t.run("plan", str(manifests))
    # Observed: a plan that said nothing, then "scripts is required" at apply, every time.
    assert plan.exit_code == 0, plan.output
    assert "Warning: IVR menu 'Chỉ lời chào' has no keys" in plan.output
    assert "scripts is required" in plan.output
    applied = t.run("apply", str(manifests), "--auto-approve")
    assert applied.exit_code == 1 and "server said: scripts is required" in applied.output
