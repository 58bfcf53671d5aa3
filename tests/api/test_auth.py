"""The token: obtained once, cached, renewed on expiry and on a 401, once for everyone."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from reconciler.api import AuthError, OmicallClient
from reconciler.api.auth import DEFAULT_LIFETIME, jwt_lifetime

from .fakes import BASE, FakeApi, jwt, ok

PATH = "/api/call_center/internal_phone/list"


def run(coro):
    return asyncio.run(coro)


def _api(**kw) -> FakeApi:
    api = FakeApi(**kw)
    api.route("GET", PATH, lambda r: ok({"items": []}))
    return api


def test_the_token_is_obtained_once_and_reused():
    api = _api()

    async def go():
        async with api.client() as client:
            for _ in range(5):
                await client.get(PATH)

    run(go())
    assert api.auth_calls == 1
    auth = api.calls("GET", "/api/auth")[0]
    assert auth.url.params["apiKey"] and "authorization" not in auth.headers
    assert all(r.headers["authorization"].startswith("Bearer ") for r in api.calls("GET", PATH))


def test_concurrent_first_requests_authenticate_once():
    api = _api(auth_delay=0.02)

    async def go():
        async with api.client(concurrency=8) as client:
            await asyncio.gather(*(client.get(PATH) for _ in range(20)))

    run(go())
    assert api.auth_calls == 1


def test_an_expired_token_is_renewed_before_use():
    api = _api(ttl=100.0)

    async def go():
        async with api.client() as client:
            now = [0.0]
            client._tokens._clock = lambda: now[0]
            await client.get(PATH)
            now[0] += 95.0  # inside the renewal margin (10% of the lifetime)
            await asyncio.gather(*(client.get(PATH) for _ in range(10)))

    run(go())
    assert api.auth_calls == 2
    # No request went out with a stale token: the server never answered 401.
    assert len(api.calls("GET", PATH)) == 11


def test_a_401_renews_the_token_once_and_retries():
    api = _api()

    async def go():
        async with api.client(max_retries=0) as client:
            await client.get(PATH)
            api.revoke_all()  # the server forgot every token (e.g. a shorter real lifetime)
            results = await asyncio.gather(*(client.get(PATH) for _ in range(10)))
            return results

    assert run(go()) == [{"items": []}] * 10
    assert api.auth_calls == 2  # not 11: the 401s were answered by one renewal


def test_a_token_rejected_right_after_renewal_is_an_auth_error_not_a_loop():
    api = FakeApi()
    api.route("GET", PATH, lambda r: httpx.Response(401, json={"status_code": -9999, "message": "forbidden"}))

    async def go():
        async with api.client() as client:
            await client.get(PATH)

    with pytest.raises(AuthError, match="freshly issued token"):
        run(go())
    assert api.auth_calls == 2 and len(api.calls("GET", PATH)) == 2


def test_with_a_bare_token_a_401_says_how_to_renew_automatically():
    api = _api()

    async def go():
        async with OmicallClient(BASE, token="stale-token-value", transport=httpx.MockTransport(api)) as client:
            await client.get(PATH)

    with pytest.raises(AuthError) as caught:
        run(go())
    assert "set OMICALL_API_KEY to renew automatically" in str(caught.value)
    assert caught.value.status == 401 and caught.value.endpoint == PATH
    assert api.auth_calls == 0


def test_a_given_token_is_used_without_authenticating():
    api = _api()
    token = api.issue()

    async def go():
        async with OmicallClient(BASE, token=token, transport=httpx.MockTransport(api)) as client:
            return await client.get(PATH)

    assert run(go()) == {"items": []}
    assert api.auth_calls == 0


def test_a_given_expired_token_is_replaced_when_a_key_is_available():
    api = _api()

    async def go():
        dead = jwt(exp=time.time() - 10)
        async with api.client(token=dead) as client:
            return await client.get(PATH)

    assert run(go()) == {"items": []}
    assert api.auth_calls == 1
    assert len(api.calls("GET", PATH)) == 1  # the dead token was never sent, so no 401 round trip


def test_an_auth_answer_without_token_is_an_auth_error():
    async def go():
        async with OmicallClient(BASE, api_key="k" * 12, transport=httpx.MockTransport(lambda r: ok({}))) as c:
            await c.get(PATH)

    with pytest.raises(AuthError, match="no access_token"):
        run(go())


def test_jwt_lifetime():
    now = time.time()
    assert jwt_lifetime(jwt(exp=now + 600), now=now) == pytest.approx(600)
    # A just-issued token: exp - iat, so a skewed local clock does not matter ...
    assert jwt_lifetime(jwt(exp=5000.0, iat=4000.0), just_issued=True, now=0.0) == pytest.approx(1000)
    # ... unless our clock says less is left.
    assert jwt_lifetime(jwt(exp=5000.0, iat=4000.0), just_issued=True, now=4900.0) == pytest.approx(100)
    assert jwt_lifetime(jwt()) is None
    assert jwt_lifetime("opaque-token") is None
    assert jwt_lifetime("a.!!!.c") is None


def test_a_token_without_exp_is_trusted_for_24_hours():
    api = FakeApi()
    api.ttl = None  # tokens without exp
    api.route("GET", PATH, lambda r: ok(None))

    async def go():
        async with api.client() as client:
            now = [0.0]
            client._tokens._clock = lambda: now[0]
            await client.get(PATH)
            now[0] = DEFAULT_LIFETIME * 0.85
            await client.get(PATH)
            now[0] = DEFAULT_LIFETIME + 1
            await client.get(PATH)

    run(go())
    assert api.auth_calls == 2


@pytest.mark.parametrize("kw, name", [
    ({"token": "eyJhbGci\u2026"}, "OMICALL_TOKEN"),  # a typographic ellipsis pasted with it
    ({"token": "eyJhbGciOiJ9.e30.sig\n"}, "OMICALL_TOKEN"),
    ({"token": "eyJhbGci OiJ9"}, "OMICALL_TOKEN"),
    ({"api_key": "KEY-\u00a03f9c2a77"}, "OMICALL_API_KEY"),
    ({"api_key": "KEY-3f9c2a77\r\n"}, "OMICALL_API_KEY"),
])
def test_a_credential_that_cannot_be_sent_is_refused_up_front_without_echoing_it(kw, name):
    problem = "(a non-ASCII character|a line break|a space)"
    with pytest.raises(AuthError, match=rf"\({name}\) contains {problem} at position") as caught:
        OmicallClient(BASE, **kw)
    secret = next(iter(kw.values()))
    assert secret.strip()[:8] not in str(caught.value)


def test_an_issued_token_that_cannot_be_sent_is_an_auth_error():
    async def go():
        answer = ok({"access_token": "tok\u2026en"})
        async with OmicallClient(BASE, api_key="k" * 12, transport=httpx.MockTransport(lambda r: answer)) as c:
            await c.get(PATH)

    with pytest.raises(AuthError, match="access_token the API issued contains a non-ASCII character"):
        run(go())
