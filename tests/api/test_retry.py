"""Retries: what is retried, how long the client waits, and when it gives up."""

from __future__ import annotations

import asyncio
import random
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from reconciler.api import ApiError
from reconciler.api.client import MAX_THROTTLED_WAIT
from reconciler.api.retry import MAX_RETRY_AFTER, backoff_delay, retry_after

from .fakes import FakeApi, SleepRecorder, ok, refused, sequence

PATH = "/api/call_center/call_script/list"


def run(coro):
    return asyncio.run(coro)


async def _get(api: FakeApi, sleeper: SleepRecorder | None = None, **kw):
    async with api.client(**kw) as client:
        if sleeper:
            sleeper.install(client)
        return await client.get(PATH), client.request_count


def test_5xx_is_retried_until_success():
    api = FakeApi()
    api.route("GET", PATH, sequence(httpx.Response(503, text="busy"), httpx.Response(502), ok(["x"])))
    payload, count = run(_get(api))
    assert payload == ["x"]
    assert len(api.calls("GET", PATH)) == 3
    assert count == 4  # the auth request counts too


def test_gives_up_after_max_retries_and_says_how_many_attempts():
    api = FakeApi()
    api.route("GET", PATH, lambda r: refused("maintenance", 503))
    with pytest.raises(ApiError) as caught:
        run(_get(api, max_retries=3))
    assert len(api.calls("GET", PATH)) == 4
    assert "gave up after 4 attempts" in str(caught.value)
    assert caught.value.status == 503 and caught.value.server_message == "maintenance"


def test_no_retries_means_one_attempt():
    api = FakeApi()
    api.route("GET", PATH, lambda r: httpx.Response(500))
    with pytest.raises(ApiError, match="gave up after 1 attempt: HTTP 500"):
        run(_get(api, max_retries=0))


@pytest.mark.parametrize("error", [
    httpx.ConnectError("connection refused"),
    httpx.ReadTimeout("timed out"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ReadError("connection reset by peer"),
])
def test_network_errors_on_reads_are_retried(error):
    api = FakeApi()
    api.route("GET", PATH, sequence(error, ok([1])))
    assert run(_get(api))[0] == [1]
    assert len(api.calls("GET", PATH)) == 2


def test_network_errors_become_api_errors_after_the_last_retry():
    api = FakeApi()
    api.route("GET", PATH, sequence(httpx.ReadTimeout("timed out")))
    with pytest.raises(ApiError) as caught:
        run(_get(api, max_retries=2))
    assert "gave up after 3 attempts: ReadTimeout" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_retry_after_in_seconds_is_honoured():
    api = FakeApi()
    api.route("GET", PATH, sequence(httpx.Response(429, headers={"Retry-After": "7"}), ok([])))
    sleeper = SleepRecorder()
    run(_get(api, sleeper, backoff=0.01))
    assert len(sleeper.waits) == 1 and 7.0 <= sleeper.waits[0] <= 7.01


def test_retry_after_as_an_http_date_is_honoured():
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    api = FakeApi()
    api.route("GET", PATH, sequence(httpx.Response(429, headers={"Retry-After": when}), ok([])))
    sleeper = SleepRecorder()
    run(_get(api, sleeper))
    assert 28.0 <= sleeper.waits[0] <= 30.1


def test_a_huge_retry_after_is_capped():
    api = FakeApi()
    api.route("GET", PATH, sequence(httpx.Response(429, headers={"Retry-After": "86400"}), ok([])))
    sleeper = SleepRecorder()
    run(_get(api, sleeper))
    assert MAX_RETRY_AFTER <= sleeper.waits[0] <= MAX_RETRY_AFTER + 0.01


def test_retry_after_holds_back_the_other_requests_too():
    api = FakeApi()
    api.route("GET", PATH, sequence(httpx.Response(429, headers={"Retry-After": "5"}), ok([])))
    api.route("GET", "/other", lambda r: ok([]))
    sleeper = SleepRecorder()

    async def go():
        async with api.client() as client:
            sleeper.install(client)
            await client.get(PATH)
            sleeper.now -= 2  # as if the second request started 2 s into the first one's wait
            await client.get("/other")

    run(go())
    # The second request waited for what remained of the 5 s, without any error of its own.
    assert len(sleeper.waits) == 2 and sleeper.waits[1] == pytest.approx(2.0, abs=0.01)


def test_backoff_grows_exponentially_with_full_jitter():
    api = FakeApi()
    api.route("GET", PATH, sequence(*[httpx.Response(500)] * 4, ok([])))
    sleeper = SleepRecorder()
    run(_get(api, sleeper, backoff=0.5, max_retries=4))
    assert len(sleeper.waits) == 4
    for n, wait in enumerate(sleeper.waits, start=1):
        assert 0.0 <= wait <= 0.5 * 2 ** (n - 1)


def test_backoff_delay_bounds_and_spread():
    rng = random.Random(42)
    for retry in range(1, 8):
        samples = [backoff_delay(retry, 0.2, cap=3.0, rng=rng) for _ in range(200)]
        ceiling = min(3.0, 0.2 * 2 ** (retry - 1))
        assert all(0.0 <= s <= ceiling for s in samples)
        # Full jitter: spread over the whole interval, not clustered at the ceiling.
        assert min(samples) < ceiling * 0.2 and max(samples) > ceiling * 0.8


def test_retry_after_parsing():
    assert retry_after("3") == 3.0
    assert retry_after("0.5") == 0.5
    assert retry_after("-4") == 0.0
    assert retry_after("soon") is None
    assert retry_after(None) is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=0.0) == MAX_RETRY_AFTER
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_send_retries_an_update_on_5xx():
    api = FakeApi()
    api.route("PUT", "/api/call_center/call_script/update/abc", sequence(httpx.Response(500), ok(True)))

    async def go():
        async with api.client() as client:
            return await client.send("PUT", "/api/call_center/call_script/update/abc", json={"name": "A"})

    assert run(go()) is True
    assert len(api.calls("PUT", "/api/call_center/call_script/update/abc")) == 2


def test_429s_with_retry_after_do_not_use_up_the_retries():
    api = FakeApi()
    api.route("GET", PATH, sequence(*[httpx.Response(429, headers={"Retry-After": "0"})] * 7, ok(["done"])))
    assert run(_get(api, max_retries=2))[0] == ["done"]
    assert len(api.calls("GET", PATH)) == 8


def test_429s_without_retry_after_count_as_retries():
    api = FakeApi()
    api.route("GET", PATH, lambda r: refused("too_many_requests", 429))
    with pytest.raises(ApiError, match="gave up after 3 attempts: HTTP 429"):
        run(_get(api, max_retries=2))


def test_endless_rate_limiting_ends_with_an_error():
    api = FakeApi()
    api.route("GET", PATH, lambda r: httpx.Response(429, headers={"Retry-After": "10"}))
    sleeper = SleepRecorder()
    with pytest.raises(ApiError, match=r"still rate-limited after \d+ attempts") as caught:
        run(_get(api, sleeper))
    assert caught.value.status == 429
    assert MAX_THROTTLED_WAIT <= sum(sleeper.waits) <= MAX_THROTTLED_WAIT + 11


def test_a_request_that_cannot_be_written_is_not_retried():
    # An illegal header is our request's fault, not the network's: retrying cannot help,
    # and h11's message quotes the header's value (the token), so it is not shown.
    api = FakeApi()

    def illegal(request):
        raise httpx.LocalProtocolError(f"Illegal header value {request.headers['Authorization'].encode()!r}")

    api.route("GET", PATH, illegal)
    with pytest.raises(ApiError, match=r"cannot be sent as HTTP \(LocalProtocolError\)") as caught:
        run(_get(api))
    assert len(api.calls("GET", PATH)) == 1
    assert "Bearer" not in str(caught.value)
