"""The vendor's response envelope and its paginated list payload."""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

from .errors import ApiError

SUCCESS = 9999
FAILURE = -9999
_INSTANCE = {"instance_id": "sim", "instance_version": "1.2.164"}


def success(payload: Any) -> dict[str, Any]:
    """A success envelope around ``payload``."""
    return {"status_code": SUCCESS, **_INSTANCE, "payload": payload, "key_enabled": False}


def failure(message: str) -> dict[str, Any]:
    """A failure envelope; ``message`` is the vendor's error code or text."""
    return {
        "status_code": FAILURE,
        "message": message,
        **_INSTANCE,
        "payload": None,
        "key_enabled": False,
    }


def _positive_int(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(f"{name} must be an integer") from None
    if value < 1:
        raise ApiError(f"{name} must be >= 1")
    return value


def page(
    items: Sequence[Any],
    query: Mapping[str, str],
    *,
    default_size: int,
    max_size: int,
    with_extension: bool,
    render: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """Slice ``items`` by the ``page``/``size`` query parameters (pages start at 1).

    ``size`` above ``max_size`` is capped, not rejected. ``with_extension`` adds the
    ``"extension": null`` key some list endpoints carry. ``render`` turns a stored
    record into a list item, for the page's records only (rendering every record for
    every page made reading a list of 10,000 take minutes).
    """
    number = _positive_int(query, "page", 1)
    size = min(_positive_int(query, "size", default_size), max_size)
    total = len(items)
    pages = math.ceil(total / size)
    start = (number - 1) * size
    has_next = number < pages
    has_previous = number > 1
    payload: dict[str, Any] = {
        "items": [render(i) for i in items[start : start + size]] if render else list(items[start : start + size]),
        "page_number": number,
        "page_size": size,
        "total_items": total,
        "total_pages": pages,
        "has_next": has_next,
        # The doc shows next_page = current page and previous_page = 1 when there is none.
        "next_page": number + 1 if has_next else number,
        "has_previous": has_previous,
        "previous_page": number - 1 if has_previous else 1,
    }
    if with_extension:
        payload["extension"] = None
    return payload
