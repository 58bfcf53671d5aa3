"""Where an apply's wall time goes: a timeline of one apply of a generated tenant.

Generates a tenant (reconciler/simulator/generate.py), exports it, then applies the export to a
tenant holding only its extensions, hotlines and mp3s (as benchmarks/bench_scale.py
does) against a simulator at `--latency` in a process of its own, with the apply run in
this process so its requests and operations can be timed. It prints:

- the phases: start to the first write, the writes, the end (state note);
- requests in flight over the writes (time-weighted mean, and the share of the time
  spent at each count) against the client's concurrency;
- per operation: time ready-to-start (waiting for a place among the operations at work),
  waiting for re-check look-ups, and in its own requests;
- CPU time of this process and of the simulator's during the apply.

    .venv/bin/python benchmarks/apply_timeline.py 4000 --latency 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import API_KEY, Sim, export_generated  # noqa: E402

from reconciler.simulator.generate import before_configuration, generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    from click.testing import CliRunner

    from reconciler.api import client as client_module
    from reconciler.cli import cli
    from reconciler.engine import applier, recheck

    seed = generate(args.size)
    tmp = Path(tempfile.mkdtemp())
    out = tmp / "manifests"
    env = {"OMICALL_API_KEY": API_KEY, "NO_COLOR": "1"}
    export_generated(seed, out)

    clock = time.perf_counter
    requests: list[tuple[float, float, float, str, str]] = []  # (asked, slot, end, method, path)
    original_send = client_module.OmicallClient._send_once
    original_exchange = client_module.OmicallClient._exchange
    slot_got: dict[int, float] = {}

    async def timed_exchange(self: Any, request: Any) -> Any:
        slot_got[id(asyncio.current_task())] = clock()  # called holding a slot
        return await original_exchange(self, request)

    async def timed_send(self: Any, method: str, path: str, *rest: Any) -> Any:
        asked = clock()
        try:
            return await original_send(self, method, path, *rest)
        finally:
            got = slot_got.pop(id(asyncio.current_task()), asked)
            requests.append((asked, got, clock(), method, path))

    client_module.OmicallClient._exchange = timed_exchange  # type: ignore[method-assign]
    client_module.OmicallClient._send_once = timed_send  # type: ignore[method-assign]

    look_up_waits: list[float] = []
    original_look_up = recheck.Recheck._look_up

    async def timed_look_up(self: Any, *a: Any, **k: Any) -> Any:
        start = clock()
        try:
            return await original_look_up(self, *a, **k)
        finally:
            look_up_waits.append(clock() - start)

    recheck.Recheck._look_up = timed_look_up  # type: ignore[method-assign]

    ops: list[tuple[float, float, Any]] = []  # (start, end, node)
    original_run, original_drive = applier._ApplyRun.run, applier._ApplyRun.drive

    async def timed_run(self: Any, op: Any) -> Any:
        start = clock()
        try:
            return await original_run(self, op)
        finally:
            ops.append((start, clock(), op.node))

    async def timed_drive(self: Any) -> None:
        marks["drive"] = clock()
        await original_drive(self)
        marks["drive_end"] = clock()

    applier._ApplyRun.run = timed_run  # type: ignore[method-assign]
    applier._ApplyRun.drive = timed_drive  # type: ignore[method-assign]
    marks: dict[str, float] = {}

    sim = Sim(before_configuration(seed), args.latency, tmp)
    sim_cpu = sim.cpu()
    own = resource.getrusage(resource.RUSAGE_SELF)
    marks["start"] = clock()
    result = CliRunner().invoke(cli, ["apply", str(out), "--auto-approve", "--concurrency", str(args.concurrency)],
                                env={**env, "OMICALL_URL": sim.url})
    marks["end"] = clock()
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    sim_cpu = sim.cpu() - sim_cpu
    sim.close()
    if result.exit_code != 0:
        print(result.output[-3000:])

    t0 = marks["start"]
    wall = marks["end"] - t0
    print(f"apply of {args.size} objects at {args.latency * 1000:.0f} ms, concurrency {args.concurrency}: "
          f"{wall:.2f} s wall, exit {result.exit_code}")
    print(f"  CPU: this process {own_after.ru_utime + own_after.ru_stime - own.ru_utime - own.ru_stime:.2f} s, "
          f"simulator {sim_cpu:.2f} s; load {os.getloadavg()[0]:.2f}")
    first_write = min((s for (_, s, _, m, _) in requests if m != "GET"), default=t0)
    print(f"  start -> drive {marks['drive'] - t0:.2f} s, drive {marks['drive_end'] - marks['drive']:.2f} s, "
          f"after {marks['end'] - marks['drive_end']:.2f} s; first write at {first_write - t0:.2f} s")
    kinds = Counter("write" if m != "GET" else ("lookup" if s >= marks["drive"] else "read")
                    for (_, s, _, m, _) in requests)
    print(f"  requests: {dict(kinds)}")
    # In flight (holding a slot) over the drive.
    events = sorted([(s, 1) for (_, s, _, _, _) in requests] + [(e, -1) for (_, _, e, _, _) in requests])
    span = marks["drive_end"] - marks["drive"]
    at: Counter = Counter()
    level, last = 0, marks["drive"]
    for t, d in events:
        if t < marks["drive"] or t > marks["drive_end"]:
            level += d
            continue
        at[level] += t - last
        level, last = level + d, t
    at[level] += marks["drive_end"] - last
    mean = sum(k * v for k, v in at.items()) / span
    print(f"  in flight during the drive: mean {mean:.2f} of {args.concurrency}; share of time at each count: "
          + ", ".join(f"{k}: {v / span:.0%}" for k, v in sorted(at.items())))
    slot_waits = [g - a for (a, g, _, _, _) in requests if g >= marks["drive"]]
    service = [e - g for (_, g, e, _, _) in requests if g >= marks["drive"]]
    print(f"  per request in the drive: slot wait mean {sum(slot_waits) / len(slot_waits) * 1000:.1f} ms, "
          f"in the request mean {sum(service) / len(service) * 1000:.1f} ms (latency {args.latency * 1000:.0f})")
    op_time = [e - s for (s, e, _) in ops]
    print(f"  operations {len(ops)}: mean {sum(op_time) / len(op_time) * 1000:.1f} ms at work; look-ups "
          f"{len(look_up_waits)}, mean wait {sum(look_up_waits) / max(1, len(look_up_waits)) * 1000:.1f} ms, "
          f"total {sum(look_up_waits):.1f} op-s")
    # Operations at work over time, in tenths of the drive.
    tenths = []
    for i in range(10):
        a = marks["drive"] + span * i / 10
        b = a + span / 10
        busy = sum(max(0.0, min(e, b) - max(s, a)) for (s, e, _) in ops) / (b - a)
        reqs = sum(max(0.0, min(e, b) - max(g, a)) for (_, g, e, _, _) in requests) / (b - a)
        tenths.append(f"{busy:.1f}/{reqs:.1f}")
    print("  per tenth of the drive, operations at work / requests in flight: " + " ".join(tenths))
    json.dump({"requests": requests, "ops": [(s, e, list(n)) for s, e, n in ops], "marks": marks},
              open(tmp / "timeline.json", "w"))
    print(f"  raw: {tmp / 'timeline.json'}")


if __name__ == "__main__":
    main()
