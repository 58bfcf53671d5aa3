"""How long `reconciler validate` takes on 2,000 objects.

Generates a manifest directory of 2,000 objects (six kinds, 10 files) in a temporary
directory, then times load + validate in-process a few times, and the whole command
(`python -m reconciler validate`, interpreter start-up included) once or twice.
Prints the numbers; asserts nothing.

    .venv/bin/python benchmarks/bench_validate.py [N_OBJECTS]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.manifest import load_manifests


def generate(root: Path, n: int) -> int:
    """Write about `n` objects in 10 files; returns the number written."""
    per_kind = n // 6
    written = 0
    files: list[list[str]] = [[] for _ in range(10)]
    for i in range(per_kind):
        f = files[i % 10]
        f.append(f"- {{name: 'Lời chào {i}', text: 'Xin chào quý khách số {i}', voice: southern_male_tienhuy, speed: 1}}")
    chunks: dict[str, list[list[str]]] = {"greetings": [[] for _ in range(10)]}
    for j, f in enumerate(files):
        chunks["greetings"][j] = f
    kinds = {
        "groups": lambda i: (
            f"  - name: Nhóm {i}\n    strategy: rollover\n    members: [{100 + i % 50}, \"{200 + i % 50}\"]\n"
            f"    member_timeout: 30\n    on_timeout: {{ivr: Menu {i}}}\n    queue: {{enabled: true, waiting_time: 90}}"
        ),
        "ivr_menus": lambda i: (
            f"  - name: Menu {i}\n    greeting: Lời chào {i}\n    input_timeout: 5\n    keys:\n"
            f"      1: {{group: Nhóm {i}}}\n      2: {{ivr: Menu {(i + 1) % per_kind}}}\n    fallback: {{group: Nhóm {i}}}"
        ),
        "call_scripts": lambda i: (
            f"  - name: Kịch bản {i}\n    steps:\n      - {{greeting: Lời chào {i}}}\n      - {{ivr: Menu {i}}}\n"
            f"    routing_criteria:\n      - {{type: previous_agent, agent_timeout: 10, offline_wait: 10}}"
        ),
        "hotlines": lambda i: (
            f"  - number: \"8428{7100000 + i}\"\n    call_script: Kịch bản {i}\n    inbound: true\n    outbound_access: all"
        ),
        "extensions": lambda i: f"  - sip_user: \"{1000 + i}\"\n    enabled: true\n    call_timeout: 30",
    }
    for j in range(10):
        lines = ["greetings:"] + [f"  {entry}" for entry in chunks["greetings"][j]]
        for kind, make in kinds.items():
            lines.append(f"{kind}:")
            lines += [make(i) for i in range(j, per_kind, 10)]
        (root / f"part{j:02}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    written = per_kind * 6
    return written


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        written = generate(root, n)
        size = sum(p.stat().st_size for p in root.glob("*.yaml"))
        print(f"{written} objects in 10 files ({size / 1024:.0f} KiB)")
        times = []
        for _ in range(5):
            start = time.perf_counter()
            mset = load_manifests(root)
            times.append(time.perf_counter() - start)
        assert len(mset) == written, len(mset)
        print(f"load + validate, in process: best {min(times) * 1000:.0f} ms, "
              f"median {sorted(times)[len(times) // 2] * 1000:.0f} ms (5 runs)")
        # The same files through ruamel's pure-Python round-trip loader (parse only, no
        # validation), the slow path the C-event loader avoids: a ratio from this one run.
        from ruamel.yaml import YAML

        round_trip = YAML(typ="rt")
        start = time.perf_counter()
        for path in sorted(root.glob("*.yaml")):
            round_trip.load(path.read_text(encoding="utf-8"))
        rt = time.perf_counter() - start
        print(f"ruamel round-trip parse alone: {rt * 1000:.0f} ms = {rt / min(times):.1f}x our load + validate")
        start = time.perf_counter()
        refs = mset.unresolved_references()
        print(f"unresolved_references(): {(time.perf_counter() - start) * 1000:.0f} ms ({len(refs)} references)")
        walls = []
        for _ in range(2):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "reconciler", "validate", str(root)],
                                  capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
        print(f"`python -m reconciler validate`, whole process: best {min(walls) * 1000:.0f} ms "
              f"(exit {done.returncode}: {done.stdout.strip() or done.stderr.strip()[:200]})")


if __name__ == "__main__":
    main()
