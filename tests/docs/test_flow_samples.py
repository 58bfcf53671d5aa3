"""tools/flow_samples.py writes the diagrams tools/render_mermaid.sh gives to Mermaid (the
rendering itself needs node and chromium, and is not part of the test suite)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "flow_samples.py"


def test_the_samples_cover_graphs_odd_names_and_plan_diagrams(tmp_path):
    spec = importlib.util.spec_from_file_location("flow_samples", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    names = sorted(p.name for p in tmp_path.glob("*.mmd"))
    assert names == ["hotline-842871002283.mmd", "hotline-842873003388.mmd", "odd-names.mmd", "plan-1.mmd",
                     "plan-2.mmd", "plan-call-script.mmd", "routing.mmd"]
    for path in tmp_path.glob("*.mmd"):
        assert path.read_text(encoding="utf-8").startswith("flowchart LR\n")
    assert "#quot;VIP#quot;" in (tmp_path / "odd-names.mmd").read_text(encoding="utf-8")
    plans = (tmp_path / "plan-1.mmd").read_text(encoding="utf-8") + (tmp_path / "plan-2.mmd").read_text(encoding="utf-8")
    assert "==>" in plans and "-.->" in plans
    rerouted = (tmp_path / "plan-call-script.mmd").read_text(encoding="utf-8")
    assert "call script, deleted" in rerouted and '"mon (new)"' not in rerouted
