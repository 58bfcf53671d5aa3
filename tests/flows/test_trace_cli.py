"""`reconciler trace`: the walk model of the SPEC, each way a call ends, text and JSON."""

from __future__ import annotations

import json

from tests.flows.conftest import EXAMPLES, run

MAIN = "842871002283"


def trace(*args: str) -> dict:
    result = run("trace", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def hops(data: dict) -> list[tuple[str, str, str | None]]:
    return [(h["kind"], h["name"], h["via"]) for h in data["hops"]]


def test_answered_through_two_menus_hop_by_hop():
    data = trace(MAIN, EXAMPLES, "--keys", "2,1")
    assert hops(data) == [
        ("hotlines", MAIN, None),
        ("call_scripts", "Giờ hành chính", "inbound"),
        ("ivr_menus", "Menu chính", "step 1"),
        ("ivr_menus", "Menu hỗ trợ", "key 2"),
        ("groups", "Hỗ trợ kỹ thuật", "key 1"),
    ]
    assert data["end"] == "answered" and data["hotline"] == MAIN and data["keys"] == ["2", "1"]
    assert data["hops"][-1]["note"] == "rings 103, 104"


def test_text_output_numbers_the_hops_and_says_how_it_ends():
    result = run("trace", MAIN, EXAMPLES, "--keys", "2,1")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"Call to hotline {MAIN} (keys: 2,1; when someone answers)",
        f"   1. hotline {MAIN}",
        "   2. --inbound--> call script 'Giờ hành chính'",
        "   3. --step 1--> IVR menu 'Menu chính'  (caller presses 2)",
        "   4. --key 2--> IVR menu 'Menu hỗ trợ'  (caller presses 1)",
        "   5. --key 1--> group 'Hỗ trợ kỹ thuật'  (rings 103, 104)",
        "End: answered: group 'Hỗ trợ kỹ thuật' answers.",
    ]


def test_a_missing_key_is_a_failure_and_the_next_key_still_counts():
    data = trace(MAIN, EXAMPLES, "--keys", "9,2,1")
    assert data["hops"][2]["note"] == "key 9 is not in the menu (failure 1 of 2); caller presses 2"
    assert hops(data)[-1] == ("groups", "Hỗ trợ kỹ thuật", "key 1")


def test_after_max_failures_the_call_takes_the_fallback():
    data = trace(MAIN, EXAMPLES, "--keys", "9,8")
    assert data["hops"][2]["note"] == "key 9 is not in the menu (failure 1 of 2); key 8 is not in the menu (failure 2 of 2)"
    assert hops(data)[-1] == ("groups", "Kinh doanh", "fallback")
    assert data["end"] == "answered"


def test_no_key_left_is_a_timeout_then_fallback():
    data = trace(MAIN, EXAMPLES)
    assert data["hops"][2]["note"] == "no key pressed: 2 timeouts"
    assert hops(data)[-1] == ("groups", "Kinh doanh", "fallback")


def test_unanswered_groups_that_overflow_into_each_other_are_a_loop():
    data = trace(MAIN, EXAMPLES, "--keys", "1", "--unanswered")
    assert hops(data)[3:] == [
        ("groups", "Kinh doanh", "key 1"),
        ("groups", "Hỗ trợ kỹ thuật", "on_timeout"),
        ("groups", "Kinh doanh", "on_timeout"),
    ]
    assert data["end"] == "loop"
    assert data["hops"][-1]["note"] == "again"
    assert "comes back to group 'Kinh doanh'" in data["reason"]


def test_unanswered_goes_on_to_the_next_step_and_ends_unanswered(manifests):
    directory = manifests("""
groups:
  - name: Sáng
    members: ["101"]
  - name: Chiều
    members: ["102"]
call_scripts:
  - name: Chính
    steps: [{group: Sáng}, {greeting: Chờ}, {group: Chiều}]
hotlines:
  - number: "842871002283"
    call_script: Chính
""")
    data = trace(MAIN, directory, "--unanswered")
    assert hops(data)[2:] == [("groups", "Sáng", "step 1"), ("greetings", "Chờ", "step 2"), ("groups", "Chiều", "step 3")]
    assert data["hops"][3]["note"] == "plays “Vui lòng chờ”"
    assert data["end"] == "unanswered"
    assert data["hops"][-1]["note"] == "rings 102: no answer"


def test_a_menu_without_fallback_hangs_up_after_the_failures(manifests):
    directory = manifests("""
ivr_menus:
  - name: Menu
    greeting: Chào
    max_failures: 1
    keys:
      "1": {ivr: Menu}
call_scripts:
  - name: Chính
    steps: [{ivr: Menu}]
hotlines:
  - number: "842871002283"
    call_script: Chính
""")
    data = trace(MAIN, directory, "--keys", "5")
    assert data["end"] == "hung_up"
    assert data["reason"] == "IVR menu 'Menu' has no fallback after 1 failure: the caller is hung up on"


def test_a_group_with_no_members_rings_nobody_and_greetings_alone_hang_up(manifests):
    directory = manifests("""
groups:
  - name: Trống
    on_timeout: {greeting: Chờ}
call_scripts:
  - name: Chính
    steps: [{group: Trống}]
hotlines:
  - number: "842871002283"
    call_script: Chính
  - number: "842870000001"
    inbound: false
    call_script: Chính
""")
    data = trace(MAIN, directory)
    assert data["hops"][2]["note"] == "has no members: nobody rings"
    assert hops(data)[-1] == ("greetings", "Chờ", "on_timeout")
    assert data["end"] == "unanswered"
    closed = trace("842870000001", directory)
    assert closed["end"] == "hung_up" and "does not take inbound calls" in closed["reason"]


def test_a_hotline_without_a_call_script_hangs_up(manifests):
    data = trace(MAIN, manifests('hotlines:\n  - number: "842871002283"\n'))
    assert data["end"] == "hung_up"
    assert data["reason"] == f"hotline {MAIN} has no call script: nothing answers the call"


def test_at_on_manifests_without_a_schedule_uses_the_call_script_and_says_so():
    data = trace(MAIN, EXAMPLES, "--at", "Sat 19:30", "--keys", "1")
    assert data["notes"] == [f"--at sat 19:30: the manifests carry no weekly schedule for hotline {MAIN}, "
                             "so its call_script runs at every hour"]
    assert hops(data)[1] == ("call_scripts", "Giờ hành chính", "inbound")


def test_at_on_manifests_follows_their_schedule_day_and_time_frame(manifests):
    # A manifest's time frame keeps its `from` (the field's alias: it was read as 00:00).
    directory = manifests(
        "call_scripts:\n"
        "  - {name: Ngày, steps: [{greeting: Chào}]}\n"
        "  - {name: Cuối tuần, steps: [{greeting: Chờ}]}\n"
        "hotlines:\n"
        '  - number: "842871002283"\n'
        "    call_script: Ngày\n"
        "    schedule:\n"
        '      sat: [{from: "08:00", to: "12:00", call_script: Cuối tuần}]\n'
        "      sun: Cuối tuần\n"
    )
    morning = trace(MAIN, str(directory), "--at", "Sat 09:00")
    assert hops(morning)[1] == ("call_scripts", "Cuối tuần", "sat 08:00-12:00")
    afternoon = trace(MAIN, str(directory), "--at", "Sat 13:00")
    assert hops(afternoon)[1] == ("call_scripts", "Ngày", "inbound")
    early = trace(MAIN, str(directory), "--at", "Sat 07:59")
    assert hops(early)[1] == ("call_scripts", "Ngày", "inbound")
    sunday = trace(MAIN, str(directory), "--at", "Sun 10:00")
    assert hops(sunday)[1] == ("call_scripts", "Cuối tuần", "sun")


def test_bad_keys_at_and_hotline_are_errors_with_exit_1():
    for args, message in (
        (["--keys", "1,x"], "--keys: 'x' is not a key a caller can press"),
        (["--at", "someday"], "--at 'someday': expected a weekday and a time"),
        (["--at", "Sat 25:00"], "--at 'Sat 25:00'"),
    ):
        result = run("trace", MAIN, EXAMPLES, *args)
        assert result.exit_code == 1 and message in result.output, result.output
    result = run("trace", "123", EXAMPLES)
    assert result.exit_code == 1 and "hotline 123 is not in the manifests" in result.output
