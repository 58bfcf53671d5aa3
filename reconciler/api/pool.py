"""Keep-alive connections for a client that bounds its own requests in flight.

httpcore's connection pool re-examines every connection it holds several times per
request (expiry, a readability probe of each socket through anyio's attribute lookup,
queue bookkeeping): about a third of the client's CPU per request, measured with
cProfile on 3,000 requests at 8 in flight. `OmicallClient` already holds at most
`concurrency` requests in flight (its semaphore), so a connection can simply be taken
from a stack of idle ones and put back when its answer is read: one expiry check per
request. httpcore still makes each connection (TLS, proxies) and speaks HTTP/1.1 on it.
"""

from __future__ import annotations

import urllib.request
from typing import Any, AsyncIterator
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx


class LeanTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, with its connection pool replaced by `SlotPool` (same
    arguments: TLS settings, limits, proxy). The replacement only happens where httpx
    keeps an httpcore pool as `_pool` (0.28 does); otherwise httpx's own pool stays,
    slower but the same to the caller."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        pool = getattr(self, "_pool", None)
        if isinstance(pool, httpcore.AsyncConnectionPool):
            self._pool = SlotPool(pool)


class SlotPool:
    """Connections made by `maker` (an httpcore pool: its documented `create_connection`
    builds direct, HTTP-proxy or SOCKS connections alike), reused last-in first-out.

    Unbounded by itself: the caller bounds the requests in flight, and so the connections."""

    def __init__(self, maker: httpcore.AsyncConnectionPool):
        self._maker = maker
        self._idle: list[httpcore.AsyncConnectionInterface] = []
        self._open: set[httpcore.AsyncConnectionInterface] = set()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        for fresh_only in (False, True):
            connection = await self._take(request.url.origin, fresh_only)
            try:
                response = await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:
                await self._discard(connection)  # taken by something else meanwhile: a new one
                continue
            except BaseException:
                await self._discard(connection)
                raise
            return httpcore.Response(status=response.status, headers=response.headers,
                                     content=_GivenBack(response.stream, self, connection),
                                     extensions=response.extensions)
        raise httpcore.ConnectionNotAvailable()

    async def _take(self, origin: httpcore.Origin, fresh_only: bool) -> httpcore.AsyncConnectionInterface:
        """The most recently used idle connection still good for `origin`, else a new one."""
        while self._idle and not fresh_only:
            connection = self._idle.pop()
            # has_expired: past its keep-alive, or the server closed it while idle.
            if connection.can_handle_request(origin) and connection.is_available() and not connection.has_expired():
                return connection
            await self._discard(connection)
        connection = self._maker.create_connection(origin)
        self._open.add(connection)
        return connection

    async def give_back(self, connection: httpcore.AsyncConnectionInterface) -> None:
        """A connection whose answer was read (or abandoned): kept when it can serve again."""
        if connection.is_available():
            self._idle.append(connection)
        else:
            await self._discard(connection)

    async def _discard(self, connection: httpcore.AsyncConnectionInterface) -> None:
        self._open.discard(connection)
        if connection in self._idle:
            self._idle.remove(connection)
        await connection.aclose()

    async def aclose(self) -> None:
        for connection in list(self._open):
            await self._discard(connection)
        await self._maker.aclose()

    async def __aenter__(self) -> SlotPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _GivenBack:
    """An answer's body; closing it gives its connection back to the pool."""

    def __init__(self, stream: Any, pool: SlotPool, connection: httpcore.AsyncConnectionInterface):
        self._stream, self._pool, self._connection = stream, pool, connection
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Shielded as httpcore's pool does: a cancelled request must still return or
        # close its connection, or a half-read answer would be taken for the next one's.
        with anyio.CancelScope(shield=True):
            try:
                if hasattr(self._stream, "aclose"):
                    await self._stream.aclose()
            finally:
                await self._pool.give_back(self._connection)


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for `url`, as httpx would pick it without a
    transport of ours: HTTPS_PROXY or HTTP_PROXY by the URL's scheme, else ALL_PROXY (or
    the system's settings where Python reads them, as on macOS); none for a host NO_PROXY
    lists, also when written as a URL (`https://api.example.com`). A proxy written without
    a scheme is taken as http://."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    bypass = [entry.split("://", 1)[1] if "://" in entry else entry
              for entry in (e.strip() for e in proxies.get("no", "").split(","))
              if "://" not in entry or entry.startswith(f"{parts.scheme}://")]
    if parts.hostname and urllib.request.proxy_bypass_environment(parts.hostname, {"no": ",".join(bypass)}):
        return None
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    return proxy if "://" in proxy else f"http://{proxy}"
