"""Hand-made routing for the graph, trace and lint tests, run through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str) -> Result:
    """`reconciler ARGS` in-process, offline."""
    return CliRunner().invoke(cli, [str(a) for a in args], env={"NO_COLOR": "1"}, catch_exceptions=False)


def run_json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    return json.loads(result.output)


@pytest.fixture
def manifests(tmp_path: Path):
    """Write one routing.yaml (greetings Chào and Chờ declared) and return its directory."""

    def write(text: str) -> Path:
        head = "greetings:\n  - name: Chào\n    text: Xin chào\n  - name: Chờ\n    text: Vui lòng chờ\n"
        (tmp_path / "routing.yaml").write_text(head + text, encoding="utf-8")
        return tmp_path

    return write
