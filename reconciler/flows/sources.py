"""Where a Routing comes from: the manifests, or the live tenant read the way `plan` and
`export` read it (reconciler.engine.planner.live_in_manifest_terms)."""

from __future__ import annotations

from typing import Any

from reconciler.engine.live import LiveState, live_in_manifest_terms
from reconciler.flows.model import DAYS, Day, Routing, TimeFrame
from reconciler.kinds.hotline import DAY_OF_API as WEEKDAY_OF_API
from reconciler.kinds import KINDS
from reconciler.kinds.base import PREVIOUS_NAMES



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
    from `configs.working_days` itself: a day with time frames also has a script for the
    rest of the day, which a manifest's `schedule` does not state."""
    terms = live_in_manifest_terms(live)
    objects = {k: {str(data[KINDS[k].identity]): data for _, data in items} for k, items in terms.items()}
    names = {object_id: data["name"] for object_id, data in terms["call_scripts"]}
    schedules = {}
    for item in live.items.get("hotlines", []):
        configs = item.get("configs") if isinstance(item.get("configs"), dict) else {}
        days = schedule_from_api(configs.get("working_days"), names)
        if days:
            schedules[KINDS["hotlines"].live_identity(item)] = days
    return Routing(objects, schedules=schedules, source="live tenant")


def schedule_from_api(working_days: Any, script_names: dict[str, str]) -> dict[str, Day]:
    """configs.working_days in manifest terms (call scripts by name); days or frames with
    no script set are left out (the hotline's default call script runs then)."""
    out: dict[str, Day] = {}
    for entry in working_days if isinstance(working_days, list) else []:
        if not isinstance(entry, dict) or entry.get("weekday") not in WEEKDAY_OF_API:
            continue

        def name(script_id: Any) -> str | None:
            return script_names.get(script_id, f"(unknown id {script_id})") if script_id else None

        frames = tuple(
            TimeFrame(f["from"], f["to"], name(f.get("script")))
            for f in entry.get("time_frames") or []
            if isinstance(f, dict) and f.get("from") and f.get("to") and entry.get("type") != "full_day"
        )
        out[WEEKDAY_OF_API[entry["weekday"]]] = Day(name(entry.get("script")), frames)
    return {d: out[d] for d in DAYS if d in out}


def _schedules(objects: dict[str, dict[str, dict]]) -> dict[str, dict[str, Day]]:
    found = {number: schedule_from_manifest(data.get("schedule")) for number, data in objects["hotlines"].items()}
    return {number: days for number, days in found.items() if days}


def schedule_from_manifest(schedule: Any) -> dict[str, Day]:
    """A hotline's `schedule:` as the SPEC writes it: `sat: Cuối tuần`, or a day's list of
    `{from, to, call_script}` frames."""
    out: dict[str, Day] = {}
    for day, value in (schedule or {}).items():
        if isinstance(value, str):
            out[day] = Day(value)
        elif isinstance(value, list):
            frames = tuple(TimeFrame(f.get("from", ""), f.get("to", ""), f.get("call_script"))
                           for f in value if isinstance(f, dict))
            out[day] = Day(None, frames)
    return out
