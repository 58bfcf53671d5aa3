"""Near the end of an apply, look-ups that hold up a chain go at once; a whole-list read
(call scripts: their list takes no keyword) still waits for the creates of its kind in
flight, so one read answers them all (seen in apply_timeline: three 40-page reads of the
call-script list back to back at the end of a 10,000-object apply)."""

from __future__ import annotations

import asyncio

from reconciler.engine.recheck import FixedPace, Recheck
from reconciler.kinds import KINDS

SCRIPTS = KINDS["call_scripts"]


class ScriptList:
    """A client whose call-script list holds what was created, read whole."""

    concurrency = 8

    def __init__(self) -> None:
        self.items: list[dict] = []
        self.reads = 0

    async def list_all(self, path: str, params: dict | None = None, page_size: int = 50,
                       expected_items: int = 0) -> list[dict]:
        assert path == SCRIPTS.list_path and not params
        self.reads += 1
        await asyncio.sleep(0.01)
        return [dict(i) for i in self.items]


def _run(second_create_in_flight: bool) -> ScriptList:
    async def scenario() -> ScriptList:
        client = ScriptList()
        recheck = Recheck(client, start=lambda kind, object_id: None, read=lambda kind, item: item,
                          # the end of the apply: a chain of 1 is due at once
                          sizes={"call_scripts": 2000}, pace=FixedPace(rounds_left=lambda: 1.0))

        async def create(n: int, answer_after: float) -> None:
            with recheck.creating(SCRIPTS):
                await asyncio.sleep(answer_after)  # the create's request
                client.items.append({"_id": f"{n:024x}", "script_name": f"Kịch bản {n}"})
            await recheck.after_create(SCRIPTS, f"Kịch bản {n}", f"{n:024x}", chain=1)

        if second_create_in_flight:
            await asyncio.wait_for(asyncio.gather(create(1, 0.0), create(2, 0.05)), 5)
        else:
            await asyncio.wait_for(create(1, 0.0), 5)
            await asyncio.wait_for(create(2, 0.0), 5)
        return client

    return asyncio.run(scenario())


def test_a_whole_list_read_waits_for_the_creates_of_its_kind_in_flight():
    assert _run(second_create_in_flight=True).reads == 1


def test_without_a_create_in_flight_each_look_up_goes_at_once():
    assert _run(second_create_in_flight=False).reads == 2
