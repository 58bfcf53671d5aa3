"""API-key exchange and Bearer-token checks (HS256 JWTs signed per simulator)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any, Mapping

from .errors import ApiError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and verifies access tokens; a fresh secret per simulator means tokens
    from another simulator instance are rejected."""

    def __init__(self, tenant_id: str) -> None:
        self._secret = secrets.token_bytes(32)
        self._tenant_id = tenant_id
        # token -> its expiry, once its signature was checked: a big apply sends the same
        # token thousands of times, and an HMAC and a JSON parse each time showed in profiles.
        self._checked: dict[str, float] = {}

    def issue(self, ttl: float) -> dict[str, Any]:
        """The ``/api/auth`` payload: a JWT-shaped token expiring after ``ttl`` seconds."""
        now = time.time()
        # exp keeps milliseconds: tests use sub-second TTLs.
        claims = {"sub": self._tenant_id, "iat": int(now), "exp": round(now + ttl, 3)}
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return {"access_token": f"{head}.{body}.{signature}", "token_type": "Bearer", "access_type": "normal"}

    def verify(self, headers: Mapping[str, str]) -> None:
        """Raise a 401 :class:`ApiError` unless ``headers`` carry a valid, unexpired token."""
        value = headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if not value:
            raise ApiError("token_is_required", 401)
        if scheme.lower() != "bearer" or token.count(".") != 2:
            raise ApiError("token_invalid", 401)
        token = token.strip()
        expires = self._checked.get(token)
        if expires is None:
            expires = self._expiry(token)
            if len(self._checked) >= 1024:
                self._checked.clear()
            self._checked[token] = expires
        if time.time() >= expires:
            raise ApiError("token_expired", 401)

    def _expiry(self, token: str) -> float:
        """The expiry of a token this simulator signed (401 for any other)."""
        head, body, signature = token.split(".")
        expected = _b64(hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            raise ApiError("token_invalid", 401)
        try:
            return float(json.loads(_unb64(body)).get("exp", 0))
        except (ValueError, AttributeError, TypeError):
            raise ApiError("token_invalid", 401) from None


def exchange_api_key(query: Mapping[str, str], api_key: str, issuer: TokenIssuer, ttl: float) -> dict[str, Any]:
    """``GET /api/auth?apiKey=``: the token payload, or the documented error codes."""
    given = query.get("apiKey", "")
    if not given:
        raise ApiError("api_key_is_required")
    if not hmac.compare_digest(given.encode(), api_key.encode()):
        raise ApiError("api_key_invalid", 401)
    return issuer.issue(ttl)
