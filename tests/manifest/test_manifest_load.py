"""Valid manifest sets: merging, identities, positions, references, files, environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.errors import Location, ManifestError
from reconciler.kinds import KINDS
from reconciler.manifest import check_live_references, load_manifests

MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 32


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ManifestError) as info:
        load_manifests(root)
    return [str(p) for p in info.value.problems]


def test_lists_of_a_kind_merge_across_files_in_sorted_path_order(tmp_path: Path) -> None:
    write(tmp_path, {
        "b.yaml": "groups:\n  - name: B\n",
        "a/z.yml": "groups:\n  - name: AZ\nivr_menus:\n  - {name: M, greeting: G}\n",
        "a.yaml": "groups:\n  - name: A\npolicy:\n  prune: [groups]\n",
        "empty.yaml": "",
        "comments.yaml": "# nothing here yet\n",
        "nulls.yaml": "groups:\nhotlines:\n",
    })
    mset = load_manifests(tmp_path)
    assert list(mset.objects) == list(KINDS)  # every kind present, maybe empty
    assert list(mset.objects["groups"]) == ["AZ", "A", "B"]  # a/z.yml < a.yaml < b.yaml by path parts
    assert mset.objects["greetings"] == {}
    assert mset.policy.prune == ["groups"]
    assert mset.policy_location == Location(str(tmp_path / "a.yaml"), 3, 1)
    assert len(mset) == 4 and len(mset.files) == 6


def test_a_single_file_path_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, {"one.yaml": "groups:\n  - name: A\n", "other.yaml": "groups:\n  - name: B\n"})
    mset = load_manifests(tmp_path / "one.yaml")
    assert list(mset.objects["groups"]) == ["A"]


def test_hidden_directories_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/ci.yml": "on: push\njobs: {}\n", "groups.yaml": "groups:\n  - name: A\n"})
    assert list(load_manifests(tmp_path).objects["groups"]) == ["A"]


def test_nfd_name_matches_nfc_reference(tmp_path: Path) -> None:
    nfd = "Nho\u0301m CSKH"  # as typed with a combining accent
    write(tmp_path, {
        "groups.yaml": f"groups:\n  - name: \"{nfd}\"\n",
        "ivr.yaml": "ivr_menus:\n  - name: Menu\n    greeting: Chào\n    keys:\n      1: {group: Nhóm CSKH}\n",
    })
    mset = load_manifests(tmp_path)
    assert list(mset.objects["groups"]) == ["Nhóm CSKH"]
    unresolved = [(o.name, path, target) for o, path, target in mset.unresolved_references()]
    assert unresolved == [("Menu", "greeting", ("greetings", "Chào"))]


def test_numbers_written_as_integers_are_text(tmp_path: Path) -> None:
    write(tmp_path, {"m.yaml": (
        "groups:\n  - name: G\n    members: [101, \"102\", 0103]\n"
        "ivr_menus:\n  - name: M\n    greeting: Chào\n    keys:\n      1: {group: G}\n      \"#\": {ivr: M}\n"
        "hotlines:\n  - number: 842871002283\n  - number: +842871002284\n"
        "extensions:\n  - sip_user: 101\n"
        "call_scripts:\n  - name: S\n    steps: [{extension: 145}]\n"
    )})
    mset = load_manifests(tmp_path)
    assert mset.objects["groups"]["G"].model.members == ["101", "102", "0103"]
    assert list(mset.objects["ivr_menus"]["M"].model.keys) == ["1", "#"]
    assert list(mset.objects["hotlines"]) == ["842871002283", "+842871002284"]
    assert list(mset.objects["extensions"]) == ["101"]
    assert mset.objects["call_scripts"]["S"].model.steps == [{"extension": "145"}]


def test_every_value_has_its_own_position(tmp_path: Path) -> None:
    write(tmp_path, {"g.yaml": (
        "groups:\n"
        "  - name: CSKH\n"
        "    members: [\"101\", \"102\"]\n"
        "    on_timeout: {ivr: Menu}\n"
        "    queue:\n"
        "      waiting_time: 60\n"
        "ivr_menus:\n"
        "  - name: Menu\n"
        "    greeting: Chào\n"
        "    keys:\n"
        "      2: {group: CSKH}\n"
    )})
    mset = load_manifests(tmp_path)
    f = str(tmp_path / "g.yaml")
    group = mset.objects["groups"]["CSKH"]
    assert group.location == Location(f, 2, 5)
    assert group.location_of("members.1") == Location(f, 3, 22)
    assert group.location_of("on_timeout") == Location(f, 4, 17)
    assert group.location_of("on_timeout.ivr") == Location(f, 4, 23)
    assert group.location_of("queue.waiting_time") == Location(f, 6, 21)
    assert group.location_of("queue.enabled") == Location(f, 6, 7)  # not written: its parent
    assert group.location_of("strategy") == group.location  # not written: the object
    assert mset.objects["ivr_menus"]["Menu"].location_of("keys.2") == Location(f, 11, 10)


def test_greeting_mp3_is_relative_to_its_file(tmp_path: Path) -> None:
    write(tmp_path, {
        "sub/greetings.yaml": "greetings:\n  - name: Nhạc chờ\n    file: audio/hold.mp3\n"
                              "  - name: Sync\n    file: audio/sync.mp3\n",
        "sub/audio/hold.mp3": MP3,
        "sub/audio/sync.mp3": b"\xff\xfb\x90\x00" + b"\x00" * 32,  # MPEG frame, no ID3 tag
    })
    mset = load_manifests(tmp_path)
    greeting = mset.objects["greetings"]["Nhạc chờ"].model
    assert greeting.file_path().resolve() == (tmp_path / "sub/audio/hold.mp3").resolve()
    data = KINDS["greetings"].desired(greeting)
    assert len(data["file_sha256"]) == 64


def test_mp3_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.mp3"
    outside.write_bytes(MP3)
    root = write(tmp_path / "m", {"g.yaml": "greetings:\n  - name: X\n    file: hold.mp3\n"})
    os.symlink(outside, root / "hold.mp3")
    assert problems_of(root) == [
        f"{root / 'g.yaml'}:3:11: greeting 'X': file: 'hold.mp3' is outside the manifest directory; keep mp3 files inside it"
    ]


def test_env_reference_is_valid_whether_or_not_the_variable_is_set(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Offline checks check the reference, not the value: validation runs without secrets.
    write(tmp_path, {"e.yaml": "extensions:\n  - sip_user: \"101\"\n    password: ${env:RECONCILER_TEST_PW}\n"})
    monkeypatch.delenv("RECONCILER_TEST_PW", raising=False)
    unset = load_manifests(tmp_path)
    assert unset.objects["extensions"]["101"].model.password == "${env:RECONCILER_TEST_PW}"
    monkeypatch.setenv("RECONCILER_TEST_PW", "s3cret")
    mset = load_manifests(tmp_path)
    assert mset.objects["extensions"]["101"].model.password == "${env:RECONCILER_TEST_PW}"  # expanded at use only


def test_problems_of_every_file_are_listed(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.yaml": "groups:\n  - name: A\n    strategy: all\n  - name: A\n",
        "b.yaml": "groups: [\n",
        "c.yaml": "hotlines:\n  - number: x\n",
    })
    lines = problems_of(tmp_path)
    assert [line.split(": ", 1)[0].rsplit("/", 1)[-1] for line in lines] == [
        "a.yaml:3:15", "a.yaml:4:11", "b.yaml:2:1", "c.yaml:2:13"]


def test_no_manifest_files_is_an_error(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == [f"{tmp_path}: no manifest files (*.yaml, *.yml) found"]
    assert problems_of(tmp_path / "nope") == [f"{tmp_path / 'nope'}: no such file or directory"]


# --- references ---------------------------------------------------------------------------


REFS = {
    "m.yaml": (
        "groups:\n"
        "  - name: CSKH\n"
        "    members: [\"101\", \"999\"]\n"
        "    on_timeout: {group: Nhóm Tech}\n"
        "ivr_menus:\n"
        "  - name: Menu\n"
        "    greeting: Chào mừng\n"
        "    keys:\n"
        "      1: {group: CSKH}\n"
        "      2: {group: Nhóm Sale}\n"
        "call_scripts:\n"
        "  - name: S\n"
        "    steps: [{greeting: Chào mừng}, {ivr: Menu}]\n"
        "hotlines:\n"
        "  - number: \"842871002283\"\n"
        "    call_script: S\n"
        "    outbound_access: {extensions: [\"101\"], groups: [CSKH]}\n"
        "extensions:\n"
        "  - sip_user: \"101\"\n"
    ),
}


def test_unresolved_references_name_their_field(tmp_path: Path) -> None:
    write(tmp_path, REFS)
    mset = load_manifests(tmp_path)
    got = [(o.name, path, target) for o, path, target in mset.unresolved_references()]
    assert got == [
        ("CSKH", "members.0", ("extensions", "101")),  # extensions are always live
        ("CSKH", "members.1", ("extensions", "999")),
        ("CSKH", "on_timeout", ("groups", "Nhóm Tech")),
        ("Menu", "greeting", ("greetings", "Chào mừng")),
        ("Menu", "keys.2", ("groups", "Nhóm Sale")),
        ("S", "steps.0", ("greetings", "Chào mừng")),
        ("842871002283", "outbound_access.extensions.0", ("extensions", "101")),
    ]


def test_live_references_missing_everywhere_are_problems_at_their_field(tmp_path: Path) -> None:
    write(tmp_path, REFS)
    mset = load_manifests(tmp_path)
    live = {"extensions": {"100", "101"}, "groups": {"Nhóm Tech", "Nhóm Sales"}, "greetings": {"Chào mừng"}}
    f = tmp_path / "m.yaml"
    assert [str(p) for p in check_live_references(mset, live)] == [
        f"{f}:3:22: group 'CSKH': members.1: extension '999' is neither in the manifests nor in the tenant",
        f"{f}:10:10: IVR menu 'Menu': keys.2: group 'Nhóm Sale' is neither in the manifests nor in the tenant; "
        "did you mean 'Nhóm Sales'?",
    ]


def test_live_reference_of_the_wrong_kind_gets_a_hint(tmp_path: Path) -> None:
    write(tmp_path, {"m.yaml": "greetings:\n  - {name: Chờ, text: xin chờ}\n"
                               "groups:\n  - name: G\n    on_timeout: {group: Chờ}\n"})
    problems = check_live_references(load_manifests(tmp_path), {"groups": set()})
    assert [p.message for p in problems] == [
        "group 'G': on_timeout: group 'Chờ' is neither in the manifests nor in the tenant; "
        "there is a greeting 'Chờ': did you mean {greeting: Chờ}?"
    ]
