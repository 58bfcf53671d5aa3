"""examples/ is what a new user runs first: it must validate as it is, CI recipes and all,
and the demo (the README's first command) must end with an empty plan."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_examples_validate_as_they_are():
    result = CliRunner().invoke(cli, ["validate", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_every_example_file_starts_with_the_editor_schema_line():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/manifest.schema.json", path


def test_demo_plans_applies_and_ends_clean():
    result = CliRunner().invoke(cli, ["demo", str(EXAMPLES)], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "Apply complete: " in result.output and "0 failed" in result.output
    assert "No changes. The tenant matches the manifests" in result.output
    assert result.output.rstrip().endswith("Demo complete: the simulator now matches the manifests.")
