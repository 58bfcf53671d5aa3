"""Keep secrets out of every message the client builds.

The client knows three kinds of secret: the API key, the bearer token, and whatever a
request body carries under a secret-looking key (an extension's `password`). Anything the
server echoes back, and any text from a transport error, goes through `Redactor` before it
reaches an exception.
"""

from __future__ import annotations

import html
import json
import logging
import re
import urllib.parse
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

MASK = "***"
_SECRET_KEY = re.compile(r"password|secret|token|api_?key", re.IGNORECASE)
# Shapes a secret takes in text even when we do not know its value.
_PATTERNS = (
    re.compile(r"(apiKey=)[^&\s\"']+", re.IGNORECASE),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(r"(\"[^\"]*(?:password|secret|token|api_?key)[^\"]*\"\s*:\s*\")(?:[^\"\\]|\\.)*", re.IGNORECASE),
    # A form-encoded echo: password=...&
    re.compile(r"(\b[a-z_]*(?:password|secret|token)[a-z_]*=)[^&\s\"'<]+", re.IGNORECASE),
)


def secret_values(body: Any) -> list[str]:
    """String values under secret-looking keys anywhere in a JSON-like body."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(key, str) and _SECRET_KEY.search(key) and isinstance(value, (str, int)):
                found.append(str(value))
            else:
                found.extend(secret_values(value))
    elif isinstance(body, (list, tuple)):
        for value in body:
            found.extend(secret_values(value))
    return found


@lru_cache(maxsize=64)
def escaped_forms(secret: str) -> frozenset[str]:
    """`secret` as a server may echo it: raw, JSON-escaped (ASCII or not), HTML-escaped,
    URL-encoded (quote, quote_plus), and HTML-escaped JSON (a framework's debug page
    quoting the request body). Remembered: every request's redactor asks for the API
    key's and the token's (a tenth of a millisecond each, per request)."""
    forms = {secret}
    for text in (json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
        forms.add(text)
    for text in list(forms):
        forms.update((html.escape(text), html.escape(text, quote=False)))
    for text in list(forms):
        forms.update((urllib.parse.quote(text, safe=""), urllib.parse.quote(text), urllib.parse.quote_plus(text)))
    return frozenset(f for f in forms if f)


# A secret this long is masked wherever it appears; a shorter one only as a whole token, so
# that a short key ("key") does not garble the words around it ("api_***_invalid").
WHOLE_TOKEN_BELOW = 12


def mask(text: str, secret: str) -> str:
    """`text` with `secret` replaced by `***`: anywhere if long, as a whole token if short."""
    if len(secret) >= WHOLE_TOKEN_BELOW:
        return text.replace(secret, MASK)
    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(secret)}(?![A-Za-z0-9_])", MASK, text)


class Redactor:
    """Replaces known secret values (in any escaped form) and secret-shaped text with `***`."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        self._given = {s for s in secrets if s}
        forms = {form for secret in self._given for form in escaped_forms(secret)}
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted(forms, key=len, reverse=True)

    def json(self, value: Any) -> Any:
        """A decoded JSON value with every string redacted, and every value under a
        secret-looking key masked whole: done before dumping, since the dump escapes a
        secret's quotes and backslashes into text the raw secret no longer matches."""
        if isinstance(value, dict):
            return {
                self(str(k)): MASK if isinstance(k, str) and _SECRET_KEY.search(k) and v not in (None, "")
                else self.json(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, str):
            return self(value)
        return value

    def dump(self, value: Any) -> str:
        """A JSON value as one line of redacted text."""
        return self(json.dumps(self.json(value), ensure_ascii=False)) or ""

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        for secret in self._secrets:
            text = mask(text, secret)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._given)} secrets)"


class _HttpxLogFilter(logging.Filter):
    """httpx logs every request URL at INFO; the auth URL carries the API key."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        record.msg, record.args = Redactor()(message), None
        return True


_installed = False


def install_httpx_log_filter() -> None:
    """Mask `apiKey=` and bearer tokens in httpx's own request log (once per process)."""
    global _installed
    if not _installed:
        logging.getLogger("httpx").addFilter(_HttpxLogFilter())
        _installed = True
