"""A hotline's restricted outbound lists, changed in the console, through the CLI.

When the tenant returns its `accesses` in a form the client reads (typed objects, the
simulator's default, or plain ids), the lists are compared with the manifest's, as sets:
a difference is drift even though the fingerprint of the last apply still matches, and
`drift --write` and `export` write them. When it does not return them, the fingerprint
decides, as before: a change of the lists cannot be seen, and `drift --write` refuses the
unreadable value."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from reconciler.simulator import Simulator
from tests.e2e.conftest import API_KEY, EXAMPLES, Tenant
from tests.simulator.helpers import open_api

RESTRICTED = "applies_according_to_employee_criteria"
ALL_NUMBER = "842871002283"  # examples: outbound_access: all
LISTS_NUMBER = "842873003388"  # examples: {extensions: ["101"], groups: [Kinh doanh]}
READABLE = ["accesses-typed", "accesses-ids"]


@contextmanager
def applied(tmp_path: Path, reading: str) -> Iterator[tuple[Tenant, Simulator]]:
    """The examples applied to a fresh demo tenant that reads `accesses` the `reading` way."""
    shutil.copytree(EXAMPLES, tmp_path / "m")
    with Simulator(api_key=API_KEY, readings=[reading]) as sim:
        tenant = Tenant(sim, sim.url, tmp_path / "m")
        assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
        yield tenant, sim


def restrict_in_console(sim: Simulator, number: str, extensions: list[str]) -> None:
    api = open_api(sim, "http")
    api.ok("POST", "hotline/update", json={"hotline": number, "access_type": RESTRICTED,
                                           "extensions": extensions, "group_ids": []})


def hotline_block(text: str, number: str) -> str:
    return text.split(f'- number: "{number}"', 1)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize("reading", READABLE)
def test_lists_changed_in_the_console_are_drift_and_are_written_back(tmp_path: Path, reading: str):
    with applied(tmp_path, reading) as (tenant, sim):
        restrict_in_console(sim, LISTS_NUMBER, ["102"])
        restrict_in_console(sim, ALL_NUMBER, ["102"])

        drift = tenant.run("drift", str(tenant.manifests))
        assert drift.exit_code == 2, drift.output  # the fingerprint still matches: the lists decide
        assert "In sync" not in drift.output
        assert f"hotline {LISTS_NUMBER}: differs from the manifests" in drift.output
        assert '+ outbound_access.extensions: live "102"' in drift.output
        assert '- outbound_access.groups: manifest "Kinh doanh"' in drift.output
        assert f'outbound_access: live {{extensions: [102], groups: []}}, manifest "all"' in drift.output
        assert "outbound_access (matches the last apply)" not in drift.output
        plan = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode")
        assert plan.exit_code == 2 and "Plan: 0 to create, 2 to update" in plan.output, plan.output

        written = tenant.run("drift", str(tenant.manifests), "--write")
        assert written.exit_code == 2, written.output
        routing = tenant.read("routing.yaml")
        assert 'outbound_access: {extensions: ["102"], groups: []}' in hotline_block(routing, ALL_NUMBER)
        assert 'outbound_access:\n      extensions: ["102"]\n      groups: []' in hotline_block(routing, LISTS_NUMBER)
        assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0
        assert tenant.run("drift", str(tenant.manifests)).exit_code == 0


@pytest.mark.parametrize("reading", READABLE)
def test_apply_puts_the_lists_back_and_their_order_means_nothing(tmp_path: Path, reading: str):
    with applied(tmp_path, reading) as (tenant, sim):
        restrict_in_console(sim, LISTS_NUMBER, ["102"])
        done = tenant.run("apply", str(tenant.manifests), "--auto-approve")
        assert done.exit_code == 0, done.output
        sent = [r.json for r in tenant.mutations() if r.path.endswith("/hotline/update")][-1]
        group_id = sim.tenant.find("groups", "Kinh doanh")["_id"]
        assert sent == {**sent, "hotline": LISTS_NUMBER, "access_type": RESTRICTED, "extensions": ["101"],
                        "group_ids": [group_id]}
        assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0

        # The tenant lists them in another order than the manifest: no change.
        tenant.edit("routing.yaml", tenant.read("routing.yaml").replace('extensions: ["101"]', 'extensions: ["102", "101"]'))
        open_api(sim, "http").ok("POST", "hotline/update", json={
            "hotline": LISTS_NUMBER, "access_type": RESTRICTED, "extensions": ["101", "102"], "group_ids": [group_id]})
        plan = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode")
        assert plan.exit_code == 0, plan.output


@pytest.mark.parametrize("reading", READABLE)
def test_export_writes_the_restricted_lists(tmp_path: Path, reading: str):
    with applied(tmp_path, reading) as (tenant, sim):
        restrict_in_console(sim, ALL_NUMBER, ["102"])
        out = tmp_path / "exported"
        assert tenant.run("export", "--out", str(out)).exit_code == 0
        hotlines = (out / "hotlines.yaml").read_text(encoding="utf-8")
        assert 'outbound_access:\n      extensions: ["102"]\n      groups: []' in hotline_block(hotlines, ALL_NUMBER)
        assert 'outbound_access:\n      extensions: ["101"]\n      groups: [Kinh doanh]' in \
            hotline_block(hotlines, LISTS_NUMBER)
        assert "outbound_access left out" not in hotlines
        assert tenant.run("plan", str(out), "--detailed-exitcode").exit_code == 0


def test_without_accesses_the_fingerprint_decides_as_before(tmp_path: Path):
    with applied(tmp_path, "accesses-hidden") as (tenant, sim):
        restrict_in_console(sim, LISTS_NUMBER, ["102"])
        drift = tenant.run("drift", str(tenant.manifests))
        # The lists cannot be seen: the fingerprint of the last apply still matches.
        assert drift.exit_code == 0, drift.output
        assert f"hotlines/{LISTS_NUMBER}: outbound_access (matches the last apply)" in drift.output
        assert tenant.run("plan", str(tenant.manifests), "--detailed-exitcode").exit_code == 0

        restrict_in_console(sim, ALL_NUMBER, ["102"])
        drift = tenant.run("drift", str(tenant.manifests))
        assert drift.exit_code == 2 and f"hotline {ALL_NUMBER}: differs from the manifests" in drift.output
        before = tenant.read("routing.yaml")
        written = tenant.run("drift", str(tenant.manifests), "--write")
        assert written.exit_code == 1, written.output
        assert (f"hotlines/{ALL_NUMBER}: outbound_access: the tenant's value 'restricted' cannot be written"
                in written.output)
        assert tenant.read("routing.yaml") == before

        out = tmp_path / "exported"
        assert tenant.run("export", "--out", str(out)).exit_code == 0
        hotlines = (out / "hotlines.yaml").read_text(encoding="utf-8")
        assert f'- number: "{LISTS_NUMBER}"  # outbound_access left out' in hotlines
