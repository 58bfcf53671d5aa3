"""The lock: an apply holds a lease in the tenant while it writes, so that two applies
never write at once (and never write the state note at once).

The lease lives beside the state note, in the same visible, safe-to-lose way: each apply
that takes the lock writes an object of its own, of the kind that `HoldsStateNote`, under
that kind's `lock_name` ("reconciler lock (safe to delete)"), whose note says who holds it
(user, host, CI job URL), since when, for which plan, and how long it lives unrenewed.

The API has no compare-and-swap, so acquisition rests on what it does have: a write the
server has answered is seen by every list made after it. Each contender writes its own
object and never touches another's, then reads them all (after `settle`, a margin for a
server whose lists lag its writes):

1. *Waiting.* Its object says "waiting". If another unexpired lease is held, or another
   unexpired waiting lease is older (the server's `created_date`, then `_id`: every
   reader sees the same order), it stays waiting. This is only about who goes first
   (oldest first, so waiters are served in arrival order); safety is step 2's.
2. *Held.* Its object says "held"; after `settle` it reads again. If any other unexpired
   lease says "held", it goes back to waiting. Two contenders cannot both pass: whichever
   wrote "held" second, its read comes after the other's "held" was answered, so it sees
   it. (Both may step back, at worst; they then try again in step 1's order.)

A lease expires when it has not been renewed for its own `expiry` (the holder renews it
every third of that, a heartbeat, so a long apply keeps it). Age is measured on the
server's clock: the contender's own object, just written, tells the server's time, and
another lease's `last_updated_date` its last renewal; clocks of the machines that apply
never enter (only where the server returns no dates is the holder's clock used, with a
minute's margin). A holder found expired has its object deleted by the next one to take
the lock; if it was only slow, its next renewal finds its object gone and it stops
(`LockLost`). `reconciler unlock --force LEASE_ID` deletes one by hand. Losing a lease
object costs nothing but the lock itself.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from reconciler.engine.durations import duration
from reconciler.engine.state_note import holder as note_kind
from reconciler.errors import ApiError, ReconcilerError

TEXT_PREFIX = "reconciler-lock v1 "
WAITING, HELD = "waiting", "held"
# Seconds a lease lives unrenewed: a killed apply blocks the tenant at most this long.
# RECONCILER_LOCK_EXPIRY sets it (tests use a few seconds).
DEFAULT_EXPIRY = 120.0
# Seconds between a write of the lease and the read that checks it (RECONCILER_LOCK_SETTLE).
DEFAULT_SETTLE = 0.3
# Seconds between two tries while waiting for the lock.
POLL = 2.0
# Where the server returns no dates, a lease is judged on its holder's clock, with this margin.
CLOCK_MARGIN = 60.0


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        raise ReconcilerError(f"{name} must be a number of seconds, got {os.environ.get(name)!r}") from None
    if value < 0:
        raise ReconcilerError(f"{name} must be a number of seconds, got {os.environ.get(name)!r}")
    return value


def lock_expiry() -> float:
    return max(_env_seconds("RECONCILER_LOCK_EXPIRY", DEFAULT_EXPIRY), 1.0)


def lock_settle() -> float:
    return _env_seconds("RECONCILER_LOCK_SETTLE", DEFAULT_SETTLE)


def who() -> dict[str, str | None]:
    """This run's holder: user, host, and the CI job's URL when in CI."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER") or "unknown"
    env = os.environ
    ci = env.get("CI_JOB_URL")  # GitLab
    if not ci and env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        ci = (f"{env.get('GITHUB_SERVER_URL') or 'https://github.com'}/{env['GITHUB_REPOSITORY']}"
              f"/actions/runs/{env['GITHUB_RUN_ID']}")
    return {"user": user, "host": socket.gethostname(), "ci": ci}


def describe_holder(holder: dict) -> str:
    """`alice@laptop` or `runner@ci-1 (https://…/actions/runs/42)`."""
    text = f"{holder.get('user') or '?'}@{holder.get('host') or '?'}"
    return f"{text} ({holder['ci']})" if holder.get("ci") else text


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Lease:
    """One lease object's content, and the live item that holds it."""

    id: str
    holder: dict
    started: float  # epoch seconds, the holder's clock
    expiry: float
    state: str = WAITING
    plan: str | None = None
    command: str = "apply"
    renewed: float = 0.0  # epoch seconds of the last renewal, the holder's clock
    item: dict | None = field(default=None, repr=False)
    server_age: float | None = None  # seconds since its object was created, by the server's clock

    @classmethod
    def new(cls, expiry: float, plan: str | None, command: str = "apply") -> "Lease":
        now = time.time()
        return cls(id=secrets.token_hex(8), holder=who(), started=now, expiry=expiry, plan=plan, command=command,
                   renewed=now)

    def text(self) -> str:
        return TEXT_PREFIX + json.dumps(
            {"id": self.id, "holder": self.holder, "started": iso_utc(self.started), "started_epoch": self.started,
             "expiry_seconds": self.expiry, "state": self.state, "plan": self.plan, "command": self.command,
             "renewed_epoch": self.renewed}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def parse(cls, item: dict) -> "Lease | None":
        """The lease an object holds; None when its note is not one (edited, or garbage)."""
        text = note_kind().state_note_text(item)
        if not text.startswith(TEXT_PREFIX):
            return None
        try:
            data = json.loads(text[len(TEXT_PREFIX):])
            return cls(id=str(data["id"]), holder=dict(data.get("holder") or {}), started=float(data["started_epoch"]),
                       expiry=float(data["expiry_seconds"]), state=str(data.get("state") or WAITING),
                       plan=data.get("plan"), command=str(data.get("command") or "apply"),
                       renewed=float(data.get("renewed_epoch") or data["started_epoch"]), item=item)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    @property
    def updated_ms(self) -> int | None:
        """The server's time of its last write, if the server says."""
        item = self.item or {}
        value = item.get("last_updated_date") or item.get("created_date")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def order(self) -> tuple:
        """Who came first, as every reader sees it."""
        created = (self.item or {}).get("created_date")
        return (created if isinstance(created, int) else 0, str((self.item or {}).get("_id") or ""), self.id)

    def expired(self, server_now_ms: int | None) -> bool:
        """Not renewed for its expiry (server clock), never judged early."""
        if server_now_ms is not None and self.updated_ms is not None:
            return server_now_ms - self.updated_ms > self.expiry * 1000
        return time.time() > self.renewed + self.expiry + CLOCK_MARGIN

    def age(self) -> float:
        """Seconds since it was taken: on the server's clock when known (`server_age`)."""
        return self.server_age if self.server_age is not None else max(0.0, time.time() - self.started)

    def describe(self) -> str:
        """`apply by alice@laptop, lease 3f…, started 2 min 5 s ago (plan 1a2b3c4d5e6f)`."""
        plan = f", plan {self.plan[:12]}" if self.plan else ""
        return (f"{self.command} by {describe_holder(self.holder)} (lease {self.id}, started {duration(self.age())} "
                f"ago{plan})")


class LockBusy(ReconcilerError):
    """Another apply holds the lock (or takes it first), and waiting did not help."""

    def __init__(self, blocker: Lease, waited: float):
        self.blocker = blocker
        waited_text = f" after waiting {duration(waited)}" if waited >= 1 else ""
        taking = "holds" if blocker.state == HELD else "is taking"
        super().__init__(
            f"the tenant is locked{waited_text}: {blocker.describe()} {taking} the lock; nothing was changed. "
            f"Run apply again once it is done (or wait for it with --lock-timeout SECONDS). If that apply is dead, "
            f"its lease expires by itself {expiry_phrase(blocker)}, or break it now: "
            f"reconciler unlock --force {blocker.id}")


def expiry_phrase(lease: Lease) -> str:
    return f"{duration(lease.expiry)} after its last renewal"


class LockLost(ReconcilerError):
    """The lease this apply held is gone (broken with unlock --force, or expired)."""


async def read_leases(client: Any) -> tuple[list[Lease], list[dict]]:
    """Every lease in the tenant (oldest first) and every live item of the note kind."""
    items = await note_kind().list_notes(client)
    return leases_in(items), items


def leases_in(items: list[dict]) -> list[Lease]:
    """The leases among live items of the note kind, oldest first."""
    kind = note_kind()
    return [lease for i in kind.notes_named(items, kind.lock_name) if (lease := Lease.parse(i)) is not None]


def _server_now(leases: list[Lease], mine: Lease) -> int | None:
    """The server's time now, near enough: that of our own object's write, just made."""
    return next((lease.updated_ms for lease in leases if lease.id == mine.id), None)


class _Gone(Exception):
    """Our own lease object is not in the list (broken by hand, or a lagging list)."""


async def _blocker(client: Any, mine: Lease, *, held_only: bool, seen: list[Lease]) -> Lease | None:
    """The lease that keeps `mine` from holding the lock, or None. `seen` is set to the
    leases read."""
    leases, _ = await read_leases(client)
    me = next((lease for lease in leases if lease.id == mine.id), None)
    if me is None:
        raise _Gone()
    mine.item = me.item
    seen.clear()
    seen.extend(leases)
    now = _server_now(leases, mine)
    others = [lease for lease in leases if lease.id != mine.id and not lease.expired(now)]
    for lease in others:
        created = (lease.item or {}).get("created_date")
        if now is not None and isinstance(created, int):
            lease.server_age = max(0.0, (now - created) / 1000)
    held = [lease for lease in others if lease.state == HELD]
    if held:
        return held[0]
    if held_only:
        return None
    return next((lease for lease in others if lease.order < me.order), None)


class Lock:
    """The lock as one apply takes it, holds it (renewing it) and gives it back."""

    def __init__(self, client: Any, *, timeout: float = 0.0, plan: str | None = None, command: str = "apply",
                 on_wait: Callable[[Lease], None] | None = None):
        self.client, self.timeout, self.on_wait = client, timeout, on_wait
        self.lease = Lease.new(lock_expiry(), plan, command)
        self.settle = lock_settle()
        self.waited = False  # whether another apply held the lock when this one asked
        self.lost: LockLost | None = None
        self.unavailable: ApiError | None = None  # the tenant refused the lease: no lock held
        self._heartbeat: asyncio.Task | None = None
        self._seen: list[Lease] = []  # the leases of the last read

    async def _write(self) -> None:
        kind, mine = note_kind(), self.lease
        mine.renewed = time.time()

        async def find_mine() -> Any:  # a create whose answer was lost
            leases, _ = await read_leases(self.client)
            return next((lease.item for lease in leases if lease.id == mine.id), None)

        mine.item = await kind.save_note(self.client, kind.lock_name, mine.text(), mine.item, find_existing=find_mine)

    async def acquire(self, on_lost: Callable[[], None] | None = None) -> None:
        """Take the lock, waiting up to `timeout` seconds; LockBusy naming the holder when
        it cannot. `on_lost`: called if the lease is found gone while held (the apply
        should stop)."""
        started = time.monotonic()
        told, gone = False, 0
        try:
            while True:
                try:
                    blocker = await self._try()
                except ApiError as err:
                    if err.server_message is None or self.lease.item is not None:
                        raise
                    # The tenant refuses the lease object itself (a server that will not take
                    # a call script the way the state note is made): no apply can hold the
                    # lock there, so this one goes on without it, and says so.
                    self.unavailable = err
                    return
                if blocker is None:
                    break
                if blocker is self.lease and gone < 3:
                    gone += 1  # our own object was not listed: write it again, at once
                    continue
                self.waited = True
                waited = time.monotonic() - started
                if waited >= self.timeout:
                    raise LockBusy(blocker, waited)
                if self.on_wait and not told:
                    self.on_wait(blocker)
                    told = True
                await asyncio.sleep(min(POLL, max(0.05, self.timeout - waited)))
        except BaseException:
            await self._withdraw()
            raise
        await self._clean_up_expired()
        self._heartbeat = asyncio.ensure_future(self._renew_forever(on_lost))

    async def _try(self) -> Lease | None:
        """One round of steps 1 and 2 (see the module's docstring)."""
        try:
            self.lease.state = WAITING
            await self._write()
            await asyncio.sleep(self.settle)
            blocker = await _blocker(self.client, self.lease, held_only=False, seen=self._seen)
            if blocker is not None:
                return blocker
            self.lease.state = HELD
            await self._write()
            await asyncio.sleep(self.settle)
            blocker = await _blocker(self.client, self.lease, held_only=True, seen=self._seen)
        except _Gone:
            # Deleted by someone (unlock --force) or not listed yet: write it again next round.
            self.lease.item = None
            self.lease.state = WAITING
            return self.lease
        if blocker is not None:
            self.lease.state = WAITING  # step back at once, so that the other one can go
            await self._write()
        return blocker

    async def set_plan(self, checksum: str) -> None:
        """Say which plan the holder applies (made again under the lock), and check that the
        lock is still ours: a prompt meanwhile blocked the renewals, and a lease not renewed
        for its expiry may have been taken. LockLost if it was (nothing written yet)."""
        self.lease.plan = checksum
        try:
            await self._write()
            await asyncio.sleep(self.settle)
            taken = await _blocker(self.client, self.lease, held_only=True, seen=self._seen)
        except (_Gone, ApiError):
            taken = self.lease
        if taken is not None:
            self.lost = LockLost(f"this apply's lock (lease {self.lease.id}) expired while it waited for your answer "
                                 "and is no longer its own (another apply took the lock, or it was broken with "
                                 "`reconciler unlock --force`): nothing was changed; run apply again")
            raise self.lost

    async def _renew_forever(self, on_lost: Callable[[], None] | None) -> None:
        while True:
            await asyncio.sleep(self.lease.expiry / 3)
            try:
                await self._write()
            except ApiError as err:
                if err.server_message is None:
                    continue  # the network: the next renewal may pass, the client retried already
                if await self._still_mine():
                    continue
                self.lost = LockLost(
                    f"this apply's lock (lease {self.lease.id}) was taken from it while it ran (broken with "
                    "`reconciler unlock --force`, or expired because it could not be renewed for "
                    f"{duration(self.lease.expiry)}): it stopped, and did not save the state note")
                if on_lost:
                    on_lost()
                return
            except ReconcilerError:
                continue

    async def _still_mine(self) -> bool:
        leases, _ = await read_leases(self.client)
        return any(lease.id == self.lease.id for lease in leases)

    async def _clean_up_expired(self) -> None:
        """Delete the objects of leases that expired (killed applies'), as the last read
        showed them: they would pile up."""
        try:
            now = _server_now(self._seen, self.lease)
            for lease in self._seen:
                if lease.id != self.lease.id and lease.expired(now) and lease.item is not None:
                    await note_kind().delete_note(self.client, lease.item)
        except ReconcilerError:
            pass  # left for the next apply: an expired lease blocks nobody

    async def _withdraw(self) -> None:
        """Delete our lease object, if written (best effort: it expires anyway)."""
        if self.lease.item is None:
            return
        try:
            await asyncio.shield(note_kind().delete_note(self.client, self.lease.item))
        except (ReconcilerError, asyncio.CancelledError):
            pass
        self.lease.item = None

    async def release(self) -> str | None:
        """Stop renewing and delete the lease; a warning when it could not be deleted."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        if self.lease.item is None:
            return None
        if self.lost is not None:
            await self._withdraw()  # if it is still there, it blocks nobody once deleted
            return None
        try:
            await note_kind().delete_note(self.client, self.lease.item)
        except ReconcilerError as err:
            return (f"the lock could not be released ({err}); it expires by itself "
                    f"{duration(self.lease.expiry)} after this apply, or: reconciler unlock --force {self.lease.id}")
        self.lease.item = None
        return None


async def break_lease(client: Any, lease_id: str) -> Lease:
    """`unlock --force`: delete the lease `lease_id`; ReconcilerError naming the leases
    there are when there is no such lease."""
    leases, _ = await read_leases(client)
    found = next((lease for lease in leases if lease.id == lease_id), None)
    if found is None or found.item is None:
        there = "; ".join(f"{lease.id}: {lease.describe()}" for lease in leases) or "none"
        raise ReconcilerError(f"no lease {lease_id!r} in the tenant (leases there: {there})")
    await note_kind().delete_note(client, found.item)
    return found
