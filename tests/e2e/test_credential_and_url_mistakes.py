"""A mistyped credential or URL gives a clear message and exit 1, never a traceback or a wrong result."""

from __future__ import annotations

from tests.e2e.evil_server import Evil, assert_clean_failure, evil  # noqa: F401


def test_a_non_ascii_token_is_refused_clearly(evil: Evil):
    # e.g. a token pasted with a typographic ellipsis
    result = evil.run("plan", str(evil.manifests), env={"OMICALL_API_KEY": None, "OMICALL_TOKEN": "eyJhbGci…"})
    assert_clean_failure(result)


def test_malformed_ipv6_url(evil: Evil):
    assert_clean_failure(evil.run("plan", str(evil.manifests), env={"OMICALL_URL": "http://[::1"}))


def test_the_token_is_not_printed_and_the_message_says_what_is_wrong(evil: Evil):
    result = evil.run("plan", str(evil.manifests), env={"OMICALL_API_KEY": None, "OMICALL_TOKEN": "eyJhbGci…"})
    assert_clean_failure(result)
    assert "eyJhbGci" not in result.output
    assert "OMICALL_TOKEN" in result.output and "non-ASCII" in result.output
    assert not evil.sim.requests  # refused before anything is sent


def test_an_idna_error_in_the_url(evil: Evil):
    result = evil.run("plan", str(evil.manifests), env={"OMICALL_URL": "https://omicall\u2026.com"})
    assert_clean_failure(result)
    assert "internal error" not in result.output and "API URL" in result.output
