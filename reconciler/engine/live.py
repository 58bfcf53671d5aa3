"""Reading the live tenant: every list of every kind, once, kinds in parallel; and its
items in manifest terms, for the planner, the applier, export and flows."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from reconciler.api.client import gather_or_cancel
from reconciler.engine.catalogue import Catalogue
from reconciler.engine.lease import Lease, leases_in
from reconciler.engine.state_note import StateNote, holder as note_kind, state_note_key
from reconciler.errors import ApiError
from reconciler.kinds import KINDS

@dataclass
class LiveState:
    """Raw items per kind as the API returned them, plus the state note."""

    items: dict[str, list[dict]] = field(default_factory=dict)
    state_note: StateNote = field(default_factory=StateNote)
    # The lock's leases there were when read (engine/lease.py): another apply under way.
    leases: list[Lease] = field(default_factory=list)
    # Whether the tenant holds an apply history (engine/history.py): the reconciler applied
    # here before, even where no state note was needed.
    has_history: bool = False

    @property
    def applied_before(self) -> bool:
        """An apply of the reconciler is known here: a state note or a history entry."""
        return self.state_note.item is not None or self.has_history

    @cached_property
    def catalogue(self) -> Catalogue:
        """The live objects indexed once, for every part that looks them up."""
        return Catalogue(self.items)

    @classmethod
    def from_raw(cls, items: dict[str, list[dict]]) -> "LiveState":
        """Split the state note (kept as an object of the kind that `HoldsStateNote`) off
        the rest."""
        cleaned = {k: list(v) for k, v in items.items()}
        for kind in KINDS:
            cleaned.setdefault(kind, [])
        holder = note_kind()
        leases = leases_in(cleaned.get(holder.name, []))
        has_history = bool(holder.notes_named(cleaned.get(holder.name, []), holder.history_name))
        note = StateNote.split_from(cleaned)
        return cls(items=cleaned, state_note=note, leases=leases, has_history=has_history)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {dict: "an object", list: "a list", str: "text"}.get(type(value), type(value).__name__)


def _label(value: Any) -> str | None:
    """An id or name fit to show in a message (short text or a whole number), else None."""
    if _is_int(value) or (isinstance(value, str) and value.strip() and len(value) <= 80 and value.isprintable()):
        return repr(value) if isinstance(value, str) else str(value)
    return None


def check_items(kind: str, items: list[Any]) -> None:
    """ApiError, naming the list endpoint and the item, unless every item of kind `kind`
    has the shape the kind relies on: an object whose identity (and id) fields are there,
    with the right types. Anything deeper is the kind's to judge when it normalizes."""
    kind_def = KINDS[kind]
    shape = (kind_def.identity_field, kind_def.identity_may_be_number, kind_def.id_field)
    for position, item in enumerate(items, 1):
        problem = _shape_problem(item, shape)
        if problem is None:
            continue
        which = f"item {position}"
        if isinstance(item, dict):
            label = _label(item.get(shape[2] or shape[0])) or _label(item.get(shape[0]))
            if label:
                which += f" ({label})"
        raise ApiError(f"the {kind_def.name.replace('_', ' ')} list is malformed: {which} {problem}",
                       method="GET", endpoint=kind_def.list_path)


def _shape_problem(item: Any, shape: tuple[str, bool, str | None]) -> str | None:
    """What is wrong with a live item, given (identity field, whether a whole number is
    accepted for it, id field or None when the identity is the id); None when fine. Names
    are NFC-compared text; hotline numbers and SIP users are ids that may come as numbers."""
    if not isinstance(item, dict):
        return "is not an object"
    name_field, number_ok, id_field = shape
    fields = [(name_field, number_ok, id_field is not None)]
    if id_field is not None:
        fields.append((id_field, True, False))
    for field_name, ints, may_be_empty in fields:
        if field_name not in item or item[field_name] is None:
            return f"has no {field_name}"
        value = item[field_name]
        if isinstance(value, str):
            if not value and not may_be_empty:
                return f"has an empty {field_name}"
        elif not (ints and _is_int(value)):
            wanted = "text or a whole number" if ints else "text"
            return f"has a {field_name} that is not {wanted} (it is {_json_type(value)})"
    return None


async def read_live(client: Any, expected: dict[str, int] | None = None) -> LiveState:
    """Every page of every kind's list, concurrently (the client bounds requests in flight).
    `expected`: objects per kind an earlier read saw (all pages are then asked for at once)."""
    wanted = list(KINDS)
    results = await gather_or_cancel(
        [client.list_all(KINDS[k].list_path, page_size=KINDS[k].page_size, expected_items=(expected or {}).get(k, 0))
         for k in wanted]
    )
    for kind, items in zip(wanted, results):
        check_items(kind, items)
    state = LiveState.from_raw(dict(zip(wanted, results)))
    state.state_note.key = state_note_key()
    return state


def live_in_manifest_terms(live: LiveState) -> dict[str, list[tuple[str, dict]]]:
    """Every live object in manifest terms, by kind, as (id, data): references by name,
    write-only fields absent. A name shared by several live objects reads "Name (id ...)"."""
    read = manifest_reader(live)
    return {k: [(kind_def.live_id(i), read(k, i)) for i in live.catalogue.items(k)] for k, kind_def in KINDS.items()}


def manifest_reader(live: LiveState) -> Callable[[str, dict], dict]:
    """A function that reads one raw item of `live`'s tenant in manifest terms (kind name,
    item) -> data, with references named as `live_in_manifest_terms` names them."""
    names = live.catalogue.names_for_reading()
    return lambda k, item: KINDS[k].from_live(item, names)
