"""drift tells only what it knows (issue 21, a reviewer's round as a new user).

- Two names for one object: the API keeps no history, so drift cannot know whether the
  console renamed it or the manifests did (without previous_names, not applied yet). The
  report says what it knows ("named X in the tenant, Y in the manifests"), never that the
  console renamed it; on a tenant without a state note (never applied, or the note was
  lost) no pair is made at all: a missing object and an extra (or unmanaged) one.
- A lost state note: a field the API never returns and without a fingerprint was not
  compared: unverifiable (`?`, exit 3), not drift, and `drift --write` writes nothing and
  says so."""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from reconciler.kinds.call_script import HISTORY_NAME, STATE_NOTE_NAME
from reconciler.manifest.loader import load_manifests
from reconciler.simulator import Simulator
from tests.e2e.conftest import API_KEY, EXAMPLES, Tenant

OLD, NEW = "Ngoài giờ", "Tết"


@pytest.fixture
def fresh(applied_seed: dict, tmp_path: Path):
    """A freshly applied tenant and its own copy of the examples."""
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    sim = Simulator(api_key=API_KEY, seed=applied_seed)
    sim.start()
    try:
        yield Tenant(sim, sim.url, manifests)
    finally:
        sim.stop()


def rename_in_the_manifests(tenant: Tenant) -> None:
    """Call script Ngoài giờ renamed Tết in routing.yaml (note changed too), hotline
    842873003388 pointed at it: edited, not applied."""
    text = tenant.read("routing.yaml")
    edited = text.replace(f'- name: {OLD}\n    note: "Inbound, evenings and Sundays"', f'- name: {NEW}\n    note: "Tết"')
    edited = edited.replace(f'number: "842873003388"\n    call_script: {OLD}', f'number: "842873003388"\n    call_script: {NEW}')
    assert edited.count(NEW) == 3, edited
    tenant.edit("routing.yaml", edited)


def test_a_rename_in_the_manifests_is_not_reported_as_a_console_rename(fresh: Tenant):
    rename_in_the_manifests(fresh)
    result = fresh.run("drift", str(fresh.manifests))
    assert result.exit_code == 2, result.output
    out = result.output
    assert "renamed in the tenant" not in out  # nobody renamed anything there
    assert f'~ call script {NEW}: named "{OLD}" in the tenant' in out
    assert (f"(one object, by its referrers: named '{OLD}' in the tenant, '{NEW}' in the manifests. `drift --write` "
            f"takes the tenant's name and keeps '{NEW}' in previous_names; to keep '{NEW}', give it "
            f"`previous_names: [{OLD}]` and apply renames the object)") in out
    assert f"apply would create a new call script '{NEW}' and delete '{OLD}'" in out
    assert "(it points at the same objects, by their names in the tenant)" in out
    assert "(1 under another name in the tenant)" in out

    data = json.loads(fresh.run("drift", str(fresh.manifests), "--format", "json").stdout)
    (item,) = [i for i in data["drift"] if i["live_name"]]
    assert (item["name"], item["live_name"], item["renamed_in"], item["paired_by"]) == (NEW, OLD, "tenant", "referrers")
    md = fresh.run("drift", str(fresh.manifests), "--format", "markdown").stdout
    assert "renamed in the tenant" not in md and f"| `~` two names | {NEW} (one object, by its referrers" in md

    # --write takes the tenant's name and keeps the manifests' one in previous_names
    # (harmless: no live object bears it; and it keeps the id where one does).
    written = fresh.run("drift", str(fresh.manifests), "--write")
    assert written.exit_code == 2, written.output
    assert f"took the tenant's name: call_scripts/{NEW} -> {OLD} ('{NEW}' kept in previous_names)" in written.output
    assert "renamed in the tenant" not in written.output
    script = load_manifests(fresh.manifests).objects["call_scripts"][OLD].model
    assert script.previous_names == [NEW]
    assert fresh.run("plan", str(fresh.manifests), "--detailed-exitcode").exit_code == 0


def test_the_manifests_name_kept_with_previous_names_is_a_rename_apply_makes(fresh: Tenant):
    # What the report suggests to keep the manifests' name.
    rename_in_the_manifests(fresh)
    fresh.edit("routing.yaml", fresh.read("routing.yaml").replace(
        f"- name: {NEW}\n", f"- name: {NEW}\n    previous_names: [{OLD}]\n"))
    data = json.loads(fresh.run("drift", str(fresh.manifests), "--format", "json").stdout)
    (item,) = [i for i in data["drift"] if i["live_name"]]
    assert (item["name"], item["live_name"], item["renamed_in"]) == (NEW, OLD, "manifests")
    applied = fresh.run("apply", str(fresh.manifests), "--auto-approve", "--force-upload")
    assert applied.exit_code == 0, applied.output
    assert fresh.run("drift", str(fresh.manifests)).exit_code == 0


def test_a_tenant_never_applied_has_no_renames_to_speak_of(tenant: Tenant):
    # The demo tenant: its call script "Nhóm CSKH" has nothing to do with "Giờ hành chính".
    result = tenant.run("drift", str(tenant.manifests))
    assert result.exit_code == 2, result.output
    out = result.output
    assert "renamed" not in out and "named \"" not in out and "under another name" not in out
    assert "- call script Giờ hành chính: in the manifests, missing from the tenant" in out
    assert "+ call script Nhóm CSKH: in the tenant, not in the manifests" in out
    data = json.loads(tenant.run("drift", str(tenant.manifests), "--format", "json").stdout)
    assert data["summary"]["renamed_in_tenant"] == 0
    assert not [i for i in data["drift"] if i["renamed_in"] == "tenant"]
    # --write writes what the report showed: no previous_names invented.
    tenant.run("drift", str(tenant.manifests), "--write")
    mset = load_manifests(tenant.manifests)
    assert not [n for objs in mset.objects.values() for n, o in objs.items() if getattr(o.model, "previous_names", None)]


def lose_the_state_note(tenant: Tenant) -> None:
    """Delete the state note's call script, as someone tidying the console would."""
    with tenant.sim.tenant.lock:
        scripts = tenant.sim.tenant.collection("call_scripts")
        (key,) = [k for k, r in scripts.items() if r.get("script_name") == STATE_NOTE_NAME]
        del scripts[key]


def lose_the_history(tenant: Tenant) -> None:
    """Delete the apply history's call script too: nothing then says the reconciler applied here."""
    with tenant.sim.tenant.lock:
        scripts = tenant.sim.tenant.collection("call_scripts")
        for key in [k for k, r in scripts.items() if r.get("script_name") == HISTORY_NAME]:
            del scripts[key]


def test_a_lost_state_note_is_unverifiable_not_drift(fresh: Tenant):
    lose_the_state_note(fresh)
    result = fresh.run("drift", str(fresh.manifests))
    out = result.output
    assert result.exit_code == 3, out  # nothing compared differs; some fields could not be compared
    assert "differs from the manifests" not in out and "\nDrift: " not in out  # (the legend starts "Drift: ")
    assert "never applied by the reconciler" not in out  # it was applied: the note was lost
    assert "? unverifiable group Kinh doanh" in out
    assert ("? queue: not verified (no fingerprint: the state note holds none (lost, or never applied); apply sends "
            "it again)") in out
    assert "? unverifiable extension 101" in out
    # (and greeting Nhạc chờ's mp3, which plan does not send again either: --force-upload does)
    # Hotline 842873003388's outbound lists are not among them: the tenant shows its accesses.
    assert "unverifiable hotline" not in out
    assert out.rstrip().splitlines()[-1].startswith("Not verified: 4 objects with a field that could not be compared")
    assert "--write" not in out and "reconciler apply" not in out  # no drift to put back or adopt

    data = json.loads(fresh.run("drift", str(fresh.manifests), "--format", "json").stdout)
    assert data["drift"] == [] and data["in_sync"] is False
    assert data["summary"]["unverifiable"] == 4 and data["summary"]["differs"] == 0
    assert set(data["unverifiable"]["groups"]["Kinh doanh"]) == {"queue"}

    # Markdown: its summary comes first, so what was not verified is below it (open, in
    # the alert block; and as `?` rows in the folded kinds), not "above".
    md = fresh.run("drift", str(fresh.manifests), "--format", "markdown").stdout
    assert "**Not verified: 4 objects with a field that could not be compared (listed below); no drift" in md
    assert "? above" not in md
    assert md.index("(listed below)") < md.index("> - Not verified (could not be compared at all): ") < \
        md.index("<details>")
    assert "groups/Kinh doanh: queue (no fingerprint: the state note holds none" in md

    # --write: nothing to write, and it says so (and why) once, with drift's exit code.
    before = {p: p.read_bytes() for p in fresh.manifests.rglob("*") if p.is_file()}
    written = fresh.run("drift", str(fresh.manifests), "--write")
    assert written.exit_code == 3, written.output
    assert ("No manifest file changed: there is no drift to write (4 objects with a field that could not be "
            "compared, which --write cannot read from the tenant either).") in written.output
    assert {p: p.read_bytes() for p in fresh.manifests.rglob("*") if p.is_file()} == before

    # plan still sends them again (losing the note costs one re-send): it has updates.
    plan = fresh.run("plan", str(fresh.manifests), "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "to update" in plan.output
    applied = fresh.run("apply", str(fresh.manifests), "--auto-approve", "--force-upload")
    assert applied.exit_code == 0, applied.output
    assert fresh.run("drift", str(fresh.manifests)).exit_code == 0


def test_a_lost_note_beside_real_drift_shows_both_on_their_objects(fresh: Tenant):
    lose_the_state_note(fresh)
    fresh.sim.console_edit("groups", "Kinh doanh", timeout=25)
    result = fresh.run("drift", str(fresh.manifests))
    out = result.output
    assert result.exit_code == 2, out
    assert "~ group Kinh doanh: differs from the manifests" in out
    assert "member_timeout: live 25, manifest 20" in out
    assert "? queue: not verified (no fingerprint: the state note holds none" in out
    assert "queue: live not returned by the API" not in out
    assert "Drift: 1 differs, 0 missing from the tenant, 0 not in the manifests" in out
    written = fresh.run("drift", str(fresh.manifests), "--write")
    assert written.exit_code == 2, written.output
    assert "member_timeout: 25" in fresh.read("groups.yaml")


@contextmanager
def one_team_applied(tmp_path: Path) -> Iterator[tuple[Simulator, Tenant]]:
    """A tenant applied from one file holding one group, 'A' (no field the API never
    returns: the apply leaves a history, no state note)."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "policy.yaml").write_text("policy:\n  prune: [groups]\n")
    (manifests / "teams.yaml").write_text("groups:\n  - name: A   # the only team\n    members: ['101']\n")
    with Simulator(api_key=API_KEY, seed={"extensions": [{"sip_user": "101"}, {"sip_user": "102"}]}) as sim:
        tenant = Tenant(sim, sim.url, manifests)
        assert tenant.run("apply", str(manifests), "--auto-approve").exit_code == 0
        yield sim, tenant


def test_write_replaces_the_only_object_of_a_file_on_a_tenant_without_a_state_note(tmp_path: Path):
    # No state note (nothing the API never returns was ever applied) and the history
    # deleted: no pair is made, so the group renamed in the console is a removal and an
    # addition, in the same file, which held only that group (--write wrote "groups: []"
    # above the new item: refused).
    with one_team_applied(tmp_path) as (sim, tenant):
        manifests = tenant.manifests
        lose_the_history(tenant)
        sim.console_edit("groups", "A", group_name="B")
        drift = tenant.run("drift", str(manifests))
        assert "- group A: in the manifests, missing from the tenant" in drift.output
        assert "+ group B: in the tenant, not in the manifests" in drift.output
        written = tenant.run("drift", str(manifests), "--write")
        assert written.exit_code == 2, written.output
        text = tenant.read("teams.yaml")
        assert "[]" not in text and "- name: B" in text and "A" not in text, text
        assert tenant.run("plan", str(manifests), "--detailed-exitcode").exit_code == 0


def test_drift_in_fields_the_api_never_returns_is_not_offered_to_write(fresh: Tenant):
    # The manifest changed since the last apply (its fingerprint differs): drift, which only
    # apply can settle; --write has no live value to write and says so.
    fresh.edit("groups.yaml", fresh.read("groups.yaml").replace("waiting_time: 60", "waiting_time: 90", 1))
    result = fresh.run("drift", str(fresh.manifests))
    assert result.exit_code == 2, result.output
    assert "queue: live not returned by the API (manifest changed since the last apply)" in result.output
    assert "--write" not in result.output.replace("(`drift --write` cannot adopt", "")
    assert "`drift --write` cannot adopt this drift: the API never returns these fields" in result.output
    written = fresh.run("drift", str(fresh.manifests), "--write")
    assert written.exit_code == 2
    assert "not written (the API never returns it): groups/Kinh doanh: queue" in written.output
    assert "No manifest file changed." in written.output


def test_a_console_rename_pairs_where_only_the_apply_history_shows_an_apply(tmp_path: Path):
    """Manifests with no field the API never returns leave no state note, but the apply
    leaves its history: a console rename there is one object under two names."""
    with one_team_applied(tmp_path) as (sim, tenant):
        manifests = tenant.manifests
        scripts = sim.tenant.collection("call_scripts").values()
        assert not [r for r in scripts if r.get("script_name") == STATE_NOTE_NAME]
        sim.console_edit("groups", "A", group_name="B")
        drift = tenant.run("drift", str(manifests))
        assert drift.exit_code == 2
        assert '~ group A: named "B" in the tenant' in drift.output, drift.output
        assert "+ group B" not in drift.output
