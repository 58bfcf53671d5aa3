"""What re-reading each object right before writing it costs: reads only, one short
keyword read per object where the list has a keyword, and whole lists shared by the
operations that become ready together where it has not."""

from __future__ import annotations

from tests.e2e.conftest import Tenant

KEYWORD_LISTS = ("/internal_group/list", "/key-interaction/list", "/hotline/search", "/internal_phone/list")
WHOLE_LISTS = ("/greeting/list", "/call_script/list")


def test_every_write_is_preceded_by_a_read_of_its_object_and_whole_lists_are_shared(tenant: Tenant):
    snapshot_groups = tenant.sim.snapshot()["groups"]
    tenant.sim.requests.clear()
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    requests = [r for r in tenant.sim.requests if r.path != "/api/auth"]
    writes = [r for r in requests if r.method != "GET"]
    keyword_reads = [r for r in requests if r.method == "GET" and "keyword" in r.query]
    assert all(any(part in r.path for part in KEYWORD_LISTS) for r in keyword_reads)
    # Groups: read before each update or delete of a group that existed, before and after
    # each create (the second phase of a cycle follows this apply's own create: no read).
    before = {g["_id"] for g in snapshot_groups}
    group_writes = [r for r in writes if "/internal_group/" in r.path]
    creates = [r for r in group_writes if r.path.endswith("/add")]
    existing = [r for r in group_writes if r.path.rsplit("/", 1)[-1] in before]
    group_reads = [r for r in keyword_reads if "/internal_group/list" in r.path]
    assert len(group_reads) == 2 * len(creates) + len(existing)
    # Greetings and call scripts: the apply's two full reads, then far fewer re-reads than writes.
    whole = [r for r in requests if r.method == "GET" and any(p in r.path for p in WHOLE_LISTS)]
    script_and_greeting_writes = [r for r in writes if "/greeting/" in r.path or "/call_script/" in r.path]
    assert len(whole) - 4 < len(script_and_greeting_writes)
    # A second apply has nothing to do and reads nothing more than the tenant, twice.
    tenant.sim.requests.clear()
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    assert not [r for r in tenant.sim.requests if "keyword" in r.query]
