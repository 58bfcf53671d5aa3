"""Call flows of the live tenant (`--live`) and in plans, over real HTTP against the simulator."""

from __future__ import annotations

import json

import pytest

from tests.flows.plan_diagram import ADDED, GONE, diagrams, graph_of

MAIN, EVENING = "842871002283", "842873003388"


def test_live_graph_trace_and_lint_equal_the_manifests_after_an_apply(tenant):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    for number in (MAIN, EVENING):
        for fmt in ("json", "mermaid", "dot"):
            desired = tenant.run("graph", str(tenant.manifests), "--hotline", number, "--format", fmt)
            live = tenant.run("graph", "--live", "--hotline", number, "--format", fmt)
            assert (live.exit_code, live.output) == (0, desired.output)
    for args in (["--keys", "2,1"], ["--keys", "1", "--unanswered"], ["--keys", "9,9"]):
        desired = tenant.run("trace", MAIN, str(tenant.manifests), *args, "--format", "json")
        assert tenant.run("trace", MAIN, "--live", *args, "--format", "json").output == desired.output
    # The demo tenant's objects the manifests leave alone are drawn too, and reached by no hotline.
    everything = json.loads(tenant.run("graph", "--live", "--format", "json").output)
    assert {"kind": "groups", "name": "Nhóm nhân viên mặc định"} in everything["nodes"]
    # The loop `trace --keys 1 --unanswered` walks is a finding of lint too; the tenant has no
    # policy, so it is a warning there (examples/policy.yaml makes it an info).
    lint = tenant.run("lint", "--live", "--format", "json")
    assert lint.exit_code == 2
    found = json.loads(lint.output)["findings"]
    assert {(f["severity"], f["code"], f["name"], f["location"]) for f in found if f["kind"] == "groups"} == {
        ("warning", "unanswered-loop", "Kinh doanh", None), ("info", "unreachable", "Nhóm nhân viên mặc định", None)}
    desired = json.loads(tenant.run("lint", str(tenant.manifests), "--format", "json").output)["findings"]
    assert [(f["code"], f["name"], f["severity"]) for f in desired] == [("unanswered-loop", "Kinh doanh", "info")]


def test_trace_at_a_time_uses_the_live_hotlines_weekly_schedule(tenant):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    evening = tenant.sim.tenant.find("call_scripts", "Ngoài giờ")["_id"]
    office = tenant.sim.tenant.find("call_scripts", "Giờ hành chính")["_id"]
    hotline = tenant.sim.tenant.hotlines[MAIN]
    days = hotline["configs"]["working_days"]
    for day in days:
        if day["weekday"] == 7:  # Saturday: the evening script all day
            day["script"] = evening
        if day["weekday"] == 1:  # Sunday: office hours in the morning only
            day.update(type="time_frame", script=evening,
                       time_frames=[{"from": "08:00", "to": "12:00", "script": office}])
    saturday = json.loads(tenant.run("trace", MAIN, "--live", "--at", "Sat 19:30", "--format", "json").output)
    assert saturday["hops"][1] == {"kind": "call_scripts", "name": "Ngoài giờ", "via": "sat", "note": ""}
    assert saturday["notes"] == ["--at sat 19:30: the schedule's call script for sat"]
    monday = json.loads(tenant.run("trace", MAIN, "--live", "--at", "Mon 09:00", "--format", "json").output)
    assert monday["hops"][1]["name"] == "Giờ hành chính"
    sunday = json.loads(tenant.run("trace", MAIN, "--live", "--at", "sunday 9:15", "--format", "json").output)
    assert sunday["hops"][1] == {"kind": "call_scripts", "name": "Giờ hành chính", "via": "sun 08:00-12:00",
                                 "note": ""}
    late = json.loads(tenant.run("trace", MAIN, "--live", "--at", "Sun 12:00", "--format", "json").output)
    assert late["hops"][1]["name"] == "Ngoài giờ"
    graph = tenant.run("graph", "--live", "--hotline", MAIN, "--format", "json")
    labels = {(e["label"], e["to"]["name"]) for e in json.loads(graph.output)["edges"] if e["from"]["name"] == MAIN}
    assert labels == {("inbound", "Giờ hành chính"), ("sat", "Ngoài giờ"), ("sun", "Ngoài giờ"),
                      ("sun 08:00-12:00", "Giờ hành chính")}


def test_markdown_plan_of_a_routing_change_draws_the_changed_flow(tenant):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    tenant.edit("ivr.yaml", tenant.read("ivr.yaml").replace('"1": {group: Kinh doanh}', '"1": {group: Hỗ trợ kỹ thuật}'))
    result = tenant.run("plan", str(tenant.manifests), "--format", "markdown")
    assert result.exit_code == 0
    md = result.output
    assert f"**Call flow of hotline {MAIN} after this plan (new or now reached: bold; removed or no longer reached: dashed)**" in md
    assert md.count("Call flow of hotline") == 1  # the evening hotline's flow does not change
    block = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    ids = {line.split("[", 1)[0].split("{", 1)[0].split("(", 1)[0].strip(): line for line in block.splitlines()
           if "<small>" in line}
    menu = next(i for i, line in ids.items() if '"Menu chính<br/>' in line)
    support = next(i for i, line in ids.items() if '"Hỗ trợ kỹ thuật<br/>' in line)
    sales = next(i for i, line in ids.items() if '"Kinh doanh<br/>' in line)
    assert f'{menu} ==>|"key 1 (new)"| {support}' in block  # the new edge, bold
    assert f'{menu} -.->|"key 1 (removed)"| {sales}' in block  # the old one, dashed
    assert "linkStyle" in block
    assert "Impact on callers" not in md  # both groups are still reached


def test_text_plan_states_which_hotlines_lose_their_way_to_which_groups(tenant):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    groups = tenant.read("groups.yaml").replace("    on_timeout: {group: Kinh doanh}\n", "")
    tenant.edit("groups.yaml", groups)
    text = tenant.run("plan", str(tenant.manifests)).output
    assert f"Impact on callers:\n  hotline {EVENING}: callers lose their way to group 'Kinh doanh'\n" in text
    assert MAIN not in text.split("Impact on callers:", 1)[1].split("\n\n", 1)[0]
    md = tenant.run("plan", str(tenant.manifests), "--format", "markdown").output
    assert f"**Impact on callers:**\n\n- hotline {EVENING}: callers lose their way to group 'Kinh doanh'\n" in md
    assert f"Call flow of hotline {EVENING} after this plan" in md
    removed = md.split(f"Call flow of hotline {EVENING}", 1)[1]
    assert '"Kinh doanh<br/><small>group, no longer reached</small>"' in removed
    assert "class " in removed and " gone" in removed
    sales_timeout = '-.->|"on_timeout (no longer reached)"|'  # Kinh doanh keeps its on_timeout
    assert '-.->|"on_timeout (removed)"|' in removed and sales_timeout in removed


def test_a_deleted_group_shows_as_deleted_and_every_hotline_that_reached_it_is_named(tenant):
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    groups = tenant.read("groups.yaml")
    tenant.edit("groups.yaml", "groups:\n" + groups.split("\n  - name: Hỗ trợ kỹ thuật", 1)[1].join(
        ["  - name: Hỗ trợ kỹ thuật", ""]).replace("    on_timeout: {group: Kinh doanh}\n", ""))
    tenant.edit("ivr.yaml", tenant.read("ivr.yaml").replace("{group: Kinh doanh}", "{group: Hỗ trợ kỹ thuật}"))
    tenant.edit("routing.yaml", tenant.read("routing.yaml").replace("groups: [Kinh doanh]", "groups: []"))
    result = tenant.run("plan", str(tenant.manifests))
    assert result.exit_code == 0, result.output
    assert "- delete group Kinh doanh" in result.output
    impact = result.output.split("Impact on callers:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert impact == [f"  hotline {MAIN}: callers lose their way to group 'Kinh doanh'",
                      f"  hotline {EVENING}: callers lose their way to group 'Kinh doanh'"]
    md = tenant.run("plan", str(tenant.manifests), "--format", "markdown").output
    assert md.count('"Kinh doanh<br/><small>group, deleted</small>"') == 2  # in both hotlines' diagrams


def _script_of_main(tenant, script: str, *, delete_old: bool) -> None:
    """Route the main hotline to `script`; with `delete_old`, drop the call script it ran
    (policy.prune owns call scripts, so the plan deletes it)."""
    routing = tenant.read("routing.yaml").replace("call_script: Giờ hành chính\n    inbound", f"call_script: {script}\n"
                                                  "    inbound", 1)
    if delete_old:
        start, end = routing.index("  - name: Giờ hành chính"), routing.index("  - name: Ngoài giờ")
        routing = routing[:start] + routing[end:]
    tenant.edit("routing.yaml", routing)


@pytest.mark.parametrize("delete_old", [False, True], ids=["old-script-kept", "old-script-deleted"])
def test_a_call_script_change_is_drawn_as_graph_draws_the_manifests(tenant, delete_old):
    """Issue 21: a new call_script drew seven bold "mon (new)" … "sun (new)" edges to the
    old script (the tenant's working days, each naming the old default), which neither the
    text plan nor `graph --live` after the apply shows; a deleted old script was not
    marked deleted. The diagram is `graph DIR --hotline N` with the changes marked."""
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    before = graph_of(json.loads(tenant.run("graph", "--live", "--hotline", MAIN, "--format", "json").output))
    _script_of_main(tenant, "Ngoài giờ", delete_old=delete_old)
    text = tenant.run("plan", str(tenant.manifests)).output
    assert "schedule" not in text  # the tenant's days all ran the old default: nothing else changes

    md = tenant.run("plan", str(tenant.manifests), "--format", "markdown").output
    flows = diagrams(md)
    assert set(flows) == {MAIN}  # the evening hotline's flow does not change
    drawn = flows[MAIN]
    labels = {label for (source, _, label), _ in drawn.edges if source == ("hotlines", MAIN)}
    assert labels == {"inbound"}  # no weekday edges: after the apply every day runs Ngoài giờ
    after = graph_of(json.loads(tenant.run("graph", str(tenant.manifests), "--hotline", MAIN,
                                           "--format", "json").output))
    assert drawn.after() == after
    assert drawn.part(*ADDED) == (after[0] - before[0], after[1] - before[1])
    assert drawn.part(*GONE) == (before[0] - after[0], before[1] - after[1])
    old = ("call_scripts", "Giờ hành chính")
    assert drawn.nodes[old] == ("deleted" if delete_old else "no longer reached")
    assert drawn.nodes[("ivr_menus", "Menu chính")] == "no longer reached"  # still there, not reached
    # The tenant has the evening script and its greeting: newly on this hotline's way, not
    # "new" (a reviewer read that as "created"; the plan creates nothing).
    assert drawn.nodes[("call_scripts", "Ngoài giờ")] == "now reached"
    assert drawn.nodes[("greetings", "Ngoài giờ làm việc")] == "now reached"
    assert drawn.part("new")[0] == set()
    evening_steps = {label: mark for ((source, _, label), mark) in drawn.edges if source == ("call_scripts", "Ngoài giờ")}
    assert evening_steps == {"step 1": "now reached", "step 2": "now reached"}
    assert [mark for (edge, mark) in drawn.edges if edge == (("hotlines", MAIN), old, "inbound")] == ["removed"]

    applied = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    live = graph_of(json.loads(tenant.run("graph", "--live", "--hotline", MAIN, "--format", "json").output))
    assert live == after
    everything = graph_of(json.loads(tenant.run("graph", "--live", "--format", "json").output))[0]
    assert (old in everything) is not delete_old


def test_replacing_a_weekly_schedule_is_drawn_as_the_days_it_removes(tenant):
    """A call_script change on a hotline whose weekdays differ (set in the console)
    replaces them: the diagram dashes the weekday edges, as the text plan shows the
    schedule going, and after `apply --force` the tenant draws the same."""
    assert tenant.run("apply", str(tenant.manifests), "--auto-approve").exit_code == 0
    evening = tenant.sim.tenant.find("call_scripts", "Ngoài giờ")["_id"]
    for day in tenant.sim.tenant.hotlines[MAIN]["configs"]["working_days"]:
        if day["weekday"] == 7:  # Saturday: the evening script, set in the console
            day["script"] = evening
    before = graph_of(json.loads(tenant.run("graph", "--live", "--hotline", MAIN, "--format", "json").output))
    assert (("hotlines", MAIN), ("call_scripts", "Ngoài giờ"), "sat") in before[1]
    _script_of_main(tenant, "Ngoài giờ", delete_old=False)
    text = tenant.run("plan", str(tenant.manifests)).output
    assert "schedule" in text and "setting call_script replaces its weekly schedule (sat differ)" in text

    drawn = diagrams(tenant.run("plan", str(tenant.manifests), "--format", "markdown").output)[MAIN]
    after = graph_of(json.loads(tenant.run("graph", str(tenant.manifests), "--hotline", MAIN,
                                           "--format", "json").output))
    assert drawn.after() == after
    assert drawn.part(*GONE) == (before[0] - after[0], before[1] - after[1])
    sat = (("hotlines", MAIN), ("call_scripts", "Ngoài giờ"), "sat")
    assert [mark for (edge, mark) in drawn.edges if edge == sat] == ["removed"]

    assert tenant.run("apply", str(tenant.manifests), "--auto-approve", "--force").exit_code == 0
    assert graph_of(json.loads(tenant.run("graph", "--live", "--hotline", MAIN, "--format", "json").output)) == after
