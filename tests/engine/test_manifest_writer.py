"""The export's YAML writer: the same bytes as ruamel's round-trip dumper (the export's
writer until issue 15), text that reads back to the same data, and quoting where ruamel
writes text that does not parse."""

from __future__ import annotations

import random

import pytest
from ruamel.yaml import YAML

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.engine import export as export_module
from reconciler.engine.export import export_manifests
from reconciler.engine.live import LiveState
from reconciler.engine.manifest_writer import dump_list, ruamel_list
from reconciler.yaml_text import Unsupported, scalar, write_list
from reconciler.simulator import Simulator
from reconciler.simulator.generate import AWKWARD, generate
from tests.engine.generated import live_of

# Texts ruamel writes unquoted in a flow mapping, where they do not parse back.
RUAMEL_FLOW_BUGS = ["? hỏi"]
SAFE = YAML(typ="safe", pure=False)


def export_with(monkeypatch: pytest.MonkeyPatch, live: LiveState, dumper) -> dict[str, str]:
    monkeypatch.setattr(export_module, "dump_list", dumper)
    return export_manifests(live).files


def test_export_is_byte_identical_to_ruamels_dumper_on_a_generated_tenant(monkeypatch):
    """Vietnamese text, quotes, `: `, `#`, a leading `*`, newlines, tabs, digits-only
    text ("0123"), YAML words ("yes", "null", "~"), comments and blank lines."""
    awkward = [a for a in AWKWARD if a not in RUAMEL_FLOW_BUGS]
    live = live_of(generate(900, awkward=awkward))
    ours = export_with(monkeypatch, live, dump_list)
    reference = export_with(monkeypatch, live, ruamel_list)
    assert list(ours) == list(reference)
    for name in reference:
        assert ours[name] == reference[name], name
    text = "".join(ours.values())
    for written in ('"0123"', "'* sao'", "'#1 Hỗ trợ'", "'true'", "name: yes", '"Nhóm: A"', '"dòng một\\ndòng hai"',
                    "'\"kép\"'", "\n\n  - ", "  # "):
        assert written in text, written


def test_written_files_read_back_to_the_exported_data():
    live = live_of(generate(600))
    result = export_manifests(live)
    files = result.files
    for name, text in files.items():
        data = SAFE.load(text)
        kind = name.removesuffix(".yaml")
        assert list(data) == [kind]
        assert len(data[kind]) == result.counts[kind]
    values: set = set()

    def collect(value) -> None:
        if isinstance(value, dict):
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)
        else:
            values.add(value)

    for text in files.values():
        collect(SAFE.load(text))
    assert set(AWKWARD) - values == set()  # every awkward text, as a name, a note or a greeting's text


def test_a_name_ruamel_would_leave_unquoted_in_a_reference_is_quoted():
    # ruamel writes `{group: ? hỏi}`, which no YAML parser reads.
    objects = [({"name": "Kịch bản", "steps": [{"group": "? hỏi"}], "fallback": {"group": "? hỏi"}}, {})]
    text = write_list("call_scripts", objects, blank_lines=False)
    assert SAFE.load(text) == {"call_scripts": [objects[0][0]]}
    assert "{group: '? hỏi'}" in text


def test_export_of_a_reference_to_such_a_name_plans_empty_through_the_cli(tmp_path):
    """Before issue 15 this export stopped with "not valid YAML" in its own check."""
    seed = {"groups": [{"_id": "0" * 23 + "1", "group_name": "? hỏi"},
                       {"_id": "0" * 23 + "2", "group_name": "Tràn", "target_timeout_type": "Ring_group",
                        "target_timeout": "0" * 23 + "1"}]}
    with Simulator(seed, api_key="k") as sim:
        env = {"OMICALL_URL": sim.start(), "OMICALL_API_KEY": "k", "OMICALL_TOKEN": None, "NO_COLOR": "1"}
        out = tmp_path / "exported"
        result = CliRunner().invoke(cli, ["export", "--out", str(out)], env=env)
        assert result.exit_code == 0, result.output
        assert "on_timeout: {group: '? hỏi'}" in (out / "groups.yaml").read_text(encoding="utf-8")
        plan = CliRunner().invoke(cli, ["plan", str(out), "--detailed-exitcode"], env=env)
        assert plan.exit_code == 0, plan.output


ALPHABET = list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĐ0123456789 ") + list(":#-?*&!|>'\"%@`,[]{}~.=\n\t\\/") + ["à", "ạ", "\u0301"]


def random_text(rnd: random.Random) -> str:
    return "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 8)))


def random_value(rnd: random.Random, depth: int = 0):
    choice = rnd.randrange(9 if depth < 3 else 6)
    if choice <= 2:
        return random_text(rnd)
    if choice == 3:
        return rnd.choice([None, True, False, rnd.randint(-5, 500), str(rnd.randint(0, 999)).zfill(rnd.randint(1, 4))])
    if choice == 4:
        return rnd.choice(["true", "null", "yes", "~", "1e3", "0x1F", "08:00", ".nan", "-", "? x", "a: b", "- a"])
    if choice == 5:
        return rnd.choice(["Nhóm CSKH", "Menu chính", "Lời chào 1"])
    if choice in (6, 7):
        return {random_text(rnd) or "k": random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))}
    return [random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]


def parses_to(text: str, data) -> bool:
    try:
        return SAFE.load(text) == data
    except Exception:
        return False


@pytest.mark.parametrize("seed", range(8))
def test_random_texts_read_back_in_every_context(seed):
    """As a value or a key, in block or flow style (Unsupported: the whole document is
    written by ruamel, see the next test)."""
    rnd = random.Random(seed)
    for _ in range(400):
        text = random_text(rnd)
        for flow in (False, True):
            for key in (False, True):
                try:
                    written = scalar(text, flow=flow, key=key)
                except Unsupported:
                    continue
                document = (f"{{{written}: 1}}" if key else f"[{written}]") if flow else (
                    f"{written}: 1" if key else f"k: {written}")
                expected = ({text: 1} if key else [text]) if flow else ({text: 1} if key else {"k": text})
                assert parses_to(document, expected), (text, flow, key, written)


@pytest.mark.parametrize("seed", range(12))
def test_random_objects_are_written_as_ruamel_writes_them(seed):
    """Any nesting of dict, list, text, number, boolean and None (new fields need no
    change here): the text reads back to the data, and equals ruamel's wherever ruamel's
    reads back too. Shapes it does not write (a list in a list...) raise Unsupported, and
    dump_list writes them with ruamel."""
    rnd = random.Random(100 + seed)
    written = same = 0
    for _ in range(60):
        objects = []
        for _ in range(rnd.randint(0, 4)):
            obj = {"name": random_text(rnd) or "x"}
            obj.update({random_text(rnd) or f"f{i}": random_value(rnd) for i in range(rnd.randint(0, 5))})
            notes = {"name": "a note"} if rnd.random() < 0.3 else {}
            objects.append((obj, notes))
        blank = rnd.random() < 0.5
        data = {"groups": [obj for obj, _ in objects]}
        try:
            ours = write_list("groups", objects, blank)
        except Unsupported:
            continue  # written by ruamel (dump_list's fallback)
        written += 1
        assert parses_to(ours, data), ours
        reference = ruamel_list("groups", objects, blank)
        if parses_to(reference, data):
            assert ours == reference
            same += 1
    assert written >= 20 and same >= 10, (written, same)
