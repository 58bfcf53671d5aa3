"""An httpx transport wired straight to a :class:`Simulator` (no sockets)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx

from .dropped import ConnectionDropped

if TYPE_CHECKING:
    from .app import Response, Simulator


class SimulatorTransport(httpx.MockTransport):
    """Sync and async: ``httpx.Client(transport=sim.transport(), base_url="http://sim")``.
    Latency sleeps without blocking the event loop on the async side."""

    def __init__(self, simulator: "Simulator") -> None:
        super().__init__(self._handle_sync)
        self._sim = simulator

    def _call(self, request: httpx.Request, *, sleep: bool) -> "Response":
        target = request.url.raw_path.decode("ascii")
        call = self._sim.handle if sleep else self._sim.dispatch
        try:
            return call(request.method, target, dict(request.headers), request.content)
        except ConnectionDropped as dropped:
            raise httpx.RemoteProtocolError(str(dropped), request=request) from None

    @staticmethod
    def _response(request: httpx.Request, answer: "Response") -> httpx.Response:
        status, headers, body = answer
        return httpx.Response(status, headers=headers, content=body, request=request)

    def _handle_sync(self, request: httpx.Request) -> httpx.Response:
        return self._response(request, self._call(request, sleep=True))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if self._sim.latency:
            await asyncio.sleep(self._sim.latency)
        return self._response(request, self._call(request, sleep=False))
