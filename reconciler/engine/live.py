"""Reading the live tenant: every list of every kind, once, kinds in parallel."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.ledger import Ledger, is_ledger, ledger_key
from reconciler.kinds import KINDS


@dataclass
class LiveState:
    """Raw items per kind as the API returned them, plus the ledger."""

    items: dict[str, list[dict]] = field(default_factory=dict)
    ledger: Ledger = field(default_factory=Ledger)

    @classmethod
    def from_raw(cls, items: dict[str, list[dict]]) -> "LiveState":
        """Split the ledger's call script off the rest."""
        scripts = items.get("call_scripts", [])
        ledger = Ledger.from_items(scripts)
        cleaned = {k: list(v) for k, v in items.items()}
        cleaned["call_scripts"] = [i for i in scripts if not is_ledger(i)]
        for key in KINDS:
            cleaned.setdefault(key, [])
        return cls(items=cleaned, ledger=ledger)


async def read_live(client: Any, kinds: list[str] | None = None) -> LiveState:
    """Every page of every kind's list, concurrently (the client bounds requests in flight).
    Extensions are always read: groups name their members by agent id."""
    wanted = list(kinds or KINDS)
    if "extensions" not in wanted:
        wanted.append("extensions")
    if "call_scripts" not in wanted:
        wanted.append("call_scripts")  # the ledger lives there
    results = await asyncio.gather(
        *(client.list_all(KINDS[k].list_path, page_size=KINDS[k].page_size) for k in wanted)
    )
    state = LiveState.from_raw(dict(zip(wanted, results)))
    state.ledger.key = ledger_key()
    return state
