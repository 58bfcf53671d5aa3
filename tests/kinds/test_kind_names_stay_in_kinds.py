"""A kind is declared in one place: the engine, the manifest loader, the call flows and
the CLI name no kind. Adding a kind is one module (plus its registry line), as a
hypothetical kind here (and one in tests/flows/test_a_new_kind_in_call_flows.py) shows."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from reconciler.engine.live import check_items
from reconciler.engine.planner import make_plan
from reconciler.engine.render import render_text
from reconciler.errors import ApiError
from reconciler.kinds import KINDS
from reconciler.kinds.base import (
    API_TYPES,
    KIND_REF_WORD,
    REF_WORDS,
    Creatable,
    Deletable,
    ManifestModel,
    Name,
    Renamable,
)

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"
CHECKED = sorted(
    list((PACKAGE / "engine").glob("*.py"))
    + list((PACKAGE / "manifest").glob("*.py"))
    + list((PACKAGE / "flows").glob("*.py"))
    + [PACKAGE / "cli.py"]
    + list((PACKAGE / "commands").glob("*.py"))
)
FLOWS = sorted((PACKAGE / "flows").glob("*.py"))


def kind_words() -> set[str]:
    return set(KINDS) | set(REF_WORDS) | set(API_TYPES)


def named_kinds(path: Path) -> list[str]:
    """`file:line: "word"` for every string literal that is a kind name or word."""
    words = kind_words()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in words]


def test_the_engine_the_loader_the_flows_and_the_cli_name_no_kind():
    assert len(CHECKED) > 15 and len(FLOWS) >= 6
    found = [hit for path in CHECKED for hit in named_kinds(path)]
    assert found == []


def test_the_flows_import_no_kinds_module():
    """Call flows read a kind through the registry and its declared role (kinds/base.py),
    never one kind's module (as they imported `ivr_menu.KEYS` and `hotline.DAY_OF_API`)."""
    allowed = {"reconciler.kinds", "reconciler.kinds.base", "reconciler.kinds.policy"}
    found = []
    for path in FLOWS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.name}: {n}" for n in names if n.startswith("reconciler.kinds") and n not in allowed]
    assert found == []


def test_the_check_sees_a_kind_named(tmp_path: Path):
    (tmp_path / "x.py").write_text('if kind_name == "greetings":\n    pass\nword = "ivr"\n', encoding="utf-8")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path
    try:
        assert len(named_kinds(tmp_path / "x.py")) == 2
    finally:
        PACKAGE = saved


@pytest.fixture
def queue_kind() -> Any:
    """A hypothetical kind, declared as a kind module would declare it; its words are taken
    out of the shared vocabulary afterwards."""
    class Queue(ManifestModel):
        """A hypothetical kind: a call queue, referred to as {queue: NAME}."""

        name: Name = Field(min_length=1)
        previous_names: list[Name] = Field(default_factory=list)

    class QueueKind(Creatable, Renamable):  # what it can do: no Deletable, so never pruned
        name = "queues_for_test"
        label = "queue"
        model = Queue
        identity = "name"
        ref_word = "queue_for_test"
        api_type = "Queue_for_test"
        identity_field = "queue_name"
        list_path = "/api/call_center/queue/list"
        create_path = "/api/call_center/queue/add"
        update_path = "/api/call_center/queue/update/{id}"

        def live_identity(self, item: dict) -> str:
            return item.get("queue_name") or ""

        def from_live(self, item: dict, index: Any) -> dict:
            return {"name": self.live_identity(item)}

        def body(self, data: dict, ids: Any, *, update: bool) -> dict:
            return {"queue_name": data["name"]}

    yield QueueKind
    REF_WORDS.pop("queue_for_test"), KIND_REF_WORD.pop("queues_for_test"), API_TYPES.pop("Queue_for_test")


def test_a_new_kind_is_declared_in_its_module_only(queue_kind: Any):
    """Its words reach the reference vocabulary as it is declared: no table elsewhere."""
    assert REF_WORDS["queue_for_test"] == "queues_for_test"
    assert KIND_REF_WORD["queues_for_test"] == "queue_for_test"
    assert API_TYPES["Queue_for_test"] == "queues_for_test"
    queue = queue_kind()
    assert queue.creatable and queue.updatable and queue.renamable  # from the verbs it inherits
    assert not isinstance(queue, Deletable) and queue.prunable is False  # policy.prune cannot own it


def test_a_new_kind_is_planned_with_its_module_and_a_registry_line_only(queue_kind: Any,
                                                                       monkeypatch: pytest.MonkeyPatch):
    from tests.engine.builders import FakeManifests, live

    QueueKind = queue_kind
    monkeypatch.setitem(KINDS, QueueKind.name, QueueKind())  # the registry line
    manifests = FakeManifests().add(QueueKind.name, name="Hàng chờ")
    state = live(**{QueueKind.name: [{"_id": "q0", "queue_name": "Cũ"}]})
    plan = make_plan(manifests, state)
    assert [(c.action, c.address) for c in plan.changes] == [("create", "queues_for_test/Hàng chờ")]
    assert plan.unmanaged[QueueKind.name] == ["Cũ"]
    assert "  + create queue Hàng chờ" in render_text(plan)
    with pytest.raises(ApiError, match="has no queue_name"):  # its declared shape is checked
        check_items(QueueKind.name, [{"_id": "q1"}])


class FakeTenant:
    """A client for the hypothetical kind's endpoints: lists what it holds, records what
    the verbs send, answers a create with a new id."""

    def __init__(self, items: list[dict]) -> None:
        self.items = [dict(i) for i in items]
        self.sent: list[tuple[str, str, dict]] = []

    async def list_all(self, path: str, *, params: Any = None, page_size: int = 50,
                       expected_items: int = 0) -> list[dict]:
        return [dict(i) for i in self.items]

    async def create(self, method: str, path: str, *, json: dict, subject: str, find_existing: Any) -> dict:
        self.sent.append((method, path, json))
        self.items.append({"_id": f"q{len(self.items) + 1}", **json})
        return self.items[-1]

    async def send(self, method: str, path: str, *, json: dict, subject: str) -> None:
        self.sent.append((method, path, json))
        item = next(i for i in self.items if path.endswith("/" + i["_id"]))
        item.update(json)


def test_a_new_kinds_verbs_come_from_what_it_inherits(queue_kind: Any, monkeypatch: pytest.MonkeyPatch):
    """Its plan is applied with the verbs of its mixins (the declared endpoints and its
    `body`): no code of its own, and none in the engine."""
    import asyncio

    from reconciler.engine.applier import apply_plan
    from tests.engine.builders import FakeManifests, live

    QueueKind = queue_kind
    monkeypatch.setitem(KINDS, QueueKind.name, QueueKind())
    manifests = FakeManifests().add(QueueKind.name, name="Hàng chờ mới", previous_names=["Cũ"])
    manifests.add(QueueKind.name, name="Thêm")
    state = live(**{QueueKind.name: [{"_id": "q0", "queue_name": "Cũ"}]})
    plan = make_plan(manifests, state)
    assert sorted((c.action, c.name) for c in plan.changes) == [("create", "Thêm"), ("rename", "Hàng chờ mới")]
    tenant = FakeTenant(state.items[QueueKind.name])
    report = asyncio.run(apply_plan(tenant, plan, state))
    assert report.ok, report.results
    assert sorted(tenant.sent) == [
        ("POST", "/api/call_center/queue/add", {"queue_name": "Thêm"}),
        ("POST", "/api/call_center/queue/update/q0", {"queue_name": "Hàng chờ mới"}),
    ]
    assert sorted(i["queue_name"] for i in tenant.items) == ["Hàng chờ mới", "Thêm"]
