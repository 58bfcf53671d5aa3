"""A misbehaving server (wrong envelope shapes, malformed list items) must give a clear
error and exit 1: never a traceback, and never a plan built on a list that was not read."""

from __future__ import annotations

import pytest

from tests.e2e.evil_server import Evil, assert_clean_failure, evil  # noqa: F401


def test_null_payload_for_a_list_is_an_error_not_an_empty_tenant(evil: Evil):
    # After a normal apply, the group list answers {"status_code": 9999, "payload": null}.
    assert evil.run("apply", str(evil.manifests), "--auto-approve").exit_code == 0
    before = sorted(g["group_name"] for g in evil.sim.snapshot()["groups"])

    def null_payload(envelope: dict) -> None:
        envelope["payload"] = None

    evil.on_list("/internal_group/list", null_payload)
    result = evil.run("apply", str(evil.manifests), "--auto-approve")
    after = sorted(g["group_name"] for g in evil.sim.snapshot()["groups"])
    assert after == before, f"groups duplicated: {after}"
    assert_clean_failure(result)


def _items(edit):
    def apply_edit(envelope: dict) -> None:
        envelope["payload"]["items"] = edit(envelope["payload"]["items"])

    return apply_edit


MALFORMED = {
    "item is null": ("/internal_group/list", _items(lambda items: [None, *items])),
    "item is a string": ("/internal_group/list", _items(lambda items: ["62ff11b208d4bf3ea694a6f3", *items])),
    "item without _id": ("/internal_group/list", _items(lambda items: [{k: v for k, v in i.items() if k != "_id"}
                                                                       for i in items])),
    "group_name is a number": ("/internal_group/list", _items(lambda items: [{**i, "group_name": 5} for i in items])),
    "member is null": ("/internal_group/list", _items(lambda items: [{**i, "members": [None]} for i in items])),
    "member timeout not a number": ("/internal_group/list", _items(
        lambda items: [{**i, "members": [{**m, "timeout": "30s"} for m in i["members"]]} for i in items])),
    "ivr key entry is null": ("/key-interaction/list", _items(lambda items: [{**i, "scripts": [None]} for i in items])),
    "greeting speed not a number": ("/greeting/list", _items(lambda items: [{**i, "speed": "fast"} for i in items])),
    "criteria entry is null": ("/call_script/list", _items(lambda items: [{**i, "criterias": [None]} for i in items])),
    "hotline configs not an object": ("/hotline/search", _items(lambda items: [{**i, "configs": "x"} for i in items])),
    "payload is a bare list of strings": ("/internal_group/list",
                                          lambda envelope: envelope.update(payload=["a", "b"])),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_list_items_give_a_clear_error(evil: Evil, case: str):
    path, edit = MALFORMED[case]
    evil.on_list(path, edit)
    assert_clean_failure(evil.run("plan", str(evil.manifests)))


def test_the_error_names_the_list_endpoint(evil: Evil):
    evil.on_list("/internal_group/list", lambda envelope: envelope.update(payload=None))
    result = evil.run("plan", str(evil.manifests))
    assert_clean_failure(result)
    assert "payload.items" in result.output and "/api/call_center/internal_group/list" in result.output


def test_an_absurd_page_count_fails_without_fetching_thousands_of_pages(evil: Evil):
    def absurd(envelope: dict) -> None:
        envelope["payload"]["total_pages"] = 10**9

    evil.on_list("/internal_group/list", absurd)
    result = evil.run("plan", str(evil.manifests))
    assert_clean_failure(result)
    assert "1000000000 pages" in result.output
    assert len([r for r in evil.sim.requests if "/internal_group/list" in r.path]) < 5
