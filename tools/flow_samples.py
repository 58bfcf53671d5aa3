"""Write every kind of Mermaid diagram the reconciler prints, for Mermaid itself to render
(tools/render_mermaid.sh): the examples' routing graph (whole and per hotline), a graph of
names full of characters Mermaid treats specially, the diagrams of a markdown plan
that changes a call flow (new edges bold, removed ones dashed), and of one that routes a
hotline to another call script and deletes the old one (marked deleted).

    python tools/flow_samples.py OUT_DIR
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.simulator import Simulator

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
ODD = 'Nhóm "VIP" [#1] <b>`x`</b> & co; {a|b} (c) %% d'
ODD_ROUTING = f"""
greetings:
  - name: Chào
    text: Xin chào
groups:
  - name: '{ODD.replace("'", "''")}'
    members: ["101"]
ivr_menus:
  - name: 'Menu "chính" #2'
    greeting: Chào
    keys:
      "#": {{group: '{ODD.replace("'", "''")}'}}
      "*": {{ivr: 'Menu "chính" #2'}}
call_scripts:
  - name: "Kịch bản <i>ngày</i> & đêm"
    steps: [{{greeting: Chào}}, {{ivr: 'Menu "chính" #2'}}]
hotlines:
  - number: "842871002283"
    call_script: "Kịch bản <i>ngày</i> & đêm"
"""


def run(*args: str, env: dict | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", **(env or {})}, catch_exceptions=False)
    if result.exit_code not in (0, 2):
        raise SystemExit(f"reconciler {' '.join(args)} failed:\n{result.output}")
    return result.output


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "routing.mmd").write_text(run("graph", str(EXAMPLES)), encoding="utf-8")
    for number in ("842871002283", "842873003388"):
        (out / f"hotline-{number}.mmd").write_text(run("graph", str(EXAMPLES), "--hotline", number), encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        odd = Path(tmp) / "odd"
        odd.mkdir()
        (odd / "routing.yaml").write_text(ODD_ROUTING, encoding="utf-8")
        (out / "odd-names.mmd").write_text(run("graph", str(odd)), encoding="utf-8")
        changed = Path(tmp) / "changed"
        shutil.copytree(EXAMPLES, changed)
        ivr = (changed / "ivr.yaml").read_text(encoding="utf-8")
        (changed / "ivr.yaml").write_text(ivr.replace('"1": {group: Kinh doanh}', '"1": {group: Hỗ trợ kỹ thuật}'),
                                          encoding="utf-8")
        groups = (changed / "groups.yaml").read_text(encoding="utf-8")
        (changed / "groups.yaml").write_text(groups.replace("    on_timeout: {group: Kinh doanh}\n", ""),
                                             encoding="utf-8")
        rerouted = Path(tmp) / "rerouted"
        shutil.copytree(EXAMPLES, rerouted)
        routing = (rerouted / "routing.yaml").read_text(encoding="utf-8")
        routing = routing.replace("call_script: Giờ hành chính\n", "call_script: Ngoài giờ\n", 1)
        routing = routing[:routing.index("  - name: Giờ hành chính")] + routing[routing.index("  - name: Ngoài giờ"):]
        (rerouted / "routing.yaml").write_text(routing, encoding="utf-8")
        with Simulator(api_key="samples") as sim:
            env = {"OMICALL_URL": sim.start(), "OMICALL_API_KEY": "samples"}
            run("apply", str(EXAMPLES), "--auto-approve", env=env)
            plan = run("plan", str(changed), "--format", "markdown", env=env)
            reroute = run("plan", str(rerouted), "--format", "markdown", env=env)
    for i, block in enumerate(_blocks(plan), 1):
        (out / f"plan-{i}.mmd").write_text(block, encoding="utf-8")
    (block,) = _blocks(reroute)
    (out / "plan-call-script.mmd").write_text(block, encoding="utf-8")
    print(f"{len(list(out.glob('*.mmd')))} diagrams written to {out}")


def _blocks(markdown: str) -> list[str]:
    blocks = [b.split("```", 1)[0] for b in markdown.split("```mermaid\n")[1:]]
    if not blocks:
        raise SystemExit("a sample plan has no Mermaid diagram")
    return blocks


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
