"""How this tenant's call-script steps name an extension (agent_id or sip_user: the doc
leaves it open) is read from its live steps, the state note's among them; the engine asks
without naming a kind."""

from __future__ import annotations

from reconciler.engine.state_note import TEXT_PREFIX
from reconciler.kinds import KINDS
from reconciler.kinds.base import RefForm, ref_from_api, reference_forms
from reconciler.kinds.call_script import STATE_NOTE_NAME
from tests.engine.builders import call_script, extension, live
from tests.kinds.helpers import index

EXTS = [extension("101", "a101"), extension("102", "a102")]


def forms(*scripts: dict) -> RefForm:
    state = live(extensions=EXTS, call_scripts=list(scripts))
    return reference_forms(KINDS, state.state_note.put_back(state.items))["extensions"]


def test_steps_that_name_the_sip_user_tell_it():
    assert forms(call_script("A", [("Extension", "102")])) is RefForm.IDENTITY


def test_steps_that_name_the_agent_tell_it():
    assert forms(call_script("A", [("Extension", "a101")])) is RefForm.ALIAS


def test_agent_id_when_no_step_tells():
    assert forms() is RefForm.ALIAS
    assert forms(call_script("A", [("Extension", "999")])) is RefForm.ALIAS  # names no live extension


def test_the_state_notes_own_step_tells_too():
    note = call_script(STATE_NOTE_NAME, [("Extension", "101")]) | {"note": TEXT_PREFIX + "{}"}
    assert forms(note) is RefForm.IDENTITY


def test_references_in_any_reading_become_names_or_opaque_live_references():
    # Issue 9: an Extension step names its extension by agent_id or by sip_user; a target
    # no list returns, or of a type word the doc does not list, is carried as it is.
    ix = index()
    assert ref_from_api(ix, "Extension", "62d563113127de2eac6b8cbf") == {"extension": "101"}
    assert ref_from_api(ix, "Extension", "101") == {"extension": "101"}
    assert ref_from_api(ix, "Extension", "999") == {"live": {"type": "Extension", "id": "999"}}
    assert ref_from_api(ix, "Ring_group", "62ff119508d4bf3ea694a44a") == {"group": "Nhóm CSKH"}
    assert ref_from_api(ix, "Ring_group", "5f00000000000000000000ff") == {
        "live": {"type": "Ring_group", "id": "5f00000000000000000000ff"}}
    assert ref_from_api(ix, "Callbot", "x1") == {"live": {"type": "Callbot", "id": "x1"}}
    assert ref_from_api(ix, "", "") is None
