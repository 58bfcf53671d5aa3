"""End-to-end fixtures: the CLI against the simulator over real HTTP on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.kinds.call_script import HISTORY_NAME, LOCK_NAME
from reconciler.simulator import Simulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
API_KEY = "e2e-key"


@dataclass
class Tenant:
    sim: Simulator
    url: str
    manifests: Path

    def run(self, *args: str, env: dict | None = None) -> Result:
        """`reconciler ARGS` in-process, connected to the simulator."""
        full_env = {"OMICALL_URL": self.url, "OMICALL_API_KEY": API_KEY, "OMICALL_TOKEN": None,
                    "NO_COLOR": "1", **(env or {})}
        return CliRunner().invoke(cli, list(args), env=full_env, catch_exceptions=False)

    def start_apply(self, *, ctrl_c: bool = True) -> subprocess.Popen:
        """`python -m reconciler apply --auto-approve` of the manifests, in a process of its
        own. Ctrl-C (SIGINT) is handled there as on a terminal whatever this test process
        inherited (a background job of a shell script inherits it ignored), or ignored with
        `ctrl_c=False`."""
        env = {**os.environ, "OMICALL_URL": self.url, "OMICALL_API_KEY": API_KEY, "NO_COLOR": "1"}
        env.pop("OMICALL_TOKEN", None)
        disposition = signal.SIG_DFL if ctrl_c else signal.SIG_IGN
        return subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(self.manifests), "--auto-approve"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, disposition))

    def upload_what_a_stopped_apply_left_unverifiable(self) -> None:
        """An mp3 an interrupted apply uploaded has no fingerprint (the state note is
        written last): the next plan says it cannot compare its audio, and nothing else
        (issue 21: not "No changes"); `apply --force-upload` settles it, as the plan says.
        Nothing to do when the apply was stopped before the upload."""
        plan = self.run("plan", str(self.manifests), "--detailed-exitcode")
        if plan.exit_code == 0:
            return
        assert plan.exit_code == 2, plan.output
        assert "Plan: 0 to create, 0 to update, 0 to replace, 0 to rename, 0 to delete" in plan.output, plan.output
        assert "? unverifiable greeting Nhạc chờ" in plan.output and "; 1 unverifiable." in plan.output, plan.output
        forced = self.run("apply", str(self.manifests), "--auto-approve", "--force-upload")
        assert forced.exit_code == 0, forced.output

    def mutations(self) -> list:
        """The requests that change the tenant's configuration: not the reconciler's own
        lock and history writes (see `configuration_requests`)."""
        return [r for r in configuration_requests(self.sim.requests) if r.method != "GET" and r.path != "/api/auth"]

    def edit(self, name: str, text: str) -> None:
        """Rewrite a manifest file of this test's copy of the examples."""
        (self.manifests / name).write_text(text, encoding="utf-8")

    def read(self, name: str) -> str:
        return (self.manifests / name).read_text(encoding="utf-8")


BOOKKEEPING = {LOCK_NAME, HISTORY_NAME}


def configuration_requests(requests: list) -> list:
    """`requests` less the writes of the lock's and the history's call scripts, which every
    apply with changes makes (docs/commands.md: *The lock and the history*): their creates and
    updates name them, and their deletes name the id an update of theirs named."""
    def names(r: Any) -> set:
        body = r.json if isinstance(r.json, dict) else {}
        return {body.get("script_name"), body.get("name")}

    ids = {r.path.rsplit("/", 1)[-1] for r in requests if "/call_script/update/" in r.path and names(r) & BOOKKEEPING}
    return [r for r in requests if not (names(r) & BOOKKEEPING or
                                        ("/call_script/delete/" in r.path and r.path.rsplit("/", 1)[-1] in ids))]


@pytest.fixture(scope="module")
def applied_seed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo tenant right after `apply examples` (state note included), as a seed: a
    test module starts simulators from it instead of applying again."""
    manifests = tmp_path_factory.mktemp("seed") / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    with Simulator(api_key=API_KEY) as sim:
        done = Tenant(sim, sim.url, manifests).run("apply", str(manifests), "--auto-approve")
        assert done.exit_code == 0, done.output
        return sim.snapshot()


@pytest.fixture
def tenant(tmp_path: Path):
    """The demo tenant and a private copy of examples/."""
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    sim = Simulator(api_key=API_KEY)
    url = sim.start()
    try:
        yield Tenant(sim, url, manifests)
    finally:
        sim.stop()
