"""What the per-kind tests (tests/kinds/test_<kind>.py) share: the vendor's own JSON
examples (copied from call-center.md into tests/simulator/fixtures/), the names their ids
read as, an id resolver for request bodies and a client that records what a kind sends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from reconciler.engine.catalogue import LiveNames
from reconciler.engine.live import LiveState
from reconciler.kinds import KINDS
from reconciler.kinds.base import ManifestModel, RefForm

FIXTURES = Path(__file__).resolve().parents[1] / "simulator" / "fixtures"


def items(name: str) -> list[dict]:
    """The items of a vendor example (a list's `items`, or its single payload)."""
    payload = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["payload"]
    return payload["items"] if isinstance(payload, dict) and "items" in payload else [payload]


def index() -> LiveNames:
    """The names the examples' ids read as, from a live tenant that has those objects."""
    live = LiveState.from_raw({
        "groups": [{"_id": "62ff119508d4bf3ea694a44a", "group_name": "Nhóm CSKH"}],
        "greetings": [{"_id": "6209c99b067f745da47367f3", "greeting_name": "Lời chào"},
                      {"_id": "62da34652a310904dfbbf13b", "greeting_name": "Khác"}],
        "call_scripts": [{"_id": "677d6052f762e43be043ac35", "script_name": "Giờ hành chính"}],
        "ivr_menus": [{"_id": "6391fa5f44b0fb4429b580c0", "script_name": "Menu phụ"}],
        "extensions": [{"sip_user": "101", "agent_id": "62d563113127de2eac6b8cbf"},
                       {"sip_user": "100", "agent_id": "6209c98561c1cb163ded25fa"}],
    })
    return live.catalogue.names_for_reading()


def model(kind_name: str, data: dict) -> ManifestModel:
    """A manifest object of the kind, validated as the loader validates it."""
    return KINDS[kind_name].model.model_validate(data)


def refused(kind_name: str, data: dict) -> str:
    """The validation error a manifest object of the kind gets (all its messages)."""
    with pytest.raises(ValidationError) as err:
        model(kind_name, data)
    return str(err.value)


def desired(kind_name: str, data: dict) -> dict:
    """A manifest object in the engine's terms, as the planner compares and sends it."""
    kind = KINDS[kind_name]
    return kind.desired(model(kind_name, data))


class Ids:
    """An IdResolver over a fixed table: ids are "id-<kind>-<name>", extensions' agent ids
    "agent-<sip_user>"."""

    def __init__(self, ref_form: RefForm = RefForm.ALIAS) -> None:
        self.ref_forms: dict[str, RefForm] = {"extensions": ref_form}

    def id_of(self, kind_name: str, name: str) -> str:
        return f"id-{kind_name}-{name}"

    def alias_of(self, kind_name: str, name: str) -> str:
        return f"agent-{name}"

    def known_ids(self, kind_name: str) -> set[str]:
        return set()


class Recorder:
    """A client that records each request a kind's verbs send and answers as the vendor's
    examples do."""

    def __init__(self, answer: Any = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.answer = answer

    async def send(self, method: str, path: str, **request: Any) -> Any:
        self.sent.append({"method": method, "path": path, **request})
        return self.answer

    async def create(self, method: str, path: str, *, find_existing: Any = None, **request: Any) -> Any:
        self.sent.append({"method": method, "path": path, **request})
        return self.answer

    async def list_all(self, path: str, **params: Any) -> list[dict]:
        return []


def refs(kind_name: str, data: dict) -> list[tuple[str, str, str]]:
    """(kind name, object name, path) of each reference the kind finds in `data`."""
    return [(ref[0], ref[1], ref.path) for ref in KINDS[kind_name].references(data)]
