"""An apply's results say how many operations have all their requests answered: a create
whose look-up waits to share a later read counts there (the time-left estimate uses it),
though its result comes only once the look-up is answered."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from reconciler.api import OmicallClient
from reconciler.cli import cli
from reconciler.engine.session import apply_to_tenant, plan_tenant
from reconciler.manifest import load_manifests
from reconciler.simulator import Simulator
from reconciler.simulator.generate import before_configuration, generate

KEY = "progress-key"


def test_results_count_the_creates_that_wait_for_their_look_up(tmp_path: Path):
    seed = generate(400)
    out = tmp_path / "manifests"
    with Simulator(seed, api_key=KEY) as full:
        exported = CliRunner().invoke(cli, ["export", "--out", str(out)],
                                      env={"OMICALL_URL": full.url, "OMICALL_API_KEY": KEY})
        assert exported.exit_code == 0, exported.output
    sim = Simulator(before_configuration(seed), api_key=KEY)
    results = []

    async def apply() -> None:
        async with OmicallClient("http://127.0.0.1", api_key=KEY, transport=sim.transport()) as client:
            plan, _ = await plan_tenant(client, load_manifests(out))
            await apply_to_tenant(client, plan, saved=False, on_result=results.append)

    asyncio.run(apply())
    assert results and all(r.status == "done" for r in results)
    assert all(r.position <= r.written <= r.total for r in results)
    assert any(r.written > r.position for r in results)  # creates waited for a shared read
    assert results[-1].written == results[-1].total
