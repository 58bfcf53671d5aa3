"""Every answer is checked against the envelope, whatever its HTTP status."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from reconciler.api import ApiError, AuthError

from .fakes import FakeApi, ok, refused

PATH = "/api/call_center/internal_group/list"


def run(coro):
    return asyncio.run(coro)


async def _get(api: FakeApi, path: str = PATH, **kw):
    async with api.client(**kw) as client:
        return await client.get(path)


def test_success_returns_the_payload():
    api = FakeApi()
    api.route("GET", PATH, lambda r: ok({"items": [{"_id": "a"}]}))
    assert run(_get(api)) == {"items": [{"_id": "a"}]}


def test_failure_with_http_200_raises_with_the_server_message():
    api = FakeApi()
    api.route("POST", "/api/call_center/key-interaction/add", lambda r: refused("script_name must be unique"))

    async def go():
        async with api.client() as client:
            await client.create("POST", "/api/call_center/key-interaction/add", json={"script_name": "Menu chính"},
                                subject="ivr_menu 'Menu chính'", find_existing=_never)

    with pytest.raises(ApiError) as caught:
        run(go())
    err = caught.value
    assert (err.method, err.endpoint, err.status) == ("POST", "/api/call_center/key-interaction/add", 200)
    assert err.server_message == "script_name must be unique"
    assert str(err).startswith("ivr_menu 'Menu chính':")
    assert "script_name must be unique" in str(err)
    assert len(api.calls("POST", "/api/call_center/key-interaction/add")) == 1  # an answer is not retried


async def _never():
    raise AssertionError("find_existing must not be called for a definite answer")


@pytest.mark.parametrize("body", [b"", b"  \n", b"{}", b"{\n   \n}", b"null"])
def test_empty_answers_to_updates_are_success(body):
    api = FakeApi()
    api.route("POST", "/api/call_center/internal_phone/update", lambda r: httpx.Response(200, content=body))

    async def go():
        async with api.client() as client:
            return await client.send("POST", "/api/call_center/internal_phone/update", json={"sip_user": "101"})

    assert run(go()) is None


def test_a_body_that_is_not_json_is_an_error_with_a_short_excerpt():
    page = "<html><body>" + "Bad gateway " * 100 + "</body></html>"
    api = FakeApi()
    api.route("GET", PATH, lambda r: httpx.Response(200, text=page))
    with pytest.raises(ApiError) as caught:
        run(_get(api))
    message = str(caught.value)
    assert "not JSON" in message and "<html><body>Bad gateway" in message
    assert len(message) < 400


def test_status_code_as_text_counts_as_success():
    api = FakeApi()
    api.route("GET", PATH, lambda r: httpx.Response(200, json={"status_code": "9999", "payload": [1]}))
    assert run(_get(api)) == [1]


def test_json_without_an_envelope_is_an_error():
    api = FakeApi()
    api.route("GET", PATH, lambda r: httpx.Response(200, json={"items": []}))
    with pytest.raises(ApiError, match="not an OMICall envelope"):
        run(_get(api))


def test_client_errors_are_not_retried_and_keep_the_status():
    api = FakeApi()
    api.route("GET", PATH, lambda r: refused("request_body_required", 400))
    with pytest.raises(ApiError) as caught:
        run(_get(api))
    assert caught.value.status == 400 and caught.value.server_message == "request_body_required"
    assert len(api.calls("GET", PATH)) == 1


def test_invalid_api_key_is_an_auth_error():
    api = FakeApi()
    api.route("GET", PATH, lambda r: ok([]))
    with pytest.raises(AuthError) as caught:
        run(_get(api, api_key="wrong-key-123456"))
    assert caught.value.server_message == "api_key_invalid"
    assert caught.value.endpoint == "/api/auth"
    assert api.calls("GET", PATH) == []


def test_json_bodies_are_sent_as_utf8_json_with_content_type():
    api = FakeApi()
    seen = {}

    def handler(request):
        seen["type"] = request.headers["content-type"]
        seen["body"] = json.loads(request.content)
        return ok(True)

    api.route("POST", "/api/call_center/internal_group/update/abc", handler)

    async def go():
        async with api.client() as client:
            return await client.send("POST", "/api/call_center/internal_group/update/abc", json={"name": "Chăm sóc"})

    assert run(go()) is True
    assert seen == {"type": "application/json", "body": {"name": "Chăm sóc"}}


def test_files_are_sent_as_multipart():
    api = FakeApi()
    seen = {}

    def handler(request):
        seen["type"] = request.headers["content-type"]
        seen["name"] = request.url.params["greeting_name"]
        seen["has_file"] = b"ID3fake-mp3" in request.read()
        return ok({"file": {"_id": "g1"}})

    api.route("POST", "/api/call_center/greeting/upload", handler)

    async def go():
        async with api.client() as client:
            return await client.create("POST", "/api/call_center/greeting/upload", params={"greeting_name": "Chờ"},
                                       files={"file": ("hold.mp3", b"ID3fake-mp3", "audio/mpeg")},
                                       find_existing=_never)

    assert run(go()) == {"file": {"_id": "g1"}}
    assert seen["type"].startswith("multipart/form-data") and seen["name"] == "Chờ" and seen["has_file"]
