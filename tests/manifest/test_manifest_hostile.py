"""Hostile input fails cleanly, with a message and a position, never a traceback or a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest import load_manifests, yaml_source


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ManifestError) as info:
        load_manifests(root)
    return [str(p) for p in info.value.problems]


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "MAX_FILE_BYTES", 1024 * 1024)
    (tmp_path / "big.yaml").write_text("groups:\n" + "  - name: x\n" * 200_000, encoding="utf-8")
    assert problems_of(tmp_path) == [
        f"{tmp_path / 'big.yaml'}:1:1: file is too large (2.3 MB; a manifest file may be at most 1 MB)"
    ]


def test_the_default_size_limit_is_ten_megabytes() -> None:
    assert yaml_source.MAX_FILE_BYTES == 10 * 1024 * 1024


def test_a_billion_laughs_stops_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (tmp_path / "lol.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    start = time.perf_counter()
    problems = problems_of(tmp_path)
    assert time.perf_counter() - start < 10  # unbounded, it would expand a billion nodes
    assert len(problems) == 1 and "is this an alias bomb?" in problems[0]


def test_deep_flow_nesting_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("x: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    assert problems_of(tmp_path) == [f"{tmp_path / 'deep.yaml'}:1:67: nesting is too deep (more than 64 levels)"]


def test_a_yaml_bomb_among_valid_files_does_not_hide_their_problems(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x: &x [*x]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("groups:\n  - name: G\n    strategy: nope\n", encoding="utf-8")
    problems = problems_of(tmp_path)
    assert problems[0].endswith("a.yaml:1:8: alias *x refers to a value that contains it (a cycle)")
    assert problems[1].endswith("b.yaml:3:15: group 'G': strategy: expected one of enterprise, rollover, "
                                "random, got 'nope'")


@pytest.mark.parametrize("text", [
    "!!python/object/new:os.system [ls]\n",
    "groups: !!set {a, b}\n",
    "groups:\n  - !custom {name: A}\n",
])
def test_tags_are_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    (problem,) = problems_of(tmp_path)
    assert "unsupported YAML tag" in problem


def test_utf16_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_bytes("groups: []\n".encode("utf-16"))
    (problem,) = problems_of(tmp_path)
    assert "w.yaml:1:" in problem and ("binary" in problem or "UTF-8" in problem)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbfgroups:\n  - name: A\n")
    assert list(load_manifests(tmp_path).objects["groups"]) == ["A"]


def test_huge_integers_stay_text(tmp_path: Path) -> None:
    (tmp_path / "n.yaml").write_text("groups:\n  - name: G\n    member_timeout: " + "9" * 5000 + "\n")
    (problem,) = problems_of(tmp_path)
    assert "n.yaml:3:21: group 'G': member_timeout: expected an integer from 1 to 600, got '999" in problem
