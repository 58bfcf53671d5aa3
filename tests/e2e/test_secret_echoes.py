"""A SIP password the server echoes back in an error must not reach the output, whatever
encoding the echo uses (JSON escapes, HTML entities, URL encoding)."""

from __future__ import annotations

import html
import json
import urllib.parse

import pytest

from tests.e2e.evil_server import Evil, evil  # noqa: F401

PASSWORD = 'Mật<khẩu>&"q9Z'
# Pieces of the password that survive any of the encodings below.
FRAGMENTS = ("khẩu", "kh%E1", "q9Z")


def _echo_as(encoding: str):
    def hook(method, target, status, headers, body, request):
        if "/internal_phone/update" not in target:
            return None
        sent = json.loads(request)
        if encoding == "json-400":  # a 400 whose JSON body repeats the request
            return 400, {"Content-Type": "application/json"}, json.dumps({"request": sent}).encode()
        if encoding == "json-400-other-key":
            return 400, {"Content-Type": "application/json"}, json.dumps({"value": sent["password"]}).encode()
        if encoding == "html-500":  # a framework's debug page
            return 500, {"Content-Type": "text/html"}, ("<pre>" + html.escape(request.decode()) + "</pre>").encode()
        if encoding == "form-500":
            return 500, {"Content-Type": "text/plain"}, ("bad: " + urllib.parse.urlencode(sent)).encode()
        raise AssertionError(encoding)

    return hook


@pytest.mark.parametrize("encoding", ["json-400", "json-400-other-key", "html-500", "form-500"])
def test_an_echoed_password_is_masked_in_any_encoding(evil: Evil, encoding: str):
    (evil.manifests / "extensions.yaml").write_text(
        'extensions:\n  - sip_user: "101"\n    password: ${env:EXT_101_PASSWORD}\n', encoding="utf-8"
    )
    evil.sim.hooks.append(_echo_as(encoding))
    result = evil.run("apply", str(evil.manifests), "--auto-approve", env={"EXT_101_PASSWORD": PASSWORD})
    assert "internal_phone/update" in result.output, result.output  # the failure is reported
    leaked = [f for f in FRAGMENTS if f in result.output]
    assert not leaked, [line for line in result.output.splitlines() if any(f in line for f in leaked)]


def test_an_echoed_value_from_the_environment_is_masked_under_any_key(evil: Evil):
    # A call script's note is no password, but the manifests take it from ${env:CS_NOTE}:
    # a secret wherever a refused request's echo puts it.
    routing = evil.manifests / "routing.yaml"
    routing.write_text(routing.read_text(encoding="utf-8").replace('note: "Inbound, office hours"',
                                                                   "note: ${env:CS_NOTE}"), encoding="utf-8")

    def echo(method, target, status, headers, body, request):
        if "/call_script/" in target and b"secret-note-xyz" in (request or b""):
            return 400, {"Content-Type": "application/json"}, json.dumps({"request": json.loads(request)}).encode()
        return None

    evil.sim.hooks.append(echo)
    result = evil.run("apply", str(evil.manifests), "--auto-approve", env={"CS_NOTE": "secret-note-xyz"})
    assert "failed  create call_scripts/Giờ hành chính" in result.output, result.output
    assert "secret-note-xyz" not in result.output
