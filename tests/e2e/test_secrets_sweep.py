"""Every command, successful and failing, with debug logging on, swept for the API key,
the tokens the tenant issued, the state-note key and every SIP password: in stdout, stderr,
the log, saved plans, exported files and the state note the tenant keeps."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from tests.e2e.conftest import API_KEY, Tenant

PASSWORDS = {"EXT_101_PASSWORD": "pw-101-Zq7xR2", "EXT_102_PASSWORD": "pw-102-Kd9wT4"}
NOTE_KEY = "state-note-key-Hs82mQ"


@pytest.fixture
def debug_log():
    """Everything any logger says, at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def issued_tokens(tenant: Tenant) -> list[str]:
    """Record every access token the simulator hands out."""
    tokens: list[str] = []
    issuer = tenant.sim._tokens
    original = issuer.issue

    def issue(ttl: float):
        payload = original(ttl)
        tokens.append(payload["access_token"])
        return payload

    issuer.issue = issue  # type: ignore[method-assign]
    return tokens


def with_passwords(tenant: Tenant) -> None:
    text = tenant.read("extensions.yaml")
    for sip in ("101", "102"):
        text = text.replace(f'- sip_user: "{sip}"\n', f'- sip_user: "{sip}"\n    password: ${{env:EXT_{sip}_PASSWORD}}\n')
    tenant.edit("extensions.yaml", text)


def test_no_command_ever_shows_a_secret(tenant: Tenant, tmp_path: Path, debug_log: io.StringIO):
    with_passwords(tenant)
    tokens = issued_tokens(tenant)
    env = {**PASSWORDS, "RECONCILER_STATE_NOTE_KEY": NOTE_KEY}
    dirs = str(tenant.manifests)
    plan_file, exported = tmp_path / "plan.json", tmp_path / "exported"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text('extensions:\n  - sip_user: "101"\n    password: pw-101-Zq7xR2\n', "utf-8")
    runs = [
        (("validate", dirs), {}), (("validate", dirs, "--live"), {}),
        (("plan", dirs), {}), (("plan", dirs, "--format", "json"), {}), (("plan", dirs, "--format", "markdown"), {}),
        (("plan", dirs, "--out", str(plan_file)), {}),
        (("apply", "--plan", str(plan_file), dirs, "--auto-approve"), {}),
        (("apply", dirs, "--auto-approve"), {}),
        (("drift", dirs), {}), (("drift", dirs, "--format", "json"), {}),
        (("export", "--out", str(exported)), {}),
        (("schema",), {}),
        # Failing: a manifest with a password in clear, a wrong key, a bad token, an unset
        # password variable, a server that refuses every write.
        (("validate", str(broken)), {}), (("plan", str(broken)), {}),
        (("plan", dirs), {"OMICALL_API_KEY": API_KEY + "-wrong"}),
        (("plan", dirs), {"OMICALL_API_KEY": None, "OMICALL_TOKEN": "not.a-valid.token"}),
        (("apply", dirs, "--auto-approve"), {"EXT_102_PASSWORD": None}),
    ]
    outputs = []
    for args, extra in runs:
        result = CliRunner().invoke(cli, list(args), env={"OMICALL_URL": tenant.url, "OMICALL_API_KEY": API_KEY,
                                                          "OMICALL_TOKEN": None, "NO_COLOR": "1", **env, **extra})
        assert not (result.exception and not isinstance(result.exception, SystemExit)), (args, result.exception)
        outputs.append((" ".join(args), result.output + result.stderr))
    # Writes refused by the server: the error echoes what it can of the request.
    tenant.edit("extensions.yaml", tenant.read("extensions.yaml").replace("call_timeout: 30", "call_timeout: 31"))
    tenant.sim.faults.inject("5xx", method="POST", times=None)
    tenant.sim.faults.inject("5xx", method="PUT", times=None)
    failed = CliRunner().invoke(cli, ["apply", dirs, "--auto-approve"],
                                env={"OMICALL_URL": tenant.url, "OMICALL_API_KEY": API_KEY, "OMICALL_TOKEN": None,
                                     "NO_COLOR": "1", **env})
    assert failed.exit_code == 1, failed.output
    outputs.append(("apply against a failing server", failed.output + failed.stderr))
    tenant.sim.faults.clear()

    assert tokens, "the sweep must include issued tokens"
    assert plan_file.exists() and any(exported.iterdir())
    (note,) = [i["note"] for i in tenant.sim.snapshot()["call_scripts"]
               if i["script_name"] == "reconciler state (safe to delete)"]
    places = outputs + [("log", debug_log.getvalue()), ("saved plan", plan_file.read_text("utf-8")),
                        ("state note", note)]
    places += [(f"exported {p.name}", p.read_text("utf-8")) for p in sorted(exported.rglob("*")) if p.is_file()
               and p.suffix in (".yaml", ".yml")]
    assert "apiKey" in debug_log.getvalue() or "/api/auth" in debug_log.getvalue(), "debug logging must be on"
    secrets = [API_KEY, NOTE_KEY, *PASSWORDS.values(), *tokens]
    leaks = [(where, s[:12]) for where, text in places for s in secrets if s in text]
    assert leaks == []
    assert tenant.sim.tenant.extensions["101"]["password"] == PASSWORDS["EXT_101_PASSWORD"]  # it was applied
