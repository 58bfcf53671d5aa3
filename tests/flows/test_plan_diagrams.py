"""How a markdown plan lays out the call-flow diagrams and the impact on callers."""

from __future__ import annotations

from reconciler.engine.plan import Change, Plan
from reconciler.engine.render import render_markdown, render_text
from reconciler.flows.plan_flows import FlowChanges, FlowDiagram
from tests.flows.conftest import run_json

PLAN = Plan(changes=[Change("update", "groups", "CSKH", id="g1")])


def test_a_small_flow_is_shown_open_and_a_large_one_folded():
    flows = FlowChanges(diagrams=[FlowDiagram("8401", "flowchart LR\n  n1\n", 3),
                                  FlowDiagram("8402", "flowchart LR\n  n2\n", 13)],
                        impact=["hotline 8402: callers lose their way to group 'CSKH <b>'"])
    md = render_markdown(PLAN, flows=flows)
    assert "**Call flow of hotline 8401 after this plan" in md
    assert "<details><summary>Call flow of hotline 8402 after this plan" in md
    assert md.count("```mermaid\nflowchart LR\n") == 2
    assert "- hotline 8402: callers lose their way to group 'CSKH &lt;b&gt;'" in md
    assert md.index("Impact on callers") < md.index("Call flow of hotline 8401")
    text = render_text(PLAN, flows=flows)
    assert "Impact on callers:\n  hotline 8402: callers lose their way to group 'CSKH <b>'\n" in text


def test_no_flows_no_section():
    assert "Call flow" not in render_markdown(PLAN, flows=FlowChanges())
    assert "Impact on callers" not in render_text(PLAN, flows=FlowChanges())


def test_a_hotline_closed_to_inbound_calls_is_drawn_with_its_label(manifests):
    directory = manifests("call_scripts:\n  - name: S\n    steps: [{greeting: Chào}]\n"
                          "hotlines:\n  - number: '8401'\n    inbound: false\n    call_script: S\n")
    [edge] = [e for e in run_json("graph", directory)["edges"] if e["from"]["kind"] == "hotlines"]
    assert edge["label"] == "inbound (off)"
