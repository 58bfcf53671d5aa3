"""The one error type the simulated server raises while handling a request."""

from __future__ import annotations


class ApiError(Exception):
    """A failure reported to the caller as an envelope with ``status_code: -9999``.

    ``http_status`` is 200 for validation failures (the vendor reports those in the
    envelope only) and 401 for authentication failures.
    """

    def __init__(self, message: str, http_status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status


class SeedError(ValueError):
    """A seed (JSON/YAML/dict) that cannot be turned into a consistent tenant."""
