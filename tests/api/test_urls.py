"""Where the client may send credentials: https, or plain http on loopback only."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.api import OmicallClient, ReconcilerError

from .fakes import API_KEY


@pytest.mark.parametrize("url", [
    "http://public-v1-stg.omicall.com",
    "http://10.0.0.5:8080",
    "http://127.example.com",
    "http://localhost.evil.com",
])
def test_plain_http_is_refused_for_remote_hosts(url):
    with pytest.raises(ReconcilerError, match="plain http:// is only accepted for loopback"):
        OmicallClient(url, api_key=API_KEY)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8765", "http://127.3.2.1", "http://[::1]:9000", "http://localhost:1234/",
    "https://public-v1-stg.omicall.com", "HTTPS://Public-V1.omicall.com/",
])
def test_https_and_loopback_http_are_accepted(url):
    client = OmicallClient(url, api_key=API_KEY)
    assert not client.url.endswith("/")
    asyncio.run(client.aclose())


@pytest.mark.parametrize("url", [
    "https://user:hunter2@omicall.com", "https://omicall.com/?apiKey=abc", "ftp://x", "omicall.com",
])
def test_malformed_urls_are_refused_without_echoing_them(url):
    with pytest.raises(ReconcilerError) as caught:
        OmicallClient(url, api_key=API_KEY)
    assert "hunter2" not in str(caught.value) and "abc" not in str(caught.value)


def test_paths_must_stay_on_the_api_host():
    async def go():
        async with OmicallClient("https://omicall.test", token="t") as client:
            for path in ("https://elsewhere.example/steal", "//elsewhere.example/x", "api/x"):
                with pytest.raises(ValueError):
                    await client.get(path)
            assert client.request_count == 0

    asyncio.run(go())


def test_credentials_are_required():
    with pytest.raises(ReconcilerError, match="OMICALL_API_KEY"):
        OmicallClient("https://omicall.test")


def test_from_env_reads_url_and_prefers_the_api_key(monkeypatch):
    monkeypatch.setenv("OMICALL_URL", "https://omicall.test")
    monkeypatch.setenv("OMICALL_API_KEY", API_KEY)
    monkeypatch.setenv("OMICALL_TOKEN", "tok")
    client = OmicallClient.from_env(concurrency=3)
    assert client.url == "https://omicall.test" and client.concurrency == 3
    assert client._tokens.can_renew and client._tokens.current is None
    asyncio.run(client.aclose())


def test_from_env_with_a_token_only(monkeypatch):
    monkeypatch.delenv("OMICALL_API_KEY", raising=False)
    monkeypatch.setenv("OMICALL_TOKEN", "tok-1234567")
    client = OmicallClient.from_env("http://127.0.0.1:9")
    assert not client._tokens.can_renew and client._tokens.current == "tok-1234567"
    asyncio.run(client.aclose())


def test_from_env_explains_what_is_missing(monkeypatch):
    for name in ("OMICALL_URL", "OMICALL_API_KEY", "OMICALL_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ReconcilerError, match="OMICALL_URL"):
        OmicallClient.from_env()
    with pytest.raises(ReconcilerError, match="OMICALL_API_KEY.*OMICALL_TOKEN"):
        OmicallClient.from_env("https://omicall.test")
    monkeypatch.setenv("OMICALL_API_KEY", "")  # set but empty counts as missing
    with pytest.raises(ReconcilerError, match="OMICALL_API_KEY"):
        OmicallClient.from_env("https://omicall.test")


@pytest.mark.parametrize("url", [
    "http://[::1",  # an unclosed IPv6 literal: urlsplit raises ValueError
    "http://[abc]",  # not an IPv6 address
    "https://omicall\u2026.com",  # IDNA refuses it (httpx.InvalidURL)
    "https://omi call.com",
])
def test_urls_httpx_cannot_use_are_a_reconciler_error(url):
    with pytest.raises(ReconcilerError, match="API URL"):
        OmicallClient(url, api_key=API_KEY)
