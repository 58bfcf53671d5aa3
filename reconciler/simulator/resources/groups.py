"""Ring groups ("nhóm nội bộ"): list, add, update (POST), add/remove members, delete.

Membership is stored as the ordered ``sip_members`` list; the list endpoint renders
it as ``members`` (agent ids, ``sip_user: null``), the create/update responses add
``sip_members``, ``timeout`` and ``call_queue_config``.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import checks, references
from ..envelope import page
from ..errors import ApiError, SeedError
from ..request import Request
from ..tenant import Tenant, unsigned_name
from ..text import matches

KIND = "groups"
LIST_KEYS = (
    "_id", "tenant_id", "group_name", "group_name_unsigned", "group_number",
    "created_date", "last_updated_date", "create_by", "last_update_by", "is_deleted",
    "note", "members", "is_forward_to_user_owner", "is_forward_to_outer_group",
    "outer_group_id", "strategy", "ring_back_id", "ring_back_name", "is_answer",
    "target_timeout_type", "target_timeout", "target_timeout_name", "ring_group_type",
    "ring_group_wait_time", "ring_group_wait_time_sequence", "ring_group_type_result",
    "enable_criteria", "criterias",
)
HIDDEN = ("sip_members", "timeout", "call_queue_config")
STRATEGIES = ("enterprise", "rollover", "random")
RING_GROUP_TYPES = (0, 1, 4)
TARGET_TYPES = ("Recording", "Ivr_menu", "Ring_group")
DEFAULT_TIMEOUT = 30
DEFAULTS: dict[str, Any] = {
    "last_update_by": None, "is_deleted": False, "note": None,
    "is_forward_to_user_owner": None, "is_forward_to_outer_group": False,
    "outer_group_id": None, "strategy": "enterprise", "ring_back_id": "",
    "ring_back_name": None, "is_answer": "false", "target_timeout_type": "",
    "target_timeout": "", "target_timeout_name": None, "ring_group_type": 0,
    "ring_group_wait_time": 0, "ring_group_wait_time_sequence": 0,
    "ring_group_type_result": None, "enable_criteria": False, "criterias": [],
}
QUEUE_DEFAULTS = {"enable": False, "is_in_call": False, "is_offline": False, "waiting_time": 0}


def members(tenant: Tenant, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``members`` array the list shows, in ``sip_members`` order."""
    rendered = []
    for sip_user in record["sip_members"]:
        extension = tenant.extensions.get(sip_user)
        if extension is None:
            continue  # only reachable through console edits
        rendered.append({
            "agent_id": extension["agent_id"],
            "contact_id": extension["contact_id"],
            "order": len(rendered),
            "view": None,
            "timeout": record["timeout"],
            "sip_user": None,
            "hold_music_id": None,
        })
    return rendered


def render(tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    """A list item (no ``sip_members``, no ``call_queue_config``)."""
    item = {k: copy.deepcopy(record[k]) for k in LIST_KEYS if k != "members"}
    item["members"] = members(tenant, record)
    return {k: item[k] for k in LIST_KEYS}


def render_full(tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    """The create/update response payload."""
    item = render(tenant, record)
    item["sip_members"] = list(record["sip_members"])
    item["timeout"] = record["timeout"]
    item["call_queue_config"] = copy.deepcopy(record["call_queue_config"])
    return item


def from_seed(tenant: Tenant, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A stored group from a seed item; membership from ``sip_members`` or, as the
    list returns it, from ``members[].agent_id`` (extensions must be seeded first)."""
    now = tenant.clock.now_ms()
    record = {**copy.deepcopy(DEFAULTS), **{k: copy.deepcopy(v) for k, v in raw.items() if k in LIST_KEYS}}
    record.pop("members", None)
    record["_id"] = raw.get("_id") or tenant.ids.object_id()
    record["tenant_id"] = raw.get("tenant_id", tenant.tenant_id)
    record["group_name_unsigned"] = unsigned_name(KIND, record["group_name"])
    record.setdefault("group_number", tenant.ids.number(5, _numbers(tenant)))
    record.setdefault("created_date", now)
    record.setdefault("last_updated_date", record["created_date"])
    record.setdefault("create_by", dict(tenant.user))
    raw_members = raw.get("members") or []
    if "sip_members" in raw:
        record["sip_members"] = [str(s) for s in raw["sip_members"]]
    else:
        record["sip_members"] = []
        for member in raw_members:
            extension = tenant.extension_by_agent(member.get("agent_id"))
            if extension is None:
                raise SeedError(f"group {record['group_name']!r}: no extension has agent_id {member.get('agent_id')!r}")
            record["sip_members"].append(extension["sip_user"])
    first_timeout = raw_members[0].get("timeout") if raw_members else None
    record["timeout"] = int(raw.get("timeout") or first_timeout or DEFAULT_TIMEOUT)
    record["call_queue_config"] = {**QUEUE_DEFAULTS, **(raw.get("call_queue_config") or {})}
    return record["_id"], record


def to_seed(tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    """The seed form: list shape plus the hidden fields."""
    return {**render(tenant, record), **{k: copy.deepcopy(record[k]) for k in HIDDEN}}


def _numbers(tenant: Tenant) -> set[str]:
    return {g["group_number"] for g in tenant.groups.values() if "group_number" in g}


def _sip_members(tenant: Tenant, value: Any, key: str) -> list[str]:
    # The update table types sip_members as String: accept "101,102" as well as a list.
    if isinstance(value, str):
        value = [s.strip() for s in value.split(",") if s.strip()]
    return checks.existing(value, key, tenant.extensions, "extension")  # a member once, first position wins


def _queue_config(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError("call_queue_config must be an object")
    config = dict(QUEUE_DEFAULTS)
    for flag in ("enable", "is_in_call", "is_offline"):
        if flag in value:
            if not isinstance(value[flag], bool):
                raise ApiError(f"call_queue_config.{flag} must be a boolean")
            config[flag] = value[flag]
    if "waiting_time" in value:
        config["waiting_time"] = checks.integer(value["waiting_time"], "call_queue_config.waiting_time", minimum=0)
    return config


def _changes(tenant: Tenant, body: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Validated fields of an add/update body. Optional fields left out of an update
    keep their stored value (but see the "group-update-resets-queue" reading)."""
    changes: dict[str, Any] = {
        "group_name": checks.text(checks.required(body, "group_name"), "group_name"),
        "strategy": checks.one_of(checks.required(body, "strategy"), "strategy", STRATEGIES),
        "sip_members": _sip_members(tenant, checks.required(body, "sip_members"), "sip_members"),
        "timeout": checks.integer(checks.required(body, "timeout"), "timeout", minimum=1),
    }
    changes["group_name_unsigned"] = unsigned_name(KIND, changes["group_name"])
    if body.get("ring_group_type") is not None:
        changes["ring_group_type"] = checks.one_of(body["ring_group_type"], "ring_group_type", RING_GROUP_TYPES)
    if "target_timeout_type" in body or "target_timeout" in body:
        kind, target = references.typed_target(
            tenant, body.get("target_timeout_type"), body.get("target_timeout"),
            type_field="target_timeout_type", id_field="target_timeout", allowed=TARGET_TYPES,
        )
        changes.update(target_timeout_type=kind, target_timeout=target)
    if body.get("call_queue_config") is not None:
        changes["call_queue_config"] = _queue_config(body["call_queue_config"])
    elif creating or tenant.reads("group-update-resets-queue"):
        changes["call_queue_config"] = dict(QUEUE_DEFAULTS)
    return changes


def list_groups(tenant: Tenant, req: Request) -> Any:
    """GET internal_group/list?keyword&page&size (default size 10)."""
    keyword = req.query.get("keyword", "")
    records = [
        r for r in tenant.newest_first(KIND)
        if not keyword or matches(keyword, r["group_name"], r["group_name_unsigned"])
    ]
    return page(records, req.query, default_size=10, max_size=tenant.page_cap(), with_extension=True,
                render=lambda r: render(tenant, r))


def add_group(tenant: Tenant, req: Request) -> Any:
    """POST internal_group/add."""
    changes = _changes(tenant, req.json(), creating=True)
    now = tenant.clock.now_ms()
    record = {
        **copy.deepcopy(DEFAULTS),
        "_id": tenant.ids.object_id(),
        "tenant_id": tenant.tenant_id,
        "group_number": tenant.ids.number(5, _numbers(tenant)),
        "created_date": now,
        "last_updated_date": now,
        "create_by": dict(tenant.user),
        **changes,
    }
    tenant.groups[record["_id"]] = record
    return render_full(tenant, record)


def update_group(tenant: Tenant, req: Request) -> Any:
    """POST internal_group/update/:id: ``sip_members`` replaces the membership."""
    record = tenant.get(KIND, req.params["id"])
    changes = _changes(tenant, req.json(), creating=False)
    record.update(changes, last_update_by=dict(tenant.user))
    tenant.touch(record)
    return render_full(tenant, record)


def _member_request(tenant: Tenant, req: Request, *, check_known: bool) -> tuple[dict[str, Any], list[str]]:
    body = req.json()
    record = tenant.get(KIND, checks.text(checks.required(body, "group_id"), "group_id"))
    sip_users = checks.string_list(checks.required(body, "sip_users"), "sip_users")
    unknown = [s for s in sip_users if s not in tenant.extensions]
    if check_known and unknown:
        raise ApiError(f"sip_users: extension not found: {', '.join(unknown)}")
    return record, sip_users


def add_members(tenant: Tenant, req: Request) -> Any:
    """POST internal_group/add-members: append the extensions not yet members."""
    record, sip_users = _member_request(tenant, req, check_known=True)
    record["sip_members"] = list(dict.fromkeys([*record["sip_members"], *sip_users]))
    record["last_update_by"] = dict(tenant.user)
    tenant.touch(record)
    return True


def remove_members(tenant: Tenant, req: Request) -> Any:
    """POST internal_group/remove-members: drop the listed members (others ignored)."""
    record, sip_users = _member_request(tenant, req, check_known=False)
    record["sip_members"] = [s for s in record["sip_members"] if s not in set(sip_users)]
    record["last_update_by"] = dict(tenant.user)
    tenant.touch(record)
    return True


def delete_group(tenant: Tenant, req: Request) -> Any:
    """DELETE internal_group/delete/:id, refused while something references it."""
    key = req.params["id"]
    tenant.get(KIND, key)
    references.ensure_unused(tenant, KIND, key)
    del tenant.groups[key]
    return True
