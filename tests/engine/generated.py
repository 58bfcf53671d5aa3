"""A generated tenant (reconciler/simulator/generate.py) read as the engine reads a
tenant. Apart from the generator because the simulator imports nothing of the client."""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.api import OmicallClient
from reconciler.engine.live import LiveState, read_live
from reconciler.simulator import Simulator


def live_of(seed: dict[str, list[dict[str, Any]]]) -> LiveState:
    """The LiveState a read of a simulator serving `seed` gives (in process, no network)."""
    with Simulator(seed, api_key="k") as sim:
        async def read() -> LiveState:
            async with OmicallClient("http://127.0.0.1", api_key="k", transport=sim.transport()) as client:
                return await read_live(client)

        return asyncio.run(read())
