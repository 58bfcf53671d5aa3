"""Hotlines (public numbers): seeded only, never created or deleted through the API.

``hotline/update`` sets the inbound call script (``configs.default_script``, and every
working day to that script for the full day: a weekly schedule made in the console is
replaced), the directions and who may call out. Who may call out is
read back as ``accesses``: ``{"type": "extension", "sip_user": ...}`` and
``{"type": "group", "group_id": ...}`` objects (the doc gives no element shape).
"""

from __future__ import annotations

import copy
from typing import Any

from .. import checks
from ..envelope import page
from ..errors import ApiError
from ..request import Request
from ..tenant import Tenant

KIND = "hotlines"
LIST_KEYS = (
    "number", "status", "expire_date", "created_date", "last_updated_date", "configs",
    "access_type", "number_type", "accesses", "disable_by_time_frame", "outbound_config",
)
HIDDEN = ("extensions", "group_ids", "dedicated")
ACCESS_TYPES = ("applies_to_all_employees", "applies_according_to_employee_criteria")
DIRECTIONS = ("inbound", "outbound")
WEEKDAYS = (2, 3, 4, 5, 6, 7, 1)  # the doc's order: Monday (2) .. Sunday (1)


def _working_days(script: str) -> list[dict[str, Any]]:
    return [
        {"weekday": day, "type": "full_day", "script": script,
         "time_frames": [{"from": "", "to": "", "script": ""}]}
        for day in WEEKDAYS
    ]


def accesses(tenant: Tenant, record: dict[str, Any]) -> list[Any]:
    """Who may call out on the hotline, as the reads return it: typed objects by
    default, plain ids under the "accesses-ids" reading."""
    if tenant.reads("accesses-ids"):
        return [*record["extensions"], *record["group_ids"]]
    return [{"type": "extension", "sip_user": s} for s in record["extensions"]] + [
        {"type": "group", "group_id": g} for g in record["group_ids"]
    ]


def render(tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    """A search item / by-phone payload (no ``accesses`` under "accesses-hidden")."""
    item = {k: copy.deepcopy(record[k]) for k in LIST_KEYS if k != "accesses"}
    item["accesses"] = accesses(tenant, record)
    keys = [k for k in LIST_KEYS if not (k == "accesses" and tenant.reads("accesses-hidden"))]
    return {k: item[k] for k in keys}


def from_seed(tenant: Tenant, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A stored hotline from a seed item; ``accesses`` (or hidden ``extensions`` /
    ``group_ids``) give who may call out."""
    now = tenant.clock.now_ms()
    number = str(raw["number"])
    configs = copy.deepcopy(raw.get("configs") or {})
    script = configs.get("default_script") or ""
    record = {
        "number": number,
        "status": raw.get("status", "active"),
        "expire_date": raw.get("expire_date", now + 365 * 86_400_000),
        "created_date": raw.get("created_date", now),
        "last_updated_date": raw.get("last_updated_date", raw.get("created_date", now)),
        "configs": {
            "allow_call_in": bool(configs.get("allow_call_in", True)),
            "allow_call_out": bool(configs.get("allow_call_out", True)),
            "default_script": script,
            "working_days": configs.get("working_days") or _working_days(script),
            "special_days": configs.get("special_days") or [],
            "call_configs": configs.get("call_configs"),
        },
        "access_type": raw.get("access_type", ACCESS_TYPES[0]),
        "number_type": raw.get("number_type", "fixed"),
        "disable_by_time_frame": raw.get("disable_by_time_frame", False),
        "outbound_config": raw.get("outbound_config"),
    }
    listed = [a for a in raw.get("accesses") or [] if isinstance(a, dict)]
    record["extensions"] = list(raw.get("extensions") or [a["sip_user"] for a in listed if a.get("type") == "extension"])
    record["group_ids"] = list(raw.get("group_ids") or [a["group_id"] for a in listed if a.get("type") == "group"])
    record["dedicated"] = copy.deepcopy(raw.get("dedicated"))
    return number, record


def to_seed(tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    """The seed form: read shape plus hidden fields."""
    return {**render(tenant, record), **{k: copy.deepcopy(record[k]) for k in HIDDEN}}


def search(tenant: Tenant, req: Request) -> Any:
    """GET hotline/search?page&size&keyword (default and maximum size 50)."""
    keyword = req.query.get("keyword", "").strip()
    records = [r for r in tenant.newest_first(KIND) if keyword in r["number"]]
    return page(records, req.query, default_size=50, max_size=50, with_extension=False,
                render=lambda r: render(tenant, r))


def by_phone(tenant: Tenant, req: Request) -> Any:
    """GET hotline/by-phone?hotline=."""
    return render(tenant, tenant.get(KIND, checks.query_value(req.query, "hotline")))


def _may_call_out(tenant: Tenant, record: dict[str, Any], sip_user: str) -> bool:
    if record["status"] != "active" or not record["configs"]["allow_call_out"]:
        return False
    dedicated = record.get("dedicated")
    if dedicated and "outbound" in dedicated["directions"]:
        owner = next((e for e in tenant.extensions.values() if e["email"] == dedicated["user_email"]), None)
        return owner is not None and owner["sip_user"] == sip_user
    if record["access_type"] == "applies_to_all_employees":
        return True
    in_groups = any(sip_user in tenant.groups[g]["sip_members"] for g in record["group_ids"] if g in tenant.groups)
    return sip_user in record["extensions"] or in_groups


def list_for_extension(tenant: Tenant, req: Request) -> Any:
    """GET hotline/list?extension=: numbers that extension may call out on."""
    sip_user = checks.query_value(req.query, "extension")
    tenant.get("extensions", sip_user)
    return [r["number"] for r in tenant.newest_first(KIND) if _may_call_out(tenant, r, sip_user)]


def update(tenant: Tenant, req: Request) -> Any:
    """POST hotline/update. Fields left out keep their value; ``allow_call_in`` /
    ``allow_call_out`` are the strings "true"/"false"."""
    body = req.json()
    record = tenant.get(KIND, checks.text(checks.required(body, "hotline"), "hotline"))
    changes: dict[str, Any] = {}
    configs = copy.deepcopy(record["configs"])
    if body.get("extensions") is not None:
        changes["extensions"] = checks.existing(body["extensions"], "extensions", tenant.extensions, "extension")
    if body.get("group_ids") is not None:
        changes["group_ids"] = checks.existing(body["group_ids"], "group_ids", tenant.groups, "ring group")
    if body.get("call_script") is not None:
        script = checks.text(body["call_script"], "call_script", allow_empty=True)
        if script and script not in tenant.call_scripts:
            raise ApiError(f"call_script: call script {script!r} not found")
        # The doc: the script "runs as the one default script for the days of the week".
        configs["default_script"] = script
        configs["working_days"] = _working_days(script)
    for direction in ("allow_call_in", "allow_call_out"):
        if body.get(direction) is not None:
            configs[direction] = checks.bool_string(body[direction], direction)
    if body.get("access_type") is not None:
        changes["access_type"] = checks.one_of(body["access_type"], "access_type", ACCESS_TYPES)
    record.update(changes, configs=configs)
    tenant.touch(record)
    return True


def dedicate(tenant: Tenant, req: Request) -> Any:
    """POST hotline/extension/update {hotline, user_email, directions}: the hotline
    serves one extension only (stored; not shown by reads)."""
    body = req.json()
    record = tenant.get(KIND, checks.text(checks.required(body, "hotline"), "hotline"))
    email = checks.text(checks.required(body, "user_email"), "user_email")
    if not any(e["email"] == email for e in tenant.extensions.values()):
        raise ApiError(f"user_email: no extension with email {email!r}")
    directions = checks.string_list(checks.required(body, "directions"), "directions")
    if not directions or not set(directions) <= set(DIRECTIONS):
        raise ApiError("directions must be a non-empty subset of inbound, outbound")
    record["dedicated"] = {"user_email": email, "directions": list(dict.fromkeys(directions))}
    tenant.touch(record)
    return True
