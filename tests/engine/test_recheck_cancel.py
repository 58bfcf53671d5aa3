"""An interrupted apply sends no more reads: a look-up batch already due when Ctrl-C hits
must not start a request on the client being closed (found in review: one GET still went)."""

from __future__ import annotations

import asyncio
import copy
import pickle

from reconciler.engine.order import Step
from reconciler.engine.plan import Action, Change
from reconciler.engine.recheck import FixedPace, Recheck
from reconciler.kinds.base import Ref


class RecordingClient:
    concurrency = 8

    def __init__(self) -> None:
        self.reads: list[tuple[str, dict | None]] = []

    async def list_all(self, path: str, params: dict | None = None, page_size: int = 50,
                       expected_items: int = 0) -> list[dict]:
        self.reads.append((path, params))
        return []


def test_a_look_up_due_when_the_apply_is_interrupted_sends_nothing():
    async def scenario() -> tuple[RecordingClient, asyncio.Task]:
        client = RecordingClient()
        recheck = Recheck(client, start=lambda kind, object_id: None, read=lambda kind, item: item,
                          sizes={"groups": 3})
        change = Change(Action.UPDATE, "groups", "CSKH", id="a" * 24)
        waiting = asyncio.ensure_future(recheck.before_write(change, Step.UPDATE))
        await asyncio.sleep(0)  # the look-up has joined its batch, and a send is due soon
        assert recheck.held == 1
        recheck.cancel()  # Ctrl-C
        await asyncio.sleep(0.05)
        return client, waiting

    client, waiting = asyncio.run(scenario())
    assert client.reads == []
    assert waiting.cancelled()


def test_without_an_interrupt_the_same_look_up_is_sent():
    async def scenario() -> RecordingClient:
        client = RecordingClient()
        recheck = Recheck(client, start=lambda kind, object_id: None, read=lambda kind, item: item,
                          # nothing else runs: the batch goes at once
                          sizes={"groups": 3}, pace=FixedPace(busy=lambda: False))
        change = Change(Action.DELETE, "groups", "CSKH", id="a" * 24)
        try:
            await asyncio.wait_for(recheck.before_write(change, Step.DELETE), 1)
        except Exception:
            pass  # the group is gone from the (empty) tenant: AlreadyGone
        return client

    assert len(asyncio.run(scenario()).reads) >= 1


def test_a_reference_keeps_where_it_is_written_when_copied():
    ref = Ref("groups", "CSKH", "keys.2")
    for again in (copy.copy(ref), copy.deepcopy(ref), pickle.loads(pickle.dumps(ref))):
        assert again == ("groups", "CSKH") and again.path == "keys.2"
