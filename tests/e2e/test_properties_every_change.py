"""Property tests of issue 21 (a) and (b), through the CLI against the simulator: for a
generated tenant, (a) `plan` after `apply` is empty, also after random manifest edits
are applied; (b) every edit of a field of any kind (a change of greeting type text <-> mp3
and a SIP password from `${env:...}`, with its variable set and unset, included) is
either planned or reported unverifiable: never silently dropped, never "No changes".

The tenants come from test_properties' generator (greetings, groups, IVR menus, call
scripts), with extensions, hotlines and an mp3 greeting added. Derandomized in CI
(tests/conftest.py); HYPOTHESIS_PROFILE=thorough runs many random ones."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from reconciler.cli import cli
from reconciler.kinds.call_script import STATE_NOTE_NAME
from reconciler.simulator import Simulator
from reconciler.simulator.demo import demo_seed
from tests.e2e.test_properties import API_KEY, EXTENSIONS, VOICES, manifest_sets, write

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NUMBERS = ["842871002283", "842873003388"]
SECRETS = {"PW_101": "pw-101-first", "PW_102": "pw-102-first"}
MP3_B = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x02" * 64  # another recording than audio/a.mp3


def _tenant() -> dict:
    """The demo tenant's extensions and hotlines, routed nowhere: everything else comes
    from the manifests."""
    seed = demo_seed()
    hotlines = [{**h, "configs": {**h["configs"], "default_script": ""}} for h in seed["hotlines"]]
    return {"extensions": seed["extensions"], "hotlines": hotlines}


TENANT = _tenant()


@st.composite
def tenants(draw: Any) -> dict[str, Any]:
    """test_properties' manifest sets, with extensions (one SIP password from the
    environment), hotlines and maybe an mp3 greeting."""
    m = draw(manifest_sets())
    if draw(st.booleans()):
        m["greetings"].append({"name": "Nhạc chờ", "file": "audio/a.mp3"})
    m["extensions"] = [
        {"sip_user": "101", "enabled": draw(st.booleans()), "call_timeout": draw(st.integers(1, 600)),
         "password": "${env:PW_101}"},
        {"sip_user": "102", "enabled": draw(st.booleans()), "call_timeout": draw(st.integers(1, 600))},
    ]
    scripts = [s["name"] for s in m["call_scripts"]]
    groups = [g["name"] for g in m["groups"]]
    m["hotlines"] = []
    for number in NUMBERS:
        if not draw(st.booleans()):
            continue
        hotline: dict[str, Any] = {"number": number, "inbound": draw(st.booleans()), "outbound": draw(st.booleans())}
        if draw(st.booleans()):
            hotline["outbound_access"] = "all"
        else:
            hotline["outbound_access"] = {
                "extensions": draw(st.lists(st.sampled_from(EXTENSIONS), min_size=1, max_size=2, unique=True)),
                "groups": draw(st.lists(st.sampled_from(groups), max_size=1)) if groups else []}
        if scripts and draw(st.booleans()):
            hotline["call_script"] = draw(st.sampled_from(scripts))
        m["hotlines"].append(hotline)
    return m


# --- edits: each changes one field of one object to another valid value --------------------


@dataclass
class Edit:
    """What an edit changed: the object and field that must show in the plan, and how."""

    kind: str
    name: str
    field: str
    expect: str  # "planned" | "unverifiable"
    unset: tuple[str, ...] = ()  # variables not set when planning


Draw = Callable[[st.SearchStrategy], Any]
EditFn = Callable[[dict, Draw], Edit]


def _other(draw: Draw, choices: list, current: Any) -> Any:
    return draw(st.sampled_from([c for c in choices if c != current]))


def _greeting_edits(m: dict) -> list[tuple[tuple, EditFn]]:
    out: list[tuple[tuple, EditFn]] = []
    for g in m["greetings"]:
        key = ("greetings", g["name"])
        if "text" in g:
            def text(m: dict, draw: Draw, g: dict = g) -> Edit:
                g["text"] = g["text"][:-1] if len(g["text"]) >= 299 else g["text"] + "!"
                return Edit("greetings", g["name"], "text", "planned")

            def voice(m: dict, draw: Draw, g: dict = g) -> Edit:
                g["voice"] = _other(draw, VOICES, g["voice"])
                return Edit("greetings", g["name"], "voice", "planned")

            def speed(m: dict, draw: Draw, g: dict = g) -> Edit:
                g["speed"] = _other(draw, list(range(-3, 4)), g["speed"])
                return Edit("greetings", g["name"], "speed", "planned")

            def to_mp3(m: dict, draw: Draw, g: dict = g) -> Edit:
                for f in ("text", "voice", "speed"):
                    g.pop(f)
                g["file"] = draw(st.sampled_from(["audio/a.mp3", "audio/b.mp3"]))
                return Edit("greetings", g["name"], "type", "planned")

            out += [(key, text), (key, voice), (key, speed), (key, to_mp3)]
        else:
            def to_text(m: dict, draw: Draw, g: dict = g) -> Edit:
                g.pop("file")
                g["text"] = "Xin chào"
                return Edit("greetings", g["name"], "type", "planned")

            def other_mp3(m: dict, draw: Draw, g: dict = g) -> Edit:
                g["file"] = "audio/b.mp3"  # its fingerprint of the last apply is in the state note
                return Edit("greetings", g["name"], "file_sha256", "planned")

            out += [(key, to_text), (key, other_mp3)]
    return out


def _group_edits(m: dict) -> list[tuple[tuple, EditFn]]:
    out: list[tuple[tuple, EditFn]] = []
    refs = [{"group": g["name"]} for g in m["groups"]] + [{"ivr": i["name"]} for i in m["ivr_menus"]] + \
        [{"greeting": g["name"]} for g in m["greetings"]]
    for g in m["groups"]:
        def setter(field: str, values: list, g: dict = g) -> EditFn:
            def edit(m: dict, draw: Draw) -> Edit:
                g[field] = _other(draw, values, g.get(field))
                return Edit("groups", g["name"], field, "planned")
            return edit

        # Known gap, left as the group kind decides (reported on issue 21): the tenant
        # shows a group's member_timeout only through its members, and the kind calls an
        # empty group's equal ("it rings no one"). So member_timeout is edited only on a
        # group with members, and members are never edited to none.
        member_sets = [["100"], ["101", "102"], ["103", "101"], ["104", "100", "102"]]
        fields: list[tuple[str, list]] = [("strategy", ["enterprise", "rollover", "random"]), ("members", member_sets)]
        if g["members"]:
            fields.append(("member_timeout", [5, 17, 45, 600]))
        out += [((("groups", g["name"], f)), setter(f, values)) for f, values in [
            *fields,
            ("priority", ["none", "most_idle", "fewest_answered"]),
            ("queue", [{"enabled": True, "when_busy": False, "when_offline": True, "waiting_time": 90},
                       {"enabled": False, "when_busy": True, "when_offline": False, "waiting_time": 15}]),
        ]]
        others = [r for r in refs if r != {"group": g["name"]}]
        if others:
            out.append((("groups", g["name"], "on_timeout"), setter("on_timeout", others)))
        if g.get("on_timeout"):
            def no_overflow(m: dict, draw: Draw, g: dict = g) -> Edit:
                del g["on_timeout"]  # left out: its default, none
                return Edit("groups", g["name"], "on_timeout", "planned")
            out.append((("groups", g["name"], "on_timeout"), no_overflow))
    return out


def _menu_edits(m: dict) -> list[tuple[tuple, EditFn]]:
    out: list[tuple[tuple, EditFn]] = []
    greetings = [g["name"] for g in m["greetings"]]
    key_refs = [{"group": g["name"]} for g in m["groups"]] + [{"ivr": i["name"]} for i in m["ivr_menus"]]
    for menu in m["ivr_menus"]:
        def setter(field: str, values: list, menu: dict = menu) -> EditFn:
            def edit(m: dict, draw: Draw) -> Edit:
                menu[field] = _other(draw, values, menu.get(field))
                return Edit("ivr_menus", menu["name"], field, "planned")
            return edit

        out += [(("ivr_menus", menu["name"], "input_timeout"), setter("input_timeout", [2, 9, 33])),
                (("ivr_menus", menu["name"], "max_failures"), setter("max_failures", [1, 4, 7]))]
        if len(greetings) > 1:
            out.append((("ivr_menus", menu["name"], "greeting"), setter("greeting", greetings)))
        if key_refs:
            def key(m: dict, draw: Draw, menu: dict = menu) -> Edit:
                keys = dict(menu.get("keys") or {})
                digit = draw(st.sampled_from(list("0123456789*#")))
                keys[digit] = _other(draw, key_refs, keys.get(digit))
                menu["keys"] = keys
                return Edit("ivr_menus", menu["name"], "keys", "planned")
            out.append((("ivr_menus", menu["name"], "keys"), key))
            out.append((("ivr_menus", menu["name"], "fallback"), setter("fallback", key_refs)))
        if menu.get("keys"):
            def no_key(m: dict, draw: Draw, menu: dict = menu) -> Edit:
                keys = dict(menu["keys"])
                del keys[draw(st.sampled_from(sorted(keys)))]
                menu["keys"] = keys
                return Edit("ivr_menus", menu["name"], "keys", "planned")
            out.append((("ivr_menus", menu["name"], "keys"), no_key))
    return out


def _script_edits(m: dict) -> list[tuple[tuple, EditFn]]:
    out: list[tuple[tuple, EditFn]] = []
    refs = [{"group": g["name"]} for g in m["groups"]] + [{"ivr": i["name"]} for i in m["ivr_menus"]] + \
        [{"greeting": g["name"]} for g in m["greetings"]]
    for script in m["call_scripts"]:
        def note(m: dict, draw: Draw, script: dict = script) -> Edit:
            script["note"] = script["note"] + " (sửa)"
            return Edit("call_scripts", script["name"], "note", "planned")

        def steps(m: dict, draw: Draw, script: dict = script) -> Edit:
            script["steps"] = script["steps"] + [draw(st.sampled_from(refs + [{"extension": "101"}]))]
            return Edit("call_scripts", script["name"], "steps", "planned")

        def routing(m: dict, draw: Draw, script: dict = script) -> Edit:
            choices = [[{"type": "account_manager", "agent_timeout": 15, "offline_wait": 10}],
                       [{"type": "previous_agent"}, {"type": "missed_call_agent", "agent_timeout": 0}]]
            script["routing_criteria"] = _other(draw, choices, script.get("routing_criteria"))
            return Edit("call_scripts", script["name"], "routing_criteria", "planned")

        out += [(("call_scripts", script["name"], "note"), note), (("call_scripts", script["name"], "steps"), steps),
                (("call_scripts", script["name"], "routing_criteria"), routing)]
    return out


def _hotline_edits(m: dict) -> list[tuple[tuple, EditFn]]:
    out: list[tuple[tuple, EditFn]] = []
    scripts = [s["name"] for s in m["call_scripts"]]
    for hotline in m["hotlines"]:
        number = hotline["number"]

        def flip(field: str, hotline: dict = hotline) -> EditFn:
            def edit(m: dict, draw: Draw) -> Edit:
                hotline[field] = not hotline[field]
                return Edit("hotlines", hotline["number"], field, "planned")
            return edit

        def access(m: dict, draw: Draw, hotline: dict = hotline) -> Edit:
            restricted = {"extensions": ["104"], "groups": []}
            hotline["outbound_access"] = restricted if hotline["outbound_access"] == "all" else "all"
            return Edit("hotlines", hotline["number"], "outbound_access", "planned")

        def dedicated(m: dict, draw: Draw, hotline: dict = hotline) -> Edit:
            choices = [{"user_email": "binh@example.vn", "directions": ["inbound"]},
                       {"user_email": "an@example.vn", "directions": ["inbound", "outbound"]}]
            hotline["dedicated_to"] = _other(draw, choices, hotline.get("dedicated_to"))
            return Edit("hotlines", hotline["number"], "dedicated_to", "planned")

        out += [(("hotlines", number, "inbound"), flip("inbound")), (("hotlines", number, "outbound"), flip("outbound")),
                (("hotlines", number, "outbound_access"), access), (("hotlines", number, "dedicated_to"), dedicated)]
        if len(scripts) > 1 or (scripts and "call_script" not in hotline):
            def script(m: dict, draw: Draw, hotline: dict = hotline) -> Edit:
                hotline["call_script"] = _other(draw, scripts, hotline.get("call_script"))
                return Edit("hotlines", hotline["number"], "call_script", "planned")
            out.append((("hotlines", number, "call_script"), script))
    return out


def _extension_edits(m: dict) -> list[tuple[tuple, EditFn]]:
    out: list[tuple[tuple, EditFn]] = []
    for ext in m["extensions"]:
        sip = ext["sip_user"]

        def enabled(m: dict, draw: Draw, ext: dict = ext) -> Edit:
            ext["enabled"] = not ext["enabled"]
            return Edit("extensions", ext["sip_user"], "enabled", "planned")

        def timeout(m: dict, draw: Draw, ext: dict = ext) -> Edit:
            ext["call_timeout"] = ext["call_timeout"] % 600 + 1
            return Edit("extensions", ext["sip_user"], "call_timeout", "planned")

        def password(variable_set: bool, ext: dict = ext) -> EditFn:
            # A new secret (another variable, as after a rotation), given or not when planning.
            def edit(m: dict, draw: Draw) -> Edit:
                variable = f"PW_{ext['sip_user']}_NEW"
                ext["password"] = "${env:" + variable + "}"
                if variable_set:
                    return Edit("extensions", ext["sip_user"], "password", "planned")
                return Edit("extensions", ext["sip_user"], "password", "unverifiable", unset=(variable,))
            return edit

        out += [(("extensions", sip, "enabled"), enabled), (("extensions", sip, "call_timeout"), timeout),
                (("extensions", sip, "password"), password(True)),
                (("extensions", sip, "password"), password(False))]
    return out


def applicable_edits(m: dict) -> list[tuple[tuple, EditFn]]:
    """Every edit this manifest set allows, with the key of what it touches (a greeting
    is touched whole: any edit of it is a replace)."""
    return [*_greeting_edits(m), *_group_edits(m), *_menu_edits(m), *_script_edits(m), *_hotline_edits(m),
            *_extension_edits(m)]


# --- the property -------------------------------------------------------------------------


def run(sim: Simulator, *args: str, env: dict[str, str | None]):
    return CliRunner().invoke(cli, list(args), env={"OMICALL_URL": sim.url, "OMICALL_API_KEY": API_KEY,
                                                    "OMICALL_TOKEN": None, "NO_COLOR": "1", **env})


def accounted(plan: dict, edit: Edit) -> str | None:
    """How the plan shows `edit`: "planned", "unverifiable", or None (dropped)."""
    for change in plan["changes"]:
        if change["kind"] == edit.kind and change["name"] == edit.name:
            if change["action"] == "replace" or edit.field in {f["field"] for f in change["fields"]}:
                return "planned"
    if edit.field in plan.get("unverifiable", {}).get(edit.kind, {}).get(edit.name, {}):
        return "unverifiable"
    return None


def special_edits(m: dict, draw: Draw) -> list[tuple[tuple, EditFn]]:
    """The edits every example makes, whatever else it draws: a change of greeting type
    (text to an mp3; an mp3 to text or to another mp3), and a new SIP password on both
    extensions, the variable of one set when planning and of the other not."""
    greetings = _greeting_edits(m)
    to_mp3 = [(key, fn) for key, fn in greetings if fn.__name__ == "to_mp3"]
    from_mp3 = [(key, fn) for key, fn in greetings if fn.__name__ in ("to_text", "other_mp3")]
    out = [draw(st.sampled_from(to_mp3))] + ([draw(st.sampled_from(from_mp3))] if from_mp3 else [])
    passwords = [(key, fn) for key, fn in _extension_edits(m) if key[2] == "password"]  # 101 set, unset; 102 ...
    first_set = draw(st.booleans())
    out += [passwords[0 if first_set else 1], passwords[3 if first_set else 2]]
    return out


@given(tenants(), st.data())
def test_plan_after_apply_is_empty_and_no_edit_is_silently_dropped(manifests: dict, data: st.DataObject):
    root = Path(tempfile.mkdtemp())
    try:
        (root / "audio").mkdir()
        shutil.copy(EXAMPLES / "audio" / "nhac-cho.mp3", root / "audio" / "a.mp3")
        (root / "audio" / "b.mp3").write_bytes(MP3_B)
        env: dict[str, str | None] = dict(SECRETS)
        with Simulator(TENANT, api_key=API_KEY) as sim:
            write(root, manifests)
            applied = run(sim, "apply", str(root), "--auto-approve", "--force", env=env)
            assert applied.exit_code == 0, applied.output
            # (a) after apply, nothing to do, every field compared (the password by fingerprint)
            again = run(sim, "plan", str(root), "--detailed-exitcode", env=env)
            assert again.exit_code == 0 and "No changes" in again.output, again.output

            # (b) the special edits and a few drawn ones, each of another object field (a
            # greeting counts whole), maybe with the state note lost (no fingerprint left)
            forget_note = data.draw(st.booleans(), label="state note deleted")
            if forget_note:
                (note,) = sim.tenant.find_all("call_scripts", STATE_NOTE_NAME)
                with sim.tenant.lock:
                    del sim.tenant.call_scripts[note["_id"]]
            chosen = special_edits(manifests, data.draw)
            touched = {key for key, _ in chosen} | {key[:2] for key, _ in chosen if key[0] == "greetings"}
            for _ in range(data.draw(st.integers(0, 4), label="more edits")):
                free = [(key, fn) for key, fn in applicable_edits(manifests)
                        if key not in touched and key[:2] not in touched]
                if not free:
                    break
                key, fn = data.draw(st.sampled_from(free), label="edit")
                touched |= {key, key[:2]} if key[0] == "greetings" else {key}
                chosen.append((key, fn))
            edits = [fn(manifests, data.draw) for _, fn in chosen]
            if forget_note:
                # Without a fingerprint, another mp3 cannot be told from the last one.
                edits = [Edit(e.kind, e.name, e.field, "unverifiable") if e.field == "file_sha256" else e
                         for e in edits]
            new_env = {**env, **{f"PW_{s}_NEW": f"pw-{s}-second" for s in ("101", "102")}}
            for edit in edits:
                new_env.update({v: None for v in edit.unset})
            write(root, manifests)
            shown = run(sim, "plan", str(root), "--format", "json", "--detailed-exitcode", env=new_env)
            plan = json.loads(shown.output)
            for edit in edits:
                assert accounted(plan, edit) == edit.expect, (edit, shown.output)
            assert shown.exit_code == 2, shown.output  # never "no changes"
            # and nothing is unverifiable but what cannot be compared
            explained = {(e.kind, e.name) for e in edits if e.expect == "unverifiable"}
            if forget_note:
                explained |= {("greetings", g["name"]) for g in manifests["greetings"] if "file" in g}
            found = {(k, n) for k, objs in plan["unverifiable"].items() for n in objs}
            assert found <= explained and plan["summary"]["unverifiable"] == len(found), shown.output
            assert {e for e in explained if e[0] == "extensions"} <= found, shown.output

            # (a) again: the edits applied (secrets given), then nothing to do
            full_env = {k: v or "pw-given-now" for k, v in new_env.items()}
            upload = ["--force-upload"] if forget_note else []
            applied = run(sim, "apply", str(root), "--auto-approve", "--force", *upload, env=full_env)
            assert applied.exit_code == 0, applied.output
            again = run(sim, "plan", str(root), "--detailed-exitcode", env=full_env)
            assert again.exit_code == 0 and "No changes" in again.output, again.output
    finally:
        shutil.rmtree(root)
