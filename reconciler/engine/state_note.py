"""The state note: what the reconciler must remember that the API never returns.

Some fields are write-only (a group's queue settings, an extension's enabled flag and
timeout, a SIP password, an mp3's bytes). To keep "apply, then plan shows no changes"
without a state file, the fingerprints of the values last applied are kept in the tenant
itself, in one object with a visible name, of the kind that `HoldsStateNote` (a call
script: that kind's module says how the note is stored). Losing it is safe: every
write-only field then counts as unverified-and-changed once, is sent again, and the
fingerprints are written back. Only fingerprints are stored, never a value. A secret's
fingerprint is an HMAC keyed by something the tenant does not hold (RECONCILER_STATE_NOTE_KEY,
else the API key): anyone who can read call scripts could otherwise try every short PIN
against it. Without such a key a secret cannot be verified, and is sent on every apply.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from typing import Any, Iterable

from reconciler.kinds import KINDS
from reconciler.kinds.base import HoldsStateNote, IdResolver

# The note's text starts with this tag. Its word predates the name "state note"; it stays,
# so the notes existing tenants hold are still read.
TEXT_PREFIX = "reconciler-ledger v1 "
# The key's variable, then its older name (still read: CI setups have it), then the API key.
KEY_VARIABLES = ("RECONCILER_STATE_NOTE_KEY", "RECONCILER_LEDGER_KEY", "OMICALL_API_KEY")


def state_note_key() -> bytes | None:
    """The key of secrets' fingerprints, from the environment (never stored anywhere)."""
    key = next((os.environ[v] for v in KEY_VARIABLES if os.environ.get(v)), None)
    return key.encode() if key else None


def holder() -> HoldsStateNote:
    """The kind the state note is stored as."""
    return next(kind_def for kind_def in KINDS.values() if isinstance(kind_def, HoldsStateNote))


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
class StateNote:
    """Fingerprints by "kind:id" then field. `item` is the live object that holds the
    note, if any."""

    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    item: dict | None = None
    key: bytes | None = field(default=None, repr=False)  # for secrets' fingerprints

    @classmethod
    def split_from(cls, items: dict[str, list[dict]]) -> "StateNote":
        """The note found among live items by kind, which are left without it (it is never
        planned, listed or exported), nor the lock's and the history's objects. An
        unreadable note counts as empty, which is safe."""
        kind_def = holder()
        held = items.get(kind_def.name, [])
        item = kind_def.find_state_note(held)
        # The lock's and the history's objects go too: they are the reconciler's, like the note.
        items[kind_def.name] = [i for i in held if not kind_def.is_reconciler_note(i)]
        if item is None:
            return cls()
        return cls(entries=parse(kind_def.state_note_text(item)), item=item)

    def put_back(self, items: dict[str, list[dict]]) -> dict[str, list[dict]]:
        """Live items by kind with the note's object back among its kind's (`split_from`
        took it out)."""
        if self.item is None:
            return items
        kind = holder().name
        return {**items, kind: [*items.get(kind, []), self.item]}

    def copy(self) -> "StateNote":
        """A copy to record an apply's changes in, the note it started from kept as it was."""
        return StateNote({k: dict(v) for k, v in self.entries.items()}, self.item, self.key)

    def fingerprint(self, kind: str, object_id: str, field_name: str, value: Any, secret: bool) -> str | None:
        return fingerprint(kind, object_id, field_name, value, secret, self.key)

    def get(self, kind: str, object_id: str, field_name: str) -> str | None:
        return self.entries.get(f"{kind}:{object_id}", {}).get(field_name)

    def put(self, kind: str, object_id: str, field_name: str, digest: str) -> None:
        self.entries.setdefault(f"{kind}:{object_id}", {})[field_name] = digest

    def forget(self, kind: str, object_id: str) -> None:
        self.entries.pop(f"{kind}:{object_id}", None)

    def text(self) -> str:
        return TEXT_PREFIX + json.dumps(self.entries, sort_keys=True, separators=(",", ":"))

    async def save(self, client: Any, *, before: dict, items: dict[str, list[dict]],
                   created: Iterable[tuple[str, str]], ids: IdResolver) -> bool:
        """Store the fingerprints of what was applied, dropping objects that no longer exist
        (`items`: the live items the apply started from; `created`: (kind, id) it made).
        Written only when it differs from `before`, so an apply with nothing to do sends
        nothing. False when there was nothing to write."""
        live_ids = {f"{k}:{KINDS[k].live_id(i)}" for k in KINDS for i in items.get(k, [])}
        live_ids |= {f"{k}:{object_id}" for k, object_id in created}
        self.entries = {key: v for key, v in self.entries.items() if key in live_ids and v}
        if self.entries == before or (not self.entries and self.item is None):
            return False
        await holder().save_state_note(client, self.text(), self.item, items, ids)
        return True


def parse(text: str) -> dict[str, dict[str, str]]:
    """The entries of a note's text; none when someone edited it out of shape."""
    if not text.startswith(TEXT_PREFIX):
        return {}
    try:
        loaded = json.loads(text[len(TEXT_PREFIX):])
    except ValueError:
        return {}
    return {k: dict(v) for k, v in loaded.items() if isinstance(v, dict)} if isinstance(loaded, dict) else {}
