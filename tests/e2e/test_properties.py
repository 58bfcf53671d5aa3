"""Property tests (hypothesis): any valid manifest set validates, plans, applies and
re-plans empty against a tenant; any set made invalid by one mutation fails `validate`
with a file:line:col location, and `apply` sends nothing.

Examples are derandomized in CI (tests/conftest.py); HYPOTHESIS_PROFILE=thorough runs
many random ones."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from reconciler.cli import cli
from reconciler.simulator import Simulator
from reconciler.simulator.demo import demo_seed

API_KEY = "prop-key"
TENANT = {"extensions": demo_seed()["extensions"]}  # extensions only: everything else comes from the manifests
EXTENSIONS = ["100", "101", "102", "103", "104"]
VOICES = ["northern_female_ngocanh", "southern_male_tienhuy", "northern_male_anhkiet", "southern_female_khangan"]
LOCATION = re.compile(r"\.yaml:\d+:\d+")
# Any text YAML can carry (no control characters, surrogates or non-characters).
TEXT = st.characters(blacklist_categories=("Cc", "Cs", "Cn"))
# Vietnamese letters (composed and decomposed), digits, spaces and punctuation a name may hold.
WORD = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậếềểễệốồổỗộớờởỡợứừửữựÁĐƯ0123456789 -_.()&'",
               min_size=0, max_size=12)


def names(prefix: str, count: int) -> st.SearchStrategy[list[str]]:
    # An index keeps names distinct however the server compares them (case, accents).
    return st.lists(WORD, min_size=count, max_size=count).map(
        lambda words: [f"{prefix} {i} {w}".strip() for i, w in enumerate(words)])


@st.composite
def manifest_sets(draw: Any) -> dict[str, Any]:
    """A valid manifest set: every reference resolves, cycles included."""
    greetings = draw(names("Lời chào", draw(st.integers(1, 3))))
    groups = draw(names("Nhóm", draw(st.integers(0, 3))))
    menus = draw(names("Menu", draw(st.integers(0, 2))))
    scripts = draw(names("Kịch bản", draw(st.integers(0, 2))))
    refs = [{"group": g} for g in groups] + [{"ivr": m} for m in menus] + [{"greeting": g} for g in greetings]
    key_refs = [{"group": g} for g in groups] + [{"ivr": m} for m in menus]
    out: dict[str, Any] = {
        "greetings": [{"name": n, "text": draw(st.text(TEXT, min_size=1, max_size=299).filter(str.strip)),
                       "voice": draw(st.sampled_from(VOICES)), "speed": draw(st.integers(-3, 3))} for n in greetings],
        "groups": [],
        "ivr_menus": [],
        "call_scripts": [],
        "policy": {"prune": draw(st.sampled_from([["groups", "ivr_menus", "call_scripts"],
                                                  ["groups", "ivr_menus", "call_scripts", "greetings"]])),
                   "protect": ["Nhóm nhân viên mặc định"]},
    }
    for name in groups:
        group: dict[str, Any] = {"name": name, "strategy": draw(st.sampled_from(["enterprise", "rollover", "random"])),
                                 "members": draw(st.lists(st.sampled_from(EXTENSIONS), max_size=3, unique=True)),
                                 "member_timeout": draw(st.integers(1, 600)),
                                 "priority": draw(st.sampled_from(["none", "most_idle", "fewest_answered"]))}
        others = [r for r in refs if r != {"group": name}]  # overflowing to itself is refused
        if others and draw(st.booleans()):
            group["on_timeout"] = draw(st.sampled_from(others))
        if draw(st.booleans()):
            group["queue"] = {"enabled": draw(st.booleans()), "when_busy": draw(st.booleans()),
                              "when_offline": draw(st.booleans()), "waiting_time": draw(st.integers(0, 3600))}
        out["groups"].append(group)
    for name in menus:
        menu: dict[str, Any] = {"name": name, "greeting": draw(st.sampled_from(greetings)),
                                "input_timeout": draw(st.integers(1, 60)), "max_failures": draw(st.integers(1, 10))}
        if key_refs:
            digits = draw(st.lists(st.sampled_from(list("0123456789*#")), max_size=4, unique=True))
            menu["keys"] = {d: draw(st.sampled_from(key_refs)) for d in digits}
        if draw(st.booleans()):
            menu["fallback"] = draw(st.sampled_from(refs))
        out["ivr_menus"].append(menu)
    for name in scripts:
        out["call_scripts"].append({"name": name, "note": draw(st.text(TEXT, max_size=40)),
                                    "steps": draw(st.lists(st.sampled_from(refs), min_size=1, max_size=3))})
    return out


def write(root: Path, manifests: dict[str, Any]) -> None:
    """One file per kind; JSON is YAML."""
    for kind, value in manifests.items():
        (root / f"{kind}.yaml").write_text(json.dumps({kind: value}, ensure_ascii=False, indent=1), "utf-8")


def run(sim: Simulator, *args: str):
    return CliRunner().invoke(cli, list(args), env={"OMICALL_URL": sim.url, "OMICALL_API_KEY": API_KEY,
                                                    "OMICALL_TOKEN": None, "NO_COLOR": "1"})


@given(manifest_sets())
def test_any_valid_set_validates_plans_applies_and_replans_empty(manifests: dict):
    root = Path(tempfile.mkdtemp())
    try:
        write(root, manifests)
        with Simulator(TENANT, api_key=API_KEY) as sim:
            assert (v := run(sim, "validate", str(root))).exit_code == 0, v.output
            assert (p := run(sim, "plan", str(root), "--detailed-exitcode")).exit_code == 2, p.output
            assert (a := run(sim, "apply", str(root), "--auto-approve")).exit_code == 0, a.output
            again = run(sim, "plan", str(root), "--detailed-exitcode")
            assert again.exit_code == 0, again.output
    finally:
        shutil.rmtree(root)


def _mutations() -> st.SearchStrategy:
    """One way to break a valid set: (kind, what to do to its first object, whether only
    the tenant can tell: a reference to no object may name a live one, so it is found by
    `validate --live`)."""
    return st.sampled_from([
        ("greetings", lambda o: o.update(speed=9), False),
        ("greetings", lambda o: o.update(text="x" * 301), False),
        ("greetings", lambda o: o.update(voice="robot"), False),
        ("greetings", lambda o: o.update(txt="typo"), False),
        ("greetings", lambda o: o.update(name=["not", "text"]), False),
        ("groups", lambda o: o.update(member_timeout="thirty"), False),
        ("groups", lambda o: o.update(strategy="round_robin"), False),
        ("groups", lambda o: o.update(on_timeout={"group": "Không có nhóm này"}), True),
        ("groups", lambda o: o.update(members=["1x1"]), False),
        ("ivr_menus", lambda o: o.update(keys={"x": {"group": "Không có"}}), False),
        ("ivr_menus", lambda o: o.update(greeting="Không có lời chào này"), True),
        ("call_scripts", lambda o: o.update(steps=[{"hotline": "1"}]), False),
    ])


@given(manifest_sets(), _mutations(), st.booleans())
def test_any_mutated_invalid_set_fails_validate_with_a_location_and_sends_nothing(manifests: dict, mutation,
                                                                                  duplicate: bool):
    kind, mutate, live_only = mutation
    if not manifests[kind]:
        manifests[kind].append({"greetings": {}, "groups": {"name": "Nhóm mới"}, "ivr_menus": {
            "name": "Menu mới", "greeting": manifests["greetings"][0]["name"]}, "call_scripts": {"name": "Kịch bản mới"}}[kind])
    mutate(manifests[kind][0])
    if duplicate:  # and a second mistake: a name declared twice
        manifests["greetings"].append(dict(manifests["greetings"][-1]))
    root = Path(tempfile.mkdtemp())
    try:
        write(root, manifests)
        with Simulator(TENANT, api_key=API_KEY) as sim:
            checked = run(sim, "validate", str(root), *(["--live"] if live_only else []))
            assert checked.exit_code == 1, checked.output
            assert LOCATION.search(checked.output), checked.output
            assert "Traceback" not in checked.output
            applied = run(sim, "apply", str(root), "--auto-approve")
            assert applied.exit_code == 1, applied.output
            assert sim.mutations() == []
    finally:
        shutil.rmtree(root)
