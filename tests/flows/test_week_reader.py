"""`graph --live`, `trace --live` and `lint --live` read a hotline's week with the hotline
kind's own reader of `configs.working_days`, the one `plan` and `export` read its
`schedule` with: the two never disagree on what a day runs."""

from __future__ import annotations

from reconciler.engine.live import live_in_manifest_terms
from reconciler.flows.sources import routing_from_live
from tests.engine.builders import call_script, hotline, live

NUMBER = "842800000002"


def _day(weekday: int, script: str, frames: list[dict], **kind: str) -> dict:
    return {"weekday": weekday, "script": script, "time_frames": frames, **kind}


def test_the_week_flows_draw_is_the_schedule_export_writes():
    office, night = call_script("Giờ hành chính", []), call_script("Ngoài giờ", [])
    line = hotline(NUMBER, office["_id"])
    line["configs"]["working_days"] = [
        _day(2, office["_id"], [{"from": "", "to": "", "script": ""}], type="full_day"),  # as the default
        _day(3, office["_id"], [{"from": "08:00", "to": "12:00", "script": night["_id"]}]),  # no type: a full day
        _day(4, office["_id"], [{"from": "08:00", "to": "", "script": night["_id"]}], type="time_frame"),  # half a frame
        _day(5, office["_id"], [{"from": "13:00", "to": "17:00", "script": night["_id"]}], type="time_frame"),
        _day(7, night["_id"], [{"from": "", "to": "", "script": ""}], type="full_day"),
    ]
    state = live(hotlines=[line], call_scripts=[office, night])
    exported = next(data for _, data in live_in_manifest_terms(state)["hotlines"])["schedule"]
    assert exported == {"thu": [{"from": "13:00", "to": "17:00", "call_script": "Ngoài giờ"}], "sat": "Ngoài giờ"}
    week = routing_from_live(state).schedules[NUMBER]
    drawn = {day: [(f.start, f.end, f.call_script) for f in plan.frames] or plan.call_script
             for day, plan in week.items() if plan.frames or plan.call_script != "Giờ hành chính"}
    assert drawn == {"thu": [("13:00", "17:00", "Ngoài giờ")], "sat": "Ngoài giờ"}
