"""The history: a short entry per apply, kept in the tenant beside the state note.

One object of the kind that `HoldsStateNote`, named by its `history_name` ("reconciler
history (safe to delete)"), whose note holds the most recent entries, oldest first: when,
who (as the lock names its holder), the lease, the plan's checksum, what was done (counts
per operation), what failed or was skipped, and the result (complete, partial,
interrupted). Bounded: at most MAX_ENTRIES entries and MAX_CHARS characters (the doc sets
no length for a call script's note; these keep it well inside what a console field
takes), the oldest dropping off; a server that refuses a note that long is sent fewer.
It is written only by the apply that holds the lock (engine/lease.py), so two applies
never write it at once. Losing it (deleted, edited out of shape) costs only the history.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from reconciler.engine.lease import Lease, iso_utc
from reconciler.engine.state_note import holder as note_kind
from reconciler.errors import ApiError

TEXT_PREFIX = "reconciler-history v1 "
MAX_ENTRIES = 30
MAX_CHARS = 6000
COMPLETE, PARTIAL, INTERRUPTED = "complete", "partial", "interrupted"


@dataclass
class Outcome:
    """What one apply did, as the history records it."""

    done: Counter
    failed: int = 0
    conflicts: int = 0
    skipped: int = 0
    result: str = COMPLETE

    @classmethod
    def of(cls, results: Iterable[Any], *, interrupted: bool = False, warnings: bool = False) -> "Outcome":
        """From the applier's results (each with `.status` and `.step`)."""
        results = list(results)
        done = Counter(str(r.step) for r in results if str(r.status) == "done")
        failed = sum(str(r.status) == "failed" for r in results)
        conflicts = sum(str(r.status) == "conflict" for r in results)
        skipped = sum(str(r.status) == "skipped" for r in results)
        result = INTERRUPTED if interrupted else PARTIAL if failed or conflicts or skipped or warnings else COMPLETE
        return cls(done, failed, conflicts, skipped, result)


def entry(lease: Lease, outcome: Outcome) -> dict:
    """One entry of the history (what `history --format json` shows)."""
    return {"at": iso_utc(time.time()), "user": lease.holder.get("user"), "host": lease.holder.get("host"),
            "ci": lease.holder.get("ci"), "lease": lease.id, "plan": (lease.plan or "")[:16] or None,
            "command": lease.command, "result": outcome.result, "done": dict(sorted(outcome.done.items())),
            "failed": outcome.failed, "conflicts": outcome.conflicts, "skipped": outcome.skipped}


def parse(text: str) -> list[dict]:
    """The entries a note holds, oldest first; none when it is not a history note."""
    if not text.startswith(TEXT_PREFIX):
        return []
    try:
        loaded = json.loads(text[len(TEXT_PREFIX):])
    except ValueError:
        return []
    return [e for e in loaded if isinstance(e, dict)] if isinstance(loaded, list) else []


def text_of(entries: list[dict]) -> str:
    """The note's text, the oldest entries left out until it fits MAX_ENTRIES and MAX_CHARS."""
    kept = entries[-MAX_ENTRIES:]
    while True:
        text = TEXT_PREFIX + json.dumps(kept, ensure_ascii=False, separators=(",", ":"))
        if len(text) <= MAX_CHARS or len(kept) <= 1:
            return text
        kept = kept[1:]


def entries_in(items: list[dict]) -> list[dict]:
    """The entries among live items of the note kind, oldest first (every history
    object's, should there be several)."""
    return _entries(note_kind(), items)


def _entries(kind: Any, items: list[dict]) -> list[dict]:
    found = [e for item in kind.notes_named(items, kind.history_name) for e in parse(kind.state_note_text(item))]
    return sorted(found, key=lambda e: str(e.get("at") or ""))


async def record(client: Any, new: dict) -> None:
    """Add `new` to the history in the tenant. Raises ReconcilerError when the tenant
    refuses even a note of one entry (the caller warns: only the history is lost)."""
    kind = note_kind()
    items = await kind.list_notes(client)
    objects = kind.notes_named(items, kind.history_name)
    entries = [*_entries(kind, items), new]
    item = objects[-1] if objects else None

    async def find_it() -> Any:  # a create whose answer was lost: it may be there
        found = kind.notes_named(await kind.list_notes(client), kind.history_name)
        return found[-1] if found else None

    while True:
        try:
            await kind.save_note(client, kind.history_name, text_of(entries), item, find_existing=find_it)
            return
        except ApiError as err:
            # Refused (a note too long for this server?): keep the newest half, down to one.
            if err.server_message is None or len(entries) <= 1:
                raise
            entries = entries[len(entries) // 2:]


# --- `reconciler history` ------------------------------------------------------------------


def _done_text(done: dict) -> str:
    total = sum(v for v in done.values() if isinstance(v, int))
    parts = ", ".join(f"{v} {k}" for k, v in done.items())
    return f"{total} done" + (f" ({parts})" if parts else "")


def render_history_text(entries: list[dict], leases: list[Lease]) -> str:
    """Newest first: one line per apply; then who holds the lock, if anyone."""
    lines: list[str] = []
    for lease in leases:
        lines.append(f"Locked: {lease.describe()} [{lease.state}]; if it is dead: "
                     f"reconciler unlock --force {lease.id}")
    if not entries:
        lines.append("No apply recorded in the tenant (the history is empty, or was deleted).")
    for e in entries:
        who = f"{e.get('user') or '?'}@{e.get('host') or '?'}"
        trouble = [f"{e.get(k)} {k}" for k in ("failed", "conflicts", "skipped") if e.get(k)]
        plan = f"plan {e['plan'][:12]}" if e.get("plan") else "plan -"
        what = "; ".join([_done_text(e.get("done") or {}), *trouble])
        lines.append(f"{str(e.get('at') or '?'):<20}  {str(e.get('result') or '?'):<11}  {who}  {plan}  "
                     f"lease {e.get('lease') or '-'}  {what}" + (f"  {e['ci']}" if e.get("ci") else ""))
    return "\n".join(lines) + "\n"


def render_history_json(entries: list[dict], leases: list[Lease], format_version: Any) -> str:
    """`history --format json`: the entries newest first, and the leases there are now."""
    locks = [{"lease": lease.id, "state": lease.state, "user": lease.holder.get("user"),
              "host": lease.holder.get("host"), "ci": lease.holder.get("ci"), "command": lease.command,
              "started": iso_utc(lease.started), "plan": lease.plan, "expiry_seconds": lease.expiry} for lease in leases]
    return json.dumps({"format_version": format_version, "entries": entries, "locks": locks},
                      ensure_ascii=False, indent=2) + "\n"
