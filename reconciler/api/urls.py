"""Base-URL policy and the endpoint text errors may show.

Errors and logs only ever name an endpoint by its path: the auth URL carries the API key in
its query string, so a query string is never shown anywhere.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx

from reconciler.errors import ReconcilerError

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
_LOOKS_LIKE = "it must look like https://host[:port] (e.g. https://public-v1-stg.omicall.com)"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: the only hosts plain http is allowed to."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(url: str) -> str:
    """The validated base URL, without a trailing slash.

    https is required, except for loopback hosts (the simulator, a local tunnel). The URL
    must not carry credentials, a query or a fragment. Messages never echo the URL, in
    case it carries something secret.
    """
    try:
        parts = urlsplit(url.strip())
        scheme, hostname = parts.scheme.lower(), parts.hostname
    except ValueError:  # e.g. "http://[::1": an unclosed or invalid IPv6 literal
        raise ReconcilerError(f"the API URL is malformed; {_LOOKS_LIKE}") from None
    if scheme not in ("http", "https") or not hostname:
        raise ReconcilerError(f"the API URL {_LOOKS_LIKE.removeprefix('it ')}")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise ReconcilerError("the API URL must not carry credentials, a query string or a fragment")
    if scheme == "http" and not is_loopback(hostname):
        raise ReconcilerError(
            "plain http:// is only accepted for loopback addresses (127.0.0.0/8, ::1, localhost); "
            "use https:// for a remote API"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ReconcilerError("the API URL has an invalid port") from None
    if any(c.isspace() or not c.isprintable() for c in url.strip()):
        raise ReconcilerError("the API URL must not contain spaces or control characters")
    result = f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    try:
        httpx.URL(result)  # what the client will do with it: IDNA, IPv6 literals, ports
    except (httpx.InvalidURL, ValueError):
        raise ReconcilerError(f"the API URL has an invalid host name or address; {_LOOKS_LIKE}") from None
    return result


def endpoint(path: str) -> str:
    """`path` without its query string or fragment: what errors and logs may show."""
    return path.split("?", 1)[0].split("#", 1)[0]


def check_path(path: str) -> str:
    """Refuse anything but an absolute path on the API host.

    An absolute URL would make httpx send our bearer token to another host.
    """
    if not path.startswith("/") or path.startswith("//") or "://" in endpoint(path):
        raise ValueError(f"API paths must start with a single '/': {endpoint(path)!r}")
    return path
