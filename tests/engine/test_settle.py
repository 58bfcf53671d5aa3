"""`session.settle`: inside a command's `run`, what it built is kept from the garbage
collector until the command ends; nowhere else (a library caller, a test, a host that
froze objects of its own) does it freeze or unfreeze anything (found in review: `lint`
froze objects that nothing gave back)."""

from __future__ import annotations

import gc
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.engine.session import run, settle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class FakeClient:
    async def __aenter__(self) -> FakeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def test_inside_run_settle_freezes_and_run_gives_it_back():
    seen = []

    async def work(_: FakeClient) -> None:
        settle()
        seen.append(gc.get_freeze_count())

    assert gc.get_freeze_count() == 0
    run(FakeClient(), work)
    assert seen[0] > 0 and gc.get_freeze_count() == 0


def test_outside_run_settle_does_nothing():
    settle()
    assert gc.get_freeze_count() == 0


def test_commands_leave_nothing_frozen():
    for args in (["lint", str(EXAMPLES)], ["validate", str(EXAMPLES)]):
        assert CliRunner().invoke(cli, args).exit_code == 0
        assert gc.get_freeze_count() == 0, args


def test_a_hosts_own_frozen_objects_stay_frozen_and_nothing_is_added():
    async def work(_: FakeClient) -> None:
        settle()

    gc.freeze()
    try:
        before = gc.get_freeze_count()
        run(FakeClient(), work)
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()
