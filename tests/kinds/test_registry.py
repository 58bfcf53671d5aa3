"""Meta-tests: every kind in the registry is declared completely."""

from __future__ import annotations

import pytest

from reconciler.kinds import KINDS, Kind
from reconciler.kinds.base import API_TYPES, KIND_REF_WORD

ALL = list(KINDS.values())


def overrides(kind: Kind, method: str) -> bool:
    return getattr(type(kind), method) is not getattr(Kind, method)


@pytest.mark.parametrize("kind", ALL, ids=lambda k: k.key)
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
    # Each verb the kind allows is either declared (an endpoint, plus `body`) or coded.
    if kind.creatable:
        assert kind.create_path or overrides(kind, "create")
    if kind.deletable:
        assert kind.delete_path or overrides(kind, "delete")
    if kind.updatable:
        assert kind.update_path or overrides(kind, "update")
    if kind.create_path or kind.update_path:
        assert overrides(kind, "body")
    for path in (kind.update_path, kind.delete_path):
        assert path is None or path.endswith("{id}")
    if kind.api_type:
        assert API_TYPES[kind.api_type] == kind.key
    assert kind.key in KIND_REF_WORD or not kind.creatable or kind.key == "call_scripts"


def test_registry_covers_every_manifest_kind_of_the_spec():
    assert list(KINDS) == ["greetings", "groups", "ivr_menus", "call_scripts", "hotlines", "extensions"]


@pytest.mark.parametrize("kind", ALL, ids=lambda k: k.key)
def test_previous_names_only_where_renaming_is_possible(kind: Kind):
    has = "previous_names" in kind.model.model_fields
    # Greetings take previous_names too: they cannot be renamed, so a rename is a replace.
    assert has == (kind.renamable or kind.key == "greetings")
