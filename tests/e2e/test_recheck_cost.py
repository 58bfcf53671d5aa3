"""What looking objects up again during an apply costs: reads only, shared per kind, far
fewer than the writes, however the operations become ready."""

from __future__ import annotations

from pathlib import Path

from reconciler.kinds.call_script import STATE_NOTE_NAME
from reconciler.engine.recheck import SHARE
from reconciler.simulator import Simulator
from tests.e2e.conftest import API_KEY, Tenant, configuration_requests
from reconciler.simulator.generate import before_configuration, generate

LISTS = {"/internal_group/list": "/internal_group/add", "/key-interaction/list": "/key-interaction/add",
         "/call_script/list": "/call_script/add"}


def look_ups(requests: list, first_write: int) -> list:
    """The reads sent after the apply's first write (the tenant was read whole before)."""
    return [r for r in requests[first_write:] if r.method == "GET" and r.path != "/api/auth"]


def test_look_ups_cost_a_fraction_of_the_writes_on_a_big_tenant(tmp_path: Path):
    seed = generate(400)
    with Simulator(seed, api_key=API_KEY) as full:
        out = tmp_path / "exported"
        assert Tenant(full, full.start(), tmp_path).run("export", "--out", str(out)).exit_code == 0
    sim = Simulator(before_configuration(seed), api_key=API_KEY)
    tenant = Tenant(sim, sim.start(), out)
    try:
        result = tenant.run("apply", str(out), "--auto-approve")
        assert result.exit_code == 0, result.output
        requests = [r for r in configuration_requests(sim.requests) if r.path != "/api/auth"]
        first_write = next(i for i, r in enumerate(requests) if r.method != "GET")
        writes = [r for r in requests if r.method != "GET"]
        note_saved = next(i for i, r in enumerate(requests) if r.method != "GET" and STATE_NOTE_NAME in
                          {(r.json or {}).get("script_name"), (r.json or {}).get("name")})
        reads = look_ups(requests[:note_saved], first_write)  # the history's read after it is not a look-up
        assert len(writes) > 300
        # Every kind whose objects were created was looked up again after its creates...
        for listed, written in LISTS.items():
            creates = [i for i, r in enumerate(requests) if r.method == "POST" and r.path.endswith(written)
                       and (r.json or {}).get("script_name") != STATE_NOTE_NAME]
            # (before the state note is written: the history's read after it does not count)
            assert any(r.path.endswith(listed) for r in requests[creates[-1]:note_saved]), listed
        # ... at a small fraction of the writes' cost (the writes pay 1/SHARE of a read
        # each; a read is sent sooner only when nothing else can go on).
        assert len(reads) < len(writes) / SHARE * 2, (len(reads), len(writes))
        # A second apply has nothing to do, and looks nothing up.
        sim.requests.clear()
        assert tenant.run("apply", str(out), "--auto-approve").exit_code == 0
        assert [r for r in sim.requests if r.method != "GET"] == []
        assert not [r for r in sim.requests if "keyword" in r.query]
    finally:
        sim.stop()


def test_a_single_update_is_looked_up_by_its_name_right_before_it_is_sent(tenant: Tenant):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    tenant.sim.requests.clear()
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    requests = [r for r in configuration_requests(tenant.sim.requests) if r.path != "/api/auth"]
    update = next(i for i, r in enumerate(requests) if r.method != "GET")
    # Nothing else to wait for: one keyword page, the request right before the update.
    assert requests[update - 1].query.get("keyword") == "Kinh doanh"
    assert requests[update - 1].path.endswith("/internal_group/list")
