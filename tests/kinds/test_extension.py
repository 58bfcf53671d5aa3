"""Extensions (reconciler/kinds/extension.py): the manifest model (a SIP password only as
${env:NAME}), the vendor's list example read without its password, what an update sends,
and the three fields the API never returns, one of them secret."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.kinds import KINDS
from tests.kinds.helpers import Ids, Recorder, desired, index, items, model, refs, refused

EXTENSIONS = KINDS["extensions"]


# --- the model ----------------------------------------------------------------------
def test_an_extension_is_its_number_and_every_other_field_is_optional():
    assert desired("extensions", {"sip_user": 101}) == {"sip_user": "101"}  # YAML's number is text
    assert "String should match pattern" in refused("extensions", {"sip_user": "10a"})
    assert "less than or equal to 600" in refused("extensions", {"sip_user": "101", "call_timeout": 601})


def test_a_sip_password_is_never_written_in_clear():
    assert "a SIP password must not sit in a manifest in clear: write ${env:NAME}" in refused(
        "extensions", {"sip_user": "101", "password": "hunter2"})
    assert model("extensions", {"sip_user": "101", "password": "${env:EXT_101}"}).password == "${env:EXT_101}"


# --- from_live: the vendor's example ---------------------------------------------------
def test_extension_reads_only_its_identity_never_the_password():
    listed = items("internal_phone_list.json")[1]
    assert listed["password"] == "kiyyzsefxx"  # the list does carry one
    assert EXTENSIONS.from_live(listed, index()) == {"sip_user": "145"}
    assert EXTENSIONS.live_id(listed) == "145" and EXTENSIONS.alias_field == "agent_id"


# --- what an update sends ----------------------------------------------------------------
def test_an_update_sends_only_what_changed_the_password_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EXT_101", "s3cret-value")
    data = desired("extensions", {"sip_user": "101", "enabled": False, "call_timeout": 40,
                                  "password": "${env:EXT_101}"})
    client = Recorder(True)
    asyncio.run(EXTENSIONS.update(client, "101", data, {"sip_user": "101"}, {"enabled", "password"}, Ids()))
    status, update = client.sent
    assert (status["method"], status["path"]) == ("PUT", "/api/call_center/internal_phone/status")
    assert status["params"] == {"enabled": "false", "sip_user": "101"}
    assert (update["method"], update["path"]) == ("POST", "/api/call_center/internal_phone/update")
    assert update["json"] == {"sip_user": "101", "password": "s3cret-value"}  # call_timeout did not change


def test_extensions_are_never_created_or_deleted():
    assert EXTENSIONS.updatable and not EXTENSIONS.creatable and not EXTENSIONS.deletable


# --- references ----------------------------------------------------------------------
def test_an_extension_points_at_nothing():
    assert refs("extensions", desired("extensions", {"sip_user": "101", "enabled": True})) == []


# --- write-only and secret fields ----------------------------------------------------------
def test_enabled_timeout_and_password_are_write_only_and_the_password_secret():
    assert EXTENSIONS.write_only == {"enabled", "call_timeout", "password"}
    assert EXTENSIONS.secret == {"password"} and EXTENSIONS.keep_when_omitted == EXTENSIONS.write_only
    live = EXTENSIONS.from_live(items("internal_phone_list.json")[1], index())
    for field in EXTENSIONS.write_only:
        assert EXTENSIONS.compare(field, "x", live) is None  # verified by fingerprint only
    assert desired("extensions", {"sip_user": "101", "call_timeout": 20}) == {"sip_user": "101", "call_timeout": 20}
