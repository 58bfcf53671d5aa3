"""Call scripts (reconciler/kinds/call_script.py): the manifest model (steps and routing
criteria), the vendor's examples read in manifest terms, the request bodies of a create and
an update (which name the script differently), references with their paths (`steps.0`),
and the state note it holds."""

from __future__ import annotations

import asyncio

from reconciler.errors import ApiError
from reconciler.kinds import KINDS
from reconciler.kinds.base import RefForm
from reconciler.kinds.call_script import STATE_NOTE_NAME
from tests.kinds.helpers import Ids, Recorder, desired, index, items, model, refs, refused

SCRIPTS = KINDS["call_scripts"]


# --- the model ----------------------------------------------------------------------
def test_a_call_script_needs_a_step():
    script = model("call_scripts", {"name": "Giờ hành chính", "steps": [{"group": "CSKH"}]})
    assert (script.note, script.routing_criteria) == ("", [])
    assert "at least 1 item" in refused("call_scripts", {"name": "A", "steps": []})


def test_steps_name_greetings_menus_groups_or_extensions():
    script = model("call_scripts", {"name": "A", "steps": [{"greeting": "G"}, {"ivr": "M"}, {"extension": 101}]})
    assert script.steps == [{"greeting": "G"}, {"ivr": "M"}, {"extension": "101"}]
    assert "a reference here must be" in refused("call_scripts", {"name": "A", "steps": [{"call_script": "B"}]})


def test_routing_criteria_are_of_known_types_each_once():
    criteria = [{"type": "previous_agent"}, {"type": "previous_agent", "agent_timeout": 5}]
    assert "criterion type 'previous_agent' is listed twice" in refused(
        "call_scripts", {"name": "A", "steps": [{"group": "G"}], "routing_criteria": criteria})
    assert "Input should be" in refused("call_scripts", {"name": "A", "steps": [{"group": "G"}],
                                                         "routing_criteria": [{"type": "vip"}]})


# --- from_live: the vendor's examples ---------------------------------------------------
def test_call_script_criteria_strings_become_numbers():
    script = SCRIPTS.from_live(items("call_script_list.json")[0], index())
    assert script["steps"] == [{"group": "Nhóm CSKH"}]
    assert script["routing_criteria"] == [{"type": "account_manager", "agent_timeout": 10, "offline_wait": 10}]


def test_the_create_answer_reads_like_a_listed_script():
    assert SCRIPTS.from_live(items("call_script_add.json")[0], index()) == {
        "name": "KB demo Api", "note": "", "steps": [{"group": "Nhóm CSKH"}], "routing_criteria": []}


def test_steps_are_read_in_their_order_and_an_extension_by_either_id():
    item = {"_id": "s", "script_name": "A", "scripts": [
        {"action_type": "Extension", "action_id": "101", "order": 1},
        {"action_type": "Extension", "action_id": "62d563113127de2eac6b8cbf", "order": 0}]}
    assert SCRIPTS.from_live(item, index())["steps"] == [{"extension": "101"}, {"extension": "101"}]
    assert SCRIPTS.open_references(item) == [("Extension", "101"), ("Extension", "62d563113127de2eac6b8cbf")]


# --- the request bodies ----------------------------------------------------------------
def _data() -> dict:
    return desired("call_scripts", {"name": "Giờ hành chính", "note": "ca sáng",
                                    "steps": [{"greeting": "Chào"}, {"group": "CSKH"}, {"extension": "101"}],
                                    "routing_criteria": [{"type": "missed_call_agent", "agent_timeout": 15}]})


def test_body_carries_the_documented_fields_numbers_as_text():
    assert SCRIPTS.body(_data(), Ids(), update=False) == {
        "script_name": "Giờ hành chính", "note": "ca sáng",
        "scripts": [{"action_id": "id-greetings-Chào", "action_type": "Recording"},
                    {"action_id": "id-groups-CSKH", "action_type": "Ring_group"},
                    {"action_id": "agent-101", "action_type": "Extension"}],
        "criterias": [{"type": "4", "timeout_time": "15", "wait_time": "10"}]}


def test_an_update_names_the_script_name_and_is_a_put():
    body = SCRIPTS.body(_data(), Ids(RefForm.IDENTITY), update=True)
    assert body["name"] == "Giờ hành chính" and "script_name" not in body
    assert body["scripts"][2] == {"action_id": "101", "action_type": "Extension"}  # the tenant's form
    assert (SCRIPTS.update_path, SCRIPTS.update_method) == ("/api/call_center/call_script/update/{id}", "PUT")


def test_a_refused_extension_step_is_sent_again_naming_the_sip_user():
    class RefusesAgentIds(Recorder):
        async def create(self, method: str, path: str, **request):
            await super().create(method, path, **request)
            if request["json"]["scripts"][2]["action_id"].startswith("agent-"):
                raise ApiError("refused", method=method, endpoint=path, server_message="invalid action_id")
            return {"_id": "new"}

    client, ids = RefusesAgentIds(), Ids()
    assert asyncio.run(SCRIPTS.create(client, _data(), ids)) == "new"
    assert [s["json"]["scripts"][2]["action_id"] for s in client.sent] == ["agent-101", "101"]
    assert ids.ref_forms["extensions"] is RefForm.IDENTITY


# --- references ----------------------------------------------------------------------
def test_references_say_which_step_they_are():
    data = desired("call_scripts", {"name": "A", "steps": [{"ivr": "M"}, {"live": {"type": "Callbot", "id": "c"}},
                                                            {"extension": "101"}]})
    assert refs("call_scripts", data) == [("ivr_menus", "M", "steps.0"), ("extensions", "101", "steps.2")]


# --- write-only and secret fields; the state note ---------------------------------------------
def test_the_api_returns_every_field_of_a_call_script():
    assert SCRIPTS.write_only == set() and SCRIPTS.secret == set() and SCRIPTS.keep_when_omitted == set()
    assert set(SCRIPTS.from_live(items("call_script_list.json")[0], index())) == set(_data())


def test_it_holds_the_state_note_in_a_script_of_its_own_name():
    note = {"_id": "n", "script_name": STATE_NOTE_NAME, "note": "state", "last_updated_date": 2}
    older = {**note, "_id": "o", "note": "old", "last_updated_date": 1}
    found = SCRIPTS.find_state_note([items("call_script_list.json")[0], older, note])
    assert found is note and SCRIPTS.state_note_text(found) == "state"
    assert SCRIPTS.find_state_note(items("call_script_list.json")) is None
