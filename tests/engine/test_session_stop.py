"""`session.stop()`: what SIGTERM does to a running command (also where Ctrl-C is
ignored): the work is cancelled, the client closed, and `run` raises KeyboardInterrupt,
as after Ctrl-C."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.engine.session import run, stop


class FakeClient:
    closed = False

    async def __aenter__(self) -> FakeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.closed = True


def test_stop_cancels_the_work_closes_the_client_and_run_raises_keyboard_interrupt():
    client, reached = FakeClient(), []

    async def work(_: FakeClient) -> str:
        asyncio.get_running_loop().call_later(0.01, stop)  # as a signal handler would, mid-work
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            reached.append("cancelled")
            raise
        return "finished"

    with pytest.raises(KeyboardInterrupt):
        run(client, work)
    assert reached == ["cancelled"] and client.closed


def test_a_cancellation_that_is_not_a_stop_stays_one():
    async def work(_: FakeClient) -> None:
        asyncio.current_task().cancel()
        await asyncio.sleep(0)

    with pytest.raises(asyncio.CancelledError):
        run(FakeClient(), work)


def test_stop_with_no_command_running_interrupts_at_once():
    with pytest.raises(KeyboardInterrupt):
        stop()
