"""Plan renderers: symbols, colour only when asked, secrets masked in every format."""

from __future__ import annotations

import io
import json

import click

from reconciler.cli import _style_for
from reconciler.engine.plan import NOT_RETURNED, Change, FieldChange, Plan
from reconciler.engine.render import render_json, render_markdown, render_text


def sample() -> Plan:
    return Plan(changes=[
        Change("create", "groups", "CSKH", data={"name": "CSKH", "strategy": "enterprise", "members": ["101"]}),
        Change("update", "extensions", "101", id="101", data={"sip_user": "101", "password": "${env:PW}"},
               fields=[FieldChange("password", NOT_RETURNED, "${env:PW}", verifiable=False)]),
        Change("delete", "ivr_menus", "Cũ", id="x1", reason="not in the manifests"),
    ], unchanged={"groups": 2})


def test_text_has_symbols_and_a_summary_and_no_colour_by_default():
    text = render_text(sample())
    assert "  + create group CSKH" in text and "  - delete IVR menu Cũ" in text
    assert "Plan: 1 to create, 1 to update, 0 to replace, 0 to rename, 1 to delete (2 unchanged)." in text
    assert "\x1b[" not in text


def test_colour_on_a_terminal_only_and_never_with_no_color(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in render_text(sample(), _style_for(Tty()))
    assert "\x1b[" not in render_text(sample(), _style_for(io.StringIO()))
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in render_text(sample(), _style_for(Tty()))
    assert _style_for(Tty())("x", fg="red") == "x"
    assert click.style("x", fg="red") != "x"


def test_secrets_are_masked_in_every_format():
    plan = sample()
    for out in (render_text(plan), render_json(plan), render_markdown(plan)):
        assert "${env:PW}" not in out and "(sensitive)" in out
    data = json.loads(render_json(plan))
    assert data["format_version"] == 1
    assert data["changes"][1]["fields"][0] == {"field": "password", "old": NOT_RETURNED, "new": "(sensitive)",
                                               "verifiable": False}



def test_the_live_value_of_a_field_set_from_the_environment_is_never_kept():
    # The console holds the secret before a rotation: a plan (and so its file, drift and
    # drift --write) keeps only the mask; None and "not returned" say nothing and stay.
    assert FieldChange("note", "old-secret", "${env:NOTE}").old == "(sensitive)"
    assert FieldChange("steps", ["old-secret"], [{"text": "${env:T}"}]).old == "(sensitive)"
    assert FieldChange("note", None, "${env:NOTE}").old is None
    assert FieldChange("note", NOT_RETURNED, "${env:NOTE}", verifiable=False).old == NOT_RETURNED
    assert FieldChange("note", "plain", "other").old == "plain"
    assert Change.from_json({"action": "update", "kind": "call_scripts", "name": "A", "fields": [
        {"field": "note", "old": "old-secret", "new": "${env:NOTE}"}]}).fields[0].old == "(sensitive)"
    plan = Plan(changes=[Change("update", "call_scripts", "A", id="c1", data={"name": "A", "note": "${env:NOTE}"},
                                fields=[FieldChange("note", "old-secret", "${env:NOTE}")])])
    for out in (render_text(plan), render_json(plan), render_markdown(plan)):
        assert "old-secret" not in out and "${env:NOTE}" not in out and "(sensitive)" in out

def test_markdown_is_a_summary_then_a_section_per_kind():
    md = render_markdown(sample())
    assert md.startswith("### reconciler plan")
    assert md.count("<details>") >= 3 and "<summary><b>groups</b>: 1 create</summary>" in md
    assert "reconciler apply" in md
