"""A thin CLI: every command that talks to the tenant goes through the session door
(reconciler/engine/session.py), in one event loop, with one client."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

from reconciler.engine import session
from tests.e2e.conftest import Tenant

CLI = Path(__file__).resolve().parents[2] / "reconciler" / "cli.py"


@pytest.fixture
def loops(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    started: list[int] = []
    real = asyncio.run

    def counted(main, **kwargs):
        started.append(1)
        return real(main, **kwargs)

    monkeypatch.setattr(session.asyncio, "run", counted)
    return started


@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"], ["drift"], ["validate", "--live"]])
def test_each_command_runs_one_event_loop(tenant: Tenant, loops: list[int], command: list[str]):
    result = tenant.run(command[0], str(tenant.manifests), *command[1:])
    assert result.exit_code in (0, 2), result.output
    assert len(loops) == 1  # apply plans and applies in the same loop, with the same client


def test_apply_of_a_saved_plan_runs_one_event_loop(tenant: Tenant, loops: list[int], tmp_path: Path):
    saved = tmp_path / "plan.json"
    assert tenant.run("plan", str(tenant.manifests), "--out", str(saved)).exit_code == 0
    loops.clear()
    result = tenant.run("apply", "--plan", str(saved), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete" in result.output and len(loops) == 1


def test_the_cli_reads_and_plans_only_through_the_session():
    imported = {node.module for node in ast.walk(ast.parse(CLI.read_text(encoding="utf-8")))
                if isinstance(node, ast.ImportFrom)}
    assert "reconciler.engine.live" not in imported and "reconciler.engine.planner" not in imported
    assert "asyncio" not in CLI.read_text(encoding="utf-8").split("def ")[0]  # no event loop of its own
