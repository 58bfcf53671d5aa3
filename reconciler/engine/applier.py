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
from typing import Any, Callable

from reconciler.engine.ledger import LEDGER_NAME, Ledger
from reconciler.engine.live import LiveState
from reconciler.engine.order import Node, build_graph as _build_graph
from reconciler.engine.order import Op as _Op
from reconciler.engine.plan import Change, Plan, live_version
from reconciler.engine.planner import manifest_reader
from reconciler.engine.recheck import AlreadyGone, Conflict, Recheck
from reconciler.errors import ApiError, PlanError, ReconcilerError
from reconciler.kinds import KINDS


@dataclass
class OpResult:
    step: str
    kind: str
    name: str
    status: str  # done | failed | skipped | conflict
    message: str = ""
    position: int = 0  # this result's number, of `total`, for progress lines
    total: int = 0

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class ApplyReport:
    results: list[OpResult] = field(default_factory=list)
    ledger_written: bool = False
    warnings: list[str] = field(default_factory=list)

    def by_status(self, status: str) -> list[OpResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ok(self) -> bool:
        return all(r.status == "done" for r in self.results)

    def to_json(self) -> dict:
        return {
            "format_version": 1,
            "ok": self.ok,
            "results": [r.__dict__ for r in self.results],
        }


class _Ids:
    """Names to ids for request bodies: objects created in this run first, then live ones
    (those the plan deletes left out, so a leftover of an interrupted replace never
    makes its name ambiguous)."""

    def __init__(self, live: LiveState, plan: Plan):
        self.created: dict[tuple[str, str], str] = {}
        self.live: dict[str, dict[str, list[str]]] = {}
        self.known: dict[str, set[str]] = {}
        self.all_live: dict[str, dict[str, list[str]]] = {}
        deleted = {(c.kind, c.id) for c in plan.changes if c.action == "delete"}
        for k, kind in KINDS.items():
            names: dict[str, list[str]] = {}
            for item in live.items.get(k, []):
                if (k, kind.live_id(item)) not in deleted:
                    names.setdefault(kind.live_identity(item), []).append(kind.live_id(item))
            self.live[k] = names
            everything: dict[str, list[str]] = {}
            for item in live.items.get(k, []):
                everything.setdefault(kind.live_identity(item), []).append(kind.live_id(item))
            self.all_live[k] = everything
            self.known[k] = {kind.live_id(i) for i in live.items.get(k, [])}
        self.agents = {str(i.get("sip_user")): i.get("agent_id") for i in live.items.get("extensions", [])}
        self.renamed: dict[tuple[str, str], str] = {}
        self.extension_form = extension_step_form(live)

    def id_of(self, kind_key: str, name: str) -> str:
        if (kind_key, name) in self.created:
            return self.created[(kind_key, name)]
        if (kind_key, name) in self.renamed:
            return self.renamed[(kind_key, name)]
        found = self.live.get(kind_key, {}).get(name, []) or self.all_live.get(kind_key, {}).get(name, [])
        if len(found) == 1:
            return found[0]
        what = "no" if not found else f"{len(found)}"
        raise ReconcilerError(f"{what} live {KINDS[kind_key].label} named '{name}'")

    def agent_of(self, sip_user: str) -> str:
        agent = self.agents.get(sip_user)
        if not agent:
            raise ReconcilerError(f"extension {sip_user} has no agent in the tenant")
        return agent

    def extension_step_id(self, sip_user: str) -> str:
        return sip_user if self.extension_form == "sip_user" else self.agent_of(sip_user)

    def known_ids(self, kind_key: str) -> set[str]:
        return self.known.get(kind_key, set())


def extension_step_form(live: LiveState) -> str:
    """How this tenant's call-script Extension steps name an extension, as its live steps
    (the state note's among them) show it: "agent_id" (also when none tells) or "sip_user"."""
    agents = {str(i.get("agent_id")) for i in live.items.get("extensions", []) if i.get("agent_id")}
    sip_users = {str(i.get("sip_user")) for i in live.items.get("extensions", [])}
    scripts = [*live.items.get("call_scripts", []), *([live.ledger.item] if live.ledger.item else [])]
    for script in scripts:
        for step in script.get("scripts") or []:
            if isinstance(step, dict) and step.get("action_type") == "Extension":
                target = str(step.get("action_id"))
                if target in agents:
                    return "agent_id"
                if target in sip_users:
                    return "sip_user"
    return "agent_id"


def check_current(plan: Plan, fresh: LiveState) -> list[str]:
    """Changes whose live object is no longer what the plan saw: edited, deleted or, for a
    create, made by someone else since."""
    stale: list[str] = []
    items = {
        (k, KINDS[k].live_id(i)): i for k in KINDS for i in fresh.items.get(k, [])
    }
    names = {(k, KINDS[k].live_identity(i)) for k in KINDS for i in fresh.items.get(k, [])}
    for change in plan.changes:
        label = f"{KINDS[change.kind].label} '{change.name}'"
        if change.action == "create":
            if (change.kind, change.name) in names and change.kind != "greetings":
                stale.append(f"{label} was created in the tenant since the plan was made")
            continue
        item = items.get((change.kind, change.id or ""))
        if item is None:
            stale.append(f"{label} was deleted in the tenant since the plan was made")
        elif change.live_version and live_version(item) != change.live_version:
            stale.append(f"{label} was changed in the tenant since the plan was made")
    # Objects that appeared since, and that the plan does not create: a new plan would
    # see them (delete them in a pruned kind, list them as unmanaged otherwise).
    created = {(c.kind, c.name) for c in plan.changes if c.action == "create"}
    for k, seen in plan.seen.items():
        if k not in KINDS:
            continue
        known = set(seen)
        for identity in sorted({KINDS[k].live_identity(i) for i in fresh.items.get(k, [])} - known):
            if (k, identity) not in created:
                stale.append(f"{KINDS[k].label} '{identity}' was created in the tenant since the plan was made")
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
    report = ApplyReport()
    ops, graph = _build_graph(plan)
    heights = _chain_heights(graph, ops)
    ids = _Ids(fresh, plan)
    for change in plan.changes:
        if change.action == "rename" and change.id:
            ids.renamed[(change.kind, change.name)] = change.id
    fresh_items = {(k, KINDS[k].live_id(i)): i for k in KINDS for i in fresh.items.get(k, [])}
    fresh_names = {(k, KINDS[k].live_identity(i)) for k in KINDS for i in fresh.items.get(k, [])}
    conflicted = {
        (c.kind, c.name)
        for c in plan.changes
        if (c.action != "create" and _is_conflict(c, fresh_items))
        or (c.action == "create" and c.kind != "greetings" and (c.kind, c.name) in fresh_names)
    }
    ledger = Ledger(entries={k: dict(v) for k, v in fresh.ledger.entries.items()}, item=fresh.ledger.item,
                    key=fresh.ledger.key)
    recheck = Recheck(client, fresh_items, manifest_reader(fresh), {k: len(fresh.items.get(k, [])) for k in KINDS})
    running: dict[asyncio.Task, _Op] = {}
    parked = [0]  # refused deletes waiting for `others_done`

    # Set once no create or update can run any more: a refused delete then retries once.
    others_done = asyncio.Event()

    def emit(result: OpResult) -> None:
        report.results.append(result)
        result.position, result.total = len(report.results), len(ops)
        if on_result:
            on_result(result)

    async def run(op: _Op) -> str | None:
        step, k, name = op.node
        kind = KINDS[k]
        change = op.change
        if (k, name) in conflicted and step in ("create", "update", "delete", "unlink"):
            what = "created" if change.action == "create" else "changed"
            raise _Conflict(f"{what} in the tenant since the plan was made; not overwritten")
        if step == "create":
            new_id = await _create_once(recheck, kind, name, lambda: kind.create(client, op.data or {}, ids),
                                        heights[op.node])
            ids.created[(k, name)] = new_id
            _record(ledger, kind.key, new_id, op.data or {})
        elif step in ("update", "finish", "unlink"):
            object_id = ids.created.get((k, name)) or change.id or ""
            live = fresh_items.get((k, object_id), {})
            if _first_write(ops, op.node):
                live = await recheck.before_write(change, step, heights[op.node]) or live
            changed = {f.field for f in change.fields} if step == "update" and change.fields else set(op.data or {})
            await kind.update(client, object_id, op.data or {}, live, changed, ids)
            if step != "unlink":
                _record(ledger, kind.key, object_id, op.data or {})
        elif step == "delete":
            if _first_write(ops, op.node):
                try:
                    await recheck.before_write(change, step, heights[op.node])
                except AlreadyGone as gone:
                    ledger.forget(kind.key, change.id or "")
                    return str(gone)
            try:
                await kind.delete(client, change.id or "")
            except ReconcilerError:
                # A retry after a lost answer meets "not found": gone is what was asked.
                if not await _still_there(client, kind, change.id):
                    ledger.forget(kind.key, change.id or "")
                    return
                # Refused, perhaps "in use" by a referrer whose reference the tenant did not
                # show: once every change that could let go of it is done, try once more.
                parked[0] += 1
                recheck.poke()
                recheck.on_wait()
                try:
                    await others_done.wait()
                finally:
                    parked[0] -= 1
                try:
                    await kind.delete(client, change.id or "")
                except ReconcilerError:
                    if await _still_there(client, kind, change.id):
                        raise
            ledger.forget(kind.key, change.id or "")
        return None

    sorter = graphlib.TopologicalSorter(graph)
    sorter.prepare()
    finished: set[Node] = set()
    try:
        await _drive(sorter, heights, ops, running, finished, run, emit, others_done, recheck,
                     lambda: recheck.held + parked[0], 2 * getattr(client, "concurrency", 8))
    except asyncio.CancelledError:
        # Ctrl-C: stop what is in flight before the client closes under it.
        recheck.cancel()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    for node, op in ops.items():
        if node not in finished:
            emit(OpResult(node[0], node[1], node[2], "skipped", "a change it depends on did not succeed"))
    try:
        report.ledger_written = await _write_ledger(client, ledger, fresh, ids)
    except ReconcilerError as err:
        # Losing the ledger costs one re-send next time, never a wrong result.
        report.warnings.append(
            f"the state note could not be saved ({err}). Every change above was made, but the tenant holds no "
            "fingerprint of the write-only fields: each plan will list them again and each apply re-send them (a "
            "group's queue, extension settings and passwords, dedicated hotlines, restricted outbound lists), "
            "mp3 greetings will show as unverified (never replaced for this alone; --force-upload uploads them), "
            "and drift will not be clean. Fix the cause and apply again")
    return report


async def _still_there(client: Any, kind: Any, object_id: str | None) -> bool:
    """Whether the object is still in the tenant (re-read after a refused delete)."""
    items = await client.list_all(kind.list_path, page_size=kind.page_size)
    return any(kind.live_id(i) == object_id for i in items)


async def _drive(sorter: graphlib.TopologicalSorter, height: dict, ops: dict, running: dict, finished: set,
                 run: Callable, emit: Callable, others_done: asyncio.Event, recheck: Recheck,
                 waiting: Callable[[], int], window: int) -> None:
    """Run the ready operations concurrently; a failed one never releases its dependents.

    At most `window` operations are at work at a time (the `waiting()` ones, parked until
    the re-check's look-ups are sent, do not count): the client's queue stays short, so a look-up is
    not sent behind thousands of writes nothing waits for. Ready operations start longest
    chain first (`height`: the operations that wait for them, transitively, themselves
    included), so the critical path is never kept waiting behind the rest.

    `others_done` is set when only deletes are left: no create or update can start any
    more (they never wait for a delete). Finished tasks arrive on a queue (None: an
    operation began to wait, a place in the window is free): waiting on all running
    tasks at each completion (asyncio.wait) costs time in proportion to how many run."""
    completed: asyncio.Queue[asyncio.Task | None] = asyncio.Queue()
    recheck.on_wait = lambda: completed.put_nowait(None)
    order = itertools.count()
    ready: list[tuple[int, int, Node]] = []  # (-height, order, node): a heap
    recheck.busy = lambda: bool(ready) or len(running) > waiting()
    recheck.rounds_left = lambda: (len(ops) - len(finished)) / (window / 2)
    pending_others = 0  # creates and updates ready or running
    while True:
        for node in sorter.get_ready():
            heapq.heappush(ready, (-height[node], next(order), node))
            pending_others += node[0] != "delete"
        while ready and len(running) - waiting() < window:
            node = heapq.heappop(ready)[2]
            task = asyncio.ensure_future(run(ops[node]))
            task.add_done_callback(completed.put_nowait)
            running[task] = ops[node]
        if not running:
            break
        if not pending_others:
            others_done.set()
        recheck.poke()
        done = [await completed.get()]
        while not completed.empty():
            done.append(completed.get_nowait())
        for task in done:
            if task is None:
                continue
            op = running.pop(task)
            recheck.finished()
            step, k, name = op.node
            pending_others -= step != "delete"
            error = task.exception()
            if error is None:
                finished.add(op.node)
                sorter.done(op.node)
                emit(OpResult(step, k, name, "done", task.result() or _describe(op)))
            else:
                status = "conflict" if isinstance(error, _Conflict) else "failed"
                emit(OpResult(step, k, name, status, _error_text(error)))
                finished.add(op.node)  # not done(): what depends on it never becomes ready


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


async def _create_once(recheck: Recheck, kind: Any, name: str, create: Callable, chain: int = 0) -> str:
    """A create that never leaves two live objects of one name: the name is looked up
    right after (a name that appeared since the apply read the tenant, or a late request
    of an interrupted apply landing during the create, is there by then)."""
    new_id = await create()
    await recheck.after_create(kind, name, new_id, chain)
    return new_id


def _first_write(ops: dict[Node, _Op], node: Node) -> bool:
    """Whether `node` is this apply's first write to an existing object: the one to re-read
    it before (later steps follow this apply's own writes)."""
    step, k, name = node
    if step in ("update", "unlink"):
        return True
    return step == "delete" and ("unlink", k, name) not in ops


def _is_conflict(change: Change, fresh_items: dict) -> bool:
    item = fresh_items.get((change.kind, change.id or ""))
    return item is None or (change.live_version is not None and live_version(item) != change.live_version)


def _describe(op: _Op) -> str:
    step, _, _ = op.node
    if step == "finish":
        return "second phase: references of a cycle set"
    if step == "unlink":
        return "references into a cycle removed, so the objects can be deleted"
    if op.change.action == "replace":
        return "new one created" if step == "create" else "old one deleted"
    return op.change.reason or ""


def _error_text(error: BaseException) -> str:
    if isinstance(error, ReconcilerError):
        return str(error)
    # Never a traceback for the user; keep the type for a bug report.
    return f"{type(error).__name__}: {error}"


def _record(ledger: Ledger, kind_key: str, object_id: str, data: dict) -> None:
    kind = KINDS[kind_key]
    for f in kind.fingerprinted:
        if f in data and data[f] is not None:
            digest = ledger.fingerprint(kind_key, object_id, f, data[f], f in kind.secret)
            if digest is not None:
                ledger.put(kind_key, object_id, f, digest)


async def _write_ledger(client: Any, ledger: Ledger, fresh: LiveState, ids: _Ids) -> bool:
    """Store the fingerprints of what was applied, dropping objects that no longer exist.
    Written only when it changed, so an apply with nothing to do sends nothing."""
    live_ids = {f"{k}:{KINDS[k].live_id(i)}" for k in KINDS for i in fresh.items.get(k, [])}
    live_ids |= {f"{k}:{object_id}" for (k, _), object_id in ids.created.items()}
    ledger.entries = {key: v for key, v in ledger.entries.items() if key in live_ids and v}
    before = fresh.ledger.entries
    if ledger.entries == before or (not ledger.entries and ledger.item is None):
        return False
    path = "/api/call_center/call_script"
    refusals: list[ApiError] = []
    for scripts in _ledger_steps(fresh, ids):
        body = {"note": ledger.note(), "scripts": scripts, "criterias": []}
        try:
            if ledger.item is not None:
                await client.send("PUT", f"{path}/update/{ledger.item['_id']}", json={"name": LEDGER_NAME, **body},
                                  subject="the reconciler's state note")
            else:
                async def find_existing() -> Any:
                    items = await client.list_all(f"{path}/list", page_size=50)
                    return next((i for i in items if i.get("script_name") == LEDGER_NAME), None)

                await client.create("POST", f"{path}/add", json={"script_name": LEDGER_NAME, **body},
                                    subject="the reconciler's state note", find_existing=find_existing)
            return True
        except ApiError as err:
            if err.server_message is None:
                raise  # not a refusal: the outcome is unknown, trying another body would not help
            refusals.append(err)
    raise refusals[0]


def _ledger_steps(fresh: LiveState, ids: _Ids) -> list[list[dict]]:
    """The `scripts` to try for the state note, best first. The doc marks `scripts` as
    required, so the note has one step, pointing at an extension: the reconciler never
    deletes extensions, so the step never keeps a user's delete from happening, and a call
    script no hotline runs rings nobody. Extension steps name the extension by agent_id or
    by sip_user (the doc leaves it open): the tenant's own steps tell, else both are tried.
    An empty list is the last resort (a tenant with no extension)."""
    kept = (fresh.ledger.item or {}).get("scripts") or []
    agents = {str(i.get("sip_user")): str(i.get("agent_id") or "") for i in fresh.items.get("extensions", [])}
    candidates: list[list[dict]] = []
    if kept and all(isinstance(s, dict) and s.get("action_type") == "Extension" and
                    str(s.get("action_id")) in {*agents, *agents.values()} for s in kept):
        candidates.append([{"action_type": "Extension", "action_id": str(s["action_id"])} for s in kept])
    if agents:
        sip_user = min(agents, key=lambda s: (len(s), s))
        forms = {"agent_id": agents[sip_user], "sip_user": sip_user}
        order = [ids.extension_form, *(f for f in forms if f != ids.extension_form)]
        candidates += [[{"action_type": "Extension", "action_id": forms[f]}] for f in order if forms[f]]
    candidates.append([])
    unique: list[list[dict]] = []
    for c in candidates:
        if c not in unique:
            unique.append(c)
    return unique
