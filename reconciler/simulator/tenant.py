"""The in-memory tenant: six collections of stored records, a lock, and helpers for
tests that play the role of someone editing the tenant in the vendor's web console.

Records are stored API-shaped (as the list endpoints return them) plus a few hidden
fields the API accepts but never returns (``password``, ``call_queue_config``, ...).
Derived fields (group ``members``, IVR key padding, hotline ``accesses``) are computed
when a response is rendered, so editing a stored record never leaves them stale.
"""

from __future__ import annotations

import threading
from typing import Any

from .errors import ApiError
from .ids import Clock, IdFactory
from .readings import DEFAULTS
from .text import unsigned

KINDS = ("extensions", "greetings", "groups", "ivr_menus", "call_scripts", "hotlines")

# The field a person would call an object by; extensions and hotlines by number.
NAME_FIELD = {
    "extensions": "sip_user",
    "groups": "group_name",
    "ivr_menus": "script_name",
    "greetings": "greeting_name",
    "call_scripts": "script_name",
    "hotlines": "number",
}
UNSIGNED_FIELD = {
    "groups": "group_name_unsigned",
    "ivr_menus": "script_name_unsigned",
    "greetings": "greeting_name_unsigned",
    "call_scripts": "script_name_unsigned",
}
LABEL = {
    "extensions": "extension",
    "groups": "ring group",
    "ivr_menus": "IVR menu",
    "greetings": "greeting",
    "call_scripts": "call script",
    "hotlines": "hotline",
}

# The doc's console user, shown in create_by / last_update_by.
DEFAULT_TENANT_ID = "6209c98461c1cb163ded25f7"
DEFAULT_USER = {"id": "6209c98561c1cb163ded25fa", "name": "OMI Hotline"}


def unsigned_name(kind: str, name: str) -> str:
    """The server-made unsigned copy; greetings' copies are lower-cased, as the
    doc's greeting list shows (``"Thêm mới"`` -> ``"them moi"``)."""
    plain = unsigned(name)
    return plain.lower() if kind == "greetings" else plain


class Tenant:
    """The tenant's data. Hold :attr:`lock` while reading or changing it from a thread
    other than the server's (the simulator's own entry points already do)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.ids = IdFactory()
        self.tenant_id = DEFAULT_TENANT_ID
        self.user = dict(DEFAULT_USER)
        # How this server reads the doc where it leaves a choice open (see readings.py).
        self.readings: frozenset[str] = DEFAULTS
        # Keyed by sip_user, hotline number, or _id for the others; insertion-ordered.
        self.extensions: dict[str, dict[str, Any]] = {}
        self.greetings: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.ivr_menus: dict[str, dict[str, Any]] = {}
        self.call_scripts: dict[str, dict[str, Any]] = {}
        self.hotlines: dict[str, dict[str, Any]] = {}

    def reads(self, reading: str) -> bool:
        """Whether this server takes ``reading`` (a name from readings.py)."""
        return reading in self.readings

    def page_cap(self) -> int:
        """The largest ``size`` a list honours (hotline search is capped at 50 apart)."""
        if self.reads("page-size-honoured"):
            return 1_000_000
        return 10 if self.reads("page-cap-10") else 100

    def collection(self, kind: str) -> dict[str, dict[str, Any]]:
        """The stored records of ``kind`` (one of :data:`KINDS`)."""
        if kind not in KINDS:
            raise KeyError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        return getattr(self, kind)

    def find_all(self, kind: str, name: str) -> list[dict[str, Any]]:
        """Every stored record of ``kind`` whose name (see :data:`NAME_FIELD`) is ``name``."""
        field = NAME_FIELD[kind]
        return [r for r in self.collection(kind).values() if r.get(field) == name]

    def find(self, kind: str, name: str) -> dict[str, Any]:
        """The one stored record of ``kind`` named ``name`` (KeyError if none or several)."""
        found = self.find_all(kind, name)
        if len(found) != 1:
            raise KeyError(f"{len(found)} {kind} named {name!r}")
        return found[0]

    def console_edit(self, kind: str, name: str, **fields: Any) -> dict[str, Any]:
        """Change fields of the record named ``name`` as a console user would:
        the unsigned copy follows a rename and ``last_updated_date`` moves."""
        with self.lock:
            record = self.find(kind, name)
            record.update(fields)
            new_name = fields.get(NAME_FIELD[kind])
            if new_name is not None and kind in UNSIGNED_FIELD:
                record[UNSIGNED_FIELD[kind]] = unsigned_name(kind, new_name)
            self.touch(record)
            return record

    def touch(self, record: dict[str, Any]) -> None:
        """Mark ``record`` as just updated."""
        record["last_updated_date"] = self.clock.now_ms()

    def get(self, kind: str, key: str) -> dict[str, Any]:
        """The record of ``kind`` with id (or number) ``key``, else an API error."""
        record = self.collection(kind).get(key) if isinstance(key, str) else None
        if record is None:
            raise ApiError(f"{LABEL[kind]} not found: {key!r}")
        return record

    def extension_by_agent(self, agent_id: str) -> dict[str, Any] | None:
        """The extension whose ``agent_id`` is ``agent_id``, if any."""
        return next((e for e in self.extensions.values() if e.get("agent_id") == agent_id), None)

    def display(self, kind: str, record: dict[str, Any]) -> str:
        """``ring group 'Nhóm CSKH'``: how error messages name an object."""
        return f"{LABEL[kind]} {record.get(NAME_FIELD[kind])!r}"

    def newest_first(self, kind: str) -> list[dict[str, Any]]:
        """Records in the order list endpoints return them (newest created first)."""
        records = list(self.collection(kind).values())
        return sorted(records, key=lambda r: (r.get("created_date") or 0, r.get("_id", "")), reverse=True)
