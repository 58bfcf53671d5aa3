"""The applier: runs a plan's changes against the tenant in dependency order.

Operations with no dependency between them run concurrently (the client bounds requests
in flight). A failed operation stops what depends on it and nothing else. Before anything
is sent, every object the plan updates or deletes is checked against a fresh read of the
tenant: one changed since the plan is a conflict and is not overwritten. Each object is
read once more right before it is written (see recheck.py).
"""

from __future__ import annotations

import asyncio
import graphlib
from dataclasses import dataclass, field
from typing import Any, Callable

from reconciler.engine.ledger import LEDGER_NAME, Ledger
from reconciler.engine.live import LiveState
from reconciler.engine.plan import Change, Plan, live_version
from reconciler.engine.planner import manifest_reader
from reconciler.engine.recheck import AlreadyGone, Conflict, Recheck
from reconciler.errors import PlanError, ReconcilerError
from reconciler.kinds import KINDS

# (step, kind, name); step: create | update | finish (second phase of a cycle) |
# unlink (drop references before deleting objects that point at each other) | delete
Node = tuple[str, str, str]


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


@dataclass
class _Op:
    node: Node
    change: Change
    data: dict | None  # what to send (phase 1 of a cycle sends less)


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

    def known_ids(self, kind_key: str) -> set[str]:
        return self.known.get(kind_key, set())


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
        raise PlanError(["the saved plan is stale; make a new plan:"] + [f"  {m}" for m in stale])
    report = ApplyReport()
    ops, graph = _build_graph(plan)
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
    recheck = Recheck(client, fresh_items, manifest_reader(fresh))

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
            new_id = await _create_once(recheck, kind, name, lambda: kind.create(client, op.data or {}, ids))
            ids.created[(k, name)] = new_id
            _record(ledger, kind.key, new_id, op.data or {})
        elif step in ("update", "finish", "unlink"):
            object_id = ids.created.get((k, name)) or change.id or ""
            live = fresh_items.get((k, object_id), {})
            if _first_write(ops, op.node):
                live = await recheck.before_write(change, step) or live
            changed = {f.field for f in change.fields} if step == "update" and change.fields else set(op.data or {})
            await kind.update(client, object_id, op.data or {}, live, changed, ids)
            if step != "unlink":
                _record(ledger, kind.key, object_id, op.data or {})
        elif step == "delete":
            if _first_write(ops, op.node):
                try:
                    await recheck.before_write(change, step)
                except AlreadyGone as gone:
                    ledger.forget(kind.key, change.id or "")
                    return str(gone)
            try:
                await kind.delete(client, change.id or "")
            except ReconcilerError:
                # A retry after a lost answer meets "not found": gone is what was asked.
                items = await client.list_all(kind.list_path, page_size=kind.page_size)
                if any(kind.live_id(i) == change.id for i in items):
                    raise
            ledger.forget(kind.key, change.id or "")
        return None

    sorter = graphlib.TopologicalSorter(graph)
    sorter.prepare()
    running: dict[asyncio.Task, _Op] = {}
    finished: set[Node] = set()
    try:
        await _drive(sorter, ops, running, finished, run, emit)
    except asyncio.CancelledError:
        # Ctrl-C: stop what is in flight before the client closes under it.
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
        report.warnings.append(f"the state note could not be saved ({err}); the next plan re-sends write-only fields")
    return report


async def _drive(sorter: graphlib.TopologicalSorter, ops: dict, running: dict, finished: set,
                 run: Callable, emit: Callable) -> None:
    """Run every ready operation concurrently; a failed one never releases its dependents."""
    while True:
        for node in sorter.get_ready():
            task = asyncio.ensure_future(run(ops[node]))
            running[task] = ops[node]
        if not running:
            break
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            op = running.pop(task)
            step, k, name = op.node
            error = task.exception()
            if error is None:
                finished.add(op.node)
                sorter.done(op.node)
                emit(OpResult(step, k, name, "done", task.result() or _describe(op)))
            else:
                status = "conflict" if isinstance(error, _Conflict) else "failed"
                emit(OpResult(step, k, name, status, _error_text(error)))
                finished.add(op.node)  # not done(): what depends on it never becomes ready


_Conflict = Conflict


async def _create_once(recheck: Recheck, kind: Any, name: str, create: Callable) -> str:
    """A create that never leaves two live objects of one name: the name is looked up
    right before, and again right after (a late request of an interrupted apply may land
    in between)."""
    await recheck.before_create(kind, name)
    new_id = await create()
    await recheck.after_create(kind, name, new_id)
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


def _build_graph(plan: Plan) -> tuple[dict[Node, _Op], dict[Node, set[Node]]]:
    ops: dict[Node, _Op] = {}
    for change in plan.changes:
        k, name = change.kind, change.name
        if change.action == "create":
            ops[("create", k, name)] = _Op(("create", k, name), change, change.data)
        elif change.action in ("update", "rename"):
            ops[("update", k, name)] = _Op(("update", k, name), change, change.data)
        elif change.action == "replace":
            ops[("create", k, name)] = _Op(("create", k, name), change, change.data)
            ops[("delete", k, name)] = _Op(("delete", k, name), change, None)
        elif change.action == "delete":
            ops[("delete", k, name)] = _Op(("delete", k, name), change, None)

    for node, op in list(ops.items()):
        # An object that points at itself ("press 9 to hear the menu again") is created
        # without that reference, then completed: its id does not exist before.
        if node[0] == "create" and op.data is not None and (node[1], node[2]) in KINDS[node[1]].references(op.data):
            _split(ops, node, {(node[1], node[2])})

    def deps_of(op: _Op) -> set[Node]:
        step, k, name = op.node
        deps: set[Node] = set()
        if step in ("create", "update", "finish") and op.data is not None:
            for target in KINDS[k].references(op.data):
                if ("create", *target) in ops and ("create", *target) != op.node:
                    deps.add(("create", *target))
        if step == "finish":
            deps.add(("create", k, name))
        if step == "delete":
            for other in ops.values():
                if other.node == op.node or other.node[0] in ("create", "finish"):
                    continue
                if other.node[0] == "delete" and ("unlink", other.node[1], other.node[2]) in ops:
                    continue  # that referrer lets go of its references first
                if [k, name] in other.change.live_references:
                    deps.add(other.node)
            if op.change.action == "replace":
                deps.add(("create", k, name))
        return deps

    while True:
        graph = {node: deps_of(op) for node, op in ops.items()}
        try:
            graphlib.TopologicalSorter(graph).prepare()
            return ops, graph
        except graphlib.CycleError as err:
            _break_cycle(ops, list(err.args[1]))


def _split(ops: dict[Node, _Op], node: Node, drop: set[tuple[str, str]]) -> bool:
    """Create `node` without its references to `drop`, and set them in a second phase."""
    op = ops[node]
    _, k, name = node
    reduced = KINDS[k].optional_references(op.data or {}, drop)
    if reduced is None:
        return False
    ops[node] = _Op(node, op.change, reduced)
    ops[("finish", k, name)] = _Op(("finish", k, name), op.change, op.change.data)
    return True


def _break_cycle(ops: dict[Node, _Op], cycle: list[Node]) -> None:
    """Two phases for references that form a cycle (IVR menus that lead to each other,
    groups that overflow into each other): create one member without its references into
    the cycle, then set them once the others exist. Objects that point at each other and
    all go away: one first lets go of its references into the cycle (unlink), so the API
    lets the others be deleted."""
    targets = {(k, name) for step, k, name in cycle if step == "create"}
    for node in cycle:
        step, k, name = node
        if step == "create" and ops[node].data is not None and _split(ops, node, targets - {(k, name)}):
            return
    doomed = {(k, name) for step, k, name in cycle if step == "delete"}
    for node in cycle:
        step, k, name = node
        op = ops[node]
        live = op.change.data
        if step != "delete" or live is None or ("unlink", k, name) in ops:
            continue
        reduced = KINDS[k].optional_references(live, doomed - {(k, name)})
        if reduced is None or reduced == live:
            continue
        ops[("unlink", k, name)] = _Op(("unlink", k, name), op.change, reduced)
        return
    raise PlanError([f"references form a cycle that cannot be broken: {' -> '.join('/'.join(n[1:]) for n in cycle)}"])


async def _write_ledger(client: Any, ledger: Ledger, fresh: LiveState, ids: _Ids) -> bool:
    """Store the fingerprints of what was applied, dropping objects that no longer exist.
    Written only when it changed, so an apply with nothing to do sends nothing."""
    live_ids = {f"{k}:{KINDS[k].live_id(i)}" for k in KINDS for i in fresh.items.get(k, [])}
    live_ids |= {f"{k}:{object_id}" for (k, _), object_id in ids.created.items()}
    ledger.entries = {key: v for key, v in ledger.entries.items() if key in live_ids and v}
    before = fresh.ledger.entries
    if ledger.entries == before or (not ledger.entries and ledger.item is None):
        return False
    body = {"note": ledger.note(), "scripts": [], "criterias": []}
    path = "/api/call_center/call_script"
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
