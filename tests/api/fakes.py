"""A small fake OMICall server for the client's unit tests (httpx.MockTransport handlers).

It knows only what the client needs: the auth exchange, bearer tokens, the envelope and
a route table; each test plugs its own behaviour into the routes.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from reconciler.api import OmicallClient

BASE = "https://omicall.test"
API_KEY = "KEY-3f9c2a77d1e04b"

Handler = Callable[[httpx.Request], "httpx.Response | Awaitable[httpx.Response]"]


def ok(payload: Any = None) -> httpx.Response:
    """A success envelope."""
    return httpx.Response(200, json={"status_code": 9999, "instance_id": "t", "payload": payload, "key_enabled": False})


def refused(message: str, http_status: int = 200) -> httpx.Response:
    """A failure envelope (the vendor sends many with HTTP 200)."""
    return httpx.Response(http_status, json={"status_code": -9999, "message": message, "payload": None})


def jwt(exp: float | None = None, iat: float | None = None, tag: str = "") -> str:
    """A JWT-shaped token (unsigned: the client never checks signatures)."""
    claims: dict[str, Any] = {"sub": "tenant", "n": tag}
    if exp is not None:
        claims["exp"] = exp
    if iat is not None:
        claims["iat"] = iat

    def b64(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none'})}.{b64(claims)}.sig{tag}"


class FakeApi:
    """Records every request; issues tokens for API_KEY; 401s unknown tokens; routes the rest."""

    def __init__(self, *, ttl: float | None = 3600.0, auth_delay: float = 0.0):
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[httpx.Request] = []
        self.valid: set[str] = set()
        self.auth_calls = 0
        self.ttl = ttl
        self.auth_delay = auth_delay
        self._serial = itertools.count(1)

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def issue(self) -> str:
        now = time.time()
        token = jwt(exp=now + self.ttl if self.ttl else None, iat=int(now), tag=str(next(self._serial)))
        self.valid.add(token)
        return token

    def revoke_all(self) -> None:
        self.valid.clear()

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/api/auth":
            self.auth_calls += 1
            if self.auth_delay:
                await asyncio.sleep(self.auth_delay)
            key = request.url.params.get("apiKey")
            if not key:
                return refused("api_key_is_required")
            if key != API_KEY:
                return refused("api_key_invalid")
            return ok({"access_token": self.issue(), "token_type": "Bearer", "access_type": "normal"})
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.valid:
            return refused("token_invalid", 401)
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return refused("not_found", 404)
        response = handler(request)
        if not isinstance(response, httpx.Response):
            response = await response
        return response

    def client(self, **kw: Any) -> OmicallClient:
        kw.setdefault("api_key", API_KEY)
        kw.setdefault("backoff", 0.001)
        return OmicallClient(BASE, transport=httpx.MockTransport(self), **kw)


class SleepRecorder:
    """Stands in for asyncio.sleep and the clock: records the waits, advances a fake time instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def install(self, client: OmicallClient) -> None:
        client._sleep = self
        client._clock = self.clock


def sequence(*responses: Any) -> Handler:
    """A handler answering with each response in turn (an exception instance is raised), the last repeated."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            return item(request)
        return item

    return handler
