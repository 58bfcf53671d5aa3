"""The ledger: what the reconciler must remember that the API never returns.

Some fields are write-only (a group's queue settings, an extension's enabled flag and
timeout, a SIP password, an mp3's bytes). To keep "apply, then plan shows no changes"
without a state file, the fingerprints of the values last applied are kept in the tenant
itself, in the `note` of one call script with a visible name. Losing it is safe: every
write-only field then counts as unverified-and-changed once, is sent again, and the
fingerprints are written back. Only fingerprints are stored, never a value; secrets are
stretched with PBKDF2 so a weak password cannot be read back from the note.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds.base import expand_env, nfc

LEDGER_NAME = "reconciler state (safe to delete)"
LEDGER_NOTE_PREFIX = "reconciler-ledger v1 "
SECRET_ROUNDS = 20_000


def is_ledger(item: dict) -> bool:
    """Whether a raw call-script item is the ledger (never planned, listed or exported)."""
    return nfc(item.get("script_name") or "") == LEDGER_NAME


def fingerprint(kind: str, object_id: str, field_name: str, value: Any, secret: bool) -> str:
    """A short, salted digest of a field's value as applied."""
    text = json.dumps(expand_env(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    salt = f"{kind}:{object_id}:{field_name}".encode()
    if secret:
        digest = hashlib.pbkdf2_hmac("sha256", text.encode(), salt, SECRET_ROUNDS)
    else:
        digest = hashlib.sha256(salt + b"\0" + text.encode()).digest()
    return digest.hex()[:24]


@dataclass
class Ledger:
    """Fingerprints by "kind:id" then field. `item` is the live call script, if any."""

    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    item: dict | None = None

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

    def get(self, kind: str, object_id: str, field_name: str) -> str | None:
        return self.entries.get(f"{kind}:{object_id}", {}).get(field_name)

    def put(self, kind: str, object_id: str, field_name: str, digest: str) -> None:
        self.entries.setdefault(f"{kind}:{object_id}", {})[field_name] = digest

    def forget(self, kind: str, object_id: str) -> None:
        self.entries.pop(f"{kind}:{object_id}", None)

    def note(self) -> str:
        return LEDGER_NOTE_PREFIX + json.dumps(self.entries, sort_keys=True, separators=(",", ":"))
