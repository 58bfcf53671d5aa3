"""Re-reading one object right before the applier writes it.

The tenant is read once before an apply starts; an apply can take minutes, and in that
time someone may edit an object in the console, or a request of an interrupted apply may
land late. So each object is read again just before its first update or delete, and each
name just before (and just after) a create:

- lists that filter by `?keyword=` (groups, IVR menus, hotlines, extensions) answer with
  one short page: one request per object;
- lists without a keyword filter (greetings, call scripts) are read whole, and operations
  that become ready together share that one read.

An object whose fields (in manifest terms) differ from what the apply started from is a
conflict and is not overwritten; one already gone is not deleted twice.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from reconciler.engine.order import Step
from reconciler.engine.plan import Change
from reconciler.errors import ReconcilerError
from reconciler.kinds import KINDS, Kind


class Conflict(ReconcilerError):
    """The object changed in the tenant since the apply read it; it was not overwritten."""


class AlreadyGone(ReconcilerError):
    """The object to delete was no longer in the tenant."""


LATE_HINT = "an edit in the console, or a late request of an interrupted apply; run plan to see it, then apply again"


class Recheck:
    """Reads objects again during an apply. `reads` counts the list requests it made
    (pages included), so their cost can be measured."""

    def __init__(self, client: Any, start: dict[tuple[str, str], dict], read: Callable[[str, dict], dict]):
        self.client = client
        self.start = start  # (kind, id) -> raw item the apply started from
        self.read = read  # (kind key, raw item) -> the item in manifest terms
        self.reads = 0
        self._shared: dict[str, tuple[asyncio.Task, list[bool]]] = {}

    async def current(self, kind: Kind, object_id: str, name: str) -> dict | None:
        """The live item `object_id` as it is now (None: gone). `name` is its live name,
        the keyword that finds it in one page."""
        if kind.list_takes_keyword:
            items = await self._list(kind, {"keyword": name})
            found = _by_id(kind, items, object_id)
            if found is not None:
                return found
            # A server may match keywords differently (accents, spaces): never call an
            # object gone on a keyword miss alone.
        return _by_id(kind, await self._whole(kind), object_id)

    async def named(self, kind: Kind, name: str) -> list[dict]:
        """Every live item named `name` now."""
        if kind.list_takes_keyword:
            items = await self._list(kind, {"keyword": name})
        else:
            items = await self._whole(kind)
        return [i for i in items if kind.live_identity(i) == name]

    async def before_write(self, change: Change, step: Step) -> dict | None:
        """Before the first update or delete of an existing object: its current raw item,
        to build the update from. Raises Conflict when it changed since the apply began,
        AlreadyGone when a delete finds nothing left to delete."""
        kind = KINDS[change.kind]
        object_id = change.id or ""
        live_name = change.rename_from or change.name
        now = await self.current(kind, object_id, live_name)
        label = kind.subject(change.name)
        if now is None:
            if step == Step.DELETE:
                raise AlreadyGone(f"{label} was already gone from the tenant")
            raise Conflict(f"{label} was deleted in the tenant while this apply ran ({LATE_HINT})")
        before = self.start.get((change.kind, object_id))
        if before is not None and self.read(change.kind, before) != self.read(change.kind, now):
            raise Conflict(f"{label} was changed in the tenant while this apply ran; not overwritten ({LATE_HINT})")
        return now

    async def before_create(self, kind: Kind, name: str) -> None:
        """A name that appeared since the apply began is not created a second time."""
        if kind.picks_duplicates_by_content:
            return  # replaced by name (greetings): a second live one is expected
        if await self.named(kind, name):
            raise Conflict(f"{kind.subject(name)} appeared in the tenant while this apply ran; "
                           f"not created twice ({LATE_HINT})")

    async def after_create(self, kind: Kind, name: str, new_id: str) -> None:
        """If another object of that name landed while ours was created, ours goes again
        (nothing points at it yet), so the tenant never keeps two."""
        if kind.picks_duplicates_by_content:
            return
        others = [i for i in await self.named(kind, name) if kind.live_id(i) != new_id]
        if not others:
            return
        await kind.delete(self.client, new_id)
        raise Conflict(f"{kind.subject(name)} appeared in the tenant while this apply created it; "
                       f"the copy this apply made was deleted again ({LATE_HINT})")

    async def _list(self, kind: Kind, params: dict | None) -> list[dict]:
        self.reads += 1
        return await self.client.list_all(kind.list_path, params=params, page_size=kind.page_size)

    async def _whole(self, kind: Kind) -> list[dict]:
        """The whole list, shared by every caller that asks before the read is sent."""
        shared = self._shared.get(kind.key)
        if shared is None or shared[1][0]:
            sent = [False]

            async def read() -> list[dict]:
                await asyncio.sleep(0)  # let the operations ready at the same time join
                sent[0] = True
                return await self._list(kind, None)

            shared = (asyncio.ensure_future(read()), sent)
            self._shared[kind.key] = shared
        return await asyncio.shield(shared[0])


def _by_id(kind: Kind, items: list[dict], object_id: str) -> dict | None:
    return next((i for i in items if kind.live_id(i) == object_id), None)
