"""Issue #21 item 8, through the CLI against the simulator: a Markdown plan shows what it
leaves undone or unverified open, under the summary, never folded in a <details>; a drift
report reads from one viewpoint, the tenant compared with the manifests, in text,
Markdown and JSON, and says so."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.e2e.conftest import EXAMPLES, Tenant
from tests.e2e.test_drift_write import applied

PASSWORD_LINE = "    call_timeout: 30\n    password: ${env:EXT_101_PASSWORD}\n"


def folded(md: str) -> str:
    """The parts of a Markdown comment a reader must unfold to see."""
    return "\n".join(re.findall(r"<details>.*?</details>", md, flags=re.S))


def test_a_markdown_plan_shows_a_secret_it_could_not_check_open_before_the_details(tenant: Tenant):
    text = tenant.read("extensions.yaml")
    tenant.edit("extensions.yaml", text.replace("    call_timeout: 30\n", PASSWORD_LINE, 1))
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve",
                      env={"EXT_101_PASSWORD": "s3cret-pw"}).exit_code == 0
    tenant.edit("groups.yaml", tenant.read("groups.yaml").replace("member_timeout: 20", "member_timeout: 25"))
    md = tenant.run("plan", str(tenant.manifests), "--format", "markdown", env={"EXT_101_PASSWORD": None}).stdout
    warning = "extension '101': password not verified: environment variable EXT_101_PASSWORD is not set"
    assert warning in md and warning not in folded(md), md
    assert md.index(warning) < md.index("<details>")  # under the summary, before the kinds
    assert "> [!WARNING]" in md
    unverifiable = "Not verified (could not be compared at all): extensions/101: password"
    assert unverifiable in md and unverifiable not in folded(md)
    # Fields the API never returns whose fingerprints match were verified: folded, not alarming.
    assert "Fields the API never returns (compared with the fingerprint of the last apply):" in folded(md)
    assert "Not verifiable against the tenant" not in md
    # Purely informational notes stay folded.
    assert "Unmanaged (in the tenant, not in the manifests; left alone):" in folded(md)
    assert "s3cret-pw" not in md


def test_drift_reads_from_the_tenants_side_in_every_format(tmp_path: Path):
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    with applied(manifests) as (tenant, console):
        console.add_group(group_name="Trực đêm", strategy="random", sip_members=["103"], timeout=15)
        console.update_group("Kinh doanh", sip_members=["101", "103"])  # the manifests say 101, 102

        text = tenant.run("drift", str(manifests)).stdout
        assert text.startswith("Drift: the tenant (live) compared with the manifests. + only in the tenant, "
                               "- only in the manifests")
        assert "  + group Trực đêm: in the tenant, not in the manifests" in text
        assert '      + members: live "103" (not in the manifests)' in text
        assert '      - members: manifest "102" (not in the tenant)' in text

        md = tenant.run("drift", str(manifests), "--format", "markdown").stdout
        assert ("| tenant vs manifests: `+` only in the tenant, `-` only in the manifests | object | field "
                "| tenant (live) | manifests |") in md
        assert "| `+` extra | Trực đêm (not in the manifests, and policy.prune owns groups) |  | (present) | (absent) |" in md
        assert '|  |  | + members | "103" |  |' in md
        assert '| `~` differs | Kinh doanh | - members |  | "102" |' in md
        # Fields the API never returns, compared by fingerprint (all as last applied): a
        # folded table, not an alarm; what could not be compared at all would be open.
        assert "Compared with the fingerprint of the last apply: " in folded(md)
        assert "Not verified" not in md

        data = json.loads(tenant.run("drift", str(manifests), "--format", "json").stdout)
        by_name = {i["name"]: i for i in data["drift"]}
        assert by_name["Trực đêm"]["state"] == "extra" and by_name["Trực đêm"]["only_in"] == "tenant"
        leaves = by_name["Kinh doanh"]["fields"][0]["leaves"]
        assert {(leaf["only_in"], leaf["old"] or leaf["new"]) for leaf in leaves} == {("tenant", "103"),
                                                                                      ("manifests", "102")}
        assert data["format_version"] == 1
