"""Meta-tests: every kind in the registry is declared completely."""

from __future__ import annotations

import pytest

from reconciler.kinds import KINDS, Kind
from reconciler.kinds.base import (
    API_TYPES,
    CALL_ROLES,
    CallRole,
    KIND_REF_WORD,
    Creatable,
    Deletable,
    HoldsStateNote,
    Renamable,
    Updatable,
    Uploading,
)

ALL = list(KINDS.values())


def overrides(kind: Kind, method: str, verb: type = Kind) -> bool:
    """Whether the kind codes `method` itself rather than taking `verb`'s."""
    return getattr(type(kind), method) is not getattr(verb, method)


@pytest.mark.parametrize("kind", ALL, ids=lambda k: k.name)
def test_kind_is_complete(kind: Kind):
    fields = set(kind.model.model_fields)
    assert kind.identity in fields
    assert kind.label and kind.list_path.startswith("/api/call_center/")
    assert 1 <= kind.page_size <= 50
    for declared in (kind.write_only, kind.secret, kind.keep_when_omitted, kind.local_only):
        assert declared <= fields | {"file_sha256"}, declared - fields
    assert kind.secret <= kind.write_only  # a secret is never read back, so never compared in clear
    assert overrides(kind, "live_identity") and overrides(kind, "from_live")
    assert kind.identity_field and (kind.id_field is None or kind.id_field == "_id")  # what a live item must carry
    # Each verb the kind inherits is either declared (an endpoint, plus `body`) or coded.
    paths = []
    if isinstance(kind, Creatable):
        assert kind.create_path or overrides(kind, "create", Creatable)
        # A create that meets a twin made meanwhile deletes its own copy again (recheck.py).
        assert isinstance(kind, Deletable)
    if isinstance(kind, Deletable):
        assert kind.delete_path or overrides(kind, "delete", Deletable)
        paths.append(kind.delete_path)
    if isinstance(kind, Updatable):
        assert kind.update_path or overrides(kind, "update", Updatable)
        paths.append(kind.update_path)
    if getattr(kind, "create_path", None) or getattr(kind, "update_path", None):
        assert overrides(kind, "body")
    for path in paths:
        assert path is None or path.endswith("{id}")
    if isinstance(kind, Uploading):
        assert kind.file_field in fields and overrides(kind, "uploads", Uploading)
    # The booleans the engine reads are what the kind inherits, never declared apart.
    assert (kind.creatable, kind.updatable, kind.renamable, kind.deletable) == (
        isinstance(kind, Creatable), isinstance(kind, Updatable), isinstance(kind, Renamable),
        isinstance(kind, Deletable))
    if kind.api_type:
        assert API_TYPES[kind.api_type] == kind.name
    assert kind.name in KIND_REF_WORD or not kind.creatable or kind.name == "call_scripts"


def test_one_kind_holds_the_state_note_and_can_write_it():
    holders = [k for k in ALL if isinstance(k, HoldsStateNote)]
    assert len(holders) == 1
    (holder,) = holders
    assert isinstance(holder, Creatable) and isinstance(holder, Updatable)
    for hook in ("find_state_note", "state_note_text", "save_state_note"):
        assert overrides(holder, hook, HoldsStateNote)


def test_registry_covers_every_manifest_kind_of_the_spec():
    assert list(KINDS) == ["greetings", "groups", "ivr_menus", "call_scripts", "hotlines", "extensions"]


@pytest.mark.parametrize("kind", ALL, ids=lambda k: k.name)
def test_previous_names_only_where_renaming_is_possible(kind: Kind):
    has = "previous_names" in kind.model.model_fields
    # Greetings take previous_names too: they cannot be renamed, so a rename is a replace.
    assert has == (kind.renamable or kind.picks_duplicates_by_content)


def test_the_engine_asks_a_kind_for_a_verb_it_has():
    from reconciler.errors import ReconcilerError
    from reconciler.kinds.base import can

    assert can(KINDS["groups"], Deletable) is KINDS["groups"]
    with pytest.raises(ReconcilerError, match="hotlines cannot be created through the API"):
        can(KINDS["hotlines"], Creatable)
    with pytest.raises(ReconcilerError, match="greetings cannot be updated through the API"):
        can(KINDS["greetings"], Updatable)


@pytest.mark.parametrize("kind", ALL, ids=lambda k: k.name)
def test_a_kind_calls_reach_declares_its_role_and_shape(kind: Kind):
    """Call flows (graph, trace, lint, plan diagrams) know a kind by its role and draw it by
    its shape: both declared, and the fields the role reads are in its model."""
    assert kind.call_role is not None and kind.call_shape is not None
    assert CALL_ROLES[kind.name] is kind.call_role
    assert set(kind.call_role.follows) <= set(kind.model.model_fields)
    assert kind.call_shape.dot and kind.call_shape.mermaid_open and kind.call_shape.mermaid_close


def test_calls_come_in_by_one_kind_and_run_one_kind_of_script():
    """flows reads a hotline's call script as an object of the one kind whose role is STEPS."""
    roles = [k.call_role for k in ALL]
    assert roles.count(CallRole.ROUTE) == 1 and roles.count(CallRole.STEPS) == 1
    shapes = [k.call_shape for k in ALL]
    assert len(set(shapes)) == len(shapes)  # kinds differ by shape in a diagram
