"""The state note (class `Ledger`): what the reconciler must remember that the API never returns.

Some fields are write-only (a group's queue settings, an extension's enabled flag and
timeout, a SIP password, an mp3's bytes). To keep "apply, then plan shows no changes"
without a state file, the fingerprints of the values last applied are kept in the tenant
itself, in the `note` of one call script with a visible name. Losing it is safe: every
write-only field then counts as unverified-and-changed once, is sent again, and the
fingerprints are written back. Only fingerprints are stored, never a value. A secret's
fingerprint is an HMAC keyed by something the tenant does not hold (RECONCILER_LEDGER_KEY,
else the API key): anyone who can read call scripts could otherwise try every short PIN
against it. Without such a key a secret cannot be verified, and is sent on every apply.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds.base import nfc

LEDGER_NAME = "reconciler state (safe to delete)"
LEDGER_NOTE_PREFIX = "reconciler-ledger v1 "


def ledger_key() -> bytes | None:
    """The key of secrets' fingerprints, from the environment (never stored anywhere)."""
    key = os.environ.get("RECONCILER_LEDGER_KEY") or os.environ.get("OMICALL_API_KEY")
    return key.encode() if key else None


def is_ledger(item: dict) -> bool:
    """Whether a raw call-script item is the ledger (never planned, listed or exported)."""
    return nfc(item.get("script_name") or "") == LEDGER_NAME


def fingerprint(kind: str, object_id: str, field_name: str, value: Any, secret: bool,
                key: bytes | None = None) -> str | None:
    """A short, salted digest of a field's value as applied (secrets expanded by the
    caller); None for a secret without a key."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    salt = f"{kind}:{object_id}:{field_name}".encode()
    if secret:
        if not key:
            return None
        digest = hmac.new(key, salt + b"\0" + text.encode(), hashlib.sha256).digest()
    else:
        digest = hashlib.sha256(salt + b"\0" + text.encode()).digest()
    return digest.hex()[:24]


@dataclass
class Ledger:
    """Fingerprints by "kind:id" then field. `item` is the live call script, if any."""

    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    item: dict | None = None
    key: bytes | None = field(default=None, repr=False)  # for secrets' fingerprints

    @classmethod
    def from_items(cls, call_scripts: list[dict]) -> "Ledger":
        """The ledger found among live call scripts (the newest, if several); an unreadable
        note counts as an empty ledger, which is safe."""
        found = sorted((i for i in call_scripts if is_ledger(i)), key=lambda i: i.get("last_updated_date") or 0)
        if not found:
            return cls()
        item = found[-1]
        note = item.get("note") or ""
        entries: dict[str, dict[str, str]] = {}
        if note.startswith(LEDGER_NOTE_PREFIX):
            try:
                loaded = json.loads(note[len(LEDGER_NOTE_PREFIX):])
                if isinstance(loaded, dict):
                    entries = {k: dict(v) for k, v in loaded.items() if isinstance(v, dict)}
            except ValueError:
                entries = {}
        return cls(entries=entries, item=item)

    def fingerprint(self, kind: str, object_id: str, field_name: str, value: Any, secret: bool) -> str | None:
        return fingerprint(kind, object_id, field_name, value, secret, self.key)

    def get(self, kind: str, object_id: str, field_name: str) -> str | None:
        return self.entries.get(f"{kind}:{object_id}", {}).get(field_name)

    def put(self, kind: str, object_id: str, field_name: str, digest: str) -> None:
        self.entries.setdefault(f"{kind}:{object_id}", {})[field_name] = digest

    def forget(self, kind: str, object_id: str) -> None:
        self.entries.pop(f"{kind}:{object_id}", None)

    def note(self) -> str:
        return LEDGER_NOTE_PREFIX + json.dumps(self.entries, sort_keys=True, separators=(",", ":"))
