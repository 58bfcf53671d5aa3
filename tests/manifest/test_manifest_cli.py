"""`reconciler validate` and `reconciler schema` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.manifest import manifest_json_schema

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"

VALID = {
    "groups.yaml": "groups:\n  - name: CSKH\n    members: [\"101\", \"102\"]\n    on_timeout: {group: Nhóm Tech}\n",
    "ivr/menu.yml": "ivr_menus:\n  - name: Menu\n    greeting: Chào mừng\n    keys:\n      1: {group: CSKH}\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_validate_valid_prints_one_summary_line_and_exits_0(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(write(tmp_path, VALID))])
    assert result.exit_code == 0
    assert result.stdout == "2 objects in 2 files: valid\n"
    assert result.stderr == ""


def test_validate_defaults_to_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(write(tmp_path, VALID))
    result = CliRunner().invoke(cli, ["validate"])
    assert (result.exit_code, result.stdout) == (0, "2 objects in 2 files: valid\n")


def test_validate_invalid_lists_every_problem_on_stderr_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES / "errors_in_several_files")
    result = CliRunner().invoke(cli, ["validate", "."])
    assert result.exit_code == 1
    assert result.stdout == ""
    expected = (CASES / "errors_in_several_files" / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert result.stderr.splitlines() == ["Error: the manifests are invalid (3 problems):"] + [f"  {e}" for e in expected]


def test_validate_as_a_process_exits_1_without_traceback(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": "groups:\n  - name: A\n    memebrs: []\n"})
    (tmp_path / "b.yaml").write_bytes(b"groups: [\xff]\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "reconciler", "validate", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert f"{tmp_path}/a.yaml:3:5: group 'A': unknown field 'memebrs'; did you mean 'members'?" in done.stderr
    assert f"{tmp_path}/b.yaml:1:10: not valid UTF-8 text (byte 0xff); save the file as UTF-8" in done.stderr

    write(tmp_path, {"b.yaml": "groups: []\n"})
    done = subprocess.run([sys.executable, "-m", "reconciler", "validate", "."],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    write(tmp_path, {"a.yaml": "groups:\n  - name: A\n"})
    done = subprocess.run([sys.executable, "-m", "reconciler", "validate", "."],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "1 object in 2 files: valid\n")


def test_validate_a_missing_directory_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "no such file or directory" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_schema_command_prints_the_committed_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    committed = (REPO / "schemas" / "manifest.schema.json").read_text(encoding="utf-8")
    assert result.stdout == committed
    assert json.loads(committed) == manifest_json_schema()


def test_schema_is_fit_for_editors() -> None:
    schema = manifest_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] and schema["description"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"greetings", "groups", "ivr_menus", "call_scripts", "hotlines",
                                         "extensions", "policy"}
    group = schema["$defs"]["Group"]
    assert group["additionalProperties"] is False
    assert group["properties"]["member_timeout"]["maximum"] == 600
    assert group["properties"]["members"]["items"]["type"] == ["string", "integer"]  # `members: [101]`


# --- --live against the simulator (demo tenant: groups "Nhóm Tech", ..., extensions 100-104) ---


def test_validate_live_resolves_references_against_the_tenant(tmp_path: Path, sim, monkeypatch) -> None:
    monkeypatch.setenv("OMICALL_API_KEY", "sim-key")
    monkeypatch.delenv("OMICALL_TOKEN", raising=False)
    write(tmp_path, {
        "groups.yaml": "groups:\n  - name: CSKH\n    members: [\"101\", \"109\"]\n    on_timeout: {group: Nhóm Tech}\n",
        "greetings.yaml": "greetings:\n  - {name: Chào mừng, text: Xin chào}\n",
        "ivr.yaml": "ivr_menus:\n  - name: Menu\n    greeting: Chào mừng\n    keys:\n      1: {group: Nhom Sales}\n",
    })
    result = CliRunner().invoke(cli, ["validate", str(tmp_path), "--live", "--url", sim.url, "--concurrency", "2"])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[1:] == [
        f"  {tmp_path}/groups.yaml:3:22: group 'CSKH': members.1: extension '109' is neither in the manifests "
        "nor in the tenant",
        f"  {tmp_path}/ivr.yaml:5:10: IVR menu 'Menu': keys.1: group 'Nhom Sales' is neither in the manifests "
        "nor in the tenant; did you mean 'Nhóm Sales'?",
    ]
    write(tmp_path, {"groups.yaml": "groups:\n  - name: CSKH\n    members: [\"101\", \"102\"]\n",
                     "ivr.yaml": "ivr_menus:\n  - name: Menu\n    greeting: Chào mừng\n    keys:\n      1: {group: Nhóm Sales}\n"})
    result = CliRunner().invoke(cli, ["validate", str(tmp_path), "--live", "--url", sim.url])
    assert result.exit_code == 0, result.output
    assert result.stdout == "3 objects in 3 files, 3 references to live objects: valid\n"
    # offline, the same set is valid without asking anyone
    assert CliRunner().invoke(cli, ["validate", str(tmp_path)]).exit_code == 0


def test_validate_live_and_plan_resolve_a_dangling_reference_alike_and_say_it_once(tmp_path: Path, sim,
                                                                                    monkeypatch) -> None:
    """One resolver for "neither in the manifests nor in the tenant": validate --live says it
    once per reference, and plan gives the same hint (on the old code plan had no
    wrong-kind hint, and a near-number one validate --live calls noise)."""
    monkeypatch.setenv("OMICALL_API_KEY", "sim-key")
    monkeypatch.delenv("OMICALL_TOKEN", raising=False)
    write(tmp_path, {"m.yaml": "greetings:\n  - {name: Chờ máy, text: xin chờ}\n"
                               "groups:\n  - name: G\n    members: [\"109\"]\n    on_timeout: {group: Chờ máy}\n"})
    validated = CliRunner().invoke(cli, ["validate", str(tmp_path), "--live", "--url", sim.url])
    assert validated.exit_code == 1, validated.output
    wrong_kind = "there is a greeting 'Chờ máy': did you mean {greeting: Chờ máy}?"
    assert validated.stderr.count("neither in the manifests nor in the tenant") == 2
    assert validated.stderr.count(wrong_kind) == 1
    assert "did you mean '10" not in validated.stderr
    planned = CliRunner().invoke(cli, ["plan", str(tmp_path), "--url", sim.url])
    assert planned.exit_code == 1, planned.output
    assert planned.stderr.count("neither in the manifests nor in the tenant") == 2
    assert planned.stderr.count(wrong_kind) == 1
    assert "did you mean '10" not in planned.stderr


def test_validate_live_without_credentials_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    for var in ("OMICALL_API_KEY", "OMICALL_TOKEN", "OMICALL_URL"):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(cli, ["validate", str(write(tmp_path, VALID)), "--live"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no API URL")
