"""Where a Routing comes from: the manifests, or the live tenant read the way `plan` and
`export` read it (reconciler.engine.planner.live_in_manifest_terms)."""

from __future__ import annotations

from typing import Any

from reconciler.engine.live import LiveState, live_in_manifest_terms
from reconciler.flows.model import Day, Routing, kinds_with
from reconciler.kinds import KINDS
from reconciler.kinds.base import PREVIOUS_NAMES, CallRole


def routing_from_manifests(manifests: Any) -> Routing:
    """The manifests' objects (a ManifestSet), with where each is written."""
    objects: dict[str, dict[str, dict]] = {k: {} for k in KINDS}
    where: dict = {}
    for k, objs in manifests.objects.items():
        for name, obj in objs.items():
            objects[k][name] = obj.model.model_dump(by_alias=True, exclude={PREVIOUS_NAMES})
            where[(k, name)] = obj
    return Routing(objects, where=where, schedules=_schedules(objects), source="manifests", root=str(manifests.root),
                   lint_policy=dict(manifests.policy.lint), policy_fields=dict(manifests.policy_fields))


def routing_from_live(live: LiveState) -> Routing:
    """The live tenant's objects in manifest terms, and each hotline's weekly schedule read
    from `configs.working_days` itself (the hotline kind's `live_week`): a day with time
    frames also has a script for the rest of the day, which a manifest's `schedule` does
    not state."""
    terms = live_in_manifest_terms(live)
    objects = {k: {str(data[KINDS[k].identity]): data for _, data in items} for k, items in terms.items()}
    index = _Names({k: {object_id: str(data[KINDS[k].identity]) for object_id, data in items}
                    for k, items in terms.items()})
    schedules: dict[str, dict[str, Day]] = {}
    for k in kinds_with(CallRole.ROUTE):
        for item in live.items.get(k, []):
            days = KINDS[k].live_week(item, index)
            if days:
                schedules[KINDS[k].live_identity(item)] = days
    return Routing(objects, schedules=schedules, source="live tenant")


class _Names:
    """The names the live objects are read under (a `LiveIndex` for `Kind.live_week`)."""

    def __init__(self, names: dict[str, dict[str, str]]) -> None:
        self.names = names

    def name_of(self, kind: str, object_id: str) -> str:
        return self.names.get(kind, {}).get(object_id, f"(unknown id {object_id})")

    def name_by_alias(self, kind: str, alias: str | None) -> str | None:
        return None

    def knows(self, kind: str, object_id: str) -> bool:
        return object_id in self.names.get(kind, {})


def _schedules(objects: dict[str, dict[str, dict]]) -> dict[str, dict[str, Day]]:
    """Each hotline's `schedule:` as the manifests write it (the hotline kind's `week`)."""
    found = {number: KINDS[k].week(data) for k in kinds_with(CallRole.ROUTE) for number, data in objects[k].items()}
    return {number: days for number, days in found.items() if days}
