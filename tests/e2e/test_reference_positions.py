"""Every reference a kind makes carries where it is written in the manifest, so `plan` and
`validate --live` point at that very value (file:line:column) when it resolves nowhere,
in every kind, also when one name is used twice in an object or deep in a schedule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MARK = "@"  # where an error must point; removed before the file is written

CASES = {
    "group members": """
groups:
  - name: Nhóm thử
    members: ["101", @"999"]
""",
    "group on_timeout": """
groups:
  - name: Nhóm thử
    members: ["101"]
    on_timeout: @{ivr: Không có}
""",
    "IVR greetings, one name twice": """
ivr_menus:
  - name: Menu thử
    greeting: @Không có
    invalid_greeting: @Không có
""",
    "IVR key and fallback": """
greetings:
  - {name: Chào thử, text: Xin chào}
ivr_menus:
  - name: Menu thử
    greeting: Chào thử
    keys:
      1: {ivr: Menu thử}
      "2": @{group: Không có}
    fallback: @{greeting: Không có}
""",
    "call script steps": """
call_scripts:
  - name: Kịch bản thử
    steps:
      - @{group: Không có}
      - @{ivr: Không có}
""",
    "hotline call_script": """
hotlines:
  - number: "842871002283"
    call_script: @Không có
""",
    "hotline schedule": """
call_scripts:
  - name: Kịch bản thử
    steps: [{greeting: Chào thử}]
greetings:
  - {name: Chào thử, text: Xin chào}
hotlines:
  - number: "842871002283"
    call_script: Kịch bản thử
    schedule:
      sat: @Không có
      mon:
        - {from: "08:00", to: "12:00", call_script: Kịch bản thử}
        - {from: "13:00", to: "17:00", call_script: @Không có nữa}
""",
    "hotline outbound access": """
hotlines:
  - number: "842871002283"
    outbound_access:
      extensions: ["101", @"999"]
      groups: [@Không có]
""",
}


def _write(directory: Path, case: str) -> tuple[Path, list[str]]:
    """The case's file, and the "file:line:col" of each mark, in order."""
    directory.mkdir()
    path = directory / "m.yaml"
    positions, lines = [], []
    for number, line in enumerate(CASES[case].lstrip("\n").splitlines(), 1):
        while MARK in line:
            column = line.index(MARK) + 1
            positions.append(f"{path}:{number}:{column}")
            line = line[:column - 1] + line[column:]
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, positions


def _positions(output: str, path: Path) -> list[str]:
    return re.findall(rf"({re.escape(str(path))}:\d+:\d+): .*(?:'999'|'Không có(?: nữa)?')", output)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", [["plan"], ["validate", "--live"]])
def test_an_unresolved_reference_is_reported_where_it_is_written(tenant, tmp_path, case, command):
    path, expected = _write(tmp_path / "case", case)
    result = tenant.run(*command, str(path.parent))
    assert result.exit_code == 1, result.output
    assert _positions(result.output, path) == expected, result.output
    assert "Traceback" not in result.output
