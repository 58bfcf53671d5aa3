"""A kind's words (its reference word, its API type word) are its own: a second kind that
claims one is refused as it is declared (as octoDNS's `register_type` refuses a type
registered twice), instead of taking the first kind's references over in silence."""

from __future__ import annotations

import pytest

from reconciler.errors import ReconcilerError
from reconciler.kinds.base import API_TYPES, KIND_API_TYPE, KIND_REF_WORD, REF_WORDS, Creatable
from reconciler.kinds.group import GroupKind


def _declare(**words: str) -> type:
    return type("TeamKind", (Creatable,), {
        "name": "teams_for_test", "label": "team", "identity": "name", "identity_field": "team_name",
        "list_path": "/api/call_center/team/list", "ref_word": "team_for_test", "api_type": "Team_for_test",
        **words})


@pytest.mark.parametrize("word, value, owner", [("ref_word", "group", "groups"), ("api_type", "Ring_group", "groups")])
def test_a_word_another_kind_has_is_refused_as_the_kind_is_declared(word: str, value: str, owner: str):
    """A team referred to as {group: ...} would point every group reference at teams: its
    class is refused, and no word of it is registered."""
    assert REF_WORDS.get("group") == "groups" and API_TYPES.get("Ring_group") == "groups"
    before = (dict(REF_WORDS), dict(KIND_REF_WORD), dict(API_TYPES), dict(KIND_API_TYPE))
    with pytest.raises(ReconcilerError, match=f"kind teams_for_test: {word} '{value}' is already the {word} of "
                                              f"kind {owner}"):
        _declare(**{word: value})
    assert (REF_WORDS, KIND_REF_WORD, API_TYPES, KIND_API_TYPE) == before


def test_a_kind_declared_again_keeps_its_own_words():
    """A subclass of a kind (a test's variant of groups) is the same kind: no clash."""
    variant = type("GroupVariant", (GroupKind,), {"name": "groups"})
    assert variant.ref_word == "group" and REF_WORDS["group"] == "groups"
