"""The request log tests read: what was called, with secrets removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REDACTED = "***"
# apiKey (query of /api/auth) and extension passwords never reach the log; the
# Authorization header is not recorded at all.
_SECRET_KEYS = {"apikey", "password", "access_token", "sip_password"}


@dataclass
class RequestRecord:
    """One request as the server saw it. ``json`` is None for non-JSON bodies
    (multipart uploads); ``status`` is None when the connection was dropped;
    ``fault`` names the injected fault that hit the request, if any."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int | None = None
    fault: str | None = None


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret-named keys masked."""
    if isinstance(value, dict):
        return {k: REDACTED if str(k).lower() in _SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
