"""A hotline's weekly schedule (configs.working_days), set in the console: read, shown,
exported, checked, and never changed as a side effect (issue 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.simulator import Simulator

from .conftest import API_KEY, Tenant

OFFICE, WEEKEND = "5f00000000000000000000a1", "5f00000000000000000000a2"
NUMBER = "842873009999"


def _day(weekday: int, script: str, frames: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"weekday": weekday, "type": "time_frame" if frames else "full_day", "script": script,
            "time_frames": frames or [{"from": "", "to": "", "script": ""}]}


def _seed() -> dict[str, Any]:
    days = [_day(d, OFFICE) for d in (2, 3, 4, 5, 6)]
    days += [_day(7, WEEKEND), _day(1, OFFICE, [{"from": "08:00", "to": "12:00", "script": WEEKEND}])]
    return {
        "extensions": [{"sip_user": "101"}],
        "greetings": [{"_id": "5f00000000000000000000b1", "greeting_name": "Chào", "content": "Xin chào"}],
        "call_scripts": [
            {"_id": OFFICE, "script_name": "Giờ hành chính",
             "scripts": [{"action_type": "Recording", "action_id": "5f00000000000000000000b1"}]},
            {"_id": WEEKEND, "script_name": "Cuối tuần",
             "scripts": [{"action_type": "Recording", "action_id": "5f00000000000000000000b1"}]},
        ],
        "hotlines": [{"number": NUMBER, "configs": {"default_script": OFFICE, "working_days": days}}],
    }


MANIFEST = f"""hotlines:
  - number: "{NUMBER}"
    call_script: Giờ hành chính
    outbound: {{outbound}}
"""


@pytest.fixture
def weekend(tmp_path: Path):
    sim = Simulator(_seed(), api_key=API_KEY)
    manifests = tmp_path / "m"
    manifests.mkdir()
    try:
        yield Tenant(sim, sim.start(), manifests)
    finally:
        sim.stop()


def _days(sim: Simulator) -> dict[int, Any]:
    record = sim.tenant.hotlines[NUMBER]["configs"]["working_days"]
    return {d["weekday"]: (d["type"], d["script"]) for d in record}


def test_an_unrelated_change_never_sends_call_script_and_keeps_the_weekend(weekend: Tenant) -> None:
    weekend.edit("h.yaml", MANIFEST.format(outbound="false"))
    before = _days(weekend.sim)
    result = weekend.run("apply", str(weekend.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    (update,) = [r for r in weekend.mutations() if r.path.endswith("/hotline/update")]
    assert "call_script" not in update.json and update.json["allow_call_out"] == "false"
    assert _days(weekend.sim) == before


def test_changing_call_script_shows_the_schedule_it_replaces_and_needs_force(weekend: Tenant) -> None:
    weekend.edit("h.yaml", MANIFEST.format(outbound="true").replace("call_script: Giờ hành chính",
                                                                   "call_script: Cuối tuần"))
    plan = weekend.run("plan", str(weekend.manifests))
    assert "schedule" in plan.output and "sat" in plan.output and "sun" in plan.output
    assert f"hotline {NUMBER}: setting call_script replaces its weekly schedule (sat, sun differ)" in plan.output
    refused = weekend.run("apply", str(weekend.manifests), "--auto-approve")
    assert refused.exit_code == 1 and weekend.mutations() == []
    forced = weekend.run("apply", str(weekend.manifests), "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert set(_days(weekend.sim).values()) == {("full_day", WEEKEND)}
    assert weekend.run("plan", str(weekend.manifests), "--detailed-exitcode").exit_code == 0


def test_export_writes_the_schedule_and_drift_reports_a_console_edit(weekend: Tenant, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    exported = weekend.run("export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    text = (out / "hotlines.yaml").read_text(encoding="utf-8")
    assert ("schedule:\n      sat: Cuối tuần\n      sun:\n        - {from: \"08:00\", to: \"12:00\", "
            "call_script: Cuối tuần}\n") in text
    assert weekend.run("drift", str(out)).exit_code == 0

    days = weekend.sim.tenant.hotlines[NUMBER]["configs"]["working_days"]
    days[5] = _day(7, OFFICE)  # Saturday back to office hours, in the console
    drift = weekend.run("drift", str(out))
    assert drift.exit_code == 2, drift.output
    assert "schedule" in drift.output
    # The manifest states a schedule the API cannot set: plan says so and apply refuses.
    plan = weekend.run("plan", str(out))
    assert plan.exit_code == 1 and "the API cannot set a weekly schedule" in plan.output


def test_a_schedule_stated_in_the_manifest_is_validated() -> None:
    from reconciler.kinds import KINDS

    model = KINDS["hotlines"].model
    ok = model.model_validate({"number": NUMBER, "schedule": {"sat": "X", "sun": [{"from": "08:00", "to": "12:00"}]}})
    assert KINDS["hotlines"].desired(ok)["schedule"]["sun"] == [{"from": "08:00", "to": "12:00", "call_script": None}]
    with pytest.raises(ValueError):
        model.model_validate({"number": NUMBER, "schedule": {"saturday": "X"}})
    with pytest.raises(ValueError):
        model.model_validate({"number": NUMBER, "schedule": {"sun": [{"from": "8am", "to": "12:00"}]}})


def test_drift_write_writes_times_as_export_does_quoted_for_every_reader(weekend: Tenant, tmp_path: Path) -> None:
    """Times the console set are written by `drift --write` as `export` writes them: in
    double quotes, which YAML 1.1 readers (PyYAML, many editors and linters) read as text;
    plain `18:00` is the number 1080 to them. Before issue 23 drift --write wrote it plain."""
    out = tmp_path / "exported"
    assert weekend.run("export", "--out", str(out)).exit_code == 0
    days = weekend.sim.tenant.hotlines[NUMBER]["configs"]["working_days"]
    days[5] = _day(7, OFFICE, [{"from": "18:00", "to": "20:00", "script": WEEKEND}])  # a whole day becomes frames
    days[6]["time_frames"].append({"from": "13:00", "to": "17:30", "script": OFFICE})  # Sunday gets a frame more
    result = weekend.run("drift", str(out), "--write")
    assert result.exit_code == 2, result.output
    text = (out / "hotlines.yaml").read_text(encoding="utf-8")
    assert 'sat: [{from: "18:00", to: "20:00", call_script: Cuối tuần}]\n' in text
    assert '        - {from: "13:00", to: "17:30", call_script: Giờ hành chính}\n' in text
    yaml11 = YAML(typ="safe", pure=True)
    yaml11.version = (1, 1)
    schedule = yaml11.load(text)["hotlines"][0]["schedule"]
    assert schedule["sat"] == [{"from": "18:00", "to": "20:00", "call_script": "Cuối tuần"}]
    assert schedule["sun"][1] == {"from": "13:00", "to": "17:30", "call_script": "Giờ hành chính"}
    assert weekend.run("drift", str(out)).exit_code == 0


@pytest.mark.parametrize("call_script", ["    call_script: Giờ hành chính\n", ""], ids=["stated", "kept-from-tenant"])
def test_a_day_that_names_the_default_script_is_the_same_as_leaving_it_out(weekend: Tenant, call_script: str) -> None:
    """`mon: Giờ hành chính` on a hotline whose call_script is Giờ hành chính says what
    leaving Monday out says (SPEC: days not listed use call_script). validate accepted it
    while plan refused it as a schedule the API cannot set: one truth for both now."""
    weekend.edit("h.yaml", f"""hotlines:
  - number: "{NUMBER}"
{call_script}    schedule:
      mon: Giờ hành chính
      sat: Cuối tuần
      sun: [{{from: "08:00", to: "12:00", call_script: Cuối tuần}}]
""")
    assert weekend.run("validate", str(weekend.manifests)).exit_code == 0
    plan = weekend.run("plan", str(weekend.manifests), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.output
    assert weekend.run("drift", str(weekend.manifests)).exit_code == 0
    # A day naming another script than the tenant's is still a difference the API cannot make.
    weekend.edit("h.yaml", weekend.read("h.yaml").replace("mon: Giờ hành chính", "mon: Cuối tuần"))
    refused = weekend.run("plan", str(weekend.manifests))
    assert refused.exit_code == 1 and "the API cannot set a weekly schedule" in refused.output


def test_a_script_the_schedule_still_runs_is_not_deleted_and_the_error_says_why(weekend: Tenant) -> None:
    """Pruning call scripts, the weekend script is to go, but Saturday (and Sunday's
    morning) still run it: the hotline is declared, so "not managed here" was wrong."""
    weekend.edit("h.yaml", MANIFEST.format(outbound="true") + """
call_scripts:
  - name: Giờ hành chính
    steps: [{greeting: Chào}]

policy:
  prune: [call_scripts]
""")
    plan = weekend.run("plan", str(weekend.manifests))
    assert plan.exit_code == 1, plan.output
    assert (f"cannot delete call script 'Cuối tuần': hotline '{NUMBER}' still uses it (schedule.sat), which the "
            "manifests leave as the tenant has it") in " ".join(plan.output.split())
    assert "not managed here" not in plan.output
    assert weekend.run("apply", str(weekend.manifests), "--auto-approve", "--force").exit_code == 1
    assert weekend.mutations() == []
