"""The client's own connection pool (reconciler/api/pool.py) over real sockets: connections
are reused, a connection the server closed is never used for a request (so a create is
never left with an unknown outcome by a stale connection), a cancelled request's answer
never reaches the next request, and the environment's proxy is used."""

from __future__ import annotations

import asyncio
import json

import pytest

from reconciler.api import ApiError, OmicallClient
from reconciler.api.pool import environment_proxy

TOKEN = "tok-pool-test-0123456789"


class RawServer:
    """A tiny HTTP/1.1 server on loopback answering every request with a success
    envelope whose payload names the request (`{"path": ..., "n": ...}`).

    `close`: None keeps connections open; "header" answers with `Connection: close` and
    closes; "later" keeps the connection alive by its headers, then closes it 50 ms
    after answering (a server's keep-alive timeout). `slow_paths` are answered after
    0.5 s."""

    def __init__(self, close: str | None = None, slow_paths: tuple[str, ...] = ()):
        self.close = close
        self.slow_paths = slow_paths
        self.connections = 0
        self.request_lines: list[str] = []
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                self.request_lines.append(lines[0])
                length = next((int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length:")), 0)
                await reader.readexactly(length)
                target = lines[0].split()[1]
                if any(p in target for p in self.slow_paths):
                    await asyncio.sleep(0.5)
                body = json.dumps({"status_code": 9999, "payload": {"path": target, "n": len(self.request_lines)}})
                extra = "Connection: close\r\n" if self.close == "header" else ""
                writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}"
                             f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
                await writer.drain()
                if self.close == "header":
                    break
                if self.close == "later":
                    await asyncio.sleep(0.05)
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _run(server: RawServer, body, **client_kw):
    async def go():
        url = await server.start()
        try:
            async with OmicallClient(url, token=TOKEN, backoff=0.001, **client_kw) as client:
                return await body(client)
        finally:
            await server.stop()

    return asyncio.run(go())


def test_sequential_requests_share_one_connection():
    server = RawServer()

    async def body(client):
        return [(await client.get(f"/r{i}"))["path"] for i in range(20)]

    assert _run(server, body) == [f"/r{i}" for i in range(20)]
    assert server.connections == 1


def test_requests_in_flight_use_at_most_concurrency_connections():
    server = RawServer()

    async def body(client):
        for _ in range(5):
            await asyncio.gather(*(client.get(f"/r{i}") for i in range(12)))

    _run(server, body, concurrency=3)
    assert len(server.request_lines) == 60
    assert server.connections <= 3


@pytest.mark.parametrize("close", ["header", "later"])
def test_a_connection_the_server_closed_is_not_used_again(close):
    """After each answer the server closes the connection (by header, or silently a moment
    later, as a keep-alive timeout does): every request, a create included, still goes
    out once on a fresh connection: no failed attempt, no retry, no look-up."""
    server = RawServer(close=close)
    looked_up = []

    async def find_existing():
        looked_up.append(True)
        return None

    async def body(client):
        answers = []
        for i in range(4):
            answers.append(await client.create("POST", f"/add{i}", json={"name": f"n{i}"},
                                               find_existing=find_existing))
            await asyncio.sleep(0.15)  # the server has closed it by now
        return answers

    answers = _run(server, body, max_retries=0)
    assert [a["path"] for a in answers] == [f"/add{i}" for i in range(4)]
    assert len(server.request_lines) == 4 and server.connections == 4
    assert looked_up == []


def test_a_cancelled_requests_answer_never_reaches_the_next_request():
    """A request that runs out of time leaves its connection mid-answer: that connection
    is closed, and the next request gets its own answer on another."""
    server = RawServer(slow_paths=("/slow",))

    async def body(client):
        with pytest.raises(ApiError, match="no complete answer within"):
            await client.get("/slow")
        return (await client.get("/fast"))["path"]

    assert _run(server, body, timeout=0.2, max_retries=0) == "/fast"
    assert server.connections == 2


def test_the_proxy_the_environment_names_is_used(monkeypatch):
    """HTTP_PROXY is honoured as httpx honours it: the request goes to the proxy, which
    is asked for the API's own URL (where nothing listens)."""
    proxy = RawServer()

    async def go():
        proxy_url = await proxy.start()
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        try:
            async with OmicallClient("http://127.0.0.2:9", token=TOKEN) as client:
                return await client.get("/api/call_center/internal_phone/list", params={"page": 1})
        finally:
            await proxy.stop()

    answer = asyncio.run(go())
    assert answer["path"] == "http://127.0.0.2:9/api/call_center/internal_phone/list?page=1"
    assert proxy.request_lines == ["GET http://127.0.0.2:9/api/call_center/internal_phone/list?page=1 HTTP/1.1"]


@pytest.mark.parametrize("env, url, expected", [
    ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.omicall.com", "http://proxy:3128"),
    ({"https_proxy": "proxy:3128"}, "https://api.omicall.com", "http://proxy:3128"),
    ({"HTTP_PROXY": "http://proxy:3128"}, "https://api.omicall.com", None),
    ({"ALL_PROXY": "socks5://proxy:1080"}, "https://api.omicall.com", "socks5://proxy:1080"),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "omicall.com"}, "https://api.omicall.com", None),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "*"}, "https://api.omicall.com", None),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "https://api.omicall.com"}, "https://api.omicall.com", None),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "http://api.omicall.com"}, "https://api.omicall.com",
     "http://proxy:3128"),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "other.example"}, "https://api.omicall.com",
     "http://proxy:3128"),
    ({}, "https://api.omicall.com", None),
])
def test_environment_proxy(monkeypatch, env, url, expected):
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert environment_proxy(url) == expected
