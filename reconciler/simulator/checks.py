"""Field validation for request bodies and query strings.

Each helper returns the parsed value or raises :class:`ApiError` (HTTP 200,
``status_code: -9999``), the way the vendor reports a bad field. Types follow the
doc: where it says *Integer* a JSON integer is required; where it says *String* for
a number (TTS ``speed``, ``call_timeout``, criteria values) a numeric string or a
number is accepted.
"""

from __future__ import annotations

import re
from typing import Any, Container, Iterable, Mapping

from .errors import ApiError

_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
_MISSING = object()


def required(body: Mapping[str, Any], key: str) -> Any:
    """The value of a required field (``null`` counts as missing)."""
    value = body.get(key, _MISSING)
    if value is _MISSING or value is None:
        raise ApiError(f"{key} is required")
    return value


def text(value: Any, key: str, *, allow_empty: bool = False, max_len: int | None = None) -> str:
    """A string field; blank is rejected unless ``allow_empty``."""
    if not isinstance(value, str):
        raise ApiError(f"{key} must be a string")
    if not allow_empty and not value.strip():
        raise ApiError(f"{key} must not be empty")
    if max_len is not None and len(value) > max_len:
        raise ApiError(f"{key} must be at most {max_len} characters")
    return value


def integer(value: Any, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A JSON integer (booleans and strings rejected) within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(f"{key} must be an integer")
    return _bounded(value, key, minimum, maximum)


def numeric(value: Any, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer given as a number or as a decimal string (``"10"``, ``"-3"``)."""
    if isinstance(value, bool):
        raise ApiError(f"{key} must be a number")
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise ApiError(f"{key} must be a number")
    return _bounded(value, key, minimum, maximum)


def _bounded(value: int, key: str, minimum: int | None, maximum: int | None) -> int:
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = "-inf" if minimum is None else minimum
        high = "inf" if maximum is None else maximum
        raise ApiError(f"{key} out of range [{low}, {high}]: {value}")
    return value


def one_of(value: Any, key: str, choices: Iterable[Any]) -> Any:
    """``value`` if it is one of ``choices`` (compared with type, so 1 != "1")."""
    options = list(choices)
    if not any(type(value) is type(c) and value == c for c in options):
        shown = ", ".join(repr(c) for c in options)
        raise ApiError(f"{key} must be one of {shown}")
    return value


def bool_string(value: Any, key: str) -> bool:
    """The doc's string booleans: exactly ``"true"`` or ``"false"``."""
    if value not in ("true", "false") or not isinstance(value, str):
        raise ApiError(f'{key} must be the string "true" or "false"')
    return value == "true"


def string_list(value: Any, key: str) -> list[str]:
    """A JSON array of non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ApiError(f"{key} must be an array of strings")
    return list(value)


def existing(value: Any, key: str, known: Container[str], what: str) -> list[str]:
    """A JSON array of ids of existing objects (``what``: their name in the error), each
    once, in first-seen order."""
    ids = string_list(value, key)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ApiError(f"{key}: {what} not found: {', '.join(unknown)}")
    return list(dict.fromkeys(ids))


def object_list(value: Any, key: str) -> list[dict[str, Any]]:
    """A JSON array of objects."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ApiError(f"{key} must be an array of objects")
    return list(value)


def object_id(value: Any, key: str) -> str:
    """A 24-hex object id."""
    if not isinstance(value, str) or not _OBJECT_ID.match(value):
        raise ApiError(f"{key} is not a valid id: {value!r}")
    return value


def query_value(query: Mapping[str, str], key: str) -> str:
    """A required, non-empty query parameter."""
    value = query.get(key, "")
    if not value.strip():
        raise ApiError(f"{key} is required")
    return value
