"""IVR menus ("kịch bản bấm phím"): list, add, update (POST), delete.

``script_name`` is unique. Stored ``scripts`` hold only the keys that do something;
the list pads keys 1-9 with empty ``action_type``/``action`` as the doc shows, while
create/update responses return the keys as stored.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import checks, references
from ..envelope import page
from ..errors import ApiError
from ..request import Request
from ..tenant import Tenant, unsigned_name
from ..text import matches

KIND = "ivr_menus"
LIST_KEYS = (
    "_id", "tenant_id", "script_name", "script_name_unsigned", "script_number",
    "greeting_id", "greeting_name", "greeting_short_id", "greeting_short_name", "note",
    "created_date", "created_by", "last_updated_date", "last_updated_by", "is_deleted",
    "scripts", "time_out", "action_type", "action", "action_name", "invalid_sound_id",
    "invalid_sound_name", "max_failure", "ivr_direct_menu_dial",
)
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")
PADDED_KEYS = KEYS[:9]
TARGET_TYPES = ("Recording", "Ivr_menu", "Ring_group")
DEFAULTS: dict[str, Any] = {
    "greeting_name": None, "greeting_short_id": "", "greeting_short_name": None,
    "note": None, "is_deleted": False, "scripts": [], "time_out": 3, "action_type": "",
    "action": "", "action_name": None, "invalid_sound_id": "", "invalid_sound_name": None,
    "max_failure": 1, "ivr_direct_menu_dial": "false",
}


def _key_entry(ivr: str, action_type: str = "", action: str = "") -> dict[str, Any]:
    return {"key": None, "action_type": action_type, "action": action, "action_name": None, "ivr": ivr}


def _sorted(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda e: KEYS.index(e["ivr"]))


def render(record: dict[str, Any], *, padded: bool = True) -> dict[str, Any]:
    """A list item (keys 1-9 padded) or, unpadded, a create/update payload."""
    item = {k: copy.deepcopy(record[k]) for k in LIST_KEYS}
    if padded:
        present = {e["ivr"] for e in item["scripts"]}
        item["scripts"] = _sorted(item["scripts"] + [_key_entry(k) for k in PADDED_KEYS if k not in present])
    return item


def _stored_scripts(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Empty action_type/action means "unset": padding is not stored.
    return _sorted([
        _key_entry(str(e["ivr"]), e["action_type"], e["action"])
        for e in entries if e.get("action_type") or e.get("action")
    ])


def from_seed(tenant: Tenant, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A stored IVR menu from a seed item (padded list items are fine)."""
    now = tenant.clock.now_ms()
    record = {**copy.deepcopy(DEFAULTS), **{k: copy.deepcopy(v) for k, v in raw.items() if k in LIST_KEYS}}
    record["_id"] = raw.get("_id") or tenant.ids.object_id()
    record["tenant_id"] = raw.get("tenant_id", tenant.tenant_id)
    record["script_name_unsigned"] = unsigned_name(KIND, record["script_name"])
    record.setdefault("script_number", tenant.ids.number(6, _numbers(tenant)))
    record.setdefault("greeting_id", "")
    record.setdefault("created_date", now)
    record.setdefault("last_updated_date", record["created_date"])
    record.setdefault("created_by", dict(tenant.user))
    record.setdefault("last_updated_by", dict(tenant.user))
    record["scripts"] = _stored_scripts(record["scripts"])
    return record["_id"], record


def to_seed(tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    """The seed form (as the list returns it)."""
    return render(record)


def _numbers(tenant: Tenant) -> set[str]:
    return {m["script_number"] for m in tenant.ivr_menus.values() if "script_number" in m}


def _greeting(tenant: Tenant, value: Any, key: str, *, required: bool) -> str:
    if value in (None, "") and not required:
        return ""
    value = checks.text(value, key)
    if value not in tenant.greetings:
        raise ApiError(f"{key}: greeting {value!r} not found")
    return value


def _scripts(tenant: Tenant, value: Any) -> list[dict[str, Any]]:
    entries = checks.object_list(value, "scripts")
    if not entries and tenant.reads("scripts-nonempty"):
        raise ApiError("scripts is required")
    seen: set[str] = set()
    for entry in entries:
        ivr = entry.get("ivr")
        if ivr not in KEYS:
            raise ApiError(f"scripts: ivr must be one of {' '.join(KEYS)}, got {ivr!r}")
        if ivr in seen:
            raise ApiError(f"scripts: key {ivr} appears twice")
        seen.add(ivr)
        kind, target = references.typed_target(
            tenant, entry.get("action_type"), entry.get("action"),
            type_field=f"scripts[{ivr}].action_type", id_field=f"scripts[{ivr}].action", allowed=TARGET_TYPES,
        )
        entry["action_type"], entry["action"] = kind, target
    return _stored_scripts(entries)


def _changes(tenant: Tenant, body: dict[str, Any], self_id: str | None) -> dict[str, Any]:
    """Validated fields of an add/update body (optional ones left out keep their value)."""
    name = checks.text(checks.required(body, "script_name"), "script_name")
    clash = next((m for k, m in tenant.ivr_menus.items() if m["script_name"] == name and k != self_id), None)
    if clash is not None:
        raise ApiError(f"script_name already exists: {name!r}")
    changes: dict[str, Any] = {
        "script_name": name,
        "script_name_unsigned": unsigned_name(KIND, name),
        "greeting_id": _greeting(tenant, checks.required(body, "greeting_id"), "greeting_id", required=True),
        "max_failure": checks.integer(checks.required(body, "max_failure"), "max_failure", minimum=0),
        "time_out": checks.integer(checks.required(body, "time_out"), "time_out", minimum=0),
        "scripts": _scripts(tenant, checks.required(body, "scripts")),
    }
    for key in ("greeting_short_id", "invalid_sound_id"):
        if key in body:
            changes[key] = _greeting(tenant, body[key], key, required=False)
    if "action_type" in body or "action" in body:
        changes["action_type"], changes["action"] = references.typed_target(
            tenant, body.get("action_type"), body.get("action"),
            type_field="action_type", id_field="action", allowed=TARGET_TYPES,
        )
    return changes


def list_menus(tenant: Tenant, req: Request) -> Any:
    """GET key-interaction/list?keyword&page&size (size 10 when not given)."""
    keyword = req.query.get("keyword", "")
    records = [
        r for r in tenant.newest_first(KIND)
        if not keyword or matches(keyword, r["script_name"], r["script_name_unsigned"])
    ]
    return page(records, req.query, default_size=10, max_size=tenant.page_cap(), with_extension=True, render=render)


def add_menu(tenant: Tenant, req: Request) -> Any:
    """POST key-interaction/add."""
    changes = _changes(tenant, req.json(), self_id=None)
    now = tenant.clock.now_ms()
    record = {
        **copy.deepcopy(DEFAULTS),
        "_id": tenant.ids.object_id(),
        "tenant_id": tenant.tenant_id,
        "script_number": tenant.ids.number(6, _numbers(tenant)),
        "created_date": now,
        "created_by": dict(tenant.user),
        "last_updated_date": now,
        "last_updated_by": dict(tenant.user),
        **changes,
    }
    record = {k: record[k] for k in LIST_KEYS}
    tenant.ivr_menus[record["_id"]] = record
    return render(record, padded=False)


def update_menu(tenant: Tenant, req: Request) -> Any:
    """POST key-interaction/update/:id."""
    key = req.params["id"]
    record = tenant.get(KIND, key)
    changes = _changes(tenant, req.json(), self_id=key)
    record.update(changes, last_updated_by=dict(tenant.user))
    tenant.touch(record)
    return render(record, padded=False)


def delete_menu(tenant: Tenant, req: Request) -> Any:
    """DELETE key-interaction/delete/:id, refused while something references it."""
    key = req.params["id"]
    tenant.get(KIND, key)
    references.ensure_unused(tenant, KIND, key)
    del tenant.ivr_menus[key]
    return True
