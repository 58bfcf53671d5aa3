"""One catalogue of the live tenant, built once per read, serves the planner, the
applier's id lookups, export and `validate --live`."""

from __future__ import annotations

import pytest

from reconciler.engine.applier import _Ids
from reconciler.engine.plan import Action, Change, Plan
from reconciler.errors import ReconcilerError
from tests.engine.builders import extension, group, live, tts


def test_objects_by_id_name_and_alias_and_duplicates():
    a, b, c = group("A", _id="a" * 24), group("B", _id="b" * 24), group("B", _id="c" * 24)
    state = live(groups=[a, b, c], extensions=[extension("101", "agent-1")])
    cat = state.catalogue
    assert cat is state.catalogue  # built once
    assert cat.item("groups", "a" * 24) is a and cat.item("groups", "x") is None
    assert cat.names("groups") == ["A", "B"] and cat.ids_named("groups", "B") == ["b" * 24, "c" * 24]
    assert cat.duplicates() == [("groups", "B", ["b" * 24, "c" * 24])]
    names = cat.names_for_reading()
    assert names.name_of("groups", "a" * 24) == "A"
    assert names.name_of("groups", "c" * 24) == f"B (id {'c' * 24})"
    assert names.name_of("groups", "d" * 24) == f"(unknown id {'d' * 24})"
    assert names.name_by_alias("extensions", "agent-1") == "101" and names.knows("extensions", "101")
    # A live object the planner matched to a manifest name (a rename) reads by that name.
    assert cat.names_for_reading({"groups": {"a" * 24: "A mới"}}).name_of("groups", "a" * 24) == "A mới"


def test_the_appliers_lookups_learn_what_it_creates_and_skip_what_it_deletes():
    old, new = tts("Chào", "cũ", _id="1" * 24), tts("Chào", "mới", _id="2" * 24)
    state = live(greetings=[old, new], extensions=[extension("101", "agent-1")])
    plan = Plan(changes=[Change(Action.DELETE, "greetings", "Chào (id 111)", id="1" * 24)])
    ids = _Ids(state, plan)
    assert ids.id_of("greetings", "Chào") == "2" * 24  # the leftover being deleted is no candidate
    assert ids.known_ids("greetings") == {"1" * 24, "2" * 24}
    with pytest.raises(ReconcilerError, match="no live greeting named 'Lời chào'"):
        ids.id_of("greetings", "Lời chào")
    ids.created[("greetings", "Lời chào")] = "3" * 24
    assert ids.id_of("greetings", "Lời chào") == "3" * 24
    assert "3" * 24 not in ids.known_ids("greetings")  # "made by us" stays tellable
    assert ids.alias_of("extensions", "101") == "agent-1"


def test_an_alias_of_a_name_two_live_objects_share_names_the_duplicate():
    """Found in review: two live extensions with one sip_user made apply say "has no
    agent_id", which sends the user looking for the wrong problem."""
    state = live(extensions=[extension("101", "agent-1"), extension("101", "agent-2"), {**extension("102"), "agent_id": ""}])
    ids = _Ids(state, Plan(changes=[]))
    with pytest.raises(ReconcilerError, match="2 live extensions are named '101'.*remove the duplicate"):
        ids.alias_of("extensions", "101")
    with pytest.raises(ReconcilerError, match="has no agent_id in the tenant"):
        ids.alias_of("extensions", "102")

