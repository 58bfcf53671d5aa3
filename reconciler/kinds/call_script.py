"""Call scripts: the inbound routing flow a hotline runs (steps in order, plus routing
criteria that send a caller to a known agent first)."""

from __future__ import annotations

from typing import Annotated, Any, Awaitable, Callable, Literal

from pydantic import Field, field_validator

from reconciler.errors import ApiError
from reconciler.kinds.base import (
    IdResolver,
    Kind,
    LiveIndex,
    ManifestModel,
    Name,
    is_known_ref,
    nfc,
    ref_from_api,
    ref_target,
    ref_to_api,
    ref_type,
)

CRITERIA = {"account_manager": "2", "previous_agent": "3", "missed_call_agent": "4"}  # API: criterias[].type
CRITERIA_OF_API = {v: k for k, v in CRITERIA.items()}


class RoutingCriterion(ManifestModel):
    """Route to an agent who knows the caller before running the steps."""

    type: Literal["account_manager", "previous_agent", "missed_call_agent"]
    agent_timeout: Annotated[int, Field(ge=0, le=600)] = 10  # API: timeout_time
    offline_wait: Annotated[int, Field(ge=0, le=600)] = 10  # API: wait_time


class CallScript(ManifestModel):
    """An inbound routing flow."""

    name: Name = Field(min_length=1, description="the call script's name (its identity)")
    note: str = ""
    steps: list[ref_type("greeting", "ivr", "group", "extension")] = Field(  # type: ignore[valid-type]
        min_length=1, description="in order: {greeting: ...}, {ivr: ...}, {group: ...} or {extension: ...}"
    )
    routing_criteria: list[RoutingCriterion] = Field(
        default_factory=list, description="send a caller to an agent who knows them first (API: criterias)"
    )
    previous_names: list[Name] = Field(
        default_factory=list, description="old names: a live object under one of them is renamed in place"
    )

    @field_validator("routing_criteria")
    @classmethod
    def _one_of_each_type(cls, criteria: list[RoutingCriterion]) -> list[RoutingCriterion]:
        types = [c.type for c in criteria]
        repeated = next((t for i, t in enumerate(types) if t in types[:i]), None)
        if repeated:
            raise ValueError(f"criterion type {repeated!r} is listed twice")
        return criteria


def _int(value: Any) -> Any:
    # criterias carry numbers as strings ("10").
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


class CallScriptKind(Kind):
    key = "call_scripts"
    label = "call script"
    model = CallScript
    identity = "name"
    ref_word = "call_script"
    identity_field = "script_name"
    holds_state_note = True  # the ledger is a call script the reconciler keeps (engine/ledger.py)
    list_path = "/api/call_center/call_script/list"  # no keyword filter
    create_path = "/api/call_center/call_script/add"
    update_path = "/api/call_center/call_script/update/{id}"
    update_method = "PUT"  # unlike groups and IVR menus
    delete_path = "/api/call_center/call_script/delete/{id}"

    def live_identity(self, item: dict) -> str:
        return nfc(item.get("script_name") or "")

    def from_live(self, item: dict, index: LiveIndex) -> dict:
        steps = sorted(item.get("scripts") or [], key=lambda s: s.get("order") or 0)
        return {
            "name": self.live_identity(item),
            "note": item.get("note") or "",
            "steps": [ref_from_api(index, s.get("action_type"), s.get("action_id")) for s in steps],
            "routing_criteria": [
                {
                    "type": CRITERIA_OF_API.get(str(c.get("type")), str(c.get("type"))),
                    "agent_timeout": _int(c.get("timeout_time")),
                    "offline_wait": _int(c.get("wait_time")),
                }
                for c in (item.get("criterias") or [])
            ],
        }

    def references(self, data: dict) -> list[tuple[str, str]]:
        return [ref_target(s, f"steps.{i}") for i, s in enumerate(data.get("steps", [])) if is_known_ref(s)]

    async def create(self, client: Any, data: dict, ids: IdResolver) -> str:
        return await _either_extension_form(data, ids, lambda: super(CallScriptKind, self).create(client, data, ids))

    async def update(
        self, client: Any, object_id: str, data: dict, live: dict, changed: set[str], ids: IdResolver
    ) -> None:
        await _either_extension_form(
            data, ids, lambda: super(CallScriptKind, self).update(client, object_id, data, live, changed, ids))

    def body(self, data: dict, ids: IdResolver, *, update: bool) -> dict:
        scripts = []
        for step in data["steps"]:
            action_type, action_id = ref_to_api(ids, step)
            scripts.append({"action_id": action_id, "action_type": action_type})
        return {
            "name" if update else "script_name": data["name"],  # create takes script_name, update name
            "note": data.get("note", ""),
            "scripts": scripts,
            "criterias": [
                {"type": CRITERIA[c["type"]], "timeout_time": str(c["agent_timeout"]), "wait_time": str(c["offline_wait"])}
                for c in data.get("routing_criteria", [])
            ],
        }


async def _either_extension_form(data: dict, ids: Any, send: Callable[[], Awaitable[Any]]) -> Any:
    """Send; if the server refuses a script with Extension steps named by agent_id, it reads
    the doc's "id of the component" as the sip_user: say so to `ids` and send once more."""
    try:
        return await send()
    except ApiError as err:
        has_extension = any(next(iter(s), None) == "extension" for s in data.get("steps", []))
        if err.server_message is None or not has_extension or ids.extension_form == "sip_user":
            raise
        ids.extension_form = "sip_user"
        try:
            return await send()
        except ApiError:
            ids.extension_form = "agent_id"  # refused either way: the first answer tells why
            raise err from None
