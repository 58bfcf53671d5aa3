"""The one renderer of plans and drift reports (engine/report.py): a Report laid out as
text and Markdown, whichever of the two built it."""

from __future__ import annotations

from reconciler.engine.drift import drift_report
from reconciler.engine.plan import Change, FieldChange, Plan
from reconciler.engine.render import render_markdown as plan_markdown
from reconciler.engine.render import render_text as plan_text
from reconciler.engine.render_drift import render_markdown as drift_markdown
from reconciler.engine.render_drift import render_text as drift_text
from reconciler.engine.report import Entry, Report, report_markdown, report_text


def entry(kind: str, name: str, state: str = "differs") -> Entry:
    return Entry(kind=kind, state=state, symbol="~", colour="yellow", head=f"{kind} {name}",
                 lines=["strategy: a -> b"], title=name, rows=[("strategy", "a", "b")])


def test_text_groups_objects_by_kind_in_the_registry_order_then_sections_notes_summary_footer():
    report = Report(noun="x", summary="Sum.", entries=[entry("ivr_menus", "M"), entry("groups", "G")],
                    sections=[("Impact:", ["one"])], notes=["Note."], footer=["Fix it."])
    assert report_text(report) == (
        "groups\n  ~ groups G\n      strategy: a -> b\n\n"
        "ivr_menus\n  ~ ivr_menus M\n      strategy: a -> b\n\n"
        "Impact:\n  one\n\nNote.\n\nSum.\nFix it.\n")


def test_markdown_counts_states_with_their_plural_and_escapes_names():
    report = Report(noun="drift", summary="Sum.", plural={"differs": "differ"}, markdown_footer="Fix it.",
                    entries=[entry("groups", "<b>A|B</b>"), entry("groups", "C"), entry("groups", "D", "extra")])
    md = report_markdown(report)
    assert md.startswith("### reconciler drift\n\n**Sum.**\n\n")
    assert "<summary><b>groups</b>: 2 differ, 1 extra</summary>" in md
    assert "| `~` differs | &lt;b&gt;A\\|B&lt;/b&gt; | strategy | a | b |" in md
    assert md.endswith("</details>\n\nFix it.\n")


def test_a_plan_and_its_drift_report_share_one_layout():
    plan = Plan(changes=[Change("update", "groups", "CSKH", id="g1", data={"name": "CSKH"},
                                fields=[FieldChange("strategy", "random", "rollover")])])
    drift = drift_report(plan)
    assert '      strategy: "random" -> "rollover"\n' in plan_text(plan)
    assert '      strategy: live "random", manifest "rollover"\n' in drift_text(drift)
    header = "| | object | field | live | manifest |\n|---|---|---|---|---|\n"
    assert header + '| `~` update | CSKH | strategy | "random" | "rollover" |' in plan_markdown(plan)
    # A drift table says its viewpoint in its header (issue #21 item 8).
    header = ("| tenant vs manifests: `+` only in the tenant, `-` only in the manifests | object | field | tenant (live) "
              "| manifests |\n|---|---|---|---|---|\n")
    assert header + '| `~` differs | CSKH | strategy | "random" | "rollover" |' in drift_markdown(drift)


def folded(md: str) -> str:
    import re
    return "\n".join(re.findall(r"<details>.*?</details>", md, flags=re.S))


def test_markdown_shows_what_is_left_undone_or_unverified_open_and_folds_only_information():
    # Issue #21 item 8: "not checked and not replaced" was folded under Notes.
    plan = Plan(changes=[Change("update", "groups", "CSKH", id="g1", data={"name": "CSKH"},
                                fields=[FieldChange("strategy", "random", "rollover")])],
                unmanaged={"greetings": ["Khác"]}, unverified={"groups": {"CSKH": ["queue", "members"]}},
                unverifiable={"groups": {"CSKH": {"members": "no fingerprint of the last apply"}}},
                protected=["groups/Giữ: protected"], protected_differs=["groups/Giữ"],
                external=["greetings/Ngoài"], warnings=["greeting 'X' was not checked and not replaced"],
                unsafe=["3 deletes, over the threshold"], blocked=["greeting 'Y' cannot be made again"])
    md = plan_markdown(plan)
    first_fold = md.index("<details>")
    for line in ("Warning: greeting 'X' was not checked and not replaced", "Unsafe: 3 deletes, over the threshold",
                 "Cannot apply: greeting 'Y' cannot be made again",
                 "Protected by policy, not changed though it differs: groups/Giữ",
                 "Not verified (could not be compared at all): groups/CSKH: members (no fingerprint"):
        assert line in md and md.index(line) < first_fold and line not in folded(md), line
    # A field compared by its fingerprint, which matched, was verified: information, folded.
    for line in ("greetings: Khác", "Fields the API never returns (compared with the fingerprint of the last apply):", "groups/CSKH: queue", "Referenced live objects not declared in the manifests: greetings/Ngoài",
                 "groups/Giữ: protected"):
        assert line in folded(md), line
    drift = drift_report(Plan(changes=plan.changes, warnings=["w"], blocked=["b"], protected_differs=["groups/Giữ"]))
    md = drift_markdown(drift)
    for line in ("Warning: w", "Apply cannot put this back: b",
                 "Protected by policy, not changed though it differs: groups/Giữ"):
        assert md.index(line) < md.index("<details>"), line
