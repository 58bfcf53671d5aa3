"""apply asks for confirmation on a terminal, and only there."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

from tests.e2e.conftest import API_KEY, Tenant


def _run_on_terminal(tenant: Tenant, answer: bytes) -> tuple[int, str]:
    env = {**os.environ, "OMICALL_URL": tenant.url, "OMICALL_API_KEY": API_KEY, "NO_COLOR": "1"}
    env.pop("OMICALL_TOKEN", None)
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(tenant.manifests)],
                            stdin=child, stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 30
    while b"Apply these changes" not in seen and time.monotonic() < deadline:
        try:
            seen += os.read(main, 65536)
        except OSError:
            break
    os.write(main, answer)
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    code = proc.wait(timeout=30)
    os.close(main)
    return code, seen.decode(errors="replace")


def test_no_on_the_terminal_applies_nothing(tenant: Tenant):
    code, output = _run_on_terminal(tenant, b"n\n")
    assert "Apply these changes to the tenant?" in output
    assert code == 1
    assert tenant.mutations() == []


def test_yes_on_the_terminal_applies(tenant: Tenant):
    code, output = _run_on_terminal(tenant, b"y\n")
    assert code == 0, output
    assert "Apply complete" in output


def test_auto_approve_does_not_ask(tenant: Tenant):
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert result.exit_code == 0
    assert "Apply these changes" not in result.output
