"""The API key, the token and passwords never reach a message, a log line or a repr."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from reconciler.api import ApiError, OmicallClient
from reconciler.simulator import Simulator

from .fakes import API_KEY, BASE, FakeApi, ok, refused

UPDATE = "/api/call_center/internal_phone/update"
PASSWORD = "s1p-Pa55w0rd-xyz"


def run(coro):
    return asyncio.run(coro)


def _secrets(api: FakeApi) -> list[str]:
    return [API_KEY, PASSWORD, *api.valid]


def _assert_clean(text: str, api: FakeApi) -> None:
    for secret in _secrets(api):
        assert secret not in text, f"a secret leaked into: {text}"


async def _update(api: FakeApi, **kw):
    async with api.client(**kw) as client:
        await client.send("POST", UPDATE, json={"sip_user": "101", "password": PASSWORD}, subject="extension '101'")


def test_an_echoed_request_is_masked_in_the_error():
    api = FakeApi()

    def echo(request: httpx.Request) -> httpx.Response:
        # A careless server that echoes the body and the headers in its message.
        message = f"bad body {request.content.decode()} headers {dict(request.headers)}"
        return httpx.Response(200, json={"status_code": -9999, "message": message})

    api.route("POST", UPDATE, echo)
    with pytest.raises(ApiError) as caught:
        run(_update(api))
    _assert_clean(str(caught.value), api)
    _assert_clean(caught.value.server_message or "", api)
    assert "***" in str(caught.value)



def test_a_value_the_caller_says_is_secret_is_masked_under_any_key():
    api = FakeApi()
    api.route("POST", UPDATE, lambda r: httpx.Response(200, json={"status_code": -9999,
                                                                  "message": f"bad {r.content.decode()}"}))

    async def update() -> None:
        async with api.client() as client:
            client.redact_also(["note-from-env-123"])
            await client.send("POST", UPDATE, json={"sip_user": "101", "note": "note-from-env-123"})

    with pytest.raises(ApiError) as caught:
        run(update())
    assert "note-from-env-123" not in str(caught.value) and "***" in str(caught.value)

def test_a_non_json_echo_is_masked_too():
    api = FakeApi()
    api.route("POST", UPDATE, lambda r: httpx.Response(502, text=f"proxy error for {r.url} {r.content.decode()}"))
    with pytest.raises(ApiError) as caught:
        run(_update(api, max_retries=1))
    _assert_clean(str(caught.value), api)


def test_transport_errors_that_carry_the_auth_url_are_masked_and_not_chained():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}")

    async def go():
        async with OmicallClient(BASE, api_key=API_KEY, transport=httpx.MockTransport(handler), max_retries=1,
                                 backoff=0.001) as client:
            await client.get("/api/call_center/internal_group/list?keyword=abc")

    with pytest.raises(ApiError) as caught:
        run(go())
    err = caught.value
    assert API_KEY not in str(err) and "apiKey" not in str(err).replace("apiKey=***", "")
    assert err.endpoint == "/api/auth"
    assert err.__cause__ is None and err.__context__ is None  # the httpx exception is not kept around


def test_endpoints_in_errors_never_carry_a_query():
    api = FakeApi()
    api.route("PUT", "/api/call_center/internal_phone/status", lambda r: httpx.Response(404))

    async def go():
        async with api.client() as client:
            await client.send("PUT", "/api/call_center/internal_phone/status?enabled=true&sip_user=101")

    with pytest.raises(ApiError) as caught:
        run(go())
    assert caught.value.endpoint == "/api/call_center/internal_phone/status"
    assert "?" not in str(caught.value)


def test_the_client_repr_shows_no_secret():
    client = OmicallClient(BASE, api_key=API_KEY)
    assert API_KEY not in repr(client) and API_KEY not in str(client)
    assert repr(client) == f"OmicallClient(url='{BASE}', auth=api_key, concurrency={client.concurrency})"
    token_client = OmicallClient(BASE, token="tok-abcdef-123456")
    assert "tok-abcdef-123456" not in repr(token_client) and "tok-abcdef-123456" not in repr(token_client._tokens)
    run(client.aclose())
    run(token_client.aclose())


def test_http_library_debug_logs_do_not_show_the_api_key_or_token(caplog):
    """Over real HTTP, with every logger at DEBUG: httpcore traces each connection and
    request (the auth request's URL carries the key), and no line shows a secret."""
    sim = Simulator()
    url = sim.start()

    async def go():
        async with OmicallClient(url, api_key=sim.api_key) as client:
            await client.get("/api/call_center/internal_phone/list", params={"page": 1, "size": 5})
            return client._tokens.current

    try:
        with caplog.at_level(logging.DEBUG):
            token = run(go())
    finally:
        sim.stop()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "connect_tcp" in logged and "send_request_headers" in logged  # the library did log the requests ...
    assert sim.api_key not in logged and token and token not in logged  # ... without the key or the token


def test_retry_logs_show_no_secret(caplog):
    api = FakeApi()
    calls = []

    def flaky(request):
        calls.append(1)
        return httpx.Response(503, text=f"{request.content.decode()}") if len(calls) == 1 else ok(None)

    api.route("POST", UPDATE, flaky)
    with caplog.at_level(logging.DEBUG, logger="reconciler.api"):
        run(_update(api))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("reconciler"))
    assert "retry 1 of" in logged
    _assert_clean(logged, api)


def test_a_password_quoted_in_free_text_is_masked():
    api = FakeApi()
    api.route("POST", UPDATE, lambda r: refused(f"password {PASSWORD} is too weak for extension 101"))
    with pytest.raises(ApiError) as caught:
        run(_update(api))
    assert PASSWORD not in str(caught.value)
    assert "is too weak for extension 101" in str(caught.value)
