"""The OMICall response envelope: `status_code` 9999 is success, anything else a failure.

A failure may arrive with HTTP 200, so the HTTP status alone never decides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.api.redact import Redactor
from reconciler.errors import ApiError, AuthError

SUCCESS = 9999
# Envelope messages that mean the credentials, not the request, are wrong.
AUTH_MESSAGES = frozenset({"api_key_invalid", "api_key_is_required"})
EXCERPT = 200


@dataclass(frozen=True)
class Where:
    """What an error says about the request: never a URL, never a query string."""

    method: str
    endpoint: str
    subject: str | None
    redact: Redactor


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """A short one-line excerpt of a response body."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _decode(response: httpx.Response) -> tuple[bool, Any]:
    """(is_json, value); value is the body text when it is not JSON."""
    raw = response.content
    try:
        return True, json.loads(raw) if raw.strip() else None
    except ValueError:
        return False, raw.decode(response.encoding or "utf-8", errors="replace")


def _text(value: Any, redact: Redactor) -> str:
    """A JSON value (a message, a body) as redacted text: strings as they are, the rest as JSON.

    Redaction comes before any excerpt, so a cut never leaves half a secret behind.
    """
    if isinstance(value, str):
        return redact(value) or ""
    return redact.dump(value)


def _message(value: dict, redact: Redactor) -> str | None:
    message = value.get("message")
    return _text(message, redact) if message not in (None, "") else None


def server_message(response: httpx.Response, redact: Redactor) -> str | None:
    """The envelope's `message`, or an excerpt of a body that is not an envelope."""
    is_json, value = _decode(response)
    if is_json and isinstance(value, dict):
        return _message(value, redact)
    if not is_json and value.strip():
        return excerpt(redact(value) or "")
    return None


def unwrap(response: httpx.Response, where: Where) -> Any:
    """The payload of a successful envelope; ApiError (AuthError for credential codes) otherwise.

    An empty body, `{}` or `null` with HTTP 2xx is success with payload None: the vendor
    documents such answers for several updates.
    """
    status = response.status_code
    ok_http = 200 <= status < 300
    is_json, value = _decode(response)
    fields = dict(method=where.method, endpoint=where.endpoint, status=status, subject=where.subject)
    if not is_json:
        raise ApiError(
            f"the API answered with a body that is not JSON: {excerpt(where.redact(value) or '') or '(empty)'}",
            **fields,
        )
    if ok_http and (value is None or value == {}):
        return None
    if not isinstance(value, dict) or "status_code" not in value:
        detail = "a JSON body that is not an OMICall envelope" if ok_http else f"HTTP {status}"
        raise ApiError(f"the API answered with {detail}: {excerpt(where.redact.dump(value))}", **fields)
    message = _message(value, where.redact)
    if ok_http and str(value.get("status_code")) == str(SUCCESS):
        return value.get("payload")
    error = AuthError if (message in AUTH_MESSAGES or status in (401, 403)) else ApiError
    raise error("the API refused the request", server_message=message, **fields)
