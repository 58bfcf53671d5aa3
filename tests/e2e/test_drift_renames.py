"""Issue #21 item 6: a rename made in the console, through the CLI against the simulator.

`drift` shows it as one object under two names (not a missing object plus an extra or
unmanaged one), in text, Markdown and JSON, without claiming who renamed it (the API
keeps no history: tests/e2e/test_drift_truth.py); `drift --write` writes the very renames the
report showed (a property over generated renames); and the footers name the directory
as the user typed it, pointing after --write at `plan`, not at --write again."""

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

SUPPORT, NEW = "Hỗ trợ kỹ thuật", "Kỹ thuật"
NAME_FIELD = {"groups": "group_name", "ivr_menus": "script_name", "call_scripts": "script_name"}
# The renamable objects of the examples.
RENAMABLE = [("groups", "Kinh doanh"), ("groups", SUPPORT), ("ivr_menus", "Menu chính"),
             ("ivr_menus", "Menu hỗ trợ"), ("call_scripts", "Giờ hành chính"), ("call_scripts", "Ngoài giờ")]


def start(seed: dict, root: Path, prune_groups: bool = True, readings: tuple[str, ...] = ()) -> tuple[Simulator, Tenant]:
    """A simulator holding `seed` and a fresh copy of the examples in `root`/manifests."""
    manifests = root / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    if not prune_groups:  # groups not owned: a live group the manifests do not declare is unmanaged
        policy = manifests / "policy.yaml"
        policy.write_text(policy.read_text(encoding="utf-8").replace("prune: [groups, ", "prune: ["), encoding="utf-8")
    sim = Simulator(api_key=API_KEY, seed=seed, readings=list(readings))
    sim.start()
    return sim, Tenant(sim, sim.url, manifests)


@pytest.fixture(params=[True, False], ids=["groups-pruned", "groups-not-pruned"])
def renamed(request: pytest.FixtureRequest, applied_seed: dict, tmp_path: Path) -> Iterator[Tenant]:
    """The examples applied, then a group renamed in the console."""
    sim, tenant = start(applied_seed, tmp_path, prune_groups=request.param)
    try:
        assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0
        sim.console_edit("groups", SUPPORT, group_name=NEW)
        yield tenant
    finally:
        sim.stop()


def test_drift_text_shows_a_console_rename_as_one_renamed_group(renamed: Tenant):
    result = renamed.run("drift", str(renamed.manifests))
    assert result.exit_code == 2, result.output
    out = result.output
    assert f'~ group {SUPPORT}: named "{NEW}" in the tenant' in out
    assert f'name: live "{NEW}", manifest "{SUPPORT}"' in out
    # Not a missing group plus an extra (pruned) or unmanaged (not pruned) one.
    assert f"group {SUPPORT}: in the manifests, missing from the tenant" not in out
    assert f"group {NEW}: in the tenant, not in the manifests" not in out
    unmanaged = [line for line in out.splitlines() if line.startswith("  groups:")]
    assert not any(NEW in line for line in unmanaged), unmanaged
    assert "0 missing from the tenant, 0 not in the manifests" in out
    assert "(1 under another name in the tenant)" in out
    # Its referrers point at the same group, by its new name.
    assert "(it points at the same objects, by their names in the tenant)" in out


def test_drift_json_and_markdown_show_the_same_rename(renamed: Tenant):
    data = json.loads(renamed.run("drift", str(renamed.manifests), "--format", "json").stdout)
    (item,) = [i for i in data["drift"] if i["kind"] == "groups" and i["renamed_in"]]
    assert (item["name"], item["live_name"], item["renamed_in"], item["state"]) == (SUPPORT, NEW, "tenant", "differs")
    assert item["id"] is not None
    assert data["summary"]["missing"] == 0 and data["summary"]["extra"] == 0
    assert data["summary"]["renamed_in_tenant"] == 1
    assert NEW not in data["unmanaged"].get("groups", [])
    md = renamed.run("drift", str(renamed.manifests), "--format", "markdown").output
    assert f'| `~` two names | {SUPPORT} (one object, by its referrers: named \'{NEW}\' in the tenant' in md
    assert f'| name | "{NEW}" | "{SUPPORT}" |' in md
    assert "`-` missing" not in md and "`+` extra" not in md


def test_the_footer_names_the_directory_as_typed_and_after_write_points_at_plan(
        applied_seed: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    sim, tenant = start(applied_seed, tmp_path)
    typed = "my manifests"  # relative, and with a space: quoted as a shell needs it
    (tmp_path / "manifests").rename(tmp_path / typed)
    monkeypatch.chdir(tmp_path)
    try:
        sim.console_edit("groups", SUPPORT, group_name=NEW)
        before = tenant.run("drift", typed)
        assert before.exit_code == 2
        assert ("Put the tenant back to the manifests with `reconciler apply 'my manifests'`, or adopt the live "
                "changes into the manifests with `reconciler drift 'my manifests' --write`.") in before.output
        assert "DIR" not in before.output

        written = tenant.run("drift", typed, "--write")
        assert written.exit_code == 2, written.output
        assert "confirm with `reconciler plan 'my manifests'` that it shows no changes" in written.output
        assert "`reconciler drift" not in written.output and "DIR" not in written.output
        data = json.loads(tenant.run("drift", typed, "--format", "json").stdout)
        assert data["in_sync"] is True and data["adopt_command"] == "reconciler drift 'my manifests' --write"
        assert tenant.run("plan", typed, "--detailed-exitcode").exit_code == 0
    finally:
        sim.stop()


def written_renames(manifests: Path) -> set[tuple[str, str, str]]:
    """(kind, old name, new name) of every object whose previous_names the files hold."""
    mset = load_manifests(manifests)
    return {(k, obj.model.previous_names[-1], name) for k, objs in mset.objects.items() for name, obj in objs.items()
            if getattr(obj.model, "previous_names", None)}


def assert_plan_shows_only_what_write_listed(tenant: Tenant, written: str) -> None:
    """`plan` of the written manifests changes nothing but fields the API never returns,
    each of them named by `drift --write` (on a tenant that does not return a hotline's
    outbound lists, one naming a renamed group: its fingerprint was taken under the old name)."""
    plan = json.loads(tenant.run("plan", str(tenant.manifests), "--format", "json").stdout)
    left = [f"{c['kind']}/{c['name']}: {f['field']}" for c in plan["changes"] for f in c["fields"]]
    assert all(not f["verifiable"] for c in plan["changes"] for f in c["fields"]) and \
        all(c["action"] == "update" for c in plan["changes"]), plan["changes"]
    for line in left:
        assert f"apply sends it again (its value in the manifests now reads differently from what the last apply " \
               f"sent): {line}" in written
    if left:
        assert f"it shows no changes but {len(left)} field" in written
    else:
        assert "that it shows no changes." in written


NEW_NAME = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậếềểễệốồổỗộớờởỡợứừửữựÁĐƯ0123456789 -",
                   min_size=0, max_size=10)


@given(picked=st.lists(st.sampled_from(RENAMABLE), min_size=1, max_size=3, unique=True),
       words=st.lists(NEW_NAME, min_size=3, max_size=3), prune_groups=st.booleans())
def test_the_renames_drift_shows_are_the_renames_drift_write_writes(
        applied_seed: dict, tmp_path_factory: pytest.TempPathFactory, picked: list[tuple[str, str]],
        words: list[str], prune_groups: bool):
    sim, tenant = start(applied_seed, tmp_path_factory.mktemp("prop"), prune_groups)
    try:
        done = set()
        for i, (kind, name) in enumerate(picked):
            new = f"Đổi {i} {words[i]}".strip()
            sim.console_edit(kind, name, **{NAME_FIELD[kind]: new})
            done.add((kind, name, new))
        data = json.loads(tenant.run("drift", str(tenant.manifests), "--format", "json").stdout)
        assert "drift" in data, data
        shown = {(i["kind"], i["name"], i["live_name"]) for i in data["drift"] if i["renamed_in"] == "tenant"}
        if len(picked) == 1:
            assert shown == done  # one rename is always recognised in the examples: it has referrers
        assert shown <= done
        result = tenant.run("drift", str(tenant.manifests), "--write")
        assert result.exit_code == 2, result.output
        assert written_renames(tenant.manifests) == shown
        assert_plan_shows_only_what_write_listed(tenant, result.output)
    finally:
        sim.stop()


@pytest.mark.parametrize("reading", ["accesses-typed", "accesses-hidden"])
def test_a_console_rename_of_a_group_an_outbound_access_names_is_drift_not_an_error(applied_seed: dict,
                                                                                    tmp_path: Path, reading: str):
    # Hotline 842873003388's outbound access names Kinh doanh (its lists shown, or verified
    # by fingerprint only): after its console rename, drift and plan failed ("still uses it
    # and is not managed here").
    sim, tenant = start(applied_seed, tmp_path, readings=(reading,))
    try:
        sim.console_edit("groups", "Kinh doanh", group_name="Bán hàng")
        drift = tenant.run("drift", str(tenant.manifests))
        assert drift.exit_code == 2, drift.output
        assert 'group Kinh doanh: named "Bán hàng" in the tenant' in drift.output
        plan = tenant.run("plan", str(tenant.manifests))
        assert plan.exit_code == 0, plan.output
        assert "update hotline 842873003388" in plan.output
        assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
        assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0
    finally:
        sim.stop()
