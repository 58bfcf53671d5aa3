"""How much does reading a tenant gain from more requests in flight?

Starts the simulator with 10 ms of latency per request, seeds a tenant of 600 objects,
and reads all of it (five list endpoints, concurrently, each with `list_all`) at
concurrency 1, 2, 4, 8, 16 and 32. Prints wall time, the ratio to concurrency 1 and the
client's CPU per request, all measured in this one run. It asserts nothing: it is how
DEFAULT_CONCURRENCY was chosen.

By default the simulator runs in a process of its own, serving loopback HTTP, so that its
pure-Python work does not share this process's GIL (a real tenant is on another machine);
`--mode thread` serves it from a thread of this process, `--mode inproc` uses
`sim.transport()` without sockets.

    .venv/bin/python benchmarks/bench_concurrency.py [--page-size 50 10] [--repeats 3] [--mode process]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.api import OmicallClient
from reconciler.simulator import Simulator

LEVELS = (1, 2, 4, 8, 16, 32)
LISTS = (
    "/api/call_center/internal_phone/list",
    "/api/call_center/internal_group/list",
    "/api/call_center/key-interaction/list",
    "/api/call_center/greeting/list",
    "/api/call_center/call_script/list",
)


def seed(extensions: int = 150, groups: int = 150, greetings: int = 100, ivr_menus: int = 100,
         call_scripts: int = 100) -> dict[str, list[dict[str, Any]]]:
    """A tenant of 600 objects, with Vietnamese names like a real one."""
    greeting_ids = [f"{n + 1:024x}" for n in range(greetings)]
    return {
        "extensions": [
            {"sip_user": str(1000 + n), "full_name": f"Nhân viên {n}", "email": f"nv{n}@example.vn",
             "agent_id": f"{0xA0000 + n:024x}", "password": f"pw{n:06d}xx"}
            for n in range(extensions)
        ],
        "greetings": [
            {"_id": greeting_ids[n], "greeting_name": f"Lời chào {n}", "content": f"Xin chào {n}"}
            for n in range(greetings)
        ],
        "groups": [{"group_name": f"Nhóm {n}", "sip_members": [str(1000 + n % extensions)]} for n in range(groups)],
        "ivr_menus": [
            {"script_name": f"Menu {n}", "greeting_id": greeting_ids[n % greetings]} for n in range(ivr_menus)
        ],
        "call_scripts": [{"script_name": f"Kịch bản {n}", "scripts": []} for n in range(call_scripts)],
    }


async def read_tenant(client: OmicallClient, page_size: int) -> int:
    """Every object of the five lists; how many were read."""
    lists = await asyncio.gather(*(client.list_all(path, page_size=page_size) for path in LISTS))
    return sum(len(items) for items in lists)


API_KEY = "bench-key"


@contextmanager
def simulator(mode: str, latency: float) -> Iterator[tuple[str, Any]]:
    """(base URL, transport or None) of a seeded simulator, stopped on exit."""
    if mode == "process":
        with tempfile.TemporaryDirectory() as tmp:
            seed_file = Path(tmp) / "seed.json"
            seed_file.write_text(json.dumps(seed(), ensure_ascii=False), encoding="utf-8")
            code = ("from reconciler.simulator import serve; "
                    f"serve(api_key={API_KEY!r}, seed={str(seed_file)!r}, latency={latency!r})")
            server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
            try:
                url = server.stdout.readline().strip()  # first line: the base URL
                if not url.startswith("http"):
                    raise SystemExit("the simulator did not start")
                yield url, None
            finally:
                server.terminate()
                server.wait(timeout=10)
        return
    sim = Simulator(seed=seed(), api_key=API_KEY, latency=latency)
    try:
        if mode == "thread":
            yield sim.start(), None
        else:
            yield "http://127.0.0.1", sim.transport()
    finally:
        sim.stop()


async def one_run(url: str, transport: Any, concurrency: int, page_size: int) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds of this process, requests, objects) for one full read with a fresh client."""
    async with OmicallClient(url, api_key=API_KEY, concurrency=concurrency, transport=transport) as client:
        await client.get(LISTS[0], {"page": 1, "size": 1})  # authenticate outside the measurement
        before = client.request_count
        cpu, wall = time.process_time(), time.perf_counter()
        objects = await read_tenant(client, page_size)
        return time.perf_counter() - wall, time.process_time() - cpu, client.request_count - before, objects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.01)
    parser.add_argument("--page-size", type=int, nargs="+", default=[50, 10])
    parser.add_argument("--repeats", type=int, default=3, help="runs per level; the median is shown")
    parser.add_argument("--mode", choices=["process", "thread", "inproc"], default="process")
    args = parser.parse_args()

    with simulator(args.mode, args.latency) as (url, transport):
        for page_size in args.page_size:
            print(f"\nsimulator: {args.mode}, latency {args.latency * 1000:.0f} ms, page size {page_size}, "
                  f"median of {args.repeats}")
            print(f"{'concurrency':>11} {'requests':>8} {'objects':>7} {'wall s':>8} {'vs c=1':>7} "
                  f"{'speedup':>7} {'CPU ms/req':>10}")
            baseline = None
            for level in LEVELS:
                runs = [asyncio.run(one_run(url, transport, level, page_size)) for _ in range(args.repeats)]
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                requests, objects = runs[0][2], runs[0][3]
                baseline = baseline or wall
                print(f"{level:>11} {requests:>8} {objects:>7} {wall:>8.3f} {wall / baseline:>7.3f} "
                      f"{baseline / wall:>6.1f}x {cpu / requests * 1000:>10.2f}")
    if args.mode != "process":
        print("\n(CPU ms/req includes the simulator's own work: it runs in this process.)")


if __name__ == "__main__":
    main()
