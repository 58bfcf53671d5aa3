"""Malformed answers on every kind of request (auth, list, create, update, delete): an
HTML error page, truncated JSON, wrong types, missing keys, a huge body, a slow drip.
Each gives a clear error naming the endpoint, never a traceback; what the server did is
never guessed at (a re-run finds it and completes the work without duplicates); and the
wait is bounded."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from reconciler.api import OmicallClient
from reconciler.errors import ApiError
from tests.e2e.evil_server import DripServer, Evil, evil, rewrite_answers  # noqa: F401

HTML = b"<html><head><title>Maintenance</title></head><body><h1>We'll be back soon</h1></body></html>"
ANSWERS = {
    "an HTML page with status 200": lambda body: (200, {"Content-Type": "text/html"}, HTML),
    "truncated JSON": lambda body: (200, {"Content-Type": "application/json"}, body[: len(body) // 2]),
    "payload of the wrong type": lambda body: (200, {"Content-Type": "application/json"},
                                               json.dumps({"status_code": 9999, "payload": "ok"}).encode()),
    "no status_code": lambda body: (200, {"Content-Type": "application/json"},
                                    json.dumps({"payload": json.loads(body).get("payload")}).encode()),
    "a JSON list": lambda body: (200, {"Content-Type": "application/json"}, b"[1, 2, 3]"),
    "a 40 MB body": lambda body: (200, {"Content-Type": "application/json"},
                                  b'{"status_code": 9999, "payload": "' + b"x" * (40 * 1024 * 1024) + b'"}'),
}
# (method, path part, the endpoint the error must name)
ENDPOINTS = {
    "auth": ("GET", "/api/auth", "/api/auth"),
    "list": ("GET", "/internal_group/list", "/api/call_center/internal_group/list"),
    "create": ("POST", "/internal_group/add", "/api/call_center/internal_group/add"),
    "update": ("POST", "/internal_phone/update", "/api/call_center/internal_phone/update"),
    "delete": ("DELETE", "/internal_group/delete", "/api/call_center/internal_group/delete"),
}


@pytest.mark.parametrize("answer", sorted(ANSWERS))
@pytest.mark.parametrize("request_kind", sorted(ENDPOINTS))
def test_a_malformed_answer_is_a_clear_error_and_a_rerun_completes_the_work(evil: Evil, request_kind: str,
                                                                            answer: str):
    method, path, endpoint = ENDPOINTS[request_kind]
    rewrite_answers(evil.sim, method, path, ANSWERS[answer])
    result = evil.run("apply", str(evil.manifests), "--auto-approve")
    uncaught = result.exception if not isinstance(result.exception, SystemExit) else None
    assert uncaught is None, f"uncaught {type(uncaught).__name__}: {uncaught}\n{result.output}"
    assert "Traceback" not in result.output
    if request_kind == "delete" or (request_kind, answer) == ("update", "payload of the wrong type"):
        # Not guessed either: a delete whose answer cannot be read is checked by reading
        # the list (gone is what was asked), and an update's payload carries nothing the
        # reconciler reads (the doc shows {} or none). The plan afterwards verifies both.
        assert result.exit_code == 0, result.output
        assert not [g for g in evil.sim.snapshot()["groups"] if g["group_name"] == "Nhóm Tech"]
    else:
        assert result.exit_code == 1, result.output
        assert f"{method} {endpoint}" in result.output, result.output

    evil.sim.hooks.clear()  # the server mends: the next run finds what was done and finishes
    again = evil.run("apply", str(evil.manifests), "--auto-approve")
    assert again.exit_code == 0, again.output
    snap = evil.sim.snapshot()
    for kind, field in [("groups", "group_name"), ("ivr_menus", "script_name"), ("call_scripts", "script_name"),
                        ("greetings", "greeting_name")]:
        names = Counter(i[field] for i in snap[kind])
        assert all(n == 1 for n in names.values()), (kind, names)
    assert evil.run("plan", str(evil.manifests), "--detailed-exitcode").exit_code == 0


def test_a_slow_drip_is_given_up_within_the_timeout_and_names_the_endpoint():
    server = DripServer(pause=0.05)  # the whole answer would take about 30 s

    async def read() -> None:
        async with OmicallClient(server.url, token="t", timeout=0.5, max_retries=1, backoff=0) as client:
            await client.list_all("/api/call_center/internal_group/list")

    try:
        with pytest.raises(ApiError) as caught:
            asyncio.run(read())
    finally:
        server.stop()
    message = str(caught.value)
    assert "/api/call_center/internal_group/list" in message
    assert "no complete answer within 0.5 s" in message
