"""Apply's progress on a real terminal (a pseudo-terminal): a bar redrawn in place, with
counts and the time it took, instead of a line per operation."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

from tests.e2e.conftest import API_KEY, Tenant


def run_on_terminal(args: list[str], env: dict) -> str:
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the command is done
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_apply_on_a_terminal_shows_a_bar_with_counts_not_a_line_per_operation(tenant: Tenant):
    env = {**os.environ, "OMICALL_URL": tenant.url, "OMICALL_API_KEY": API_KEY, "NO_COLOR": "1"}
    env.pop("OMICALL_TOKEN", None)
    out = run_on_terminal(["apply", str(tenant.manifests), "--auto-approve"], env).replace("\r\n", "\n")
    operations = len(tenant.mutations())
    assert operations > 0
    bars = [chunk.split("\n")[0] for chunk in out.split("\r")[1:]]
    assert bars and all(bar.startswith("[") and "%" in bar for bar in bars)
    total = re.search(r"\] (\d+)/(\d+) 100%  (\d+) done  took", bars[-1])
    assert total and total[1] == total[2] == total[3] and int(total[1]) <= operations, bars[-1]
    # No numbered line per successful operation: on a terminal only failures get one.
    assert not [line for line in out.split("\n") if "     done  " in line and "%" not in line]
    assert "Apply complete" in out
