"""An apply's network schedule alone, in virtual time: the same figures in every run.

The machine's noise (2 to 3 s between runs of a 75 s apply here) hides a change to how
the applier orders its requests (benchmarks/apply_timeline.py measures real time). This
runs the apply of a generated tenant (as bench_scale.py does: export it, then apply the
export to a tenant that has only its extensions, hotlines and mp3s) against the
simulator in this process, on an event loop whose clock jumps to the next timer whenever
nothing is ready: each request takes exactly `--latency`, and CPU time costs nothing. It
prints the virtual time of the plan's read and of the apply, the apply's requests
(reads, writes) and the lower bound of the writes alone (writes / concurrency round
trips). Run it before and after a change to the applier or its re-check.

    .venv/bin/python benchmarks/apply_schedule.py 10000 [--latency 0.05] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import selectors
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scale import API_KEY, export_generated  # noqa: E402
from reconciler.simulator.generate import before_configuration, generate  # noqa: E402


class _VirtualSelector:
    """Never waits: a wait of `timeout` seconds moves the loop's clock on instead."""

    def __init__(self, clock: "_VirtualLoop"):
        self._real = selectors.DefaultSelector()
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def select(self, timeout: float | None = None) -> list:
        events = self._real.select(0)
        if not events:
            if timeout is None:
                raise RuntimeError("the apply waits for something that is not a timer")
            self._clock.now += timeout
        return events


class _VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_VirtualSelector(self))

    def time(self) -> float:
        return self.now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    from reconciler.api import OmicallClient
    from reconciler.engine import session
    from reconciler.manifest import load_manifests
    from reconciler.simulator import Simulator

    seed = generate(args.size)
    out = Path(tempfile.mkdtemp()) / "manifests"
    export_generated(seed, out)

    sim = Simulator(before_configuration(seed), api_key=API_KEY, latency=args.latency)
    manifests = load_manifests(out)
    loop = _VirtualLoop()

    async def plan_and_apply() -> tuple[float, int, Any]:
        async with OmicallClient("http://127.0.0.1", api_key=API_KEY, transport=sim.transport(),
                                 concurrency=args.concurrency) as client:
            plan, _ = await session.plan_tenant(client, manifests)
            planned, asked = loop.time(), len(sim.requests)
            return planned, asked, await session.apply_to_tenant(client, plan, saved=False)

    try:
        planned, asked, report = loop.run_until_complete(plan_and_apply())
    finally:
        loop.close()
    sent = Counter("read" if r.method == "GET" else "write" for r in sim.requests[asked:])
    undone = sum(r.status.name != "DONE" for r in report.results)
    writes_alone = math.ceil(sent["write"] / args.concurrency) * args.latency
    print(f"apply of {args.size} objects, {args.latency * 1000:.0f} ms a request, concurrency {args.concurrency}, "
          f"in virtual time: plan's read {planned:.2f} s, apply {loop.time() - planned:.2f} s; the apply's "
          f"requests: {sent['read']} reads, {sent['write']} writes (the writes alone: {writes_alone:.2f} s); "
          f"operations not done: {undone}")


if __name__ == "__main__":
    main()
