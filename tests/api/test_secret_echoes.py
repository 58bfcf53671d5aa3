"""A password the server echoes back escaped (JSON, HTML, URL encoding) is masked too."""

from __future__ import annotations

import asyncio
import html
import json
import urllib.parse

import httpx
import pytest

from reconciler.api import ApiError
from reconciler.api.redact import MASK, Redactor, escaped_forms

from .fakes import FakeApi

UPDATE = "/api/call_center/internal_phone/update"
# Quotes, a backslash, markup, an ampersand and Vietnamese: every escaping changes it.
PASSWORD = 'Mật<khẩu>&"q9Z\\x'
FRAGMENTS = ("khẩu", "kh%E1", "kh\\u1ea9u", "q9Z")


def _leaks(text: str) -> list[str]:
    return [f for f in FRAGMENTS if f in text]


ECHOES = {
    "raw json body": lambda sent, raw: (400, "application/json", json.dumps({"request": sent}).encode()),
    "json, ascii escapes": lambda sent, raw: (400, "application/json", json.dumps({"v": sent["password"]}).encode()),
    "json, unicode kept": lambda sent, raw: (
        400, "application/json", json.dumps({"v": sent["password"]}, ensure_ascii=False).encode()),
    "json in the envelope message": lambda sent, raw: (
        200, "application/json", json.dumps({"status_code": -9999, "message": {"echo": [sent["password"]]}}).encode()),
    "html debug page": lambda sent, raw: (500, "text/html", f"<pre>{html.escape(raw.decode())}</pre>".encode()),
    "html, quotes kept": lambda sent, raw: (500, "text/html", html.escape(sent["password"], quote=False).encode()),
    "urlencode": lambda sent, raw: (500, "text/plain", ("bad: " + urllib.parse.urlencode(sent)).encode()),
    "quote": lambda sent, raw: (500, "text/plain", ("bad value " + urllib.parse.quote(sent["password"])).encode()),
    "long body, cut at the excerpt": lambda sent, raw: (
        500, "text/plain", ("x" * 190 + sent["password"] + "y" * 50).encode()),
}


@pytest.mark.parametrize("echo", sorted(ECHOES))
def test_an_echoed_password_is_masked_in_any_encoding(echo):
    api = FakeApi()

    def handler(request: httpx.Request) -> httpx.Response:
        status, kind, body = ECHOES[echo](json.loads(request.content), request.content)
        return httpx.Response(status, content=body, headers={"Content-Type": kind})

    api.route("POST", UPDATE, handler)

    async def update():
        async with api.client(max_retries=0) as client:
            await client.send("POST", UPDATE, json={"sip_user": "101", "password": PASSWORD})

    with pytest.raises(ApiError) as caught:
        asyncio.run(update())
    assert not _leaks(str(caught.value)), str(caught.value)
    assert MASK in str(caught.value)


def test_escaped_forms():
    forms = escaped_forms('a"b<c> d&é')
    assert {'a"b<c> d&é', 'a\\"b<c> d&é', 'a\\"b<c> d&\\u00e9', "a&quot;b&lt;c&gt; d&amp;é",
            'a"b&lt;c&gt; d&amp;é', "a%22b%3Cc%3E%20d%26%C3%A9", "a%22b%3Cc%3E+d%26%C3%A9"} <= forms


def test_the_decoded_json_is_redacted_before_it_is_dumped():
    redact = Redactor([PASSWORD])
    value = {"user": "101", "nested": [{"v": PASSWORD}], "sip_password": "something else", "n": 5}
    text = redact.dump(value)
    assert json.loads(text) == {"user": "101", "nested": [{"v": MASK}], "sip_password": MASK, "n": 5}
