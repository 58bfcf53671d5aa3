"""Keep secrets out of every message the client builds.

The client knows three kinds of secret: the API key, the bearer token, and whatever a
request body carries under a secret-looking key (an extension's `password`). Anything the
server echoes back, and any text from a transport error, goes through `Redactor` before it
reaches an exception.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

MASK = "***"
_SECRET_KEY = re.compile(r"password|secret|token|api_?key", re.IGNORECASE)
# Shapes a secret takes in text even when we do not know its value.
_PATTERNS = (
    re.compile(r"(apiKey=)[^&\s\"']+", re.IGNORECASE),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(r"(\"[^\"]*(?:password|secret|token|api_?key)[^\"]*\"\s*:\s*\")[^\"]*", re.IGNORECASE),
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


class Redactor:
    """Replaces known secret values and secret-shaped text with `***`."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def with_(self, more: Iterable[str | None]) -> Redactor:
        """A redactor that also masks `more`."""
        return Redactor([*self._secrets, *more])

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


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
