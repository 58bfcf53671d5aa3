"""The endpoint table: (method, path pattern) -> handler."""

from __future__ import annotations

import re
from typing import Any, Callable

from .errors import ApiError
from .request import Request
from .resources import call_scripts, extensions, greetings, groups, hotlines, ivr_menus
from .tenant import Tenant

Handler = Callable[[Tenant, Request], Any]
AUTH_PATH = "/api/auth"
CC = "/api/call_center"

_TABLE: list[tuple[str, str, Handler]] = [
    ("GET", "/internal_phone/list", extensions.list_extensions),
    ("PUT", "/internal_phone/status", extensions.set_status),
    ("POST", "/internal_phone/update", extensions.update_extension),
    ("GET", "/internal_phone/refresh", extensions.refresh_extension),
    ("GET", "/extensions/detail", extensions.extension_detail),
    ("GET", "/hotline/list", hotlines.list_for_extension),
    ("GET", "/hotline/search", hotlines.search),
    ("GET", "/hotline/by-phone", hotlines.by_phone),
    ("POST", "/hotline/update", hotlines.update),
    ("POST", "/hotline/extension/update", hotlines.dedicate),
    ("GET", "/internal_group/list", groups.list_groups),
    ("POST", "/internal_group/add", groups.add_group),
    ("POST", "/internal_group/update/:id", groups.update_group),
    ("POST", "/internal_group/add-members", groups.add_members),
    ("POST", "/internal_group/remove-members", groups.remove_members),
    ("DELETE", "/internal_group/delete/:id", groups.delete_group),
    ("GET", "/key-interaction/list", ivr_menus.list_menus),
    ("POST", "/key-interaction/add", ivr_menus.add_menu),
    ("POST", "/key-interaction/update/:id", ivr_menus.update_menu),
    ("DELETE", "/key-interaction/delete/:id", ivr_menus.delete_menu),
    ("GET", "/greeting/list", greetings.list_greetings),
    ("POST", "/greeting/upload", greetings.upload),
    ("POST", "/greeting/upload-text-to-speech", greetings.text_to_speech),
    ("DELETE", "/greeting/delete/:id", greetings.delete_greeting),
    ("GET", "/call_script/list", call_scripts.list_scripts),
    ("POST", "/call_script/add", call_scripts.add_script),
    ("PUT", "/call_script/update/:id", call_scripts.update_script),
    ("DELETE", "/call_script/delete/:id", call_scripts.delete_script),
]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(CC + pattern).replace(re.escape(":id"), "(?P<id>[^/]+)") + "$")


ROUTES = [(method, _compile(pattern), handler) for method, pattern, handler in _TABLE]


def resolve(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    """The handler and path parameters for a request; 404/405 envelope errors otherwise."""
    path = path.rstrip("/") or "/"
    allowed = []
    for route_method, pattern, handler in ROUTES:
        found = pattern.match(path)
        if found:
            if route_method == method:
                return handler, found.groupdict()
            allowed.append(route_method)
    if allowed:
        raise ApiError(f"method {method} not allowed on {path} (use {', '.join(allowed)})", 405)
    raise ApiError(f"not found: {path}", 404)
