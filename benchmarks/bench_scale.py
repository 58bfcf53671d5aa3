"""How the reconciler scales: every command on generated tenants of growing size.

For each size (objects in the tenant; 400, 4,000 and 10,000 by default) it generates a
tenant (reconciler/simulator/generate.py: every kind, Vietnamese names, cycles of groups and IVR
menus, names a YAML writer must quote), serves it with the simulator in a process of its
own, and runs each command as its own process, as a user or CI would:

  export   the generated tenant into a directory (then checked: its plan is empty)
  validate that directory, offline
  plan     that directory against the same tenant (no changes)
  drift    the same
  apply    that directory to a tenant that has only its extensions, hotlines and
           uploaded mp3s (everything else is created: cycles in two phases)
  no-op    apply again: nothing to do

For each it prints the wall time, the command's own CPU time and peak memory (RSS) as
the operating system accounts them for that process (wait4), and the requests the
simulator received (reads, mutating). For plan and apply it prints the ratio of the wall
time to the network floor at the simulator's latency: for a plan, the page round trips
(one for the token, then every page of every list at `--concurrency` in flight); for an
apply, two such reads (the plan's, and the one right before the first write) plus the
apply's dependency graph scheduled at `--concurrency`, longest chain first, with one
round trip per write (its critical path), plus the state note, plus the tenant's lock
and the history (engine/lease.py, engine/history.py: the lease written, read back
after its settle, written "held", read back after a second settle, given back at the
end; the history read and written: 7 round trips and two settles). A round trip is the
latency plus the simulator's own time to answer a request, taken as its CPU time per
request in the same command at 0 ms (a lower bound: the floor stays a floor). The
look-ups of the re-check (reconciler/engine/recheck.py) are not in the floor: what they
cost shows in the ratio (benchmarks/apply_timeline.py shows where one apply's time goes). With `--latency-sizes` the plan and the apply are run again at
`--latency` seconds per request. The last table is the growth from size to size: CPU
and memory per object (must not rise with size) and apply's CPU per write.

Every figure comes from this one run; it asserts nothing.

    .venv/bin/python benchmarks/bench_scale.py [SIZE ...] [--latency 0.05] [--latency-sizes 400 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the package, when not installed

from reconciler.engine.lease import lock_settle  # noqa: E402
from reconciler.simulator.generate import before_configuration, generate  # noqa: E402

API_KEY = "bench-key"
PAGE_SIZE = 50  # every kind's list is read 50 a page (reconciler/kinds)

# The simulator's process: serves SEED at LATENCY on loopback, prints its URL, then
# answers "count" on stdin with the requests received since the last count.
SERVE = """
import json, sys
from reconciler.simulator import Simulator
sim = Simulator(json.load(open(sys.argv[1], encoding="utf-8")), api_key=sys.argv[3], latency=float(sys.argv[2]))
print(sim.start(), flush=True)
for line in sys.stdin:
    taken, sim.requests[:] = list(sim.requests), []
    reads = sum(r.method == "GET" and r.path != "/api/auth" for r in taken)
    auth = sum(r.path == "/api/auth" for r in taken)
    print(json.dumps({"reads": reads, "auth": auth, "mutating": len(taken) - reads - auth}), flush=True)
sim.stop()
"""


@dataclass
class Run:
    command: str
    size: int
    latency: float
    wall: float
    cpu: float
    rss_mb: float
    reads: int
    mutating: int
    exit_code: int
    server_cpu: float = 0.0  # the simulator's CPU time per request of this command
    floor: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Sim:
    """A simulator process serving one tenant."""

    def __init__(self, seed: dict, latency: float, tmp: Path):
        path = tmp / f"seed-{id(self)}.json"
        path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, str(path), str(latency), API_KEY],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise SystemExit("the simulator did not start")

    def cpu(self) -> float:
        """The simulator process's CPU time so far (seconds; 0 where /proc is not there)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def count(self) -> dict[str, int]:
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@contextmanager
def simulator(seed: dict, latency: float, tmp: Path) -> Iterator[Sim]:
    sim = Sim(seed, latency, tmp)
    try:
        yield sim
    finally:
        sim.close()


def run_command(sim: Sim, args: list[str], size: int, latency: float, log: Path) -> Run:
    """`python -m reconciler ARGS` against `sim`, measured by the OS (wait4)."""
    env = {**os.environ, "OMICALL_URL": sim.url, "OMICALL_API_KEY": API_KEY, "NO_COLOR": "1"}
    env.pop("OMICALL_TOKEN", None)
    sim.count()  # reset
    server_cpu = sim.cpu()
    with open(log, "w", encoding="utf-8") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "reconciler", *args], stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    counts = sim.count()
    server_cpu = sim.cpu() - server_cpu
    if proc.returncode != 0:
        print(f"  `reconciler {' '.join(args)}` exited {proc.returncode}:\n" + log.read_text(encoding="utf-8")[-2000:])
    return Run(args[0] if args[0] != "apply" else "apply", size, latency, wall, usage.ru_utime + usage.ru_stime,
               usage.ru_maxrss / 1024, counts["reads"], counts["mutating"], proc.returncode,
               server_cpu / max(1, counts["reads"] + counts["mutating"] + counts["auth"]))


def export_generated(seed: dict, out: Path) -> None:
    """The generated tenant `seed` exported into `out` by `reconciler export` (in this
    process, against the simulator serving it at 0 ms): the manifests an apply starts from."""
    from click.testing import CliRunner

    from reconciler.cli import cli
    from reconciler.simulator import Simulator

    with Simulator(seed, api_key=API_KEY) as full:
        result = CliRunner().invoke(cli, ["export", "--out", str(out)],
                                    env={"OMICALL_URL": full.url, "OMICALL_API_KEY": API_KEY, "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output


# The lock: the lease written ("waiting"), read back, written "held", read back, deleted at
# the end; the history: read, then written. Two settles before the lock's read-backs.
LOCK_AND_HISTORY_ROUNDS = 7
LOCK_SETTLES = 2


def read_floor_rounds(seed: dict, concurrency: int, state_note: bool) -> tuple[int, int]:
    """(round trips, pages) of reading every list once: the token, then page 1 of every
    list together, then the remaining pages `concurrency` at a time (a lower bound)."""
    sizes = {k: len(v) for k, v in seed.items()}
    for kind in ("greetings", "groups", "ivr_menus", "call_scripts", "hotlines", "extensions"):
        sizes.setdefault(kind, 0)
    if state_note:
        sizes["call_scripts"] += 1
    pages = [max(1, math.ceil(n / PAGE_SIZE)) for n in sizes.values()]
    total = sum(pages)
    depth = 2 if max(pages) > 1 else 1
    return 1 + max(depth, math.ceil(total / concurrency)), total


def apply_graph_rounds(manifests: Path, seed: dict, concurrency: int) -> tuple[int, int, int]:
    """(round trips, operations, longest chain) of the apply's dependency graph, run
    `concurrency` at a time, each operation one round trip, the ready operations with the
    longest chain after them first (what the applier does)."""
    import graphlib

    from reconciler.engine.applier import _chain_heights
    from reconciler.engine.live import LiveState
    from reconciler.engine.order import build_graph
    from reconciler.engine.planner import make_plan
    from reconciler.manifest import load_manifests
    from reconciler.simulator import Simulator

    with Simulator(seed, api_key=API_KEY) as sim:
        from reconciler.api import OmicallClient
        from reconciler.engine.live import read_live

        async def read() -> LiveState:
            async with OmicallClient("http://127.0.0.1", api_key=API_KEY, transport=sim.transport()) as client:
                return await read_live(client)

        live = asyncio.run(read())
    plan = make_plan(load_manifests(manifests), live)
    ops, graph = build_graph(plan)
    sorter = graphlib.TopologicalSorter(graph)
    sorter.prepare()
    ready: list = []
    rounds = 0
    height = _chain_heights(graph, ops)
    order = itertools.count()
    while sorter.is_active():
        for node in sorter.get_ready():
            heapq.heappush(ready, (-height[node], next(order), node))
        batch = [heapq.heappop(ready)[2] for _ in range(min(concurrency, len(ready)))]
        rounds += 1
        for node in batch:
            sorter.done(node)
    return rounds, len(ops), max(height.values(), default=0)


def measure_size(size: int, latency: float, with_latency: bool, concurrency: int, tmp: Path) -> list[Run]:
    seed = generate(size)
    objects = sum(len(v) for v in seed.values())
    base = before_configuration(seed)
    out = tmp / f"manifests-{size}"
    logs = tmp / "logs"
    logs.mkdir(exist_ok=True)
    runs: list[Run] = []
    conc = ["--concurrency", str(concurrency)]
    read_rounds, _ = read_floor_rounds(seed, concurrency, state_note=False)

    served: dict[str, float] = {}  # command -> the simulator's CPU per request at 0 ms

    def record(run: Run, floor_rounds: float | None = None, **extra: Any) -> None:
        run.size = objects
        if not run.latency:
            served[run.command] = run.server_cpu
        elif floor_rounds is not None:
            # A round trip: the latency plus the simulator's own time to answer (its CPU
            # per request in the same command at 0 ms, a lower bound of that time).
            run.floor = floor_rounds * (run.latency + served.get(run.command, 0.0))
            if run.command == "apply":
                run.floor += LOCK_SETTLES * lock_settle()  # the lock's waits before its read-backs
        run.extra.update(extra)
        runs.append(run)
        shown = f"{run.command:<8} {objects:>6} objects  {run.wall:6.2f} s wall  {run.cpu:6.2f} s CPU  " \
                f"{run.rss_mb:5.0f} MB  {run.reads:>5} reads  {run.mutating:>5} mutating  exit {run.exit_code}"
        print(f"  {shown}" + (f"  latency {run.latency * 1000:.0f} ms" if run.latency else ""), flush=True)

    with simulator(seed, 0.0, tmp) as sim:
        record(run_command(sim, ["export", "--out", str(out), *conc], size, 0.0, logs / f"export-{size}.log"))
        with simulator({}, 0.0, tmp) as offline:
            record(run_command(offline, ["validate", str(out)], size, 0.0, logs / f"validate-{size}.log"))
        record(run_command(sim, ["plan", str(out), *conc], size, 0.0, logs / f"plan-{size}.log"), read_rounds)
        record(run_command(sim, ["drift", str(out), *conc], size, 0.0, logs / f"drift-{size}.log"), read_rounds)
    rounds, operations, chain = apply_graph_rounds(out, base, concurrency)
    base_rounds, _ = read_floor_rounds(base, concurrency, state_note=False)
    # Two reads of the starting tenant (the plan's, and the one before the first write,
    # which has its token already), the writes' graph, the state note; not the re-check's
    # look-ups (their cost is in the ratio).
    apply_rounds = 2 * base_rounds - 1 + rounds + 1 + LOCK_AND_HISTORY_ROUNDS
    with simulator(base, 0.0, tmp) as sim:
        args = ["apply", str(out), "--auto-approve", *conc]
        record(run_command(sim, args, size, 0.0, logs / f"apply-{size}.log"), apply_rounds,
               operations=operations, chain=chain, graph_rounds=rounds)
        noop = run_command(sim, args, size, 0.0, logs / f"noop-{size}.log")
        noop.command = "no-op"
        record(noop)
    if with_latency:
        with simulator(seed, latency, tmp) as sim:
            record(run_command(sim, ["plan", str(out), *conc], size, latency, logs / f"plan-l-{size}.log"), read_rounds)
        with simulator(base, latency, tmp) as sim:
            args = ["apply", str(out), "--auto-approve", *conc]
            record(run_command(sim, args, size, latency, logs / f"apply-l-{size}.log"), apply_rounds,
                   operations=operations, chain=chain, graph_rounds=rounds, apply_rounds=apply_rounds)
    bad = [r for r in runs if r.exit_code != 0]
    if bad:
        for r in bad:
            print(f"  {r.command} exited {r.exit_code}; see the logs in {logs}")
    return runs


def table(runs: list[Run], concurrency: int) -> str:
    lines = ["| command | objects | latency | wall s | CPU s | peak RSS MB | reads | mutating | floor s | wall / floor |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        floor = f"{r.floor:.2f}" if r.floor else ""
        ratio = f"{r.wall / r.floor:.2f}" if r.floor else ""
        lines.append(f"| {r.command} | {r.size:,} | {r.latency * 1000:.0f} ms | {r.wall:.2f} | {r.cpu:.2f} | "
                     f"{r.rss_mb:.0f} | {r.reads:,} | {r.mutating:,} | {floor} | {ratio} |")
    return "\n".join(lines)


def growth(runs: list[Run]) -> str:
    """Cost per object at each size (0 ms runs), and the marginal cost per object from the
    size before (the extra CPU divided by the extra objects: start-up costs cancel out);
    for apply, CPU per write beyond the no-op apply's (which plans the same tenant)."""
    lines = ["| command | objects | CPU ms / object | marginal CPU ms / object | peak RSS KB / object |",
             "|---|---:|---:|---:|---:|"]
    by_command: dict[str, list[Run]] = {}
    for r in runs:
        if r.latency == 0:
            by_command.setdefault(r.command, []).append(r)
    for command, rows in by_command.items():
        previous = None
        for r in rows:
            marginal = f"{(r.cpu - previous.cpu) / (r.size - previous.size) * 1000:.2f}" if previous else ""
            lines.append(f"| {command} | {r.size:,} | {r.cpu / r.size * 1000:.2f} | {marginal} | "
                         f"{r.rss_mb * 1024 / r.size:.1f} |")
            previous = r
    noops = {r.size: r for r in runs if r.command == "no-op"}
    applies = [r for r in runs if r.command == "apply" and r.mutating and r.size in noops]
    if applies:
        lines += ["", "| apply at | objects | writes | CPU ms / write (beyond the no-op apply) |", "|---|---:|---:|---:|"]
        for r in applies:
            per_write = (r.cpu - noops[r.size].cpu) / r.mutating * 1000
            lines.append(f"| {r.latency * 1000:.0f} ms | {r.size:,} | {r.mutating:,} | {per_write:.2f} |")
    return "\n".join(lines)


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cpu = platform.processor() or platform.machine()
    try:
        model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        model = cpu
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}; "
            f"load average {load:.1f} when the run ended")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[400, 4000, 10000])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request for the latency runs")
    parser.add_argument("--latency-sizes", type=int, nargs="*", default=[400, 10000],
                        help="sizes whose plan and apply also run at --latency")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    started = time.perf_counter()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            print(f"size {size}:", flush=True)
            runs += measure_size(size, args.latency, size in args.latency_sizes, args.concurrency, Path(tmp))
    print()
    print(f"Machine: {machine()}. Concurrency {args.concurrency}. "
          f"Benchmark took {time.perf_counter() - started:.0f} s.")
    print()
    print(table(runs, args.concurrency))
    print()
    print(growth(runs))
    for r in runs:
        if r.command == "apply" and r.latency:
            print(f"\napply of {r.size:,} objects at {r.latency * 1000:.0f} ms: {r.extra['operations']:,} operations, "
                  f"longest chain {r.extra['chain']}, {r.extra['graph_rounds']} rounds of {args.concurrency}; "
                  f"a round trip in the floor: {(r.floor - LOCK_SETTLES * lock_settle()) / r.extra['apply_rounds'] * 1000:.1f}"
                  f" ms, and the lock's settles {LOCK_SETTLES} x {lock_settle():.1f} s; the simulator's "
                  f"CPU during this apply: {r.server_cpu * 1000:.2f} ms a request")


if __name__ == "__main__":
    main()
