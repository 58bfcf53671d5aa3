"""`env_value_errors`: a `${env:NAME}` value meets its field's rules once it is known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.kinds import KINDS
from reconciler.kinds.base import env_value_errors
from reconciler.manifest import load_manifests

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_value_too_long_for_its_field_is_an_error_that_names_the_variable_not_the_value():
    data = {"name": "Chào", "text": "${env:TXT1}"}
    (error,) = env_value_errors(KINDS["greetings"], data, {"TXT1": "x" * 410})
    path, name, why = error
    assert (path, name) == ("text", "TXT1")
    assert "299" in why and "x" * 20 not in why
    assert env_value_errors(KINDS["greetings"], data, {"TXT1": "Xin chào"}) == []
    assert env_value_errors(KINDS["greetings"], data, {}) == []  # not set: checked where it is (apply)


def test_a_nested_value_is_checked_at_its_own_path():
    data = {"number": "842871002283", "dedicated_to": {"user_email": "${env:MAIL}"}}
    assert env_value_errors(KINDS["hotlines"], data, {"MAIL": "an@example.vn"}) == []
    (error,) = env_value_errors(KINDS["hotlines"], data, {"MAIL": "not an email"})
    assert error[:2] == ("dedicated_to.user_email", "MAIL")
    assert "not an email" not in error[2]


def _every_text_from_env(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _every_text_from_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_every_text_from_env(v, env) for v in value]
    if isinstance(value, str) and value:
        name = f"V{len(env)}"
        env[name] = value
        return f"${{env:{name}}}"
    return value


def test_every_example_value_is_as_valid_from_the_environment_as_written():
    """No false alarm: the object in manifest terms validates again as the loader's did."""
    manifests = load_manifests(EXAMPLES)
    for kind, objs in manifests.objects.items():
        for obj in objs.values():
            env: dict[str, str] = {}
            data = _every_text_from_env(KINDS[kind].desired(obj.model), env)
            data.update({f: "${env:SECRET}" for f in KINDS[kind].secret})  # a secret's form: checked as written
            assert env_value_errors(KINDS[kind], data, env) == [], (kind, obj.name)


def test_a_secret_field_is_left_to_the_api():
    """A SIP password's one rule is to come from the environment: any value passes here."""
    assert env_value_errors(KINDS["extensions"], {"sip_user": "101", "password": "${env:PW}"}, {"PW": "s3cret"}) == []
