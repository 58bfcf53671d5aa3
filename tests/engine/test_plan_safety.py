"""Safety lives in the plan: it refuses itself when unsafe or blocked (octoDNS's
raise_if_unsafe), so no caller of the engine can apply it by forgetting a check."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.engine.plan import Change, Plan
from reconciler.engine.session import apply_to_tenant
from reconciler.errors import PlanError, UnsafePlanError


def plan(**lists: list[str]) -> Plan:
    return Plan(changes=[Change("delete", "groups", "Cũ", id="g1")], **lists)


def test_a_safe_plan_passes_and_an_unsafe_one_only_when_forced():
    plan().raise_if_unsafe()
    unsafe = plan(unsafe=["groups: 4 of 10 deleted (more than 30%)"])
    with pytest.raises(UnsafePlanError) as err:
        unsafe.raise_if_unsafe()
    assert err.value.problems == ["groups: 4 of 10 deleted (more than 30%)"]
    assert isinstance(err.value, PlanError)  # callers that handle plan errors handle it
    unsafe.raise_if_unsafe(force=True)


def test_a_blocked_plan_is_refused_even_forced():
    blocked = plan(blocked=["greeting 'X' cannot be uploaded"], unsafe=["too many deletes"])
    with pytest.raises(UnsafePlanError) as err:
        blocked.raise_if_unsafe(force=True)
    assert err.value.problems == ["greeting 'X' cannot be uploaded"]


class NoRequests:
    """A client that fails the test if the engine reads or sends anything."""

    async def list_all(self, *args, **kwargs):
        raise AssertionError("the tenant was read for a refused plan")

    async def send(self, *args, **kwargs):
        raise AssertionError("a request was sent for a refused plan")


def test_the_session_door_refuses_an_unsafe_plan_before_any_request():
    with pytest.raises(UnsafePlanError):
        asyncio.run(apply_to_tenant(NoRequests(), plan(unsafe=["too many deletes"]), saved=False))
    with pytest.raises(UnsafePlanError):
        asyncio.run(apply_to_tenant(NoRequests(), plan(blocked=["no"]), saved=False, force=True))


def test_actions_are_typed_and_their_json_is_the_plain_word():
    from reconciler.engine.plan import ACTIONS, Action

    change = Change("rename", "groups", "Mới", id="g1", rename_from="Cũ")
    assert change.action is Action.RENAME  # the word a plan file gives becomes the type
    assert change.to_json()["action"] == "rename" and type(change.to_json()["action"]) is str
    assert Change.from_json(change.to_json()) == change
    assert [str(a) for a in ACTIONS] == ["create", "rename", "update", "replace", "delete"]
    counts = Plan(changes=[change]).to_json()["summary"]
    assert counts["rename"] == 1 and all(type(k) is str for k in counts)
    with pytest.raises(ValueError):
        Change("upsert", "groups", "X")
