"""A seventh kind a call can reach, declared in this module only (a call queue: it rings its
members, and sends an unanswered call on): planned, applied, graphed, traced and linted
with nothing else taught about it. Call flows know it by its declared role and shape.

The simulator stands for the vendor's server and does not learn a made-up kind: plan
and apply run against an in-process fake tenant; graph, trace and lint run offline on
manifests, through the CLI."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from reconciler.engine.applier import apply_plan
from reconciler.engine.planner import make_plan
from reconciler.flows.plan_flows import flow_changes
from reconciler.kinds import KINDS
from reconciler.kinds.base import (
    API_TYPES,
    CALL_ROLES,
    KIND_API_TYPE,
    KIND_REF_WORD,
    ON_ROLES,
    REF_WORDS,
    CallRole,
    CallShape,
    Creatable,
    Deletable,
    ExtensionNumber,
    ManifestModel,
    Name,
    Ref,
    Renamable,
    is_known_ref,
    ref_from_api,
    ref_target,
    ref_to_api,
    ref_type,
)
from tests.engine.builders import FakeManifests, extension, group, hotline, live
from tests.flows.conftest import run, run_json

NUMBER = "842800000001"


@pytest.fixture
def queue_kind(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The made-up kind, declared as a kind module would declare it, and its registry line;
    its words are taken out of the shared vocabulary afterwards."""

    class Queue(ManifestModel):
        """A call queue: extensions that ring while callers wait; where an unanswered call goes."""

        name: Name = Field(min_length=1)
        members: list[ExtensionNumber] = Field(default_factory=list)
        on_timeout: ref_type("group", "ivr", "greeting", roles=ON_ROLES) | None = None  # type: ignore[valid-type]
        previous_names: list[Name] = Field(default_factory=list)

    class QueueKind(Creatable, Renamable, Deletable):
        name = "queues_in_flows"
        label = "queue"
        model = Queue
        identity = "name"
        ref_word = "queue_in_flows"
        api_type = "Queue_in_flows"
        call_role = CallRole.RING_MEMBERS  # rings its members; unanswered: on_timeout
        call_shape = CallShape("[(", ")]", "cylinder")
        identity_field = "queue_name"
        list_path = "/api/call_center/queue/list"
        create_path = "/api/call_center/queue/add"
        update_path = "/api/call_center/queue/update/{id}"
        delete_path = "/api/call_center/queue/delete/{id}"

        def live_identity(self, item: dict) -> str:
            return item.get("queue_name") or ""

        def from_live(self, item: dict, index: Any) -> dict:
            return {"name": self.live_identity(item), "members": list(item.get("members") or []),
                    "on_timeout": ref_from_api(index, item.get("timeout_type"), item.get("timeout_target"))}

        def references(self, data: dict) -> list[Ref]:
            refs = [Ref("extensions", m, f"members.{i}") for i, m in enumerate(data.get("members") or [])]
            if is_known_ref(data.get("on_timeout")):
                refs.append(ref_target(data["on_timeout"], "on_timeout"))
            return refs

        def body(self, data: dict, ids: Any, *, update: bool) -> dict:
            timeout_type, target = ref_to_api(ids, data.get("on_timeout"))
            return {"queue_name": data["name"], "members": list(data["members"]), "timeout_type": timeout_type,
                    "timeout_target": target}

    monkeypatch.setitem(KINDS, QueueKind.name, QueueKind())
    yield QueueKind
    for table, key in ((REF_WORDS, QueueKind.ref_word), (KIND_REF_WORD, QueueKind.name),
                       (API_TYPES, QueueKind.api_type), (KIND_API_TYPE, QueueKind.name),
                       (CALL_ROLES, QueueKind.name)):
        table.pop(key, None)


ROUTING = f"""\
greetings:
  - name: Chào
    text: Xin chào
extensions:
  - sip_user: "101"
groups:
  - name: Trực
    members: ["101"]
queues_in_flows:
  - name: Hàng chờ
    members: ["101"]
    on_timeout: {{ivr: Menu}}
  - name: Trống
ivr_menus:
  - name: Menu
    greeting: Chào
    keys:
      "2": {{group: Trực}}
      "1": {{queue_in_flows: Hàng chờ}}
    fallback: {{queue_in_flows: Hàng chờ}}
call_scripts:
  - name: Chính
    steps:
      - {{greeting: Chào}}
      - {{ivr: Menu}}
  - name: Thẳng
    steps:
      - {{queue_in_flows: Hàng chờ}}
hotlines:
  - number: "{NUMBER}"
    call_script: Chính
"""


@pytest.fixture
def routing_dir(tmp_path: Path, queue_kind: Any) -> Path:
    (tmp_path / "routing.yaml").write_text(ROUTING, encoding="utf-8")
    return tmp_path


def test_graph_draws_it_with_its_shape_and_edges_labelled_by_path(routing_dir: Path):
    result = run("graph", routing_dir)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    queue = next(line for line in lines if "Hàng chờ" in line)
    assert queue.endswith('[("Hàng chờ<br/><small>queue</small>")]')  # its own shape, its label
    ids = {m.group(2): m.group(1) for m in (re.match(r'\s*(n\d+)\W+"(.*?)<br/>', line) for line in lines) if m}
    edges = [line.strip() for line in lines if "-->" in line]
    assert f'{ids["Menu"]} -->|"key 1"| {ids["Hàng chờ"]}' in edges
    assert f'{ids["Menu"]} -->|"key 2"| {ids["Trực"]}' in edges  # keys in keypad order, as written or not
    assert edges.index(f'{ids["Menu"]} -->|"key 1"| {ids["Hàng chờ"]}') < \
        edges.index(f'{ids["Menu"]} -->|"key 2"| {ids["Trực"]}')
    assert f'{ids["Hàng chờ"]} -->|"member 1"| {ids["101"]}' in edges
    assert f'{ids["Hàng chờ"]} -->|"on_timeout"| {ids["Menu"]}' in edges
    assert f'{ids["Thẳng"]} -->|"step 1"| {ids["Hàng chờ"]}' in edges  # a call script no hotline runs
    assert "Trống" in result.output  # declared, reached by nothing: still drawn
    dot = run("graph", routing_dir, "--format", "dot").output
    assert 'shape=cylinder, label="Hàng chờ\\n(queue)"' in dot
    nodes = run_json("graph", routing_dir)["nodes"]
    assert {"kind": "queues_in_flows", "name": "Hàng chờ"} in nodes


def test_trace_rings_its_members_and_follows_on_timeout(routing_dir: Path):
    answered = run("trace", NUMBER, routing_dir, "--keys", "1")
    assert answered.exit_code == 0, answered.output
    assert "--key 1--> queue 'Hàng chờ'  (rings 101)" in answered.output
    assert "End: answered: queue 'Hàng chờ' answers." in answered.output
    unanswered = run_json("trace", NUMBER, routing_dir, "--keys", "1", "--unanswered")
    hops = [(h["kind"], h["name"], h["via"]) for h in unanswered["hops"]]
    assert hops[3:] == [("ivr_menus", "Menu", "step 2"), ("queues_in_flows", "Hàng chờ", "key 1"),
                        ("ivr_menus", "Menu", "on_timeout"),
                        ("queues_in_flows", "Hàng chờ", "fallback")]
    assert unanswered["end"] == "loop"


def test_lint_reads_it_as_a_group_of_members(routing_dir: Path):
    result = run("lint", routing_dir)
    assert result.exit_code == 2, result.output
    out = result.output
    # A queue with nothing to ring and nowhere to go, which no hotline reaches: a warning, at its line.
    assert "routing.yaml:13:5: warning: queue 'Trống': has no members and no on_timeout" in out
    assert "[group-dead-end]" in out
    assert "info: queue 'Trống': no hotline's inbound calls reach it [unreachable]" in out
    # Nobody answers at the queue: the call goes round Menu and the queue (trace's own walk).
    loop = next(line for line in out.splitlines() if "[unanswered-loop]" in line)
    assert "queue 'Hàng chờ' --on_timeout--> IVR menu 'Menu' --fallback--> queue 'Hàng chờ'" in loop \
        or "IVR menu 'Menu' --fallback--> queue 'Hàng chờ' --on_timeout--> IVR menu 'Menu'" in loop
    assert f"reconciler trace {NUMBER} {routing_dir} --unanswered" in loop


class FakeTenant:
    """An in-process tenant for the plan's endpoints: lists what it holds by path, answers
    a create with a new id, records what every verb sends."""

    def __init__(self, items: dict[str, list[dict]]) -> None:
        self.items = {KINDS[k].list_path: [dict(i) for i in v] for k, v in items.items()}
        self.sent: list[tuple[str, str, dict]] = []
        self.count = 0

    async def list_all(self, path: str, *, params: Any = None, page_size: int = 50,
                       expected_items: int = 0) -> list[dict]:
        return [dict(i) for i in self.items.get(path, [])]

    async def create(self, method: str, path: str, *, json: dict, subject: str, find_existing: Any) -> dict:
        self.sent.append((method, path, json))
        self.count += 1
        return {"_id": f"new{self.count}", **json}

    async def send(self, method: str, path: str, *, json: dict, subject: str) -> None:
        self.sent.append((method, path, json))


def test_it_is_planned_applied_and_drawn_in_the_plan(queue_kind: Any):
    """Created before the call script that runs it (the engine reads its references), sent
    with its own body, and drawn in the plan's call flow with its shape."""
    manifests = FakeManifests()
    manifests.add(queue_kind.name, name="Hàng chờ", members=["101"], on_timeout={"group": "Trực"})
    manifests.add("call_scripts", name="Thẳng", steps=[{queue_kind.ref_word: "Hàng chờ"}])
    manifests.add("hotlines", number=NUMBER, call_script="Thẳng")
    trực = group("Trực", ["101"], _id="g1")
    state = live(groups=[trực], extensions=[extension("101")], hotlines=[hotline(NUMBER)])
    plan = make_plan(manifests, state)
    assert sorted((c.action, c.address) for c in plan.changes) == [
        ("create", "call_scripts/Thẳng"), ("create", "queues_in_flows/Hàng chờ"), ("update", f"hotlines/{NUMBER}")]

    diagram = flow_changes(plan, state).diagrams[0].mermaid
    assert '[("Hàng chờ<br/><small>queue, new</small>")]' in diagram
    assert '==>|"step 1 (new)"|' in diagram and '==>|"on_timeout (new)"|' in diagram

    tenant = FakeTenant(state.items)
    report = asyncio.run(apply_plan(tenant, plan, state))
    assert report.ok, report.results
    sent = {path: body for _, path, body in tenant.sent}
    assert sent["/api/call_center/queue/add"] == {"queue_name": "Hàng chờ", "members": ["101"],
                                                  "timeout_type": "Ring_group", "timeout_target": "g1"}
    queue_id = "new1"
    steps = next(body for _, path, body in tenant.sent if "script" in path and "add" in path)
    assert queue_id in str(steps) and "Queue_in_flows" in str(steps)  # the call script runs the new queue
