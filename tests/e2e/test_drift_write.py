"""`reconciler drift DIR --write` against the simulator over real HTTP: console edits (a
changed field, a rename, a deletion, a new object in a pruned kind) become exactly the
expected line changes in files full of comments and odd formatting; then the plan is
empty, files without drift are not touched, and a value a manifest cannot hold leaves
every file as it was."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Iterator

import pytest

from reconciler.simulator import Simulator
from tests.e2e.conftest import API_KEY, Tenant
from tests.simulator.helpers import Api, open_api

ODD = Path(__file__).parent / "odd_manifests"


class Console:
    """Someone in the vendor's web console, through the simulator's HTTP API."""

    def __init__(self, api: Api):
        self.api = api
        phones = api.ok("GET", "internal_phone/list", params={"size": 100})["items"]
        self.sip_user = {e["agent_id"]: e["sip_user"] for e in phones}

    def group(self, name: str) -> dict:
        return self.api.group(name)

    def update_group(self, name: str, **changes: Any) -> None:
        g = self.group(name)
        body = {"group_name": g["group_name"], "strategy": g["strategy"],
                "sip_members": [self.sip_user[m["agent_id"]] for m in g["members"]],
                "timeout": g["members"][0]["timeout"], "ring_group_type": g["ring_group_type"],
                "target_timeout_type": g["target_timeout_type"], "target_timeout": g["target_timeout"]}
        self.api.ok("POST", f"internal_group/update/{g['_id']}", json={**body, **changes})

    def add_group(self, **body: Any) -> None:
        self.api.ok("POST", "internal_group/add", json=body)

    def menu(self, name: str) -> dict:
        items = self.api.ok("GET", "key-interaction/list", params={"size": 100})["items"]
        (found,) = [i for i in items if i["script_name"] == name]
        return found

    def repoint_key(self, menu: str, key: str, group: str) -> None:
        m = self.menu(menu)
        body = {k: m[k] for k in ("script_name", "greeting_id", "greeting_short_id", "invalid_sound_id", "time_out",
                                  "max_failure", "action_type", "action")}
        body["scripts"] = [s if s["ivr"] != key else {**s, "action_type": "Ring_group", "action": self.group(group)["_id"]}
                           for s in m["scripts"]]
        self.api.ok("POST", f"key-interaction/update/{m['_id']}", json=body)

    def delete_menu(self, name: str) -> None:
        self.api.ok("DELETE", f"key-interaction/delete/{self.menu(name)['_id']}")

    def update_call_script(self, script_name: str, **changes: Any) -> None:
        scripts = self.api.ok("GET", "call_script/list", params={"size": 100})["items"]
        (script,) = [s for s in scripts if s["script_name"] == script_name]
        body = {"name": script_name, **{k: script[k] for k in ("note", "scripts", "criterias") if k in script}}
        self.api.ok("PUT", f"call_script/update/{script['_id']}", json={**body, **changes})

    def restrict_outbound(self, number: str, extensions: list[str]) -> None:
        self.api.ok("POST", "hotline/update", json={"hotline": number, "access_type":
                                                    "applies_according_to_employee_criteria", "extensions": extensions})


@contextmanager
def applied(manifests: Path, **simulator: Any) -> Iterator[tuple[Tenant, Console]]:
    """A simulated tenant the manifests were just applied to, and a console on it."""
    with Simulator(api_key=API_KEY, **simulator) as sim:
        tenant = Tenant(sim, sim.url, manifests)
        done = tenant.run("apply", str(manifests), "--auto-approve")
        assert done.exit_code == 0, done.output
        assert tenant.run("plan", str(manifests), "--detailed-exitcode").exit_code == 0
        yield tenant, Console(open_api(sim, "http"))


@pytest.fixture
def odd(tmp_path: Path) -> Iterator[tuple[Tenant, Console]]:
    """The odd manifests applied to a fresh demo tenant."""
    shutil.copytree(ODD, tmp_path / "manifests")
    with applied(tmp_path / "manifests") as pair:
        yield pair


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(directory.rglob("*")) if p.is_file()}


def adopt(tenant: Tenant) -> tuple[Any, dict[str, tuple[bytes, int]]]:
    """`drift --write`, which finds drift (exit 2) and writes it; the files after it."""
    result = tenant.run("drift", str(tenant.manifests), "--write")
    assert result.exit_code == 2, result.output
    return result, snapshot(tenant.manifests)


def diff(before: bytes, after: bytes) -> list[str]:
    """The changed lines of a unified diff, without context."""
    lines = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_console_edits_become_exactly_the_expected_line_changes(odd: tuple[Tenant, Console]):
    tenant, console = odd
    before = snapshot(tenant.manifests)
    console.update_group("Kinh doanh", timeout=25, strategy="random")            # changed fields
    console.update_group("Hỗ trợ kỹ thuật", group_name="Kỹ thuật")              # a rename (same id)
    console.repoint_key("Menu chính", "2", "Kỹ thuật")                          # a referrer changed ...
    console.delete_menu("Menu hỗ trợ")                                           # ... so a menu can go
    console.add_group(group_name="Trực đêm", strategy="random", sip_members=["103"], timeout=15)  # new, pruned kind

    result, after = adopt(tenant)

    assert diff(before["groups.yaml"][0], after["groups.yaml"][0]) == [
        "-  strategy:     rollover",
        "+  strategy:     random",
        "-  member_timeout: 20",
        "+  member_timeout: 25",
        '-  on_timeout: { group: "Hỗ trợ kỹ thuật" }   # padded flow map',
        '+  on_timeout: { group: "Kỹ thuật" }   # padded flow map',
        "-  name: Hỗ trợ kỹ thuật",
        "+  name: Kỹ thuật",
        "+  previous_names: [Hỗ trợ kỹ thuật]",
        "+- name: Trực đêm",  # appended after the last group, a blank line apart as the others are
        "+  strategy: random",
        '+  members: ["103"]',
        "+  member_timeout: 15",
        "+  priority: none",
        "+",
    ]
    assert diff(before["ivr.yaml"][0], after["ivr.yaml"][0]) == [
        '-            "2": {ivr: Menu hỗ trợ}',
        '+            "2": {group: Kỹ thuật}',
        "-",
        "-    # The support menu",
        "-    -   name: Menu hỗ trợ",
        "-        greeting: Chào mừng",
        "-        input_timeout: 5",
        "-        max_failures: 2",
        "-        keys:",
        '-            "1": {group: Hỗ trợ kỹ thuật}',
        '-            "0": {ivr: Menu chính}',
        "-        fallback: {group: Hỗ trợ kỹ thuật}",
    ]
    assert diff(before["routing.yaml"][0], after["routing.yaml"][0]) == [
        "-      - group: Hỗ trợ kỹ thuật     # block-style step",
        "+      - group: Kỹ thuật     # block-style step",
    ]
    # Files without drift are not touched, not even rewritten with the same bytes.
    for name in ("greetings.yaml", "policy.yaml"):
        assert after[name] == before[name], name
    assert "took the tenant's name: groups/Hỗ trợ kỹ thuật -> Kỹ thuật ('Hỗ trợ kỹ thuật' kept in previous_names)" \
        in result.output
    # After --write, the footer says what to do next, not --write again (issue #21 item 6).
    assert f"confirm with `reconciler plan {tenant.manifests}` that it shows no changes" in result.output
    assert "`reconciler drift" not in result.output and "DIR" not in result.output

    plan = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert tenant.run("drift", str(tenant.manifests)).exit_code == 0


def test_a_value_the_manifests_cannot_hold_leaves_every_file_unchanged(tmp_path: Path):
    # A server that does not return `accesses`: the restricted lists cannot be read.
    shutil.copytree(ODD, tmp_path / "manifests")
    with applied(tmp_path / "manifests", readings=["accesses-hidden"]) as (tenant, console):
        before = snapshot(tenant.manifests)
        console.update_group("Kinh doanh", timeout=25)  # writable on its own
        console.restrict_outbound("842871002283", ["101"])  # lists this API does not return
        result = tenant.run("drift", str(tenant.manifests), "--write")
        assert result.exit_code == 1, result.output
        assert "hotlines/842871002283: outbound_access: the tenant's value 'restricted' cannot be written" \
            in result.output
        assert "nothing was written" in result.output
        # The report above the refusal does not advise the command just refused.
        assert "`drift --write` cannot adopt this drift as it stands (why follows)." in result.output
        assert "adopt the live changes into the manifests with" not in result.output
        assert snapshot(tenant.manifests) == before


def test_in_sync_writes_nothing(odd: tuple[Tenant, Console]):
    tenant, _ = odd
    before = snapshot(tenant.manifests)
    result = tenant.run("drift", str(tenant.manifests), "--write")
    assert result.exit_code == 0, result.output
    assert snapshot(tenant.manifests) == before



def test_a_rename_is_found_by_a_plain_name_slot_and_unmanaged_kinds_are_not_added(odd: tuple[Tenant, Console]):
    tenant, console = odd
    before = snapshot(tenant.manifests)
    console.update_call_script("Giờ hành chính", name="Giờ làm việc")
    console.api.ok("POST", "greeting/upload-text-to-speech", params={"greeting_name": "Khuyến mãi"},
                   json={"text": "Tháng này giảm giá.", "speed": "0", "voice": "northern_female_ngocanh"})
    _, after = adopt(tenant)
    assert diff(before["routing.yaml"][0], after["routing.yaml"][0]) == [
        "-  - name: Giờ hành chính",
        "+  - name: Giờ làm việc",
        "+    previous_names: [Giờ hành chính]",
        "-    call_script: Giờ hành chính",
        "+    call_script: Giờ làm việc",
    ]
    # greetings are not pruned: a new one in the console is not the manifests' to own
    assert after["greetings.yaml"] == before["greetings.yaml"]
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


@pytest.fixture
def groups_only(tmp_path: Path) -> Iterator[tuple[Tenant, Console]]:
    """A tenant of two extensions whose manifests own groups and declare one."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "policy.yaml").write_text("policy:\n  prune: [groups]\n")
    (manifests / "teams.yaml").write_text("groups:\n  - name: A   # the only team\n    members: ['101']\n")
    with applied(manifests, seed={"extensions": [{"sip_user": "101"}, {"sip_user": "102"}]}) as pair:
        yield pair


@pytest.fixture
def groups_only_with_a_state_note(tmp_path: Path) -> Iterator[tuple[Tenant, Console]]:
    """groups_only, with a field the API never returns declared (extension 102's enabled),
    so that the apply leaves a state note in the tenant: without one, drift pairs nothing
    (tests/e2e/test_drift_truth.py)."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "policy.yaml").write_text("policy:\n  prune: [groups]\n")
    (manifests / "teams.yaml").write_text("groups:\n  - name: A   # the only team\n    members: ['101']\n")
    (manifests / "people.yaml").write_text("extensions:\n  - sip_user: '102'\n    enabled: true\n")
    with applied(manifests, seed={"extensions": [{"sip_user": "101"}, {"sip_user": "102"}]}) as pair:
        yield pair


def test_a_rename_without_referrers_is_found_by_its_identical_content(
        groups_only_with_a_state_note: tuple[Tenant, Console]):
    # (Its tenant now holds a state note: issue 21's review, no pair on a tenant without one.)
    tenant, console = groups_only_with_a_state_note
    console.update_group("A", group_name="B")
    assert tenant.run("drift", str(tenant.manifests), "--write").exit_code == 2
    assert tenant.read("teams.yaml") == "groups:\n  - name: B   # the only team\n    previous_names: [A]\n" \
                                        "    members: ['101']\n"
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_a_pending_rename_in_the_manifests_is_given_back_the_tenants_name(groups_only: tuple[Tenant, Console]):
    tenant, _ = groups_only
    tenant.edit("teams.yaml", "groups:\n  - name: C\n    previous_names: [Z, A]\n    members: ['101']\n")
    assert tenant.run("drift", str(tenant.manifests), "--write").exit_code == 2
    assert tenant.read("teams.yaml") == "groups:\n  - name: A\n    previous_names: [Z]\n    members: ['101']\n"
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_new_objects_of_a_kind_no_file_holds_go_to_a_new_kind_file(groups_only: tuple[Tenant, Console]):
    tenant, console = groups_only
    (tenant.manifests / "teams.yaml").unlink()
    tenant.edit("more.yaml", "# nothing here yet\n")
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    console.add_group(group_name="Trực đêm", strategy="rollover", sip_members=["102", "101"], timeout=20)
    result = tenant.run("drift", str(tenant.manifests), "--write")
    assert result.exit_code == 2, result.output
    assert tenant.read("groups.yaml").endswith(
        "groups:\n  - name: Trực đêm\n    strategy: rollover\n    members: [\"102\", \"101\"]\n"
        "    member_timeout: 20\n    priority: none\n")
    assert tenant.read("more.yaml") == "# nothing here yet\n"
    assert "created" in result.output
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_fields_the_api_never_returns_are_left_as_they_are(groups_only: tuple[Tenant, Console]):
    tenant, console = groups_only
    tenant.edit("teams.yaml", "groups:\n  - name: A\n    members: ['101']\n    queue: {enabled: false}\n")
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    tenant.edit("teams.yaml", "groups:\n  - name: A\n    members: ['101']\n    queue: {enabled: true}\n")
    console.update_group("A", timeout=40)
    result = tenant.run("drift", str(tenant.manifests), "--write")
    assert result.exit_code == 2, result.output
    assert tenant.read("teams.yaml") == \
        "groups:\n  - name: A\n    members: ['101']\n    member_timeout: 40\n    queue: {enabled: true}\n"
    assert "not written (the API never returns it): groups/A: queue" in result.output


def test_a_value_the_manifests_take_from_the_environment_is_not_overwritten(odd: tuple[Tenant, Console]):
    tenant, console = odd
    text = tenant.read("routing.yaml").replace(">-\n      Inbound, office hours", '"${env:OFFICE_NOTE}"')
    tenant.edit("routing.yaml", text)
    env = {"OFFICE_NOTE": "Inbound, office hours"}
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode", env=env).exit_code == 0
    before = snapshot(tenant.manifests)
    console.update_call_script("Giờ hành chính", note="Changed by hand")
    result = tenant.run("drift", str(tenant.manifests), "--write", env=env)
    assert result.exit_code == 1
    assert "call_scripts/Giờ hành chính: note: the manifests set it from ${env:...}" in result.output
    assert snapshot(tenant.manifests) == before


def test_a_one_file_manifest_set_is_edited_in_place(groups_only: tuple[Tenant, Console]):
    tenant, console = groups_only
    one = tenant.manifests / "all.yaml"
    one.write_text("policy:\n  prune: [groups]\n\ngroups:\n  - name: A   # the only team\n    members: ['101']\n")
    console.add_group(group_name="B", strategy="random", sip_members=["102"], timeout=10)
    result = tenant.run("drift", str(one), "--write")
    assert result.exit_code == 2, result.output
    assert one.read_text().endswith("    members: ['101']\n  - name: B\n    strategy: random\n    members: [\"102\"]\n"
                                    "    member_timeout: 10\n    priority: none\n")
    assert sorted(p.name for p in tenant.manifests.iterdir()) == ["all.yaml", "policy.yaml", "teams.yaml"]
    assert tenant.run("plan", str(one), "--detailed-exitcode").exit_code == 0


def test_a_linked_manifest_file_is_edited_through_its_link(groups_only: tuple[Tenant, Console], tmp_path: Path):
    tenant, console = groups_only
    shared = tmp_path / "shared-teams.yaml"
    (tenant.manifests / "teams.yaml").rename(shared)
    (tenant.manifests / "teams.yaml").symlink_to(shared)
    console.update_group("A", timeout=45)
    adopt(tenant)
    assert (tenant.manifests / "teams.yaml").is_symlink()
    assert shared.read_text() == "groups:\n  - name: A   # the only team\n    members: ['101']\n    member_timeout: 45\n"
