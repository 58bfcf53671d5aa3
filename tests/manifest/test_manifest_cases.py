"""The corpus of invalid manifest sets: each case directory holds YAML files and
`expected.txt`, the exact problems the user sees (file:line:column: message), in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest import load_manifests

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())


def test_the_corpus_is_large_enough() -> None:
    assert len(CASE_NAMES) >= 40


@pytest.mark.parametrize("case", CASE_NAMES)
def test_invalid_case_reports_exact_problems(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES / case)
    monkeypatch.delenv("RECONCILER_TEST_UNSET_PASSWORD", raising=False)
    expected = (CASES / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    with pytest.raises(ManifestError) as info:
        load_manifests(".")
    assert [str(p) for p in info.value.problems] == expected
