"""The state note: fingerprints only, secrets keyed, safe to lose."""

from __future__ import annotations

from reconciler.engine.ledger import LEDGER_NAME, LEDGER_NOTE_PREFIX, Ledger, fingerprint


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


def test_an_unreadable_note_is_an_empty_ledger_not_an_error():
    item = {"_id": "l1", "script_name": LEDGER_NAME, "note": LEDGER_NOTE_PREFIX + "{not json", "last_updated_date": 1}
    assert Ledger.from_items([item]).entries == {}
    edited = {**item, "note": "someone wrote here"}
    assert Ledger.from_items([edited]).entries == {}


def test_the_note_round_trips():
    ledger = Ledger()
    ledger.put("groups", "g1", "queue", "abc")
    item = {"_id": "l1", "script_name": LEDGER_NAME, "note": ledger.note()}
    assert Ledger.from_items([item]).get("groups", "g1", "queue") == "abc"
