"""Helpers for the simulator tests: an authenticated client over either transport,
and the JSON shape comparison against the doc's examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from reconciler.simulator import Simulator

FIXTURES = Path(__file__).parent / "fixtures"
CC = "/api/call_center"
ENVELOPE_KEYS = {"status_code", "instance_id", "instance_version", "payload", "key_enabled"}
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) + b"\r\n--not-a-boundary\r\n\x00\xff"


def fixture(name: str) -> dict[str, Any]:
    """A doc example, as copied into tests/simulator/fixtures."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {dict: "object", list: "array", str: "string", float: "number"}[type(value)]


def shape_mismatches(doc: Any, actual: Any, where: str = "$") -> list[str]:
    """Differences in shape between a doc example and an actual value: same keys
    recursively, same JSON types; ``null`` in the doc matches anything; each element
    of an actual array must match at least one element of a non-empty doc array."""
    if doc is None:
        return []
    if actual is None or _kind(doc) != _kind(actual):
        return [f"{where}: doc has {_kind(doc)}, got {'null' if actual is None else _kind(actual)}"]
    if isinstance(doc, dict):
        problems = [f"{where}: missing key {k!r}" for k in doc if k not in actual]
        problems += [f"{where}: extra key {k!r}" for k in actual if k not in doc]
        for key in doc.keys() & actual.keys():
            problems += shape_mismatches(doc[key], actual[key], f"{where}.{key}")
        return problems
    if isinstance(doc, list) and doc:
        problems = []
        for i, element in enumerate(actual):
            candidates = [shape_mismatches(d, element, f"{where}[{i}]") for d in doc]
            if all(candidates):
                problems += min(candidates, key=len)
        return problems
    return []


class Api:
    """An authenticated client; ``ok`` returns the payload of a success envelope,
    ``fail`` the message of an HTTP-200 failure envelope."""

    def __init__(self, sim: Simulator, client: httpx.Client) -> None:
        self.sim = sim
        self.client = client
        token = client.get("/api/auth", params={"apiKey": sim.api_key}).json()["payload"]["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A raw response (``path`` is relative to /api/call_center unless absolute)."""
        url = path if path.startswith("/api/") else f"{CC}/{path}"
        return self.client.request(method, url, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The payload of a successful call (asserts HTTP 200, 9999, envelope keys)."""
        response = self.call(method, path, **kwargs)
        body = response.json()
        assert response.status_code == 200, body
        assert body["status_code"] == 9999, body
        assert set(body) >= ENVELOPE_KEYS, body
        assert set(body) == ENVELOPE_KEYS or self.sim.tenant.reads("extra-fields"), body
        return body["payload"]

    def fail(self, method: str, path: str, **kwargs: Any) -> str:
        """The message of a refused call (HTTP 200, status_code -9999)."""
        response = self.call(method, path, **kwargs)
        body = response.json()
        assert response.status_code == 200, body
        assert body["status_code"] == -9999, body
        assert body["payload"] is None
        return body["message"]

    def group(self, name: str) -> dict[str, Any]:
        """The list item of the group named ``name``."""
        items = self.ok("GET", "internal_group/list", params={"size": 100})["items"]
        (found,) = [g for g in items if g["group_name"] == name]
        return found


def open_api(sim: Simulator, mode: str) -> Api:
    """An :class:`Api` over real HTTP (``mode="http"``, the simulator must be
    started) or in-process (``mode="inproc"``)."""
    if mode == "http":
        # plain HTTP on loopback: skip building a TLS context (tens of ms per client)
        client = httpx.Client(base_url=sim.start(), timeout=5, verify=False)
    else:
        client = httpx.Client(base_url="http://sim.invalid", transport=sim.transport(), timeout=5)
    return Api(sim, client)
