"""Call scripts (inbound routing flows, "kịch bản cuộc gọi"): list, add (takes
``script_name``), update (PUT, takes ``name``), delete. Criteria values are strings."""

from __future__ import annotations

import copy
from typing import Any

from .. import checks, references
from ..envelope import page
from ..errors import ApiError
from ..request import Request
from ..tenant import Tenant, unsigned_name

KIND = "call_scripts"
LIST_KEYS = (
    "_id", "extension", "created_date", "last_updated_date", "create_by",
    "last_update_by", "tenant_id", "script_name", "script_name_unsigned", "note",
    "is_deleted", "callscript_type", "callscript_wait_time", "scripts",
    "enable_criteria", "criterias",
)
STEP_TYPES = ("Extension", "Ivr_menu", "Ring_group", "Recording")
CRITERIA_TYPES = ("2", "3", "4")
DEFAULTS: dict[str, Any] = {
    "last_update_by": None, "note": "", "is_deleted": False, "callscript_type": 0,
    "callscript_wait_time": 5, "scripts": [], "enable_criteria": False, "criterias": [],
}


def render(record: dict[str, Any]) -> dict[str, Any]:
    """A list item (also the create/update payload)."""
    return {k: copy.deepcopy(record[k]) for k in LIST_KEYS}


def _step(action_type: str, action_id: str, order: int) -> dict[str, Any]:
    return {
        "action_type": action_type, "action_id": action_id, "order": order,
        "action_name": None, "voice": None, "callbot_script_uuid": None,
    }


def from_seed(tenant: Tenant, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A stored call script from a seed item."""
    now = tenant.clock.now_ms()
    record = {**copy.deepcopy(DEFAULTS), **{k: copy.deepcopy(v) for k, v in raw.items() if k in LIST_KEYS}}
    record["_id"] = raw.get("_id") or tenant.ids.object_id()
    record["tenant_id"] = raw.get("tenant_id", tenant.tenant_id)
    record["script_name_unsigned"] = unsigned_name(KIND, record["script_name"])
    record.setdefault("extension", tenant.ids.number(7, _numbers(tenant)))
    record.setdefault("created_date", now)
    record.setdefault("last_updated_date", record["created_date"])
    record.setdefault("create_by", dict(tenant.user))
    record["scripts"] = [_step(s["action_type"], s["action_id"], i) for i, s in enumerate(record["scripts"])]
    record["criterias"] = [{k: str(c[k]) for k in ("type", "wait_time", "timeout_time")} for c in record["criterias"]]
    record["enable_criteria"] = bool(raw.get("enable_criteria", bool(record["criterias"])))
    return record["_id"], record


def to_seed(tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    """The seed form (as the list returns it)."""
    return render(record)


def _numbers(tenant: Tenant) -> set[str]:
    return {s["extension"] for s in tenant.call_scripts.values() if "extension" in s}


def _steps(tenant: Tenant, value: Any) -> list[dict[str, Any]]:
    entries = checks.object_list(value, "scripts")
    if not entries and tenant.reads("scripts-nonempty"):
        raise ApiError("scripts is required")
    steps = []
    for order, entry in enumerate(entries):
        kind, target = references.typed_target(
            tenant, entry.get("action_type"), entry.get("action_id"),
            type_field=f"scripts[{order}].action_type", id_field=f"scripts[{order}].action_id", allowed=STEP_TYPES,
        )
        if not kind:
            raise ApiError(f"scripts[{order}]: action_type and action_id are required")
        steps.append(_step(kind, target, order))
    return steps


def _criterias(value: Any) -> list[dict[str, str]]:
    criterias, seen = [], set()
    for i, entry in enumerate(checks.object_list(value, "criterias")):
        kind = str(checks.numeric(checks.required(entry, "type"), f"criterias[{i}].type"))
        checks.one_of(kind, f"criterias[{i}].type", CRITERIA_TYPES)
        if kind in seen:
            raise ApiError(f"criterias: type {kind} appears twice")
        seen.add(kind)
        criterias.append({
            "type": kind,
            "wait_time": str(checks.numeric(entry.get("wait_time", "0"), f"criterias[{i}].wait_time", minimum=0)),
            "timeout_time": str(checks.numeric(entry.get("timeout_time", "0"), f"criterias[{i}].timeout_time", minimum=0)),
        })
    return criterias


def _changes(tenant: Tenant, body: dict[str, Any], name_field: str) -> dict[str, Any]:
    name = checks.text(checks.required(body, name_field), name_field)
    changes: dict[str, Any] = {
        "script_name": name,
        "script_name_unsigned": unsigned_name(KIND, name),
        "scripts": _steps(tenant, checks.required(body, "scripts")),
    }
    if body.get("note") is not None:
        changes["note"] = checks.text(body["note"], "note", allow_empty=True)
    if body.get("criterias") is not None:
        changes["criterias"] = _criterias(body["criterias"])
        changes["enable_criteria"] = bool(changes["criterias"])
    return changes


def list_scripts(tenant: Tenant, req: Request) -> Any:
    """GET call_script/list?page&size (default size 10)."""
    return page(tenant.newest_first(KIND), req.query, default_size=10, max_size=tenant.page_cap(),
                with_extension=True, render=render)


def add_script(tenant: Tenant, req: Request) -> Any:
    """POST call_script/add {script_name, note?, scripts, criterias?}."""
    changes = _changes(tenant, req.json(), "script_name")
    now = tenant.clock.now_ms()
    record = {
        **copy.deepcopy(DEFAULTS),
        "_id": tenant.ids.object_id(),
        "extension": tenant.ids.number(7, _numbers(tenant)),
        "created_date": now,
        "last_updated_date": now,
        "create_by": dict(tenant.user),
        "tenant_id": tenant.tenant_id,
        **changes,
    }
    record = {k: record[k] for k in LIST_KEYS}
    tenant.call_scripts[record["_id"]] = record
    return render(record)


def update_script(tenant: Tenant, req: Request) -> Any:
    """PUT call_script/update/:id {name, note?, scripts, criterias?}."""
    record = tenant.get(KIND, req.params["id"])
    changes = _changes(tenant, req.json(), "name")
    record.update(changes, last_update_by=dict(tenant.user))
    tenant.touch(record)
    return render(record)


def delete_script(tenant: Tenant, req: Request) -> Any:
    """DELETE call_script/delete/:id, refused while a hotline uses it."""
    key = req.params["id"]
    tenant.get(KIND, key)
    references.ensure_unused(tenant, KIND, key)
    del tenant.call_scripts[key]
    return True
