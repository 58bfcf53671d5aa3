"""The OMICall HTTP client: auth, envelope, pages, retries and concurrency. It knows no kind.

Every request goes through one function, `OmicallClient._request` (python-gitlab's
`http_request` is the model): it adds the token, bounds the requests in flight, unwraps
the envelope, retries what is safe to retry, and turns every failure into an `ApiError`
that names the endpoint (never a URL with its query) and never carries a secret.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import random
import re
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

import httpx

# httpcore asks `import sniffio` several times per request to learn which event loop
# runs it; without sniffio installed (anyio 4 no longer needs it) each failing import
# searches every path entry again: about 0.4 ms of CPU per request, measured with
# cProfile on an apply of 4,000 objects. A None in sys.modules makes that import fail at
# once, which httpcore reads as "asyncio", what we run.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

from reconciler.api.auth import AUTH_PATH, TOKEN_ONLY_REJECTED, TokenManager
from reconciler.api.envelope import Where, server_message, unwrap
from reconciler.api.pool import LeanTransport, environment_proxy
from reconciler.api.redact import Redactor, install_httpx_log_filter, secret_values
from reconciler.api.retry import NOT_SENT_ERRORS, backoff_delay, is_retryable_status, retry_after
from reconciler.api.urls import base_url, check_path, endpoint
from reconciler.errors import ApiError, AuthError, ReconcilerError

log = logging.getLogger(__name__)

# Chosen with benchmarks/bench_concurrency.py (simulator in its own process, 10 ms
# latency, 600 objects): reading at page size 10 takes 1.06 s at 1 in flight, 0.36 s at 4,
# 0.30 s at 8 (3.6x), 0.34 s at 16 and 0.57 s at 32; client CPU per request grows past 8.
# Below Terraform's 10 and well below httpx's ~32-connection knee, and kind to rate limits.
DEFAULT_CONCURRENCY = 8
# Past this many pages a list is assumed to be misreported rather than that large.
MAX_PAGES = 10_000
# The largest answer read (a page of 100 objects is about 100 KB): a server that sends
# without end never fills the memory of a CI runner.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
# 401s one request tolerates while other requests keep renewing the token.
MAX_REJECTIONS = 3
# A request paced by 429 + Retry-After gives up after this many waits or this long waiting.
MAX_THROTTLED = 50
MAX_THROTTLED_WAIT = 300.0


class RequestParts(TypedDict, total=False):
    """What a request carries besides its method and path (`send` and `create` take the
    same): a query, a JSON body or multipart files, and the object it is about (named in
    errors)."""

    params: dict | None
    json: Any
    files: dict | None
    subject: str | None


# What every request says besides its token and body type (httpx.AsyncClient's defaults, minus
# its cookie jar; the answer's Content-Encoding is decoded by httpx.Response).
_HEADERS = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate", "Connection": "keep-alive",
            "User-Agent": f"python-httpx/{httpx.__version__}"}

_URL_QUERY = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s?#'\"<>]*)[?#][^\s'\"<>]*", re.IGNORECASE)


class _TooLarge(Exception):
    """An answer over the size limit."""


@dataclass
class _Tally:
    """What one logical request has been through so far."""

    attempts: int = 0
    retries: int = 0  # counted against max_retries
    throttled: int = 0  # 429s with Retry-After, which have their own budget
    throttled_wait: float = 0.0
    rejections: int = 0  # 401s
    renewed_by_us: str | None = None  # the token this request obtained after its last 401


@dataclass
class _Failure:
    """One attempt that did not produce an answer worth returning."""

    reason: str
    maybe_processed: bool  # the server may have acted on the request
    status: int | None = None
    server_message: str | None = None
    retry_after: float | None = None


class OmicallClient:
    """An async client for the OMICall API. Use as `async with OmicallClient(...) as api:`.

    `concurrency` bounds the requests in flight. `max_retries` bounds the retries of one
    request after 5xx, timeouts, connection errors and 429s without `Retry-After`, with
    exponential backoff (base `backoff` seconds) and full jitter. A 429 with `Retry-After`
    is the server pacing us: the client waits as told (capped at 60 s), holds back every
    other request for that long too, and does not count it against `max_retries` (under a
    shared rate limit one request can lose the race many times); such waits have their
    own budget (MAX_THROTTLED, MAX_THROTTLED_WAIT). A 401 renews the token and retries once.
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ):
        self._base = base_url(url)
        if not api_key and not token:
            raise ReconcilerError("no OMICall credentials: set OMICALL_API_KEY (or OMICALL_TOKEN)")
        if concurrency < 1:
            raise ReconcilerError("concurrency must be at least 1")
        if max_retries < 0 or backoff < 0 or timeout <= 0:
            raise ReconcilerError("max_retries and backoff must be >= 0, and timeout > 0")
        self.concurrency = concurrency
        self._timeout = timeout
        self._max_answer = max_answer_bytes
        self._max_retries = max_retries
        self._backoff = backoff
        self._tokens = TokenManager(api_key=api_key, token=token, fetch=self._authenticate)
        self._slots = asyncio.Semaphore(concurrency)
        # Requests go straight to the transport: httpx.AsyncClient would add a cookie jar
        # (the API sets none), redirects (it sends none) and two more URL parses per request,
        # about a fifth of the client's CPU per request.
        self._transport = transport or LeanTransport(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            proxy=environment_proxy(self._base))
        self._timeouts = httpx.Timeout(timeout).as_dict()
        self._not_before = 0.0  # monotonic time before which no request leaves (after a 429)
        self._rng = random.Random()
        # Tests replace these two to record the waits without waiting.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._clock: Callable[[], float] = time.monotonic
        self.request_count = 0
        self._also_secret: tuple[str, ...] = ()
        install_httpx_log_filter()

    @classmethod
    def from_env(cls, url: str | None = None, **kw: Any) -> OmicallClient:
        """A client from `url` (else OMICALL_URL) and OMICALL_API_KEY (preferred) or OMICALL_TOKEN."""
        url = url or os.environ.get("OMICALL_URL")
        if not url:
            raise ReconcilerError("no API URL: pass --url or set OMICALL_URL (e.g. https://public-v1-stg.omicall.com)")
        if not kw.get("api_key") and not kw.get("token"):
            api_key = os.environ.get("OMICALL_API_KEY")
            token = os.environ.get("OMICALL_TOKEN")
            if api_key:
                kw["api_key"] = api_key
            elif token:
                kw["token"] = token
            else:
                raise ReconcilerError(
                    "no OMICall credentials: set OMICALL_API_KEY (renewed automatically) or OMICALL_TOKEN"
                )
        return cls(url, **kw)

    @property
    def url(self) -> str:
        """The base URL (never carries credentials or a query)."""
        return self._base

    def __repr__(self) -> str:
        mode = "api_key" if self._tokens.can_renew else "token"
        return f"OmicallClient(url={self._base!r}, auth={mode}, concurrency={self.concurrency})"

    async def __aenter__(self) -> OmicallClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._transport.aclose()

    # -- public requests ---------------------------------------------------------------

    async def get(self, path: str, params: dict | None = None) -> Any:
        """GET `path`; the envelope's payload."""
        return await self._request("GET", path, params=params)

    async def list_all(self, path: str, params: dict | None = None, page_size: int = 50,
                       expected_items: int = 0) -> list[dict]:
        """Every item of a paginated list, in page order.

        Page 1 says how many pages there are; the rest are read concurrently (bounded by
        `concurrency`). If the last page still says `has_next` (the list grew while we
        read, or the server does not report `total_pages`), the following pages are read
        one by one. `expected_items`: how many items the caller expects (it counted them
        before): the pages they fill are asked for together with page 1, which saves the
        round trip page 1 takes alone. A page the list turns out not to have (page 1's
        count decides) is dropped unread, whatever the server answered for it: a shorter
        list costs a request, never an error.

        Every page must be `{items: [object, ...], ...}` (the vendor's documented shape):
        anything else (`payload: null`, a bare list) is an ApiError, never "no objects" -
        an apply that took a list it could not read for an empty one would create
        duplicates. So is a page count far beyond what `total_items` implies.
        """
        base = {k: v for k, v in (params or {}).items() if k not in ("page", "size")}
        guess = min(max(1, -(-expected_items // page_size)), MAX_PAGES)
        first, *early = await gather_or_cancel(
            [self._page(path, base, 1, page_size), *(self._early_page(path, base, n, page_size)
                                                     for n in range(2, guess + 1))])
        pages: list[list] = [first["items"]]
        last, number = first, 1
        total = self._total_pages(first, path)
        for got in early[:total - 1]:  # the early pages the list has
            if isinstance(got, ApiError):
                raise got
            pages.append(got["items"])
            last, number = got, number + 1
        if total > number:
            rest = await gather_or_cancel([self._page(path, base, n, page_size) for n in range(number + 1, total + 1)])
            pages.extend(p["items"] for p in rest)
            last, number = rest[-1], total
        while last.get("has_next") is True and last["items"]:
            if number >= MAX_PAGES:
                raise ApiError(f"the list still says it has more after {MAX_PAGES} pages; refusing to read on",
                               method="GET", endpoint=endpoint(path))
            number += 1
            last = await self._page(path, base, number, page_size)
            pages.append(last["items"])
        return [item for page in pages for item in page]

    async def _early_page(self, path: str, base: dict, number: int, size: int) -> dict | ApiError:
        """A page asked for before page 1 said it exists: its error is kept, to be raised
        only if the list has that page."""
        try:
            return await self._page(path, base, number, size)
        except ApiError as error:
            return error

    async def send(self, method: str, path: str, **request: Unpack[RequestParts]) -> Any:
        """A request whose repetition is harmless (update, delete, status); retried on 429, 5xx, timeouts and resets.

        `files` (multipart) should hold bytes or seekable files, so a retry can send them again.
        """
        return await self._request(method, path, **request)

    async def create(
        self, method: str, path: str, *, find_existing: Callable[[], Awaitable[Any | None]],
        **request: Unpack[RequestParts],
    ) -> Any:
        """A request that must not be repeated blindly (a create).

        Retried at once only when the server certainly did not act on it (no connection,
        HTTP 429). After an unknown outcome (5xx, timeout, reset, lost response) it awaits
        `find_existing()`: an object found there is the result, and nothing is sent again;
        None means the create did not happen, and it is retried.
        """
        return await self._request(method, path, find_existing=find_existing, **request)

    # -- the one request function ------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        files: dict | None = None,
        subject: str | None = None,
        find_existing: Callable[[], Awaitable[Any | None]] | None = None,
        authenticated: bool = True,
    ) -> Any:
        method = method.upper()
        check_path(path)
        if json is not None and files is not None:
            raise ValueError("a request carries either a JSON body or files, not both")
        body_secrets = secret_values(json)
        tally = _Tally()
        while True:
            token = await self._tokens.token() if authenticated else None
            tally.attempts += 1
            outcome = await self._attempt(method, path, params, json, files, token, body_secrets, subject)
            if log.isEnabledFor(logging.DEBUG):  # the endpoint only: a query may carry the API key
                got = f"HTTP {outcome.status_code}" if isinstance(outcome, httpx.Response) else outcome.reason
                log.debug("%s %s: %s", method, endpoint(path), got)
            where = self._where(method, path, subject, body_secrets, token)
            if isinstance(outcome, httpx.Response):
                if outcome.status_code == 401 and authenticated:
                    await self._reauthenticate(outcome, token, tally, where)
                    continue  # the retry after re-authenticating is not one of max_retries
                if not is_retryable_status(outcome.status_code):
                    return unwrap(outcome, where)
                failure = self._failure_of(outcome, where)
            else:
                failure = outcome
            tally.renewed_by_us = None

            if failure.maybe_processed and find_existing is not None:
                existing = await find_existing()
                if existing is not None:
                    log.info("%s %s: outcome unknown (%s), found the object created", method, where.endpoint,
                             failure.reason)
                    return existing
            delay = self._next_delay(failure, tally, where)
            await self._sleep(delay)

    async def _attempt(
        self, method: str, path: str, params: dict | None, json: Any, files: dict | None, token: str | None,
        body_secrets: list[str], subject: str | None,
    ) -> httpx.Response | _Failure:
        """One HTTP exchange: the response, or the network failure it met."""
        # httpx's exceptions may carry the URL (and the auth URL carries the key): they are
        # described, redacted, and never chained to our errors.
        broken: str | None = None
        try:
            return await self._send_once(method, path, params, json, files, token)
        except TimeoutError:
            return _Failure(f"no complete answer within {self._timeout:g} s", maybe_processed=True)
        except _TooLarge:
            broken = f"the answer is larger than {self._max_answer // (1024 * 1024)} MB; it was not read"
        except (httpx.LocalProtocolError, UnicodeError) as exc:
            # The request could not even be written (an illegal header, say): not a network
            # condition, so no retry. The text is left out: it may quote the header's value.
            broken = f"it cannot be sent as HTTP ({type(exc).__name__})"
        except NOT_SENT_ERRORS as exc:
            if _unknown_host(exc):
                # A name that does not resolve will not resolve on the next try either.
                raise ApiError(f"cannot connect to {self.url}: its host name does not resolve; check OMICALL_URL "
                               "(or --url)", method=method, endpoint=endpoint(path), subject=subject) from None
            return _Failure(f"could not connect to {self.url} ({self._describe(exc, body_secrets)})",
                            maybe_processed=False)
        except httpx.TransportError as exc:
            return _Failure(self._describe(exc, body_secrets), maybe_processed=True)
        except httpx.HTTPError as exc:
            broken = self._describe(exc, body_secrets)  # not a network condition: no retry
        raise ApiError(f"the request failed: {broken}", method=method, endpoint=endpoint(path), subject=subject)

    async def _reauthenticate(self, response: httpx.Response, token: str | None, tally: _Tally, where: Where) -> None:
        """After a 401: renew the token (once for all requests that saw it rejected), or raise AuthError."""
        tally.rejections += 1
        fields = dict(method=where.method, endpoint=where.endpoint, status=401,
                      server_message=server_message(response, where.redact), subject=where.subject)
        if not self._tokens.can_renew:
            raise AuthError(TOKEN_ONLY_REJECTED, **fields)
        if token == tally.renewed_by_us or tally.rejections > MAX_REJECTIONS:
            raise AuthError("the API rejected a freshly issued token", **fields)
        assert token is not None
        new, renewed = await self._tokens.rejected(token)
        tally.renewed_by_us = new if renewed else None
        log.info("%s %s: token rejected, re-authenticated", where.method, where.endpoint)

    @staticmethod
    def _failure_of(response: httpx.Response, where: Where) -> _Failure:
        status = response.status_code
        return _Failure(
            f"HTTP {status}", maybe_processed=status != 429, status=status,
            server_message=server_message(response, where.redact),
            retry_after=retry_after(response.headers.get("Retry-After")) if status == 429 else None,
        )

    def _next_delay(self, failure: _Failure, tally: _Tally, where: Where) -> float:
        """Seconds to wait before the next attempt; ApiError when the request has had enough."""
        fields = dict(method=where.method, endpoint=where.endpoint, status=failure.status,
                      server_message=failure.server_message, subject=where.subject)
        attempts = f"{tally.attempts} attempt{'s' if tally.attempts > 1 else ''}"
        if failure.retry_after is not None:
            # A 429 that says when to come back is the server pacing us, not a failure: it does
            # not use up max_retries (under a shared rate limit an unlucky request could lose
            # the race several times in a row), but it has a budget of its own.
            if tally.throttled >= MAX_THROTTLED or tally.throttled_wait >= MAX_THROTTLED_WAIT:
                raise ApiError(f"still rate-limited after {attempts} ({tally.throttled_wait:.0f} s spent waiting)",
                               **fields)
            tally.throttled += 1
            delay = self._delay(tally.throttled, failure)
            tally.throttled_wait += delay
            log.info("%s %s: rate-limited; next attempt in %.2fs", where.method, where.endpoint, delay)
            return delay
        if tally.retries >= self._max_retries:
            raise ApiError(f"gave up after {attempts}: {failure.reason}", **fields)
        tally.retries += 1
        delay = self._delay(tally.retries, failure)
        log.info("%s %s: %s; retry %d of %d in %.2fs", where.method, where.endpoint, failure.reason, tally.retries,
                 self._max_retries, delay)
        return delay

    async def _send_once(
        self, method: str, path: str, params: dict | None, json: Any, files: dict | None, token: str | None
    ) -> httpx.Response:
        wait = self._not_before - self._clock()
        if wait > 0:  # the server asked everyone to slow down, not only the request it answered
            await self._sleep(wait)
        headers = dict(_HEADERS)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if files is None:
            headers["Content-Type"] = "application/json"  # the vendor lists it as required, GETs included
        url = self._base + path
        if params:
            url += "?" + str(httpx.QueryParams(params))
        # Built before taking a place among the requests in flight: it goes out as soon as one is free.
        request = httpx.Request(method, url, json=json, files=files, headers=headers,
                                extensions={"timeout": self._timeouts})
        async with self._slots:
            self.request_count += 1
            return await self._exchange(request)

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and read its whole answer within `timeout` seconds in all (httpx's
        timeouts are per read: a server that drips its answer a byte at a time would hold
        a run for ever) and at most `max_answer_bytes`."""
        async with asyncio.timeout(self._timeout):
            response = await self._transport.handle_async_request(request)
            if response.is_stream_consumed:  # a transport that answers with a body already read
                if len(response.content) > self._max_answer:
                    raise _TooLarge()
                return response
            try:
                body = bytearray()
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) > self._max_answer:
                        raise _TooLarge()
            finally:
                await response.aclose()
        # Raw bytes with the answer's own headers: httpx decodes any Content-Encoding.
        return httpx.Response(response.status_code, headers=response.headers, content=bytes(body), request=request)

    def _delay(self, retry: int, failure: _Failure) -> float:
        if failure.retry_after is not None:
            self._not_before = max(self._not_before, self._clock() + failure.retry_after)
            # A little jitter on top, so requests told the same time do not return together.
            return failure.retry_after + self._rng.uniform(0.0, self._backoff)
        return backoff_delay(retry, self._backoff, rng=self._rng)

    async def _authenticate(self, api_key: str) -> Any:
        try:
            return await self._request("GET", AUTH_PATH, params={"apiKey": api_key}, authenticated=False)
        except AuthError as err:
            raise AuthError(f"the API key was refused: check OMICALL_API_KEY (an API key of the tenant at {self.url})",
                            method=err.method, endpoint=err.endpoint, status=err.status,
                            server_message=err.server_message) from None

    async def _page(self, path: str, base: dict, number: int, size: int) -> dict:
        payload = await self._request("GET", path, params={**base, "page": number, "size": size})
        return self._page_payload(payload, path, number)

    @staticmethod
    def _page_payload(payload: Any, path: str, number: int = 1) -> dict:
        where = dict(method="GET", endpoint=endpoint(path))
        if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
            got = f"payload.items is {_shape(payload['items'])}" if isinstance(payload, dict) and "items" in payload \
                else f"the payload is {_shape(payload)}"
            raise ApiError(f"expected a page of items (payload.items) for page {number}; {got}", **where)
        for position, item in enumerate(payload["items"], 1):
            if not isinstance(item, dict):
                raise ApiError(f"item {position} of page {number} is {_shape(item)}, not an object", **where)
        got = payload.get("page_number")
        if _is_int(got) and got != number:
            # A server that ignores `page` would otherwise hand us page 1 over and over.
            raise ApiError(f"asked for page {number}, the API answered page {got}", **where)
        return payload

    @staticmethod
    def _total_pages(first: dict, path: str) -> int:
        """The page count page 1 reports, checked against its `total_items` (1 if it reports none).

        A count far beyond what the items imply would have us fetch thousands of pages.
        """
        total = first.get("total_pages")
        if not _is_int(total) or total <= 1:
            return 1
        where = dict(method="GET", endpoint=endpoint(path))
        items = first.get("total_items")
        if _is_int(items) and items >= 0:
            # Page 1 of a list with more pages is full: its length is the server's real page size.
            per_page = max(len(first["items"]), 1)
            implied = max(1, -(-items // per_page))
            if total > implied + 1:
                raise ApiError(f"the list reports {total} pages for {items} items ({per_page} per page); "
                               "refusing to read a page count the items do not support", **where)
        if total > MAX_PAGES:
            raise ApiError(f"the list reports {total} pages, more than the {MAX_PAGES} this tool will read", **where)
        return total

    def redact_also(self, secrets: Iterable[str]) -> None:
        """Values to mask in every message as the API key is, though no key of a body says
        they are secret (what the caller sends from its own secrets, a note say)."""
        self._also_secret = (*self._also_secret, *(s for s in secrets if s))

    def _redactor(self, body_secrets: list[str], token: str | None) -> Redactor:
        return Redactor([self._tokens.api_key, self._tokens.current, token, *self._also_secret, *body_secrets])

    def _where(self, method: str, path: str, subject: str | None, body_secrets: list[str], token: str | None) -> Where:
        return Where(method, endpoint(path), subject, self._redactor(body_secrets, token))

    def _describe(self, exc: Exception, body_secrets: list[str]) -> str:
        """A transport error as text: its type and message, without URLs' queries or secrets."""
        text = _URL_QUERY.sub(r"\1", str(exc))
        text = self._redactor(body_secrets, None)(text) or ""
        name = type(exc).__name__
        return f"{name}: {text}" if text else name


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shape(value: Any) -> str:
    """What a JSON value is, for an error message (never its content: it may be anything)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        keys = ", ".join(sorted(str(k)[:40] for k in value)[:8])
        return f"an object with keys {keys}" if keys else "an empty object"
    return type(value).__name__


async def gather_or_cancel(coros: list[Awaitable[Any]]) -> list[Any]:
    """Results in order; on the first failure the others are cancelled and awaited, so
    nothing is left half-started when the error reaches the user (no "coroutine was never
    awaited" warnings at exit)."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _unknown_host(exc: BaseException) -> bool:
    """Whether a connection failed because the host name does not exist (not a transient
    resolver failure, which is worth retrying)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return seen.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME))
        seen = seen.__cause__ or seen.__context__
    return False
