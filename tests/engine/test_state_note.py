"""The state note: fingerprints only, secrets keyed, safe to lose."""

from __future__ import annotations

from reconciler.engine.live import LiveState
from reconciler.engine.state_note import TEXT_PREFIX, StateNote, fingerprint
from reconciler.kinds.call_script import STATE_NOTE_NAME


def test_secret_fingerprint_needs_a_key_the_tenant_does_not_hold():
    assert fingerprint("extensions", "101", "password", "4821", True) is None
    a = fingerprint("extensions", "101", "password", "4821", True, b"key-a")
    b = fingerprint("extensions", "101", "password", "4821", True, b"key-b")
    assert a and b and a != b
    assert "4821" not in a


def test_fingerprints_are_salted_by_object_and_field():
    one = fingerprint("groups", "x1", "queue", {"enabled": True}, False)
    assert one != fingerprint("groups", "x2", "queue", {"enabled": True}, False)
    assert one != fingerprint("groups", "x1", "other", {"enabled": True}, False)


def note_of(*items: dict) -> StateNote:
    return LiveState.from_raw({"call_scripts": list(items)}).state_note


def test_an_unreadable_note_is_an_empty_state_note_not_an_error():
    item = {"_id": "l1", "script_name": STATE_NOTE_NAME, "note": TEXT_PREFIX + "{not json", "last_updated_date": 1}
    assert note_of(item).entries == {}
    edited = {**item, "note": "someone wrote here"}
    assert note_of(edited).entries == {}


def test_the_note_round_trips():
    note = StateNote()
    note.put("groups", "g1", "queue", "abc")
    item = {"_id": "l1", "script_name": STATE_NOTE_NAME, "note": note.text()}
    assert note_of(item).get("groups", "g1", "queue") == "abc"


def test_a_note_written_before_the_rename_is_still_read():
    """Tenants hold notes written as "reconciler-ledger v1 {...}" under this name: both stay."""
    item = {"_id": "l1", "script_name": "reconciler state (safe to delete)", "last_updated_date": 1,
            "note": 'reconciler-ledger v1 {"groups:g1":{"queue":"abc"}}'}
    other = {"_id": "c1", "script_name": "Giờ hành chính", "note": ""}
    state = LiveState.from_raw({"call_scripts": [item, other]})
    assert state.state_note.get("groups", "g1", "queue") == "abc"
    assert state.state_note.item == item
    assert state.items["call_scripts"] == [other]  # never planned, listed or exported
    assert state.state_note.put_back(state.items)["call_scripts"] == [other, item]


def test_the_newest_of_two_notes_is_read():
    old = {"_id": "l1", "script_name": STATE_NOTE_NAME, "last_updated_date": 1, "note": TEXT_PREFIX + '{"a:1":{"f":"x"}}'}
    new = {**old, "_id": "l2", "last_updated_date": 2, "note": TEXT_PREFIX + '{"a:1":{"f":"y"}}'}
    assert note_of(new, old).get("a", "1", "f") == "y"


def test_the_key_is_read_under_its_name_then_its_older_name_then_the_api_key(monkeypatch):
    from reconciler.engine.state_note import state_note_key

    for name in ("RECONCILER_STATE_NOTE_KEY", "RECONCILER_LEDGER_KEY", "OMICALL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert state_note_key() is None
    monkeypatch.setenv("OMICALL_API_KEY", "api")
    assert state_note_key() == b"api"
    monkeypatch.setenv("RECONCILER_LEDGER_KEY", "older")
    assert state_note_key() == b"older"
    monkeypatch.setenv("RECONCILER_STATE_NOTE_KEY", "")  # empty counts as not set, as CI gives it
    assert state_note_key() == b"older"
    monkeypatch.setenv("RECONCILER_STATE_NOTE_KEY", "new")
    assert state_note_key() == b"new"
