"""A text plan's impact on callers, computed without walking each hotline's flow, names
exactly what the markdown plan's diagrams name."""

from __future__ import annotations

from reconciler.engine.plan import Change, Plan
from reconciler.flows.plan_flows import flow_changes
from reconciler.kinds import KINDS
from reconciler.simulator.generate import generate
from tests.engine.generated import live_of


def test_the_impact_alone_is_the_impact_the_diagrams_come_with():
    live = live_of(generate(400))  # menus in cycles: a hotline reaches much of the tenant
    groups, menus = KINDS["groups"], KINDS["ivr_menus"]
    plan = Plan(changes=[
        *(Change("delete", "groups", groups.live_identity(g), id=groups.live_id(g)) for g in live.items["groups"][::6]),
        *(Change("delete", "ivr_menus", menus.live_identity(m), id=menus.live_id(m))
          for m in live.items["ivr_menus"][::9]),
    ])
    drawn, alone = flow_changes(plan, live), flow_changes(plan, live, draw=False)
    assert len(alone.impact) > 10 and not alone.diagrams and drawn.diagrams
    assert alone.impact == drawn.impact
