"""Minimal edits of manifest text (reconciler/manifest/yaml_edit.py): what changes is the
value asked for, in the style it was written in; every other byte stays."""

from __future__ import annotations

import random

import pytest
from ruamel.yaml import YAML

from reconciler.manifest.yaml_edit import EditError, FileEditor, new_file_text
from reconciler.yaml_text import CAUTIOUS, scalar, write_list

ORDER = ["name", "previous_names", "strategy", "members", "member_timeout", "priority", "on_timeout", "queue"]


def set_fields(text: str, name: str, **fields) -> str:
    editor = FileEditor.parse("groups.yaml", text)
    editor.set_fields(editor.objects("groups", "name")[name], fields, ORDER)
    return editor.result()


def remove(text: str, name: str) -> str:
    editor = FileEditor.parse("groups.yaml", text)
    editor.remove(editor.objects("groups", "name")[name])
    return editor.result()


def append(text: str, *objects: dict, kind: str = "groups") -> str:
    editor = FileEditor.parse("groups.yaml", text)
    editor.append(kind, list(objects))
    return editor.result()


@pytest.mark.parametrize("before, value, after", [
    ("strategy: rollover", "random", "strategy: random"),
    ("strategy: 'rollover'  # why", "random", "strategy: 'random'  # why"),
    ('strategy: "rollover"', "random", 'strategy: "random"'),
    ("strategy:    rollover", "random", "strategy:    random"),
    ("strategy: rollover", "Nhóm: A", 'strategy: "Nhóm: A"'),      # plain would not read back
    ("strategy: rollover", "123", 'strategy: "123"'),              # nor would a number
    ("strategy: rollover", "#1 nhóm", 'strategy: "#1 nhóm"'),
    ("strategy: rollover", "no", 'strategy: "no"'),                # a boolean to YAML 1.1 readers
    ("strategy: 'a'", "it's", "strategy: 'it''s'"),
    ("strategy:", "random", "strategy: random"),                   # empty (null) value
    ("strategy: ~", None, "strategy: ~"),
    ("strategy: x", None, "strategy: null"),
])
def test_a_changed_scalar_keeps_its_style_where_it_can(before: str, value, after: str):
    text = f"# top\ngroups:\n  - name: A   # the name\n    {before}\n    members: []\n"
    assert set_fields(text, "A", strategy=value) == text.replace(before, after)


def test_booleans_and_numbers_keep_their_spelling():
    text = "groups:\n  - name: A\n    member_timeout: 20\n    queue: {enabled: True, waiting_time: 60}\n"
    assert set_fields(text, "A", member_timeout=25, queue={"enabled": False, "waiting_time": 60}) == \
        text.replace("20", "25").replace("True", "False")


def test_numbers_written_as_numbers_are_the_same_text_values():
    text = "groups:\n  - name: A\n    members: [101, '102']\n"
    assert set_fields(text, "A", members=["101", "102"]) == text  # nothing differs
    assert set_fields(text, "A", members=["101", "103"]) == text.replace("'102'", "'103'")


def test_a_flow_list_of_another_length_is_written_again_with_its_spacing_and_quotes():
    text = 'groups:\n  - name: A\n    members: [ "101", "102" ]   # ring order\n'
    assert set_fields(text, "A", members=["101", "102", "105"]) == \
        text.replace('[ "101", "102" ]', '[ "101", "102", "105" ]')


def test_a_block_list_is_edited_item_by_item():
    text = "groups:\n  - name: A\n    members:\n      - '101'   # An\n      - '102'   # Bình\n      - '103'\n"
    assert set_fields(text, "A", members=["101", "103"]) == text.replace("      - '102'   # Bình\n", "")
    assert set_fields(text, "A", members=["101", "102", "103", "104"]) == text + '      - "104"\n'


def test_a_missing_field_is_inserted_after_the_one_before_it_in_model_order():
    text = "groups:\n  - name: A\n    strategy: random   # x\n    on_timeout: {group: B}\n"
    assert set_fields(text, "A", priority="most_idle") == \
        text.replace("    on_timeout", "    priority: most_idle\n    on_timeout")


def test_a_new_nested_mapping_is_written_in_block_style_at_the_files_indentation():
    text = "groups:\n    -   name: A\n        strategy: random\n"
    assert set_fields(text, "A", queue={"enabled": True, "waiting_time": 60}) == \
        text + "        queue:\n          enabled: true\n          waiting_time: 60\n"


def test_a_reference_where_there_was_none():
    text = "groups:\n  - name: A\n    on_timeout:     # nothing yet\n    strategy: random\n"
    assert set_fields(text, "A", on_timeout={"group": "B"}) == \
        text.replace("on_timeout:     #", "on_timeout: {group: B}     #")
    text = "groups:\n  - name: A\n    on_timeout: null\n"
    assert set_fields(text, "A", on_timeout={"ivr": "Menu"}) == text.replace("null", "{ivr: Menu}")


def test_an_object_written_as_a_flow_mapping_stays_one():
    text = "groups:\n  - {name: A, strategy: random}   # small\n  - {name: B}\n"
    assert set_fields(text, "A", strategy="rollover") == text.replace("random", "rollover")
    assert set_fields(text, "B", member_timeout=20) == text.replace("{name: B}", "{name: B, member_timeout: 20}")
    assert remove(text, "B") == "groups:\n  - {name: A, strategy: random}   # small\n"


def test_a_block_reference_is_edited_in_place_and_a_key_removed():
    text = "ivr_menus:\n  - name: M\n    keys:\n      1: {group: A}  # one\n      2:\n        ivr: N\n      3: {group: C}\n"
    editor = FileEditor.parse("ivr.yaml", text)
    editor.set_fields(editor.objects("ivr_menus", "name")["M"], {"keys": {"1": {"group": "A"}, "2": {"ivr": "P"}}},
                      ["name", "keys"])
    assert editor.result() == text.replace("ivr: N", "ivr: P").replace("      3: {group: C}\n", "")


def test_block_scalars_keep_their_style():
    text = "greetings:\n  - name: G\n    text: >-\n      Xin chào\n    voice: banmai\n"
    editor = FileEditor.parse("g.yaml", text)
    editor.set_fields(editor.objects("greetings", "name")["G"], {"text": "Chào buổi sáng"}, ["name", "text"])
    assert editor.result() == text.replace(">-\n      Xin chào", ">-\n      Chào buổi sáng")
    text = "call_scripts:\n  - name: S\n    note: |   # kept\n        dòng 1\n        dòng 2\n\n    steps: []\n"
    editor = FileEditor.parse("s.yaml", text)
    editor.set_fields(editor.objects("call_scripts", "name")["S"], {"note": "dòng 1\ndòng 3\n"}, ["name", "note"])
    assert editor.result() == text.replace("dòng 2", "dòng 3")


def test_crlf_line_endings_bom_and_document_markers_are_kept():
    text = "\ufeff---\r\n# c\r\ngroups:\r\n  - name: A\r\n    strategy: random\r\n...\r\n"
    out = set_fields(text, "A", strategy="rollover", priority="none")
    assert out == text.replace("random\r\n", "rollover\r\n    priority: none\r\n")
    out = append(text, {"name": "B", "strategy": "random"})
    assert out == text.replace("random\r\n", "random\r\n  - name: B\r\n    strategy: random\r\n")


def test_long_unicode_lines_are_never_folded():
    long = "Xin chào quý khách, " * 20
    text = f'greetings:\n  - name: G\n    text: "{long}"\n'
    editor = FileEditor.parse("g.yaml", text)
    editor.set_fields(editor.objects("greetings", "name")["G"], {"text": long + "!"}, ["name", "text"])
    assert editor.result() == text.replace(f'"{long}"', f'"{long}!"')


def test_anchors_are_refused():
    text = "groups:\n  - name: A\n    members: &team ['101']\n  - name: B\n    members: *team\n"
    with pytest.raises(EditError, match="anchor"):
        set_fields(text, "A", members=["102"])


GROUPS = """\
# Teams
groups:
  # Sales
  - name: A
    strategy: random   # eol

  # Support
  # (two lines of comment)
  - name: B
    strategy: random

  - name: C
    strategy: random
# the end
"""


def test_removing_an_object_takes_its_comment_and_one_blank_line():
    assert remove(GROUPS, "B") == GROUPS.replace(
        "\n  # Support\n  # (two lines of comment)\n  - name: B\n    strategy: random\n", "")
    assert remove(GROUPS, "A") == GROUPS.replace("  # Sales\n  - name: A\n    strategy: random   # eol\n\n", "")
    assert remove(GROUPS, "C") == GROUPS.replace("\n  - name: C\n    strategy: random\n", "")


def test_removing_neighbours_and_every_object():
    editor = FileEditor.parse("groups.yaml", GROUPS)
    slots = editor.objects("groups", "name")
    editor.remove(slots["A"])
    editor.remove(slots["B"])
    assert editor.result() == "# Teams\ngroups:\n  - name: C\n    strategy: random\n# the end\n"
    editor = FileEditor.parse("groups.yaml", GROUPS)
    for slot in editor.objects("groups", "name").values():
        editor.remove(slot)
    assert editor.result() == "# Teams\ngroups: []\n# the end\n"


def test_removing_the_only_object_leaves_an_empty_list():
    text = "groups:   # mine\n  - name: A\n    strategy: random\npolicy: {}\n"
    assert remove(text, "A") == "groups: []   # mine\npolicy: {}\n"


def test_appending_follows_the_lists_indentation_and_spacing():
    assert append(GROUPS, {"name": "D", "strategy": "random", "members": ["101"], "on_timeout": {"group": "A"}}) == \
        GROUPS.replace("# the end", "\n  - name: D\n    strategy: random\n    members: [\"101\"]\n"
                                    "    on_timeout: {group: A}\n# the end")
    tight = "groups:\n- name: A\n  strategy: random\n- name: B\n  strategy: random\n"
    assert append(tight, {"name": "C", "strategy": "enterprise"}) == tight + "- name: C\n  strategy: enterprise\n"


@pytest.mark.parametrize("text, after", [
    ("groups:\npolicy: {}\n", "groups:\n  - name: D\n    strategy: random\npolicy: {}\n"),
    ("groups: []   # none yet\n", "groups:   # none yet\n  - name: D\n    strategy: random\n"),
    ("groups: ~\n", "groups:\n  - name: D\n    strategy: random\n"),
    ("# only policy\npolicy: {}\n", "# only policy\npolicy: {}\n\ngroups:\n  - name: D\n    strategy: random\n"),
    ("policy: {}", "policy: {}\n\ngroups:\n  - name: D\n    strategy: random\n"),
])
def test_appending_where_the_file_has_no_object_of_the_kind(text: str, after: str):
    assert append(text, {"name": "D", "strategy": "random"}) == after


def test_a_new_file_is_written_as_export_writes():
    text = new_file_text("call_scripts", [
        {"name": "S", "note": "x", "steps": [{"ivr": "M"}, {"group": "A"}],
         "routing_criteria": [{"type": "account_manager", "agent_timeout": 10}]},
        {"name": "T", "steps": [{"greeting": "G"}]},
    ], "# header\n")
    assert text == ("# header\ncall_scripts:\n  - name: S\n    note: x\n    steps:\n      - {ivr: M}\n"
                    "      - {group: A}\n    routing_criteria:\n      - {type: account_manager, agent_timeout: 10}\n\n"
                    "  - name: T\n    steps:\n      - {greeting: G}\n")


@pytest.mark.parametrize("value, written", [
    ("18:00", '"18:00"'),    # the number 1080 to a YAML 1.1 reader
    ("07", '"07"'),          # the number 7 to any YAML reader but ours
    ("a\x85b", '"a\\Nb"'),   # a raw NEL in double quotes reads back as a space
])
def test_a_text_other_yaml_readers_would_misread_is_double_quoted(value: str, written: str):
    """Before issue 23 drift --write wrote these plain (`18:00`, `07`) or with json's
    escapes (a raw U+0085); export already quoted them."""
    text = "groups:\n  - name: A\n    strategy: rollover\n"
    out = set_fields(text, "A", strategy=value)
    assert out == text.replace("rollover", written)
    for version in (None, (1, 1)):
        yaml = YAML(typ="safe", pure=True)
        yaml.version = version
        assert yaml.load(out)["groups"][0]["strategy"] == value


def test_new_objects_are_the_text_export_writes():
    """drift --write's new files and appended objects are export's text (one writer,
    reconciler/yaml_text.py): an opaque live reference stays one flow mapping and a list
    inside an object holds flow items, whatever fields they have (before issue 23 both
    were written in block style, unlike export)."""
    objects = [
        {"name": "S", "note": "Giờ: 8 đến 17", "steps": [{"ivr": "M"}, {"name": "x", "type": "a"}],
         "fallback": {"live": {"type": "Voice_mail", "id": "5f00"}},
         "schedule": {"sat": "X", "sun": [{"from": "08:00", "to": "12:00", "call_script": None}]}},
        {"name": "T", "keys": {"1": {"group": "A"}, "2": {"ivr": "Menu"}}, "members": ["101", "102"]},
    ]
    exported = write_list("call_scripts", [(obj, {}) for obj in objects], blank_lines=True)
    assert new_file_text("call_scripts", objects, "# header\n") == "# header\n" + exported
    assert append("", *objects, kind="call_scripts") == exported.replace("\n\n", "\n")


ALPHABET = list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĐ0123456789 _") + list(":#-?*&!|>'\"%@`,[]{}~.=<\n\t\\/") + \
    ["à", "ạ", "\u0301", "\x85", "\u2028", "\xa0"]
WORDS = ["yes", "No", "on", "y", "18:00", "1_000", "0x1F", "012", "2024-01-05", "=", "<<", "1e3", ".nan", "~", "- a"]


@pytest.mark.parametrize("seed", range(4))
def test_every_text_drift_write_writes_reads_back_for_yaml_1_1_and_1_2_readers(seed: int):
    """As a value or a key, in block or flow style, as a new value or replacing a plain one."""
    rnd = random.Random(seed)
    texts = WORDS + ["".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 7))) for _ in range(300)]
    readers = []
    for version in (None, (1, 1)):
        yaml = YAML(typ="safe", pure=True)
        yaml.version = version
        readers.append(yaml)
    for text in texts:
        for in_flow in (False, True):
            for key in (False, True):
                written = scalar(text, flow=in_flow, key=key, quoting=CAUTIOUS)
                document = (f"k: {{{written}: 1}}" if key else f"k: [{written}]") if in_flow else (
                    f"{written}: 1" if key else f"k: {written}")
                expected = ({"k": {text: 1}} if key else {"k": [text]}) if in_flow else (
                    {text: 1} if key else {"k": text})
                for yaml in readers:
                    assert yaml.load(document) == expected, (text, in_flow, key, written, yaml.version)
