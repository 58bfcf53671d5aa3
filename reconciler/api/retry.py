"""When to retry, and how long to wait.

Exponential backoff with full jitter (AWS's "Exponential Backoff and Jitter"): the wait
before retry n is uniform in [0, min(cap, base * 2**(n-1))], so clients that failed
together do not come back together.
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

import httpx

# Retry-After above this is not honoured in full: a run should fail rather than hang.
MAX_RETRY_AFTER = 60.0
MAX_BACKOFF = 10.0

# Errors raised before any byte of the request left: a create may be retried blindly.
# Every other httpx.TransportError (read/write timeouts, resets, a connection closed
# without an answer) leaves the outcome unknown: the server may have acted.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def backoff_delay(retry: int, base: float, *, cap: float = MAX_BACKOFF, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `retry` (1-based): full jitter."""
    ceiling = min(cap, base * (2 ** (retry - 1)))
    return (rng or random).uniform(0.0, ceiling)


def retry_after(value: str | None, *, now: float | None = None, cap: float = MAX_RETRY_AFTER) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), capped; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), cap)


def is_retryable_status(status: int) -> bool:
    """429 and every 5xx are worth another try; other statuses are answers."""
    return status == 429 or 500 <= status <= 599
