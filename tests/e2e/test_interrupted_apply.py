"""A process killed mid-apply leaves nothing the next apply cannot finish, and a plan
reads each list once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from tests.e2e.conftest import API_KEY, Tenant
from tests.e2e.test_plan_apply_cli import named


def wait_until_served(tenant: Tenant) -> None:
    """Requests the killed process sent are still in the simulator, sleeping out its
    latency, and change the tenant when they wake. Under load that was after the next
    apply's plan had read the tenant: a conflict, rightly refused, but this test is about
    finishing the work. Wait until the server has closed the killed process's connections."""
    server = tenant.sim._server._httpd
    deadline = time.monotonic() + 30
    while server._open and time.monotonic() < deadline:
        time.sleep(0.01)


def test_killed_apply_is_finished_by_the_next_apply(tenant: Tenant):
    tenant.sim.latency = 0.05  # slow enough to kill in the middle
    env = {**os.environ, "OMICALL_URL": tenant.url, "OMICALL_API_KEY": API_KEY, "NO_COLOR": "1"}
    env.pop("OMICALL_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(tenant.manifests), "--auto-approve"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while len(tenant.mutations()) < 8 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wait_until_served(tenant)
    assert 0 < len(tenant.mutations()) < 22, "the kill must land mid-apply"
    tenant.sim.latency = 0.0

    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    snap = tenant.sim.snapshot()
    for kind, field in [("groups", "group_name"), ("ivr_menus", "script_name"), ("greetings", "greeting_name"),
                        ("call_scripts", "script_name")]:
        names = [i[field] for i in snap[kind]]
        assert len(names) == len(set(names)), (kind, names)
    (sales,) = named(snap, "groups", "group_name", "Kinh doanh")
    (support,) = named(snap, "groups", "group_name", "Hỗ trợ kỹ thuật")
    assert support["target_timeout"] == sales["_id"] and sales["target_timeout"] == support["_id"]
    assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0


def test_plan_reads_each_list_once(tenant: Tenant):
    tenant.sim.requests.clear()
    assert tenant.run("plan", str(tenant.manifests)).exit_code == 0
    reads = Counter((r.path, r.query.get("page", "1")) for r in tenant.sim.requests if r.method == "GET")
    reads.pop(("/api/auth", "1"), None)
    assert set(p for p, _ in reads) == {
        "/api/call_center/internal_phone/list", "/api/call_center/internal_group/list",
        "/api/call_center/key-interaction/list", "/api/call_center/greeting/list",
        "/api/call_center/call_script/list", "/api/call_center/hotline/search",
    }
    assert all(n == 1 for n in reads.values()), reads
    assert tenant.mutations() == []
