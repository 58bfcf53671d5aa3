"""`reconciler graph`: every edge label, shapes, names as written, escaping, formats."""

from __future__ import annotations

from tests.flows.conftest import EXAMPLES, run, run_json

ROUTING = """
groups:
  - name: Bán hàng
    members: ["101", "102"]
    on_timeout: {ivr: Menu}
ivr_menus:
  - name: Menu
    greeting: Chào
    keys:
      "1": {group: Bán hàng}
      "#": {ivr: Menu}
    fallback: {greeting: Chờ}
call_scripts:
  - name: Giờ hành chính
    steps: [{greeting: Chào}, {ivr: Menu}, {extension: "103"}]
hotlines:
  - number: "842871002283"
    call_script: Giờ hành chính
    inbound: true
"""


def edges(data: dict) -> set[tuple[str, str, str]]:
    return {(e["from"]["name"], e["label"], e["to"]["name"]) for e in data["edges"]}


def test_every_edge_label_of_hand_made_routing(manifests):
    data = run_json("graph", manifests(ROUTING))
    assert edges(data) == {
        ("842871002283", "inbound", "Giờ hành chính"),
        ("Giờ hành chính", "step 1", "Chào"),
        ("Giờ hành chính", "step 2", "Menu"),
        ("Giờ hành chính", "step 3", "103"),
        ("Menu", "key 1", "Bán hàng"),
        ("Menu", "key #", "Menu"),
        ("Menu", "fallback", "Chờ"),
        ("Bán hàng", "member 1", "101"),
        ("Bán hàng", "member 2", "102"),
        ("Bán hàng", "on_timeout", "Menu"),
    }
    assert data["format_version"] == 1
    assert {"kind": "ivr_menus", "name": "Menu"} in data["nodes"]
    assert {"kind": "extensions", "name": "103"} in data["nodes"]
    assert data["nodes"][0] == {"kind": "hotlines", "name": "842871002283"}


def test_examples_graph_in_mermaid_by_default_with_kinds_told_apart_by_shape():
    result = run("graph", EXAMPLES)
    assert result.exit_code == 0
    text = result.output
    assert text.startswith("flowchart LR\n")
    assert '(["842871002283<br/><small>hotline</small>"])' in text
    assert '[["Giờ hành chính<br/><small>call script</small>"]]' in text
    assert '{{"Menu hỗ trợ<br/><small>IVR menu</small>"}}' in text
    assert '["Kinh doanh<br/><small>group</small>"]' in text
    assert '[/"Ngoài giờ làm việc<br/><small>greeting</small>"/]' in text
    assert '(("101<br/><small>extension</small>"))' in text
    for label in ("inbound", "step 1", "step 2", "key 0", "key 1", "key 2", "fallback", "on_timeout", "member 1"):
        assert f'-->|"{label}"|' in text


def test_one_hotline_shows_only_its_calls():
    data = run_json("graph", EXAMPLES, "--hotline", "842873003388")
    names = {n["name"] for n in data["nodes"]}
    assert "842871002283" not in names and "Giờ hành chính" not in names
    assert {"842873003388", "Ngoài giờ", "Ngoài giờ làm việc", "Hỗ trợ kỹ thuật", "Kinh doanh"} <= names


def test_an_unknown_hotline_is_an_error_naming_the_known_ones():
    result = run("graph", EXAMPLES, "--hotline", "999")
    assert result.exit_code == 1
    assert "hotline 999 is not in the manifests (hotlines: 842871002283, 842873003388)" in result.output


def test_names_are_escaped_for_mermaid_and_dot(manifests):
    odd = 'Nhóm "VIP" [#1] <b>`x`</b> & co'
    text = ROUTING.replace("Bán hàng", odd.replace('"', '\\"')).replace("{group: " + odd.replace('"', '\\"') + "}",
                                                                       '{group: "' + odd.replace('"', '\\"') + '"}')
    text = text.replace("- name: " + odd.replace('"', '\\"'), '- name: "' + odd.replace('"', '\\"') + '"')
    directory = manifests(text)
    assert odd in {n["name"] for n in run_json("graph", directory)["nodes"]}
    mermaid = run("graph", directory).output
    assert '"Nhóm #quot;VIP#quot; [#35;1] #60;b#62;#96;x#96;#60;/b#62; #38; co<br/><small>group</small>"' in mermaid
    assert '|"key #35;"|' in mermaid
    dot = run("graph", directory, "--format", "dot").output
    assert 'label="Nhóm \\"VIP\\" [#1] <b>`x`</b> & co\\n(group)"' in dot
    assert dot.startswith("digraph routing {") and 'shape=hexagon, label="Menu\\n(IVR menu)"' in dot


def test_objects_no_hotline_reaches_are_still_drawn(manifests):
    lonely = ROUTING.replace("groups:\n", "groups:\n  - name: Lẻ loi\n    members: ['105']\n")
    data = run_json("graph", manifests(lonely))
    assert ("Lẻ loi", "member 1", "105") in edges(data)
    assert ("Lẻ loi", "member 1", "105") not in edges(run_json("graph", manifests(lonely), "--hotline", "842871002283"))
