"""Extensions (SIP users, "số nội bộ"): seeded only; status, password/call timeout,
refresh and detail endpoints."""

from __future__ import annotations

import copy
from typing import Any

from .. import checks
from ..envelope import page
from ..errors import ApiError
from ..request import Request
from ..tenant import Tenant
from ..text import matches

KIND = "extensions"
LIST_KEYS = (
    "domain", "outbound_proxy", "sip_user", "password", "full_name", "agent_id",
    "email", "public_number", "last_updated_date", "created_date",
)
# Accepted by the API (or the seed) but never returned by the list.
HIDDEN = ("contact_id", "enabled", "call_timeout", "uuid", "initial")
MASK = "XXXXXX"
DEFAULT_CALL_TIMEOUT = 30


def from_seed(tenant: Tenant, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A stored extension from a seed item (list shape plus hidden fields)."""
    sip_user = str(raw["sip_user"])
    now = tenant.clock.now_ms()
    email = raw.get("email") or f"{sip_user}@example.vn"
    password = raw.get("password")
    if not password or password == MASK:
        password = tenant.ids.token(10)
    record = {
        "domain": raw.get("domain", "omiteam"),
        "outbound_proxy": raw.get("outbound_proxy", "wss://wssvn.omicrm.com"),
        "sip_user": sip_user,
        "password": password,
        "full_name": raw.get("full_name", f"Extension {sip_user}"),
        "agent_id": raw.get("agent_id") or tenant.ids.object_id(),
        "email": email,
        "public_number": raw.get("public_number", ""),
        "last_updated_date": raw.get("last_updated_date", now),
        "created_date": raw.get("created_date", now),
        "contact_id": raw.get("contact_id") or tenant.ids.object_id(),
        "enabled": bool(raw.get("enabled", True)),
        "call_timeout": int(raw.get("call_timeout", DEFAULT_CALL_TIMEOUT)),
        "uuid": raw.get("uuid") or email.split("@")[0],
    }
    # What refresh returns to: the extension as first created.
    record["initial"] = copy.deepcopy(
        raw.get("initial") or {k: record[k] for k in ("password", "enabled", "call_timeout")}
    )
    return sip_user, record


def to_seed(tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    """The seed form: list shape with the real password, plus hidden fields."""
    return copy.deepcopy(record)


def render(record: dict[str, Any]) -> dict[str, Any]:
    """A list item: the password is never echoed back."""
    item = {k: record[k] for k in LIST_KEYS}
    item["password"] = MASK
    return item


def list_extensions(tenant: Tenant, req: Request) -> Any:
    """GET internal_phone/list?keyword&page&size (default size 50)."""
    keyword = req.query.get("keyword", "")
    records = [
        r for r in tenant.newest_first(KIND)
        if not keyword or matches(keyword, r["sip_user"], r["email"], r["full_name"])
    ]
    return page(records, req.query, default_size=50, max_size=tenant.page_cap(), with_extension=False, render=render)


def _extension(tenant: Tenant, sip_user: str) -> dict[str, Any]:
    return tenant.get(KIND, sip_user)


def set_status(tenant: Tenant, req: Request) -> Any:
    """PUT internal_phone/status?enabled=&sip_user=."""
    record = _extension(tenant, checks.query_value(req.query, "sip_user"))
    record["enabled"] = checks.bool_string(checks.query_value(req.query, "enabled"), "enabled")
    tenant.touch(record)
    return True


def update_extension(tenant: Tenant, req: Request) -> Any:
    """POST internal_phone/update {sip_user, password?, call_timeout?}."""
    body = req.json()
    record = _extension(tenant, checks.text(checks.required(body, "sip_user"), "sip_user"))
    changes: dict[str, Any] = {}
    if body.get("password") is not None:
        changes["password"] = checks.text(body["password"], "password")
    if body.get("call_timeout") is not None:
        changes["call_timeout"] = checks.numeric(body["call_timeout"], "call_timeout", minimum=1)
    record.update(changes)
    tenant.touch(record)
    return True


def refresh_extension(tenant: Tenant, req: Request) -> Any:
    """GET internal_phone/refresh?sip_user=: back to the state it was created in."""
    record = _extension(tenant, checks.query_value(req.query, "sip_user"))
    record.update(copy.deepcopy(record["initial"]))
    tenant.touch(record)
    return True


_DETAIL_FIELD = {"usr_uuid": "uuid", "sip_user": "sip_user", "user_email": "email"}


def extension_detail(tenant: Tenant, req: Request) -> Any:
    """GET extensions/detail?type=usr_uuid|sip_user|user_email&keyword=."""
    kind = checks.one_of(checks.query_value(req.query, "type"), "type", _DETAIL_FIELD)
    keyword = checks.query_value(req.query, "keyword")
    field = _DETAIL_FIELD[kind]
    record = next((r for r in tenant.extensions.values() if r[field] == keyword), None)
    if record is None:
        raise ApiError(f"extension not found: {kind}={keyword!r}")
    return {
        "extension": record["sip_user"],
        "full_name": record["full_name"],
        "mail": record["email"],
        "pbx_account": {
            "display_name": record["sip_user"],
            "sip_user": record["sip_user"],
            # The doc's detail example shows the SIP password: softphones need it.
            "sip_password": record["password"],
            "sip_web_socket_server": record["outbound_proxy"],
            "sip_realm": record["domain"],
            "sip_proxy": "<sip:127.0.0.1;transport=udp>",
            "sip_proxy_port": "",
            "stun_servers": [],
            "transport": ["tcp", "udp", "ws", "wss"],
            "use_opus": True,
            "opus_quality": 1,
        },
        "uuid": record["uuid"],
    }
