"""How long the GitOps loop takes on a generated tenant: export, then plan the export.

Builds a tenant of about 450 objects times SCALE (reconciler/simulator/generate.py), serves
it with the simulator on loopback, and times, through the CLI in-process:
`reconciler export`, `reconciler plan OUT --detailed-exitcode` and `reconciler drift OUT`.
Prints the numbers; asserts only that the loop closes (plan empty, re-export identical).

    .venv/bin/python benchmarks/bench_roundtrip.py [SCALE]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, when not installed

from reconciler.cli import cli  # noqa: E402
from reconciler.simulator import Simulator  # noqa: E402
from reconciler.simulator.generate import generate  # noqa: E402


def main() -> None:
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    seed = generate(450 * scale)
    total = sum(len(v) for v in seed.values())
    with Simulator(seed, api_key="bench") as sim, tempfile.TemporaryDirectory() as tmp:
        env = {"OMICALL_URL": sim.url, "OMICALL_API_KEY": "bench", "OMICALL_TOKEN": None, "NO_COLOR": "1"}
        out = str(Path(tmp) / "exported")
        runner = CliRunner()

        def timed(*args: str) -> tuple[float, int]:
            start = time.perf_counter()
            result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
            return time.perf_counter() - start, result.exit_code

        print(f"{total} objects")
        for label, args in [("export", ("export", "--out", out)),
                            ("plan", ("plan", out, "--detailed-exitcode")),
                            ("drift", ("drift", out)),
                            ("export again", ("export", "--out", out))]:
            seconds, code = timed(*args)
            print(f"  {label:<13} {seconds:6.2f} s  exit {code}")
            assert code == 0, (label, code)


if __name__ == "__main__":
    main()
