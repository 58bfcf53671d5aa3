"""The simulator: one tenant behind the vendor's HTTP API, callable in-process
(:meth:`Simulator.handle`, :meth:`Simulator.transport`) or over loopback HTTP
(:meth:`Simulator.start`)."""

from __future__ import annotations

import collections
import json
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

import httpx

from . import envelope, routes
from .auth import TokenIssuer, exchange_api_key
from .errors import ApiError
from .faults import Faults
from .readings import resolve as resolve_readings
from .records import RequestRecord, redact
from .request import Request
from .seed import SeedSource, populate, read_seed, snapshot
from .server import SimulatorServer
from .demo import demo_seed
from .dropped import ConnectionDropped
from .tenant import Tenant
from .transport import SimulatorTransport

Response = tuple[int, dict[str, str], bytes]
_GATEWAY_PAGE = b"<html><head><title>{code}</title></head><body><center><h1>{code}</h1></center></body></html>"
# Endpoints whose answer the doc shows as an empty body or {} (see readings.py).
_VOID_PATHS = frozenset(routes.CC + p for p in (
    "/internal_phone/status", "/internal_phone/update", "/internal_phone/refresh", "/hotline/extension/update",
))
# What a newer server adds to every object it answers with (the "extra-fields" reading).
_EXTRA_FIELDS = {"sync_status": "synced", "x_schema_version": 2}
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _json_response(status: int, body: dict[str, Any], extra: Mapping[str, str] | None = None) -> Response:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", **(extra or {})}
    return status, headers, data


def _gateway_response(status: int) -> Response:
    # A proxy in front of the app answers these, as HTML: clients must not assume JSON.
    code = f"{status} {_REASONS.get(status, 'Server Error')}"
    return status, {"Content-Type": "text/html"}, _GATEWAY_PAGE.replace(b"{code}", code.encode())


class Simulator:
    """A simulated OMICall tenant.

    ``seed``: None for the built-in demo tenant, a path to a JSON/YAML seed, or a
    seed dict (``{}`` is an empty tenant). ``rate_limit`` is requests per second
    (None: unlimited), ``latency`` seconds added to every request, ``token_ttl``
    seconds an access token lives. ``readings`` names how the server answers where
    the doc leaves a choice open (see :mod:`readings`; ``["strict"]`` takes the
    hardest combination); unnamed questions take their default reading.
    """

    def __init__(
        self,
        seed: SeedSource = None,
        *,
        api_key: str = "sim-key",
        token_ttl: float = 86400.0,
        latency: float = 0.0,
        rate_limit: float | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        readings: Iterable[str] | None = None,
    ) -> None:
        self.api_key = api_key
        self.on_request: Callable[[RequestRecord], None] | None = None  # e.g. `sim --verbose`
        self.token_ttl = token_ttl
        self.latency = latency
        self.rate_limit = rate_limit
        self.port = port
        self.host = host
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self.tenant = Tenant()
        self.tenant.readings = resolve_readings(readings)
        if seed is None:
            data: Mapping[str, Any] = demo_seed(self.tenant.readings)
        elif isinstance(seed, (str, Path)):
            data = read_seed(seed)
        else:
            data = seed
        populate(self.tenant, data)
        self._tokens = TokenIssuer(self.tenant.tenant_id)
        self._recent: collections.deque[float] = collections.deque()
        self._meter = threading.Lock()
        self._server: Any = None
        self.url: str | None = None

    # -- running over HTTP -------------------------------------------------------

    def start(self) -> str:
        """Serve on ``host:port`` (port 0 picks a free one) in a background thread;
        returns the base URL, e.g. ``"http://127.0.0.1:54321"``."""
        if self._server is None:
            self._server = SimulatorServer(self, self.host, self.port)
            self.url = self._server.start()
        return str(self.url)

    def stop(self) -> None:
        """Stop serving and close open connections (no-op when not started)."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "Simulator":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- in-process ----------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An httpx transport (sync and async) that calls :meth:`handle` directly."""
        return SimulatorTransport(self)

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> Response:
        """Answer one request: ``target`` is the path with its query string.
        Returns ``(status, headers, body)``; raises :class:`ConnectionDropped` for a
        "reset" fault."""
        if self.latency:
            time.sleep(self.latency)
        return self.dispatch(method, target, headers, body)

    def dispatch(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> Response:
        """:meth:`handle` without the latency (for callers that wait themselves)."""
        split = urlsplit(target)
        query: dict[str, str] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            query.setdefault(key, value)
        req = Request(
            method=method.upper(),
            path=split.path,
            query=query,
            headers={k.lower(): v for k, v in headers.items()},
            body=body or b"",
        )
        record = RequestRecord(req.method, req.path, redact(query), redact(req.json_or_none()))
        self.requests.append(record)
        try:
            response = self._respond(req, record)
        except ConnectionDropped:
            record.status = None
            raise
        record.status = response[0]
        if self.on_request is not None:
            self.on_request(record)
        return response

    def _respond(self, req: Request, record: RequestRecord) -> Response:
        wait = self._over_rate_limit()
        if wait is not None:
            record.fault = "rate_limit"
            return _json_response(429, envelope.failure("too_many_requests"), {"Retry-After": _seconds(wait)})
        fault = self.faults.pick(req.method, req.path)
        if fault is not None:
            record.fault = fault.kind
            if fault.kind == "5xx":
                return _gateway_response(fault.status)
            if fault.kind == "429":
                return _json_response(429, envelope.failure("too_many_requests"), {"Retry-After": _seconds(fault.retry_after)})
            if fault.kind == "reset":
                raise ConnectionDropped("server closed the connection without a response")
        response = self._answer(req)
        if fault is not None and fault.kind == "lost_response":
            if fault.then == "reset":
                raise ConnectionDropped("server closed the connection after applying the request")
            return _gateway_response(502)
        return response

    def _answer(self, req: Request) -> Response:
        try:
            if req.path.rstrip("/") == routes.AUTH_PATH:
                if req.method != "GET":
                    raise ApiError(f"method {req.method} not allowed on {routes.AUTH_PATH} (use GET)", 405)
                payload = exchange_api_key(req.query, self.api_key, self._tokens, self.token_ttl)
            else:
                handler, req.params = routes.resolve(req.method, req.path)
                self._tokens.verify(req.headers)
                with self.tenant.lock:
                    payload = handler(self.tenant, req)
        except ApiError as error:
            return _json_response(error.http_status, envelope.failure(error.message))
        except Exception as error:  # a simulator bug must still answer like a server
            return _json_response(500, envelope.failure(f"internal_error: {type(error).__name__}: {error}"))
        path = req.path.rstrip("/")
        if path in _VOID_PATHS and self.tenant.reads("void-empty-body"):
            return 200, {"Content-Type": "application/json; charset=utf-8"}, b""
        if path in _VOID_PATHS and self.tenant.reads("void-empty-object"):
            return _json_response(200, {})
        body = envelope.success(payload)
        if self.tenant.reads("extra-fields"):
            body = _with_extra_fields(body)
        return _json_response(200, body)

    def _over_rate_limit(self) -> float | None:
        """Seconds to wait when this request exceeds ``rate_limit``, else None."""
        if not self.rate_limit:
            return None
        with self._meter:
            now = time.monotonic()
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.rate_limit:
                return max(1.0 - (now - self._recent[0]), 0.001)
            self._recent.append(now)
            return None

    # -- test helpers ---------------------------------------------------------------

    def mutations(self) -> list[RequestRecord]:
        """Logged requests that could change the tenant (not GET, not /api/auth)."""
        return [r for r in list(self.requests) if r.method != "GET" and r.path.rstrip("/") != routes.AUTH_PATH]

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no request is in flight over HTTP (twice in a row, 20 ms apart), e.g.
        those a killed client had sent; False if that takes longer than `timeout`."""
        deadline = time.monotonic() + timeout
        calm = 0
        while time.monotonic() < deadline:
            calm = calm + 1 if self._server is None or self._server.idle() else 0
            if calm >= 2:
                return True
            time.sleep(0.02)
        return False

    def console_edit(self, kind: str, name: str, **fields: Any) -> dict[str, Any]:
        """Edit an object directly, as someone in the vendor's web console would
        (see :meth:`Tenant.console_edit`)."""
        return self.tenant.console_edit(kind, name, **fields)

    def snapshot(self) -> dict[str, Any]:
        """The tenant in seed format (``Simulator(seed=sim.snapshot())`` clones it)."""
        return snapshot(self.tenant)


def _with_extra_fields(value: Any) -> Any:
    """``value`` with :data:`_EXTRA_FIELDS` added to every object in it."""
    if isinstance(value, dict):
        return {**{k: _with_extra_fields(v) for k, v in value.items()}, **_EXTRA_FIELDS}
    if isinstance(value, list):
        return [_with_extra_fields(v) for v in value]
    return value


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"
