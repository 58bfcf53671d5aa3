"""Export from in-memory live states: the files read back with the real manifest loader
and plan empty against the same state; what cannot be written is refused."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from reconciler.engine.export import POLICY_FILE, ExportError, export_manifests, write_export
from reconciler.engine.planner import make_plan
from reconciler.manifest import load_manifests
from tests.engine.builders import call_script, extension, group, hotline, ivr, live, oid, tts

HOSTILE = ["101", "yes", "null", "Nhóm: A", "#1", "- gạch", "'nháy'", '"kép"', "hai  dấu cách ", "1e3", "~",
           "* sao", "Tiếng Việt: có dấu, \"ngoặc\" và 'nháy'", "0101", "true", "a\\b", "{x}", "[y]", "@z", "%p",
           "!tag", "&anchor", "|"]


def uploaded(name: str, recording: str) -> dict:
    return {"_id": oid(), "greeting_name": name, "formality": "Tải lên", "content": "x.mp3", "voice": "",
            "speed": 0, "recording_file": recording, "created_date": 1}


def rich_live(order_seed: int | None = None):
    exts = [extension(str(s)) for s in (99, 100, 101, 102)]
    greetings = [tts(f"Lời chào {name}", f"Nội dung: {name}", voice="banmai", speed=-2) for name in HOSTILE]
    greetings.append(tts(unicodedata.normalize("NFD", "Chào buổi sáng"), "Xin chào"))
    greetings.append(uploaded("Nhạc chờ", "7f1c-nhac-cho.mp3"))
    groups = [group(name, ["101", "99"], strategy="rollover", timeout=20, ring_group_type=4) for name in HOSTILE]
    groups.append(group("Trống", []))
    groups.append(group("Tràn", ["100"], target=("Recording", greetings[-1]["_id"])))
    menu_b = ivr("Menu phụ", greetings[0]["_id"], {"0": ("Ring_group", groups[0]["_id"])})
    menu_a = ivr("Menu chính", greetings[1]["_id"], {"1": ("Ring_group", groups[1]["_id"]),
                                                     "*": ("Ivr_menu", menu_b["_id"]),
                                                     "#": ("Ring_group", groups[2]["_id"])},
                 fallback=("Recording", greetings[2]["_id"]))
    menu_a["greeting_short_id"] = greetings[-1]["_id"]
    scripts = [call_script("Giờ hành chính", [("Recording", greetings[3]["_id"]), ("Ivr_menu", menu_a["_id"]),
                                              ("Extension", "agent101")]),
               call_script("Ngoài giờ", [("Ring_group", groups[4]["_id"])])]
    scripts[0]["criterias"] = [{"type": "3", "wait_time": "5", "timeout_time": "15"}]
    scripts[0]["note"] = "dòng 1\ndòng 2"
    hotlines = [hotline("842871002283", scripts[0]["_id"]),
                hotline("842873003388", access="applies_according_to_employee_criteria"),
                hotline("0281234567", scripts[1]["_id"])]
    hotlines[1]["configs"]["allow_call_in"] = "false"  # sent as text, read back as a boolean or not
    items = dict(extensions=exts, greetings=greetings, groups=groups, ivr_menus=[menu_a, menu_b],
                 call_scripts=scripts, hotlines=hotlines)
    if order_seed is not None:
        rnd = random.Random(order_seed)
        for v in items.values():
            rnd.shuffle(v)
    return live(**items)


def test_every_kind_round_trips_through_the_manifest_loader(tmp_path: Path):
    state = rich_live()
    export = export_manifests(state)
    write_export(export, tmp_path)
    manifests = load_manifests(tmp_path)  # the user's loader: strict, with positions
    assert len(manifests) == sum(len(v) for v in state.items.values())
    plan = make_plan(manifests, state)
    assert plan.changes == [] and plan.unverified == {}
    assert manifests.policy.prune == []  # nothing is owned until the user says so


def test_files_do_not_depend_on_the_order_the_api_lists_objects():
    first = export_manifests(rich_live()).files
    assert export_manifests(rich_live(order_seed=1)).files == first
    groups = first["groups.yaml"]
    assert groups.index("- name: '#1'") < groups.index("- name: Trống") < groups.index("- name: yes")
    extensions = first["extensions.yaml"]
    assert extensions.index('"99"') < extensions.index('"100"')  # numbers in numeric order


def test_what_the_api_hides_is_left_out_with_the_reason_and_secrets_never_written():
    files = export_manifests(rich_live()).files
    hotlines = files["hotlines.yaml"]
    restricted = hotlines.split('- number: "842873003388"', 1)[1].split("\n\n", 1)[0]
    assert restricted.startswith("  # outbound_access left out: the API does not return its full value")
    assert "outbound_access:" not in restricted and "call_script: null" in restricted
    assert "inbound: false" in restricted
    greetings = files["greetings.yaml"]
    assert "recording: 7f1c-nhac-cho.mp3  # uploaded mp3: the API never returns its audio" in greetings
    assert "- name: Chào buổi sáng\n" in greetings and unicodedata.normalize("NFD", "Chào") not in greetings
    assert "# Not exported: call_timeout, enabled, password" in files["extensions.yaml"]
    assert "XXXXXX" not in "".join(files.values())  # the extensions' SIP passwords as listed
    assert "note: \"dòng 1\\ndòng 2\"" in files["call_scripts.yaml"]


def test_ambiguous_names_are_left_out_with_their_ids_and_what_points_at_them():
    # Issue 9: left out one by one, the rest exported (it used to refuse the whole export).
    a, b = group("CSKH", ["101"]), group("CSKH", [])
    g1, g2 = tts("Chào", "một"), tts("Chào", "hai")
    menu = ivr("Menu", g1["_id"], {"1": ("Ring_group", a["_id"])})
    other = group("Khác", ["101"])
    result = export_manifests(live(extensions=[extension("101")], groups=[a, b, other], greetings=[g1, g2],
                                   ivr_menus=[menu]))
    problems = result.skipped
    assert len(problems) == 3
    assert f"greeting 'Chào' (ids {g1['_id']}, {g2['_id']}): 2 live greetings share this name" in problems[0]
    assert f"group 'CSKH' (ids {a['_id']}, {b['_id']}): 2 live groups share this name" in problems[1]
    assert "IVR menu 'Menu'" in problems[2] and "uses greeting 'Chào', a name several" in problems[2]
    assert result.counts["groups"] == 1 and "name: Khác" in result.files["groups.yaml"]
    assert result.skipped_ids >= {("groups", a["_id"]), ("groups", b["_id"]), ("ivr_menus", menu["_id"])}


def test_what_manifests_cannot_state_is_left_out_alone_and_live_targets_are_carried():
    # Issue 9: a Voice_mail target (the doc's own group example) is carried as an opaque
    # live reference; objects a manifest cannot express are left out one by one, named.
    voicemail = group("Hộp thư", ["101"], target=("Voice_mail", "5f0000000000000000000001"))
    dangling = ivr("Menu", "5f00000000000000000000ff")
    empty = call_script("Trống", [])
    result = export_manifests(live(extensions=[extension("101")], groups=[voicemail], ivr_menus=[dangling],
                                   call_scripts=[empty]))
    assert "on_timeout: {live: {type: Voice_mail, id: 5f0000000000000000000001}}" in result.files["groups.yaml"]
    assert result.counts["groups"] == 1 and result.counts["ivr_menus"] == result.counts["call_scripts"] == 0
    text = "\n".join(result.skipped)
    assert "IVR menu 'Menu'" in text and "uses greeting '(unknown id 5f00000000000000000000ff)'" in text
    assert "call script 'Trống'" in text and "steps" in text
    assert "# Not exported: call script 'Trống'" in result.files["call_scripts.yaml"]


def test_write_export_keeps_an_existing_policy_and_refuses_other_manifests(tmp_path: Path):
    export = export_manifests(rich_live())
    (tmp_path / POLICY_FILE).write_text("policy:\n  prune: [groups]\n", encoding="utf-8")
    done = dict((p.name, what) for p, what in write_export(export, tmp_path))
    assert done[POLICY_FILE] == "kept" and done["groups.yaml"] == "written"
    assert (tmp_path / POLICY_FILE).read_text(encoding="utf-8") == "policy:\n  prune: [groups]\n"
    (tmp_path / "old.yml").write_text("groups: []\n", encoding="utf-8")
    (tmp_path / "groups.yaml").write_text("changed", encoding="utf-8")
    with pytest.raises(ExportError, match="old.yml"):
        write_export(export, tmp_path)
    assert (tmp_path / "groups.yaml").read_text(encoding="utf-8") == "changed"  # nothing written
