"""Re-reading objects during an apply, right before they are written, in shared reads.

The tenant is read once before an apply starts; an apply can take minutes, and in that
time someone may edit an object in the console, or a request of an interrupted apply may
land late. So the applier looks each object up again:

- before the first update or delete of an object that existed: an object whose fields
  (in manifest terms) changed since the apply began is a conflict and is not
  overwritten; one already gone is not deleted twice;
- after each create (not before: this one read catches a name that appeared before the
  create as well as one that landed during it): if another object of that name is there,
  the copy this apply made is deleted again at once, before anything points at it.

Look-ups are not sent one by one. Each kind gathers them in a batch, and a batch is
answered by one read, whichever is cheaper: one `?keyword=` page per name (groups, IVR
menus, hotlines, extensions) or the whole list (ceil(live objects / page size) pages,
read concurrently; the only way for call scripts, whose list takes no keyword;
greetings, replaced by content, are not looked up). A batch is sent:

- when the writes the apply has finished since it started have paid for it: each
  finished operation earns 1/SHARE of a read, so these reads never cost more than one
  request for SHARE writes, however big the tenant (the two cases below add more: at the
  end of a big apply, every batch left is read when nothing else can go on);
- at once when it holds up a chain of operations half as long as the rounds of writes
  left (operations not finished / the client's concurrency): near the end of an apply,
  the chains waiting for look-ups set its length, and they no longer wait for the
  budget. A whole-list batch still waits for the creates of its kind in flight (their
  look-ups join it within a round trip): at the end of a big apply, one read of 40
  pages answers them all, not one read each;
- at once when nothing else can go on (every running operation waits for a look-up):
  then the batches that hold up the longest chain (the others keep gathering: a look-up
  that holds up less, such as the last check of a create nothing points at, is answered
  by a later read that serves many. Sending instead the batch that cost the fewest
  reads per look-up took 997 reads where this takes 709 in the apply of a generated
  tenant of 10,000 objects, benchmarks/apply_schedule.py).

So an operation waits for its look-up only while the apply has more pressing writes to
send, and its write follows the answer at once: the applier keeps at most twice the
client's concurrency at work, so the write is not queued behind thousands of others.
A keyword page that does not show an object looked up by id is never taken as "gone"
(a server may match keywords differently): the whole list is read for it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from reconciler.api.client import gather_or_cancel
from reconciler.engine.order import Step
from reconciler.engine.plan import Change
from reconciler.errors import ReconcilerError
from reconciler.kinds import KINDS, Kind


class Conflict(ReconcilerError):
    """The object changed in the tenant since the apply read it; it was not overwritten."""


class AlreadyGone(ReconcilerError):
    """The object to delete was no longer in the tenant."""


LATE_HINT = "an edit in the console, or a late request of an interrupted apply; run plan to see it, then apply again"

# Finished writes per re-check read: the look-ups cost at most one read for SHARE writes
# (plus the reads sent because nothing else could go on).
SHARE = 16


@dataclass
class _LookUp:
    name: str  # the live name: the keyword that finds the object in one page
    object_id: str | None  # the object looked up by id, if any
    whole: bool  # the whole list is needed (a keyword page did not show it)
    chain: int  # how many operations wait on this one, itself included (the longest chain)
    answer: asyncio.Future  # -> (the items named `name` or with that id, whether the whole list was read)


@dataclass
class _Batch:
    """The look-ups of one kind not sent yet, with what choosing how to answer them needs
    (kept as they come: a batch is weighed at every finished operation)."""

    look_ups: list[_LookUp] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    whole: bool = False  # some look-up needs the whole list
    chain: int = 0  # the longest chain waiting for it

    def add(self, look_up: _LookUp) -> None:
        self.look_ups.append(look_up)
        self.names.add(look_up.name)
        self.whole = self.whole or look_up.whole
        self.chain = max(self.chain, look_up.chain)


class Pace(Protocol):
    """What the re-check asks of the apply it serves, to choose when a batch goes."""

    def busy(self) -> bool:
        """Whether some running operation is doing something other than waiting for a look-up."""

    def began_waiting(self) -> None:
        """An operation began to wait for a look-up (its place in the applier's window is free)."""

    def rounds_left(self) -> float:
        """Operations not finished / the client's concurrency."""


@dataclass
class FixedPace:
    """A Pace made of plain functions (tests give their own): by default always busy, at
    the apply's end (so a batch goes as soon as it is asked for)."""

    busy: Callable[[], bool] = lambda: True
    began_waiting: Callable[[], None] = lambda: None
    rounds_left: Callable[[], float] = lambda: 0.0


class Recheck:
    """Looks objects up again during an apply, in batches per kind (see the module).

    `pace` (the applier) says how the apply goes; `finished()` is called once per
    finished operation, `poke()` whenever the applier's running operations change."""

    def __init__(self, client: Any, start: Callable[[str, str], dict | None], read: Callable[[str, dict], dict],
                 sizes: dict[str, int], pace: Pace | None = None):
        self.client = client
        self.start = start  # (kind, id) -> raw item the apply started from (None: none)
        self.read = read  # (kind name, raw item) -> the item in manifest terms
        self.sizes = dict(sizes)  # kind -> live objects (an estimate: what a whole read costs)
        self.pace: Pace = pace or FixedPace()
        self.held = 0  # look-ups in batches not sent yet
        self._batches: dict[str, _Batch] = {}  # kind -> its batch, oldest first
        self._budget = 0.0  # reads the finished writes have paid for
        self._sending: set[asyncio.Task] = set()
        self._poked = False
        self._stopped = False  # the apply was interrupted: no read may start any more
        self._in_flight: dict[str, int] = {}  # kind -> creates sent and not answered yet
        self.checking = 0  # creates answered whose look-up is not (their writes are done)

    # -- what the applier asks -------------------------------------------------

    async def before_write(self, change: Change, step: Step, chain: int = 0) -> dict | None:
        """Before the first update or delete of an existing object: its current raw item,
        to build the update from. Raises Conflict when it changed since the apply began,
        AlreadyGone when a delete finds nothing left to delete. `chain`: the operations
        waiting for this one, itself included."""
        kind_def = KINDS[change.kind]
        object_id = change.id or ""
        now = await self._current(kind_def, object_id, change.rename_from or change.name, chain)
        label = kind_def.subject(change.name)
        if now is None:
            if step == Step.DELETE:
                raise AlreadyGone(f"{label} was already gone from the tenant")
            raise Conflict(f"{label} was deleted in the tenant while this apply ran ({LATE_HINT})")
        before = self.start(change.kind, object_id)
        if before is not None and self.read(change.kind, before) != self.read(change.kind, now):
            raise Conflict(f"{label} was changed in the tenant while this apply ran; not overwritten ({LATE_HINT})")
        return now

    async def after_create(self, kind_def: Kind, name: str, new_id: str, chain: int = 0) -> None:
        """If another object of that name is in the tenant besides the one this apply just
        created (it appeared since the apply read the tenant, or landed during the
        create), ours goes again (nothing points at it yet), so the tenant never keeps two."""
        self.sizes[kind_def.name] = self.sizes.get(kind_def.name, 0) + 1
        if kind_def.picks_duplicates_by_content:
            return  # replaced by name (greetings): a second live one is expected
        self.checking += 1
        try:
            items, _ = await self._look_up(kind_def, name, None, chain, whole=False)
        finally:
            self.checking -= 1
        if not any(kind_def.live_identity(i) == name and kind_def.live_id(i) != new_id for i in items):
            return
        await kind_def.delete(self.client, new_id)
        raise Conflict(f"{kind_def.subject(name)} appeared in the tenant while this apply created it; "
                       f"the copy this apply made was deleted again ({LATE_HINT})")

    @contextmanager
    def creating(self, kind_def: Kind) -> Iterator[None]:
        """Around a create's request: its look-up follows it (see `_send_due`); none
        follows a create of a kind that picks duplicates by content (greetings)."""
        if kind_def.picks_duplicates_by_content:
            yield
            return
        self._in_flight[kind_def.name] = self._in_flight.get(kind_def.name, 0) + 1
        try:
            yield
        finally:
            self._in_flight[kind_def.name] -= 1

    def finished(self) -> None:
        """An operation finished: its write pays 1/SHARE of a read."""
        self._budget += 1 / SHARE
        self.poke()

    def poke(self) -> None:
        """Look at the batches again soon (once the operations ready now have asked)."""
        if not self._poked and self._batches and not self._stopped:
            self._poked = True
            asyncio.get_running_loop().call_soon(self._send_due)

    def cancel(self) -> None:
        """Stop the reads in flight and the batches not sent yet (the apply is
        interrupted): a batch already due must not start a read on a closing client."""
        self._stopped = True
        for batch in self._batches.values():
            for look_up in batch.look_ups:
                look_up.answer.cancel()
        self._batches.clear()
        self.held = 0
        for task in self._sending:
            task.cancel()

    # -- batches ---------------------------------------------------------------

    async def _current(self, kind_def: Kind, object_id: str, name: str, chain: int) -> dict | None:
        """The live item `object_id` as it is now (None: gone)."""
        items, whole = await self._look_up(kind_def, name, object_id, chain, whole=False)
        found = _by_id(kind_def, items, object_id)
        if found is None and not whole:
            items, _ = await self._look_up(kind_def, name, object_id, chain, whole=True)
            found = _by_id(kind_def, items, object_id)
        return found

    async def _look_up(self, kind_def: Kind, name: str, object_id: str | None, chain: int, *,
                       whole: bool) -> tuple[list[dict], bool]:
        """The live items of `kind_def` that a keyword read of `name` shows, or (read whole) the
        ones named `name` and the one with id `object_id`."""
        look_up = _LookUp(name, object_id, whole or not kind_def.list_takes_keyword, chain,
                          asyncio.get_running_loop().create_future())
        self._batches.setdefault(kind_def.name, _Batch()).add(look_up)
        self.held += 1
        self.poke()
        self.pace.began_waiting()
        return await look_up.answer

    def _cost(self, kind: str) -> tuple[int, bool]:
        """(requests, whether they read the whole list) of answering `kind`'s batch."""
        kind_def, batch = KINDS[kind], self._batches[kind]
        pages = max(1, math.ceil(self.sizes.get(kind, 0) / kind_def.page_size))
        if batch.whole or pages < len(batch.names):
            return pages, True
        return len(batch.names), False

    def _send_due(self) -> None:
        self._poked = False
        if self._stopped:
            return
        for kind in list(self._batches):  # oldest batch first
            cost, _ = self._cost(kind)
            if cost <= self._budget:
                self._send(kind)
        if self._batches:
            # A batch that holds up a chain half as long as the rounds of writes left goes
            # at once: held longer, it would make the apply longer.
            kind = max(self._batches, key=lambda k: self._batches[k].chain)
            whole_read_to_share = self._cost(kind)[1] and self._in_flight.get(kind, 0) > 0
            if 2 * self._batches[kind].chain >= self.pace.rounds_left() and not whole_read_to_share:
                self._send(kind)
        if self._batches and not self.pace.busy():
            # Nothing else can go on: the batches that hold up the longest chain (the
            # others keep gathering look-ups while their operations go on).
            longest = max(batch.chain for batch in self._batches.values())
            for kind in [k for k, batch in self._batches.items() if batch.chain == longest]:
                self._send(kind)

    def _send(self, kind: str) -> None:
        cost, whole = self._cost(kind)
        batch = self._batches.pop(kind).look_ups
        self.held -= len(batch)
        self._budget -= cost
        task = asyncio.ensure_future(self._answer(KINDS[kind], batch, whole))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _answer(self, kind_def: Kind, batch: list[_LookUp], whole: bool) -> None:
        try:
            if whole:
                items = await self.client.list_all(kind_def.list_path, page_size=kind_def.page_size,
                                                   expected_items=self.sizes.get(kind_def.name, 0))
                self.sizes[kind_def.name] = len(items)
                answers = _relevant(kind_def, items, batch)
            else:
                names = sorted({look_up.name for look_up in batch})
                pages = await gather_or_cancel([
                    self.client.list_all(kind_def.list_path, params={"keyword": n}, page_size=kind_def.page_size)
                    for n in names])
                page_of = dict(zip(names, pages))
                answers = [page_of[look_up.name] for look_up in batch]
        except asyncio.CancelledError:
            for look_up in batch:
                look_up.answer.cancel()
            raise
        except Exception as error:  # every operation waiting for this read fails with it
            for look_up in batch:
                if not look_up.answer.done():
                    look_up.answer.set_exception(error)
            return
        for look_up, items in zip(batch, answers):
            if not look_up.answer.done():
                look_up.answer.set_result((items, whole))


def _relevant(kind_def: Kind, items: list[dict], batch: list[_LookUp]) -> list[list[dict]]:
    """For each look-up of `batch`, the items of the whole list it is about (its name, its
    id), found in one pass over the list, not one per look-up."""
    by_name: dict[str, list[dict]] = {look_up.name: [] for look_up in batch}
    wanted_ids = {look_up.object_id for look_up in batch if look_up.object_id}
    by_id: dict[str, dict] = {}
    for item in items:
        if (named := by_name.get(kind_def.live_identity(item))) is not None:
            named.append(item)
        if kind_def.live_id(item) in wanted_ids:
            by_id[kind_def.live_id(item)] = item
    answers = []
    for look_up in batch:
        found = list(by_name[look_up.name])
        item = by_id.get(look_up.object_id or "")
        if item is not None and all(i is not item for i in found):
            found.append(item)
        answers.append(found)
    return answers


def _by_id(kind_def: Kind, items: list[dict], object_id: str) -> dict | None:
    return next((i for i in items if kind_def.live_id(i) == object_id), None)
