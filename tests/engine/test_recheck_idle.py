"""When nothing else can go on, the look-ups that hold up the longest chain are read first;
a batch that holds up less keeps gathering while other work goes on, so a later read
answers more of it at once (benchmarks/apply_timeline.py, 10,000 objects: 951 look-up
reads before, 668 after)."""

from __future__ import annotations

import asyncio

from reconciler.engine.recheck import FixedPace, Recheck
from reconciler.kinds import KINDS

GROUPS, MENUS = KINDS["groups"], KINDS["ivr_menus"]


class Lists:
    """A client whose lists are empty (no duplicates), recording each read's path."""

    concurrency = 8

    def __init__(self) -> None:
        self.read: list[str] = []

    async def list_all(self, path: str, params: dict | None = None, page_size: int = 50,
                       expected_items: int = 0) -> list[dict]:
        self.read.append(path)
        await asyncio.sleep(0)
        return []


def test_the_longest_chain_is_read_first_and_a_leaf_batch_keeps_gathering():
    async def scenario() -> tuple[list[str], bool, list[str]]:
        client = Lists()
        # 40 groups: their whole list is one page, the cheapest read per look-up here.
        busy = [False]  # every running operation waits for a look-up
        # far from the end (rounds_left): no chain is due by itself
        recheck = Recheck(client, start=lambda kind, object_id: None, read=lambda kind, item: item,
                          sizes={"groups": 40, "ivr_menus": 40},
                          pace=FixedPace(busy=lambda: busy[0], rounds_left=lambda: 1000.0))

        leaves = [asyncio.ensure_future(recheck.after_create(GROUPS, f"Nhóm {n}", f"{n:024x}", chain=1))
                  for n in range(10)]
        menu = asyncio.ensure_future(recheck.after_create(MENUS, "Menu chính", "f" * 24, chain=3))
        done, _ = await asyncio.wait([menu], timeout=5)  # what holds up a chain of 3 is read...
        assert done, "the look-up that holds up the longest chain was never read"
        busy[0] = True  # ... and the operations it held up go on
        late = asyncio.ensure_future(recheck.after_create(GROUPS, "Nhóm muộn", "e" * 24, chain=1))
        for _ in range(5):
            recheck.finished()  # writes finish meanwhile (not enough to pay for a read)
            await asyncio.sleep(0)
        while_busy = list(client.read)
        gathering = not any(leaf.done() for leaf in [*leaves, late])
        busy[0] = False  # nothing else can go on again: the leaves go, in one read
        recheck.finished()
        await asyncio.wait_for(asyncio.gather(*leaves, late), 5)
        return while_busy, gathering, client.read

    while_busy, gathering, reads = asyncio.run(scenario())
    assert while_busy == [MENUS.list_path]
    assert gathering
    # One read answered the eleven leaves: the list of groups, once.
    assert reads == [MENUS.list_path, GROUPS.list_path]
