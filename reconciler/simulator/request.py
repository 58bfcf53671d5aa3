"""One incoming request, already split into the parts handlers use."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError


@dataclass
class Request:
    """A request as the handlers see it: headers are lower-cased, the query keeps the
    first value of each parameter, ``params`` holds path parameters (``:id``)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    @property
    def is_json(self) -> bool:
        """Whether the body is declared as JSON (like a JSON body parser, the server
        ignores bodies of other content types)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"

    def json_or_none(self) -> Any:
        """The parsed JSON body, or None when absent or not JSON."""
        if not self.is_json or not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def json(self) -> dict[str, Any]:
        """The JSON object body; ``request_body_required`` when missing or empty."""
        if not self.is_json or not self.body.strip():
            raise ApiError("request_body_required")
        try:
            data = json.loads(self.body)
        except ValueError:
            raise ApiError("request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError("request body must be a JSON object")
        if not data:
            raise ApiError("request_body_required")
        return data
