"""The applier: runs a plan's changes against the tenant in dependency order.

Operations with no dependency between them run concurrently (the client bounds requests
in flight). A failed operation stops what depends on it and nothing else. Before anything
is sent, every object the plan updates or deletes is checked against a fresh read of the
tenant: one changed since the plan is a conflict and is not overwritten. Each object is
looked up again before it is updated or deleted and after it is created, in reads shared
per kind (see recheck.py).
"""

from __future__ import annotations

import asyncio
import graphlib
import heapq
import itertools
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable

from reconciler.engine.live import LiveState, manifest_reader
from reconciler.engine.order import Node, Step, build_graph as _build_graph
from reconciler.engine.order import Op as _Op
from reconciler.engine.plan import Action, Change, Plan, live_version
from reconciler.engine.recheck import AlreadyGone, Conflict, Recheck
from reconciler.engine.state_note import StateNote
from reconciler.errors import PlanError, ReconcilerError
from reconciler.kinds import KINDS
from reconciler.kinds.base import Creatable, Deletable, Updatable, Uploading, can, expand_env, reference_forms


class Status(StrEnum):
    """How one operation ended. A StrEnum: output shows the plain words."""

    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # a change it depends on did not succeed
    CONFLICT = "conflict"  # changed in the tenant meanwhile: not overwritten


@dataclass
class OpResult:
    step: Step
    kind: str
    name: str
    status: Status
    message: str = ""
    position: int = 0  # this result's number, of `total`, for progress lines
    total: int = 0
    # Operations whose requests are all answered by then, this one's included: `position`
    # plus the creates waiting only for their look-up (the time-left estimate counts them).
    written: int = 0
    id: str | None = None  # the new object's id, once a create is done

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class ApplyReport:
    results: list[OpResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Said, but the apply still succeeded: only the history or the lock's early release was lost.
    notices: list[str] = field(default_factory=list)

    def by_status(self, status: Status) -> list[OpResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ok(self) -> bool:
        return all(r.status == Status.DONE for r in self.results)


class _Ids:
    """Names to ids for request bodies, from the live catalogue and what this apply learns:
    objects it created first, then renamed ones, then live ones (those the plan deletes
    left out, so a leftover of an interrupted replace never makes its name ambiguous)."""

    def __init__(self, live: LiveState, plan: Plan):
        self.catalogue = live.catalogue
        self.created: dict[tuple[str, str], str] = {}  # learnt during the apply
        self.renamed: dict[tuple[str, str], str] = {}
        self.deleted = {(c.kind, c.id) for c in plan.changes if c.action == Action.DELETE}
        # The state note's own steps tell too, on a tenant whose other steps do not.
        self.ref_forms = reference_forms(KINDS, live.state_note.put_back(live.items))

    def id_of(self, kind: str, name: str) -> str:
        if (kind, name) in self.created:
            return self.created[(kind, name)]
        if (kind, name) in self.renamed:
            return self.renamed[(kind, name)]
        everything = self.catalogue.ids_named(kind, name)
        found = [i for i in everything if (kind, i) not in self.deleted] or everything
        if len(found) == 1:
            return found[0]
        what = "no" if not found else f"{len(found)}"
        raise ReconcilerError(f"{what} live {KINDS[kind].label} named '{name}'")

    def alias_of(self, kind: str, name: str) -> str:
        kind_def = KINDS[kind]
        # Unlike id_of, no leftover the plan deletes is skipped: an aliased object's id is its name.
        found = self.catalogue.named(kind, name)
        if len(found) > 1:
            raise ReconcilerError(f"{len(found)} live {kind_def.label}s are named '{name}': which one is meant is not "
                                  "known; remove the duplicate in the console")
        alias = found[0].get(kind_def.alias_field or "") if found else None
        if not alias:
            raise ReconcilerError(f"{kind_def.subject(name)} has no {kind_def.alias_field} in the tenant")
        return str(alias)

    def known_ids(self, kind: str) -> set[str]:
        return self.catalogue.ids(kind)


def check_current(plan: Plan, fresh: LiveState) -> list[str]:
    """Changes whose live object is no longer what the plan saw: edited, deleted or, for a
    create, made by someone else since."""
    stale: list[str] = []
    renamed: set[tuple[str, str]] = set()  # (kind, new name) of the plan's objects renamed in the console
    catalogue = fresh.catalogue
    for change in plan.changes:
        label = f"{KINDS[change.kind].label} '{change.name}'"
        if change.action == Action.CREATE:
            if catalogue.named(change.kind, change.name) and not KINDS[change.kind].picks_duplicates_by_content:
                stale.append(f"{label} was created in the tenant since the plan was made")
            continue
        item = catalogue.item(change.kind, change.id or "")
        now_named = KINDS[change.kind].live_identity(item) if item is not None else None
        if item is None:
            stale.append(f"{label} was deleted in the tenant since the plan was made")
        elif now_named not in plan.seen.get(change.kind, [now_named]):  # a name the plan never saw
            renamed.add((change.kind, now_named))
            stale.append(f"{label} was renamed to '{now_named}' in the tenant since the plan was made")
        elif change.live_version and live_version(item, KINDS[change.kind].secret) != change.live_version:
            stale.append(f"{label} was changed in the tenant since the plan was made")
    # Objects that appeared since, and that the plan does not create: a new plan would
    # see them (delete them in a pruned kind, list them as unmanaged otherwise). And objects
    # gone since that the plan does not change (a group it points at, renamed in the console,
    # shows as one name gone and one created).
    created = {(c.kind, c.name) for c in plan.changes if c.action == Action.CREATE}
    changed = {(c.kind, c.name) for c in plan.changes}
    for k, seen in plan.seen.items():
        if k not in KINDS:
            continue
        known, now = set(seen), set(catalogue.names(k))
        for identity in sorted(now - known):
            if (k, identity) not in created and (k, identity) not in renamed:
                stale.append(f"{KINDS[k].label} '{identity}' was created in the tenant since the plan was made")
        for identity in sorted(known - now):
            if (k, identity) not in changed:
                stale.append(f"{KINDS[k].label} '{identity}' is no longer in the tenant (deleted or renamed since the "
                             f"plan was made)")
    return stale


async def apply_plan(
    client: Any,
    plan: Plan,
    fresh: LiveState,
    *,
    saved: bool = False,
    on_result: Callable[[OpResult], None] | None = None,
) -> ApplyReport:
    """Execute `plan` against the tenant whose current state is `fresh`.

    With `saved` (a plan file made earlier), any object changed since the plan refuses the
    whole plan (PlanError). Otherwise each conflicting change fails alone, with what depends
    on it skipped."""
    stale = check_current(plan, fresh)
    if stale and saved:
        raise PlanError(stale, headline="the saved plan is stale; make a new plan")
    work = _ApplyRun(client, plan, fresh, on_result)
    await work.drive()
    work.skip_the_rest()
    await work.save_note()
    return work.report


class _ApplyRun:
    """One apply under way: its operations, what it learnt, and its report. It is the
    re-check's Pace: how busy its window is tells when a batch of look-ups goes."""

    def __init__(self, client: Any, plan: Plan, fresh: LiveState, on_result: Callable[[OpResult], None] | None):
        self.client, self.fresh, self.on_result = client, fresh, on_result
        self.report = ApplyReport()
        self.ops, self.graph = _build_graph(plan)
        self.heights = _chain_heights(self.graph, self.ops)
        self.ids = _Ids(fresh, plan)
        for change in plan.changes:
            if change.action == Action.RENAME and change.id:
                self.ids.renamed[(change.kind, change.name)] = change.id
        self.conflicted = _conflicted(plan, fresh)
        self.note = fresh.state_note.copy()
        catalogue = fresh.catalogue
        self.recheck = Recheck(client, catalogue.item, manifest_reader(fresh),
                               {k: len(catalogue.items(k)) for k in KINDS}, pace=self)
        # At most `window` operations at work at a time (see drive).
        self.window = 2 * getattr(client, "concurrency", 8)
        self.ready: list[tuple[int, int, Node]] = []  # (-height, order, node): a heap
        self.running: dict[asyncio.Task, _Op] = {}
        self.finished: set[Node] = set()
        # Finished tasks, as they come (None: an operation began to wait for a look-up).
        self.completed: asyncio.Queue[asyncio.Task | None] = asyncio.Queue()
        self.parked = 0  # refused deletes waiting for `others_done`
        # Set once no create or update can run any more: a refused delete then retries once.
        self.others_done = asyncio.Event()

    def emit(self, result: OpResult) -> None:
        if result.step == Step.CREATE and result.status == Status.DONE:
            result.id = self.ids.created.get((result.kind, result.name))
        self.report.results.append(result)
        result.position, result.total = len(self.report.results), len(self.ops)
        result.written = result.position + self.recheck.checking
        if self.on_result:
            self.on_result(result)

    async def drive(self) -> None:
        """Run every operation that can run (see _drive); on Ctrl-C, stop what is in flight
        before the client closes under it."""
        try:
            await self._drive()
        except asyncio.CancelledError:
            self.recheck.cancel()
            for task in self.running:
                task.cancel()
            await asyncio.gather(*self.running, return_exceptions=True)
            raise

    # -- the re-check's Pace ------------------------------------------------------

    def _waiting(self) -> int:
        """Operations parked until a look-up is answered or the others are done: they
        take no place in the window."""
        return self.recheck.held + self.parked

    def busy(self) -> bool:
        return bool(self.ready) or len(self.running) > self._waiting()

    def began_waiting(self) -> None:
        self.completed.put_nowait(None)

    def rounds_left(self) -> float:
        return (len(self.ops) - len(self.finished)) / (self.window / 2)

    async def _drive(self) -> None:
        """Run the ready operations concurrently; a failed one never releases its dependents.

        At most `window` operations are at work at a time (the waiting ones, parked until
        the re-check's look-ups are sent, do not count): the client's queue stays short, so a look-up is
        not sent behind thousands of writes nothing waits for. Ready operations start longest
        chain first (`heights`: the operations that wait for them, transitively, themselves
        included), so the critical path is never kept waiting behind the rest.

        `others_done` is set when only deletes are left: no create or update can start any
        more (they never wait for a delete). Finished tasks arrive on a queue (None: an
        operation began to wait, a place in the window is free): waiting on all running
        tasks at each completion (asyncio.wait) costs time in proportion to how many run."""
        sorter = graphlib.TopologicalSorter(self.graph)
        sorter.prepare()
        order = itertools.count()
        ready, running, completed = self.ready, self.running, self.completed
        pending_others = 0  # creates and updates ready or running
        while True:
            for node in sorter.get_ready():
                heapq.heappush(ready, (-self.heights[node], next(order), node))
                pending_others += node[0] != Step.DELETE
            while ready and len(running) - self._waiting() < self.window:
                node = heapq.heappop(ready)[2]
                task = asyncio.ensure_future(self.run(self.ops[node]))
                task.add_done_callback(completed.put_nowait)
                running[task] = self.ops[node]
            if not running:
                break
            if not pending_others:
                self.others_done.set()
            self.recheck.poke()
            done = [await completed.get()]
            while not completed.empty():
                done.append(completed.get_nowait())
            for task in done:
                if task is None:
                    continue
                op = running.pop(task)
                self.recheck.finished()
                step, k, name = op.node
                pending_others -= step != Step.DELETE
                error = task.exception()
                if error is None:
                    self.finished.add(op.node)
                    sorter.done(op.node)
                    self.emit(OpResult(step, k, name, Status.DONE, task.result() or _describe(op)))
                else:
                    status = Status.CONFLICT if isinstance(error, _Conflict) else Status.FAILED
                    self.emit(OpResult(step, k, name, status, _error_text(error)))
                    self.finished.add(op.node)  # not done(): what depends on it never becomes ready

    def skip_the_rest(self) -> None:
        succeeded = {(r.step, r.kind, r.name) for r in self.report.results if r.status == Status.DONE}
        for node in self.ops:
            if node not in self.finished:
                # Why, naming what it waited for (the `apply --format json` report keeps it).
                waited = [f"{step} {k}/{n}" for step, k, n in self.graph.get(node, {}) if (step, k, n) not in succeeded]
                why = f"it needs {', '.join(waited)}, which did not succeed" if waited else \
                    "a change it depends on did not succeed"
                self.emit(OpResult(node[0], node[1], node[2], Status.SKIPPED, why))

    async def run(self, op: _Op) -> str | None:
        """One operation; a message to show instead of the change's own, or None."""
        step, k, name = op.node
        if (k, name) in self.conflicted and step in (Step.CREATE, Step.UPDATE, Step.DELETE, Step.UNLINK):
            what = "created" if op.change.action == Action.CREATE else "changed"
            raise _Conflict(f"{what} in the tenant since the plan was made; not overwritten")
        if step == Step.CREATE:
            await self._create(op)
        elif step in (Step.UPDATE, Step.FINISH, Step.UNLINK):
            await self._update(op)
        elif step == Step.DELETE:
            return await self._delete(op)
        return None

    async def _create(self, op: _Op) -> None:
        _, k, name = op.node
        kind_def = KINDS[k]
        creatable = can(kind_def, Creatable)
        new_id = await _create_once(self.recheck, kind_def, name,
                                    lambda: creatable.create(self.client, op.data or {}, self.ids), self.heights[op.node])
        self.ids.created[(k, name)] = new_id
        _record(self.note, kind_def.name, new_id, op.data or {})

    async def _update(self, op: _Op) -> None:
        step, k, name = op.node
        kind_def, change = KINDS[k], op.change
        object_id = self.ids.created.get((k, name)) or change.id or ""
        live = self.fresh.catalogue.item(k, object_id) or {}
        if _first_write(self.ops, op.node):
            live = await self.recheck.before_write(change, step, self.heights[op.node]) or live
        changed = {f.field for f in change.fields} if step == Step.UPDATE and change.fields else set(op.data or {})
        await can(kind_def, Updatable).update(self.client, object_id, op.data or {}, live, changed, self.ids)
        if step != Step.UNLINK:
            _record(self.note, kind_def.name, object_id, op.data or {})

    async def _delete(self, op: _Op) -> str | None:
        step, k, _ = op.node
        kind_def, change = KINDS[k], op.change
        if _first_write(self.ops, op.node):
            try:
                await self.recheck.before_write(change, step, self.heights[op.node])
            except AlreadyGone as gone:
                self.note.forget(kind_def.name, change.id or "")
                return str(gone)
        try:
            await can(kind_def, Deletable).delete(self.client, change.id or "")
        except ReconcilerError:
            # A retry after a lost answer meets "not found": gone is what was asked.
            if await _still_there(self.client, kind_def, change.id):
                await self._delete_again(kind_def, change)
        self.note.forget(kind_def.name, change.id or "")
        return None

    async def _delete_again(self, kind_def: Any, change: Change) -> None:
        """A refused delete, perhaps "in use" by a referrer whose reference the tenant did
        not show: once every change that could let go of it is done, try once more."""
        self.parked += 1
        self.recheck.poke()
        self.began_waiting()
        try:
            await self.others_done.wait()
        finally:
            self.parked -= 1
        try:
            await can(kind_def, Deletable).delete(self.client, change.id or "")
        except ReconcilerError:
            if await _still_there(self.client, kind_def, change.id):
                raise

    async def save_note(self) -> None:
        try:
            await self.note.save(
                self.client, before=self.fresh.state_note.entries, items=self.fresh.items,
                created=[(k, i) for (k, _), i in self.ids.created.items()], ids=self.ids)
        except ReconcilerError as err:
            # Losing the state note costs one re-send next time, never a wrong result.
            self.report.warnings.append(
                f"the state note could not be saved ({err}). Every change above was made, but the tenant holds no "
                "fingerprint of the fields the API never returns: each plan will list them again and each apply "
                f"re-send them ({_fingerprinted_fields()}), mp3 greetings will show as unverified (never replaced for "
                "this alone; --force-upload uploads them), and drift will not be clean. Fix the cause and apply again")


def _fingerprinted_fields() -> str:
    """The fields the state note vouches for, by kind (an uploading kind's file has its own words)."""
    return "; ".join(f"{kind_def.label} {', '.join(sorted(kind_def.fingerprinted))}" for kind_def in KINDS.values()
                     if kind_def.fingerprinted and not isinstance(kind_def, Uploading))


def _conflicted(plan: Plan, fresh: LiveState) -> set[tuple[str, str]]:
    """(kind, name) of the changes whose object changed since the plan: not written."""
    catalogue = fresh.catalogue
    return {
        (c.kind, c.name)
        for c in plan.changes
        if (c.action != Action.CREATE and _is_conflict(c, catalogue.item(c.kind, c.id or "")))
        or (c.action == Action.CREATE and catalogue.named(c.kind, c.name)
            and not KINDS[c.kind].picks_duplicates_by_content)
    }


async def _still_there(client: Any, kind_def: Any, object_id: str | None) -> bool:
    """Whether the object is still in the tenant (re-read after a refused delete)."""
    items = await client.list_all(kind_def.list_path, page_size=kind_def.page_size)
    return any(kind_def.live_id(i) == object_id for i in items)


def _chain_heights(graph: dict[Node, dict[Node, None]], ops: dict) -> dict[Node, int]:
    """Each operation -> the longest chain of operations that wait for it, itself included."""
    waiting_for: dict[Node, list[Node]] = {node: [] for node in ops}
    for node, deps in graph.items():
        for dep in deps:
            waiting_for.setdefault(dep, []).append(node)
    height: dict[Node, int] = {}
    for node in reversed(list(graphlib.TopologicalSorter(graph).static_order())):
        height[node] = 1 + max((height[n] for n in waiting_for.get(node, ())), default=0)
    return height


_Conflict = Conflict


async def _create_once(recheck: Recheck, kind_def: Any, name: str, create: Callable, chain: int = 0) -> str:
    """A create that never leaves two live objects of one name: the name is looked up
    right after (a name that appeared since the apply read the tenant, or a late request
    of an interrupted apply landing during the create, is there by then)."""
    with recheck.creating(kind_def):
        new_id = await create()
    await recheck.after_create(kind_def, name, new_id, chain)
    return new_id


def _first_write(ops: dict[Node, _Op], node: Node) -> bool:
    """Whether `node` is this apply's first write to an existing object: the one to re-read
    it before (later steps follow this apply's own writes)."""
    step, k, name = node
    if step in (Step.UPDATE, Step.UNLINK):
        return True
    return step == Step.DELETE and (Step.UNLINK, k, name) not in ops


def _is_conflict(change: Change, item: dict | None) -> bool:
    return item is None or (change.live_version is not None
                            and live_version(item, KINDS[change.kind].secret) != change.live_version)


def _describe(op: _Op) -> str:
    step, _, _ = op.node
    if step == Step.FINISH:
        return "second phase: references of a cycle set"
    if step == Step.UNLINK:
        return "references into a cycle removed, so the objects can be deleted"
    if op.change.action == Action.REPLACE:
        return "new one created" if step == Step.CREATE else "old one deleted"
    return op.change.reason or ""


def _error_text(error: BaseException) -> str:
    if isinstance(error, ReconcilerError):
        return str(error)
    # Never a traceback for the user; keep the type for a bug report.
    return f"{type(error).__name__}: {error}"


def _record(note: StateNote, kind: str, object_id: str, data: dict) -> None:
    kind_def = KINDS[kind]
    for f in kind_def.fingerprinted:
        if f in data and data[f] is not None:
            digest = note.fingerprint(kind, object_id, f, expand_env(data[f]), f in kind_def.secret)
            if digest is not None:
                note.put(kind, object_id, f, digest)

