"""One run against a tenant: read it, plan, apply. The CLI's door into the engine: every
command that talks to the tenant runs here, in one event loop (`run`)."""

from __future__ import annotations

import asyncio
import gc
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence, TypeVar

from reconciler.engine.applier import ApplyReport, OpResult, apply_plan
from reconciler.engine.history import Outcome, entry as history_entry, entries_in, record as record_history
from reconciler.engine.lease import Lease, Lock, leases_in
from reconciler.engine.live import LiveState, read_live
from reconciler.engine.plan import Change, Plan
from reconciler.engine.planner import ManifestsLike, make_plan
from reconciler.engine.state_note import holder as note_kind
from reconciler.errors import ManifestError, PlanError, Problem, ReconcilerError
from reconciler.kinds import KINDS
from reconciler.kinds.base import env_value_errors, secret_values, unset_env


T = TypeVar("T")
# Seconds an apply spends, at most, on its history entry and on giving the lock back.
FINISH_TIMEOUT = 15.0


class _Running:
    """The command whose event loop runs in this process (one at a time), for `stop`."""

    task: asyncio.Task | None = None
    stopped = False
    settling = False  # `settle` may keep objects from the collector (see there)


def run(client: Any, work: Callable[[Any], Awaitable[T]]) -> T:
    """One command's one event loop: `work(client)` with the client open, closed after
    (whatever happens). Stopped by Ctrl-C or by `stop()`: KeyboardInterrupt, once the work
    in flight is cancelled."""

    async def main() -> T:
        _Running.task, _Running.stopped = asyncio.current_task(), False
        try:
            async with client:
                return await work(client)
        finally:
            _Running.task = None

    # Only where nothing is frozen already: a host that froze objects of its own keeps them so.
    _Running.settling = gc.get_freeze_count() == 0
    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if not _Running.stopped:
            raise
        raise KeyboardInterrupt from None
    finally:
        if _Running.settling:
            _Running.settling = False
            gc.unfreeze()  # what `settle` kept aside is the collector's again


async def checkpoint() -> None:
    """A stop asked while the event loop was blocked (by a prompt) takes effect here."""
    await asyncio.sleep(0)


def settle() -> None:
    """What a command has built so far (the manifests, the tenant read, the plan: millions
    of objects at 10,000) lives until it ends: kept out of the collector's sight, so that
    a full collection walks only what was built since. Each used to walk it all, holding
    up every answer in flight: about 2.9 s of pauses of up to 330 ms in one apply of
    10,000 objects at 50 ms. Only inside `run`, which gives it all back to the collector
    when the command ends; elsewhere (a library caller, a test) it does nothing."""
    if _Running.settling:
        gc.freeze()


def stop() -> None:
    """Stop the running command as Ctrl-C does, from a signal handler: its work is
    cancelled and `run` raises KeyboardInterrupt. This works where Ctrl-C is ignored (a
    background job of a shell script inherits SIGINT ignored). No command running:
    KeyboardInterrupt at once."""
    task = _Running.task
    if task is None:
        raise KeyboardInterrupt
    _Running.stopped = True
    task.cancel()
    task.get_loop().call_soon_threadsafe(lambda: None)  # wake the loop if it waits in select()


def read_secrets(manifests: ManifestsLike) -> dict[str, str]:
    """The values of the environment variables the manifests name (those set here), read
    before planning: the planner itself reads no environment. A value its field does not
    accept (a greeting's text too long) is a ManifestError at the field, as the same value
    written in the manifest would be: the set is not valid, nothing is planned or sent."""
    desired = [(obj, KINDS[k].desired(obj.model)) for k, objs in manifests.objects.items() for obj in objs.values()]
    secrets = secret_values([data for _, data in desired])
    problems = [Problem(obj.location_of(path), f"{KINDS[obj.kind].subject(obj.name)}: {path}: {_bad_env(name, why)}",
                        "env-reference", obj.kind, obj.name)
                for obj, data in desired for path, name, why in env_value_errors(KINDS[obj.kind], data, secrets)]
    if problems:
        raise ManifestError(problems)
    return secrets


def _bad_env(name: str, why: str) -> str:
    return f"the value of environment variable {name} is not valid here: {why} (the value is not shown: it is secret)"


def plan_offline(manifests: ManifestsLike, live: LiveState) -> Plan:
    """A plan against a live state already read (export's check, drift --write's check of
    the edited files): no request."""
    return make_plan(manifests, live, secrets=read_secrets(manifests))


def check_export(manifests: ManifestsLike, live: LiveState, left_out: Any) -> tuple[Plan, list[Change]]:
    """`export` then `plan` shows no changes: the plan of the files as written, less the
    changes of the objects export left out (`left_out`: their (kind, id)), and those
    changes apart (a left-out object of a pruned kind would be deleted: said, not a bug)."""
    check = make_plan(manifests, live, secrets=read_secrets(manifests))
    doomed = [c for c in check.changes if (c.kind, c.id) in left_out]
    check.changes = [c for c in check.changes if (c.kind, c.id) not in left_out]
    return check, doomed


async def plan_tenant(client: Any, manifests: ManifestsLike, *, force_upload: bool = False,
                      targets: Sequence[str] = (), report_blocked: bool = False) -> tuple[Plan, LiveState]:
    """Read every list once, then plan (pure); `targets`: only those objects (--target);
    `report_blocked` (drift): what apply could not make is listed, not raised."""
    secrets = read_secrets(manifests)  # before any request: a value its field refuses makes the set invalid
    live = await read_live(client)
    settle()
    plan = make_plan(manifests, live, secrets=secrets, force_upload=force_upload, targets=targets,
                     report_blocked=report_blocked)
    settle()
    return plan, live


async def read_history_and_locks(client: Any) -> tuple[list[dict], list[Lease]]:
    """`history`: the entries in the tenant (oldest first) and the leases there are now."""
    items = await note_kind().list_notes(client)
    return entries_in(items), leases_in(items)


async def read_tenant(client: Any) -> tuple[LiveState, dict[str, set[str]]]:
    """The live state, and the identities of its objects per kind."""
    live = await read_live(client)
    settle()
    return live, live.catalogue.identities()


def check_against_tenant(manifests: ManifestsLike, live: LiveState) -> list[str]:
    """`validate --live`: every check `plan` makes (raises PlanError as plan does, also
    for changes apply could not make); returns the plan's warnings."""
    plan = make_plan(manifests, live, secrets=read_secrets(manifests))
    if plan.blocked:
        raise PlanError(plan.blocked)
    return plan.warnings


@dataclass
class LockOptions:
    """How an apply takes the lock (engine/lease.py)."""

    timeout: float = 0.0  # seconds to wait for another apply to finish; 0: refuse at once
    on_wait: Callable[[Lease], None] | None = None  # told once when the lock is busy and this one waits
    # The plan made again under the lock when another apply held it meanwhile and the
    # tenant changed: shown by this, and applied only if it returns True.
    on_replan: Callable[[Plan], bool] | None = None
    manifests: ManifestsLike | None = None  # to plan again (None: a saved plan, refused if stale)
    # Whether the read the plan was made from saw another apply's lease: it may have
    # changed the tenant since, as if this apply had waited for it.
    busy_at_plan: bool = False
    force_upload: bool = False  # as the first plan was made, for the plan made again
    targets: Sequence[str] = ()


async def apply_to_tenant(
    client: Any, plan: Plan, *, saved: bool, force: bool = False, on_result: Callable[[OpResult], None] | None = None,
    lock: LockOptions | None = None,
) -> ApplyReport | None:
    """Re-read the tenant right before changing it, so that an object changed since the plan
    is a conflict and not silently overwritten; then apply. An unsafe or blocked plan is
    refused (UnsafePlanError) before anything is read or sent, unless `force` (unsafe only).

    With `lock`, all of it runs holding the tenant's lock, and the history records the
    apply (see `_locked`). None: nothing left to apply once the lock was had."""
    plan.raise_if_unsafe(force)
    check_secrets(plan)
    # What the plan sends from ${env:NAME} (a note, not only a password) stays secret in
    # whatever error echoes it back.
    client.redact_also(secret_values([c.data for c in plan.changes if c.data]).values())
    if lock is None:
        fresh = await read_live(client, expected={kind: len(names) for kind, names in plan.seen.items()})
        settle()
        return await apply_plan(client, plan, fresh, saved=saved, on_result=on_result)
    return await _locked(client, plan, saved=saved, force=force, on_result=on_result, options=lock)


async def _locked(client: Any, plan: Plan, *, saved: bool, force: bool, on_result: Callable[[OpResult], None] | None,
                  options: LockOptions) -> ApplyReport | None:
    """Take the lock, re-read, apply, record the apply in the history, give the lock back:
    also when the apply is interrupted (Ctrl-C, SIGTERM), as far as a few seconds allow.
    Killed (SIGKILL), the lease expires by itself. Only the lock's holder writes the state
    note and the history, so two applies never write them at once.

    When another apply held the lock meanwhile (this one waited for it, or the plan's read
    saw its lease), the tenant is planned again from the fresh read (no extra request): if
    the other apply changed it, the new plan is shown (`on_replan`) and applied only if
    approved; if nothing is left to do, None. (A change made in the console since the plan,
    with no apply under way, stays a conflict, never overwritten.)"""
    task = asyncio.current_task()
    held = Lock(client, timeout=options.timeout, plan=plan.checksum(), on_wait=options.on_wait)
    await held.acquire(on_lost=lambda: task.cancel() if task else None)
    results: list[OpResult] = []
    report: ApplyReport | None = None
    began = False

    def collect(result: OpResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    try:
        fresh = await read_live(client, expected={kind: len(names) for kind, names in plan.seen.items()})
        settle()
        if (held.waited or options.busy_at_plan) and options.manifests is not None:
            again = make_plan(options.manifests, fresh, secrets=read_secrets(options.manifests),
                              force_upload=options.force_upload, targets=options.targets)
            if again.checksum() != plan.checksum():
                if not (options.on_replan and options.on_replan(again)) or not again.has_changes:
                    return None
                again.raise_if_unsafe(force)
                check_secrets(again)
                plan = again
                await held.set_plan(plan.checksum())
        began = True
        report = await apply_plan(client, plan, fresh, saved=saved, on_result=collect)
        return report
    except PlanError:
        began = False  # a stale saved plan, refused before anything was sent: not an apply to record
        raise
    except asyncio.CancelledError:
        if held.lost is not None:
            raise held.lost from None
        raise
    finally:
        try:
            notices = await _uninterrupted(_finish(client, held, results, report, began), FINISH_TIMEOUT)
        except (asyncio.TimeoutError, ReconcilerError) as err:
            notices = [f"the history and the lock could not be written in time ({err or 'timed out'}); the lock "
                       f"expires by itself, or: reconciler unlock --force {held.lease.id}"]
        if report is not None:
            report.notices += notices


async def _uninterrupted(work: Awaitable[T], timeout: float) -> T:
    """`work`, carried through to its end even when a stop (Ctrl-C, SIGTERM) comes
    meanwhile, within `timeout` seconds: a lease left behind would block the tenant until
    it expires. The stop then takes effect (CancelledError) once it is done."""
    task = asyncio.ensure_future(work)
    deadline = asyncio.get_running_loop().time() + timeout
    stopped = False
    while not task.done():
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            task.cancel()
            break
        try:
            await asyncio.wait_for(asyncio.shield(task), left)
        except asyncio.CancelledError:
            stopped = True
        except asyncio.TimeoutError:
            task.cancel()
            break
    try:
        result = await task
    except asyncio.CancelledError:
        raise asyncio.TimeoutError() from None
    if stopped:
        raise asyncio.CancelledError()
    return result


async def _finish(client: Any, held: Lock, results: list[OpResult], report: ApplyReport | None,
                  began: bool) -> list[str]:
    """Record the apply in the history (if it began) and give the lock back; what could not
    be done, as notices (only the history, or the lock's early release, is lost)."""
    notices: list[str] = []
    if held.unavailable is not None:
        notices.append(f"the tenant refused the lock's call script ({held.unavailable}): this apply ran without the "
                       "lock, so another apply could have written at the same time")
    if began and held.lost is None:
        outcome = Outcome.of(results, interrupted=report is None, warnings=bool(report and report.warnings))
        try:
            await record_history(client, history_entry(held.lease, outcome))
        except ReconcilerError as err:
            notices.append(f"the history could not be written ({err}); only the history lost this entry")
    released = await held.release()
    if released:
        notices.append(released)
    return notices


def check_secrets(plan: Plan) -> None:
    """Apply sends secrets and must have checked them: refused, naming the variables,
    before anything is read or sent, when one it needs is not set here, or when the plan
    was made where one was not set (it did not compare those fields: plan again)."""
    needed = [*plan.secrets_not_set, *(n for c in plan.changes for n in unset_env(c.data or {}))]
    unset = [name for name in dict.fromkeys(needed) if unset_env(f"${{env:{name}}}")]
    if unset:
        raise ReconcilerError(
            f"apply needs the secrets it sends and checks: environment variable {', '.join(unset)} "
            f"{'is' if len(unset) == 1 else 'are'} not set. Set {'it' if len(unset) == 1 else 'them'} for the "
            "apply job only (README: *CI recipes*), then run apply again"
        )
    if plan.secrets_not_set:
        raise ReconcilerError(
            f"this plan was made where {', '.join(plan.secrets_not_set)} "
            f"{'was' if len(plan.secrets_not_set) == 1 else 'were'} not set, so it did not check "
            f"{'that secret' if len(plan.secrets_not_set) == 1 else 'those secrets'}: make the plan where "
            "it is set (`reconciler plan --out FILE` in the apply job), then apply that plan"
        )
    # A saved plan sends the values as they are now, maybe not those it was made with.
    bad = [f"{c.address}: {path}: {_bad_env(name, why)}" for c in plan.changes if c.new
           for path, name, why in env_value_errors(KINDS[c.kind], c.new, os.environ)]
    if bad:
        raise PlanError(bad)
