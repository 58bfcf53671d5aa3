"""Extensions (seeded; hidden settings) and hotlines (seeded; update read-back)."""

from __future__ import annotations

from reconciler.simulator.demo import CALL_SCRIPT, GROUP_SALES, GROUP_TECH
from tests.simulator.helpers import Api


def _hidden(api: Api, sip_user: str) -> dict:
    return api.sim.tenant.extensions[sip_user]


def test_list_masks_passwords(api: Api) -> None:
    items = api.ok("GET", "internal_phone/list")["items"]
    assert {e["password"] for e in items} == {"XXXXXX"}
    assert {e["sip_user"] for e in items} == {"100", "101", "102", "103", "104", "145", "147"}


def test_status_update_and_refresh_are_stored_but_not_listed(api: Api) -> None:
    listed_before = api.ok("GET", "internal_phone/list", params={"keyword": "145"})["items"][0]
    assert api.ok("PUT", "internal_phone/status", params={"enabled": "false", "sip_user": "145"}) is True
    api.ok("POST", "internal_phone/update", json={"sip_user": "145", "password": "n3w-secret", "call_timeout": "45"})
    hidden = _hidden(api, "145")
    assert (hidden["enabled"], hidden["password"], hidden["call_timeout"]) == (False, "n3w-secret", 45)
    listed = api.ok("GET", "internal_phone/list", params={"keyword": "145"})["items"][0]
    assert "enabled" not in listed and "call_timeout" not in listed and listed["password"] == "XXXXXX"
    assert listed["last_updated_date"] > listed_before["last_updated_date"]
    assert api.ok("GET", "internal_phone/refresh", params={"sip_user": "145"}) is True
    assert (hidden["enabled"], hidden["password"], hidden["call_timeout"]) == (True, "kiyyzsefxx", 30)


def test_status_takes_string_booleans_and_a_known_extension(api: Api) -> None:
    assert "enabled must be" in api.fail("PUT", "internal_phone/status", params={"enabled": "no", "sip_user": "145"})
    assert "extension not found" in api.fail("PUT", "internal_phone/status", params={"enabled": "true", "sip_user": "9"})
    assert "sip_user is required" in api.fail("GET", "internal_phone/refresh")


def test_detail_by_each_search_type(api: Api) -> None:
    for kind, keyword in (("sip_user", "101"), ("user_email", "binh@example.vn"), ("usr_uuid", "binh")):
        detail = api.ok("GET", "extensions/detail", params={"type": kind, "keyword": keyword})
        assert (detail["extension"], detail["mail"], detail["full_name"]) == ("101", "binh@example.vn", "Nguyễn Thị Bình")
    assert "type must be one of" in api.fail("GET", "extensions/detail", params={"type": "name", "keyword": "x"})
    assert "extension not found" in api.fail("GET", "extensions/detail", params={"type": "sip_user", "keyword": "9"})


def test_hotline_update_reads_back_as_configs_and_accesses(api: Api) -> None:
    before = api.ok("GET", "hotline/by-phone", params={"hotline": "842873003388"})
    assert before["configs"]["default_script"] == ""
    api.ok("POST", "hotline/update", json={
        "hotline": "842873003388", "extensions": ["101", "102"], "group_ids": [GROUP_TECH], "call_script": CALL_SCRIPT,
        "allow_call_in": "false", "allow_call_out": "true", "access_type": "applies_according_to_employee_criteria"})
    after = api.ok("GET", "hotline/by-phone", params={"hotline": "842873003388"})
    configs = after["configs"]
    assert configs["allow_call_in"] is False and configs["allow_call_out"] is True
    assert configs["default_script"] == CALL_SCRIPT
    assert [d["script"] for d in configs["working_days"]] == [CALL_SCRIPT] * 7
    assert after["access_type"] == "applies_according_to_employee_criteria"
    assert after["accesses"] == [{"type": "extension", "sip_user": "101"}, {"type": "extension", "sip_user": "102"},
                                 {"type": "group", "group_id": GROUP_TECH}]
    assert after["last_updated_date"] > before["last_updated_date"]
    searched = api.ok("GET", "hotline/search", params={"keyword": "3388"})["items"]
    assert searched == [after]


def test_hotline_list_follows_who_may_call_out(api: Api) -> None:
    assert sorted(api.ok("GET", "hotline/list", params={"extension": "104"})) == ["842871002283", "842873003388"]
    api.ok("POST", "hotline/update", json={"hotline": "842873003388", "extensions": ["103"], "group_ids": [GROUP_SALES],
                                           "access_type": "applies_according_to_employee_criteria"})
    assert api.ok("GET", "hotline/list", params={"extension": "104"}) == ["842871002283"]
    assert "842873003388" in api.ok("GET", "hotline/list", params={"extension": "103"})
    assert "842873003388" in api.ok("GET", "hotline/list", params={"extension": "101"})  # via Nhóm Sales
    api.ok("POST", "hotline/update", json={"hotline": "842871002283", "allow_call_out": "false"})
    assert api.ok("GET", "hotline/list", params={"extension": "104"}) == []
    assert "extension not found" in api.fail("GET", "hotline/list", params={"extension": "999"})


def test_dedicated_hotline_serves_only_its_extension(api: Api) -> None:
    assert api.ok("POST", "hotline/extension/update", json={
        "hotline": "842871002283", "user_email": "vy@example.vn", "directions": ["outbound", "inbound"]}) is True
    assert api.sim.tenant.hotlines["842871002283"]["dedicated"] == {
        "user_email": "vy@example.vn", "directions": ["outbound", "inbound"]}
    assert "842871002283" in api.ok("GET", "hotline/list", params={"extension": "147"})
    assert "842871002283" not in api.ok("GET", "hotline/list", params={"extension": "100"})
    shown = api.ok("GET", "hotline/by-phone", params={"hotline": "842871002283"})
    assert "dedicated" not in shown and "vy@example.vn" not in str(shown)


def test_hotlines_cannot_be_created_or_deleted(api: Api) -> None:
    assert api.call("POST", "hotline/add", json={"hotline": "1"}).status_code == 404
    assert api.call("DELETE", "hotline/delete/842871002283").status_code == 404
