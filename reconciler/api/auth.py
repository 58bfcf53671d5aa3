"""The bearer token: obtained from the API key, cached, renewed once when it expires.

Concurrent requests that find the token stale wait on one lock, and only the first of
them asks the API for a new token.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from reconciler.errors import AuthError, ReconcilerError

DEFAULT_LIFETIME = 24 * 3600.0  # the vendor's documented token lifetime
AUTH_PATH = "/api/auth"
TOKEN_ONLY_REJECTED = "token rejected or expired; set OMICALL_API_KEY to renew automatically"


def jwt_lifetime(token: str, *, just_issued: bool = False, now: float | None = None) -> float | None:
    """Seconds the JWT `token` stays valid from now, from its `exp` claim; None if it has none.

    For a token the server `just_issued`, `exp - iat` is also a candidate (it does not
    depend on our clock agreeing with the server's); the shorter positive one wins.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        exp = float(claims["exp"])
    except (ValueError, KeyError, TypeError):
        return None
    by_clock = exp - (time.time() if now is None else now)
    iat = claims.get("iat")
    if just_issued and isinstance(iat, (int, float)) and iat < exp:
        return min(x for x in (exp - float(iat), by_clock) if x > 0)
    return by_clock


def credential_problem(value: str) -> str | None:
    """Why `value` cannot be a credential (it goes into a header or a query string), or None.

    Tokens and keys are printable ASCII without spaces; a non-ASCII character (a typographic
    ellipsis pasted from a chat), a space or a line break is a copying mistake. The message
    gives the position, never the value.
    """
    for position, char in enumerate(value, 1):
        if not ("\x21" <= char <= "\x7e"):
            what = ("a space" if char == " " else "a line break" if char in "\r\n"
                    else "a control character" if char.isascii() else "a non-ASCII character")
            return f"contains {what} at position {position} of {len(value)}"
    return None


def _check_credential(value: str | None, what: str) -> None:
    problem = credential_problem(value) if value else None
    if problem:
        raise AuthError(f"{what} {problem}: copy it again (only printable ASCII, no spaces)")


def _margin(lifetime: float) -> float:
    # Renew a little early so a request does not leave with a token that dies in flight,
    # but not so early that a short-lived token is renewed on every request.
    return min(60.0, lifetime * 0.1)


class TokenManager:
    """Holds the current token and its local expiry; renews through `fetch(api_key)`."""

    def __init__(
        self,
        *,
        api_key: str | None,
        token: str | None,
        fetch: Callable[[str], Awaitable[Any]],
        clock: Callable[[], float] = time.monotonic,
    ):
        if not api_key and not token:
            raise ValueError("an API key or a token is required")
        _check_credential(api_key, "the API key (OMICALL_API_KEY)")
        _check_credential(token, "the token (OMICALL_TOKEN)")
        self._api_key = api_key
        self._fetch = fetch
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._failed: ReconcilerError | None = None  # a renewal that failed: not tried again
        if token:
            self._set(token)

    @property
    def can_renew(self) -> bool:
        return bool(self._api_key)

    @property
    def api_key(self) -> str | None:
        return self._api_key

    @property
    def current(self) -> str | None:
        """The token last obtained (for redaction), valid or not."""
        return self._token

    def _set(self, token: str, *, just_issued: bool = False) -> None:
        self._token = token
        lifetime = jwt_lifetime(token, just_issued=just_issued)
        if lifetime is not None and lifetime <= 0 and not just_issued:
            self._expires_at = self._clock()  # a given token already dead: renew before use
            return
        if lifetime is None or lifetime <= 0:
            # No usable `exp` (or our clock far off): trust the documented lifetime, and
            # let a 401 tell us otherwise.
            lifetime = DEFAULT_LIFETIME
        self._expires_at = self._clock() + lifetime - _margin(lifetime)

    def _fresh(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at

    async def token(self) -> str:
        """A token believed valid, renewing it first if it has expired."""
        if self._fresh() or (self._token and not self.can_renew):
            # With a bare token we cannot renew: send it and let the server judge.
            return self._token  # type: ignore[return-value]
        async with self._lock:
            if self._failed is not None:
                # Requests that waited on a renewal that failed fail the same way: a refused
                # key (or an unknown host) is asked once, not once per request in flight.
                raise self._failed
            if not self._fresh():  # another request may have renewed it while we waited
                try:
                    await self._renew()
                except ReconcilerError as err:
                    self._failed = err
                    raise
            return self._token  # type: ignore[return-value]

    async def rejected(self, token: str) -> tuple[str, bool]:
        """The server answered 401 to `token`: (a new token, whether this call obtained it).

        The token is renewed once for all the requests that saw it rejected.
        """
        if not self.can_renew:
            raise AuthError(TOKEN_ONLY_REJECTED, status=401)
        async with self._lock:
            renewed = self._token == token
            if renewed:
                await self._renew()
            return self._token, renewed  # type: ignore[return-value]

    async def _renew(self) -> None:
        payload = await self._fetch(self._api_key)  # type: ignore[arg-type]
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError("the authentication answer carried no access_token", method="GET", endpoint=AUTH_PATH)
        problem = credential_problem(token)
        if problem:
            raise AuthError(f"the access_token the API issued {problem}, so it cannot be sent back",
                            method="GET", endpoint=AUTH_PATH)
        self._set(token, just_issued=True)

    def __repr__(self) -> str:
        mode = "api_key" if self._api_key else "token"
        return f"TokenManager(mode={mode}, has_token={self._token is not None})"
