"""The OMICall HTTP client: auth, envelope, pages, retries, concurrency. It knows no kind."""

from reconciler.api.client import DEFAULT_CONCURRENCY, OmicallClient
from reconciler.errors import ApiError, AuthError, ReconcilerError

__all__ = ["DEFAULT_CONCURRENCY", "ApiError", "AuthError", "OmicallClient", "ReconcilerError"]
