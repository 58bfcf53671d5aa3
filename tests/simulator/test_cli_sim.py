"""`reconciler sim` through the real command line: URL first, the key it accepts, a seed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx


def test_sim_command_serves_a_seeded_tenant_and_stops_on_ctrl_c(tmp_path):
    seed = tmp_path / "tenant.json"
    seed.write_text(json.dumps({
        "extensions": [{"sip_user": "201", "agent_id": "a201", "email": "b@example.vn", "full_name": "B"}],
        "groups": [{"group_name": "Nhóm thử", "strategy": "random", "members": [{"agent_id": "a201"}]}],
    }), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sim", "--port", "0", "--api-key", "cli-key", "--seed", str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert proc.stdout.readline().strip() == "API key: cli-key"
        token = httpx.get(f"{url}/api/auth", params={"apiKey": "cli-key"}).json()["payload"]["access_token"]
        groups = httpx.get(f"{url}/api/call_center/internal_group/list",
                           headers={"Authorization": f"Bearer {token}"}).json()["payload"]["items"]
        assert [g["group_name"] for g in groups] == ["Nhóm thử"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()
