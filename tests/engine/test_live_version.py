"""The digest a plan keeps of each live item (to refuse a saved plan whose objects changed
since) leaves out what the item's kind declares secret, and nothing else: the kinds
decide, the engine names no field."""

from __future__ import annotations

from reconciler.engine.plan import live_version
from reconciler.kinds import KINDS


def test_a_kinds_secret_fields_do_not_count():
    extension = KINDS["extensions"]
    item = {"_id": "e1", "sip_user": "101", "password": "first", "full_name": "Lan"}
    same = live_version(item, extension.secret)
    assert live_version({**item, "password": "rotated"}, extension.secret) == same
    assert live_version({**item, "full_name": "Lan Anh"}, extension.secret) != same


def test_a_field_is_secret_only_for_the_kind_that_says_so():
    """A kind that declares another secret field has it left out; "password" in a kind
    that does not declare it is content like any other."""
    item = {"_id": "x", "name": "Q", "pin": "1234", "password": "p"}
    assert live_version({**item, "pin": "9999"}, {"pin"}) == live_version(item, {"pin"})
    assert live_version({**item, "password": "q"}, {"pin"}) != live_version(item, {"pin"})
