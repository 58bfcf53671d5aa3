"""Property test (issue 21, done-when (c)): on generated tenants, some with a weekly
schedule set in the console, and random edits of their exported manifests, the call-flow
diagram of a markdown plan is `graph DIR --hotline N` of the edited manifests with the
plan's changes marked: what is new is what `graph --live --hotline N` did not have, what
is dashed is what it had and the manifests no longer do, an object marked deleted is gone
from the tenant after the apply (one marked "no longer reached" is not), a hotline with
no diagram draws the same before and after, and once applied `graph --live` draws what
the plan drew.

The diagrams are read back from the printed Mermaid (tests/flows/plan_diagram.py), the graphs
from `graph --format json`: two outputs of the CLI, compared as nodes and edges.
Examples are derandomized in CI (tests/conftest.py); HYPOTHESIS_PROFILE=thorough runs
many random ones."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from click.testing import CliRunner
from hypothesis import event, given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.cli import cli
from reconciler.flows.render import mermaid_text
from reconciler.simulator import Simulator
from reconciler.simulator.tenant import NAME_FIELD
from reconciler.simulator.generate import generate
from tests.flows.plan_diagram import ADDED, GONE, diagrams, graph_of, renamed

API_KEY = "diagram-key"
WEEKDAYS = (2, 3, 4, 5, 6, 7, 1)  # the API's: Monday (2) .. Sunday (1)
REF_WORDS = {"groups": "group", "ivr_menus": "ivr", "greetings": "greeting", "call_scripts": "call_script"}


@st.composite
def tenants(draw: Any) -> dict[str, list[dict[str, Any]]]:
    """A generated tenant (reconciler/simulator/generate.py) where some hotlines' weekdays were
    set in the console: a whole day on another script, or a morning on another script
    (the rest of that day on the default, which a manifest's `schedule` can state)."""
    seed = generate(draw(st.integers(25, 70)), draw(st.integers(0, 10_000)))
    scripts = [c["_id"] for c in seed["call_scripts"]]
    for hotline in seed["hotlines"]:
        default = hotline["configs"]["default_script"]
        days = [{"weekday": d, "type": "full_day", "script": default,
                 "time_frames": [{"from": "", "to": "", "script": ""}]} for d in WEEKDAYS]
        shape = draw(st.sampled_from(["none", "none", "day", "morning"]))
        day = days[draw(st.integers(0, 6))]
        if shape == "day":
            day["script"] = draw(st.sampled_from(scripts))
        elif shape == "morning":
            day.update(type="time_frame", time_frames=[{"from": "08:00", "to": "12:00",
                                                        "script": draw(st.sampled_from(scripts))}])
        hotline["configs"]["working_days"] = days
    return seed


class Edits:
    """Random edits of a manifest set (kind -> list of objects), as a user makes them:
    every reference left resolvable, deletes under policy.prune, renames with
    previous_names. `renames` maps (kind, old) to the new name, in Mermaid label terms."""

    def __init__(self, manifests: dict[str, Any], draw: Callable[[st.SearchStrategy], Any], outbound: set[str]):
        self.m, self.draw = manifests, draw
        self.outbound = outbound  # groups hotlines let call out: in use, but not in the export
        self.renames: dict[tuple[str, str], str] = {}
        self.raw_renames: dict[tuple[str, str], str] = {}  # the same, names as written
        self.created = 0
        # Call scripts the tenant's weekly schedules name: in use there, never deleted here.
        self.scheduled = {s for h in manifests["hotlines"] for s in _schedule_scripts(h)}

    def names(self, kind: str) -> list[str]:
        return [o["name"] for o in self.m.get(kind) or []]

    def pick(self, kind: str) -> dict | None:
        objs = self.m.get(kind) or []
        return self.draw(st.sampled_from(objs)) if objs else None

    def ref(self, *kinds: str) -> dict | None:
        refs = [{REF_WORDS[k]: n} for k in kinds for n in self.names(k)]
        return self.draw(st.sampled_from(refs)) if refs else None

    def apply(self, edit: str) -> None:
        getattr(self, edit)()

    def hotline_script(self) -> None:
        """Route a hotline to another call script (or none). A new call_script replaces
        the tenant's weekly schedule: the schedule its export states is dropped (as the
        README says to) or, sometimes, kept: then the plan cannot be applied, and is
        still drawn. (Dropped while call_script stays, the tenant would keep a schedule
        the manifests no longer state, which `graph DIR` cannot draw.)"""
        hotline = self.pick("hotlines")
        script = self.draw(st.sampled_from([*self.names("call_scripts"), None]))
        if script != hotline.get("call_script") and "schedule" in hotline and self.draw(st.integers(0, 3)):
            del hotline["schedule"]
        hotline["call_script"] = script

    def hotline_inbound(self) -> None:
        hotline = self.pick("hotlines")
        hotline["inbound"] = not hotline.get("inbound", True)

    def steps(self) -> None:
        script = self.pick("call_scripts")
        if script is None:
            return
        steps = script["steps"]
        step = self.ref("groups", "ivr_menus", "greetings")
        at = self.draw(st.integers(0, len(steps)))
        what = self.draw(st.sampled_from(["replace", "insert", "drop"]))
        if what == "drop" and len(steps) > 1:
            steps.pop(min(at, len(steps) - 1))
        elif step is not None:
            steps[at:at + (what == "replace")] = [step]

    def menu(self) -> None:
        menu = self.pick("ivr_menus")
        if menu is None:
            return
        key = self.draw(st.sampled_from(list("0123456789*#")))
        target = self.ref("groups", "ivr_menus")
        keys = menu.setdefault("keys", {})
        if target is None or key in keys and self.draw(st.booleans()):
            keys.pop(key, None)
        else:
            keys[key] = target
        if self.draw(st.booleans()):
            fallback = self.ref("groups", "ivr_menus", "greetings")
            menu["fallback"] = fallback if self.draw(st.booleans()) else None

    def group(self) -> None:
        group = self.pick("groups")
        if group is None:
            return
        target = self.ref("groups", "ivr_menus", "greetings")
        group["on_timeout"] = target if target != {"group": group["name"]} and self.draw(st.booleans()) else None
        members = [e["sip_user"] for e in self.m["extensions"]]
        group["members"] = self.draw(st.lists(st.sampled_from(members), max_size=3, unique=True))

    def create(self) -> None:
        """A new group, put on a menu's key or a call script's step."""
        self.created += 1
        name = f"Nhóm mới {self.created}"
        self.m["groups"].append({"name": name, "members": [self.m["extensions"][0]["sip_user"]]})
        holder = self.pick(self.draw(st.sampled_from(["ivr_menus", "call_scripts"])))
        if holder is None:
            return
        if "steps" in holder:
            holder["steps"].append({"group": name})
        else:
            holder.setdefault("keys", {})[self.draw(st.sampled_from(list("0123456789*#")))] = {"group": name}

    def delete(self) -> None:
        """Delete a group, menu or call script (its kind pruned), after taking every
        reference to it out: steps, keys, fallbacks, on_timeouts, hotlines' call_script.
        A call script the tenant's weekly schedule names, or a group a hotline lets call out
        (the API does not return who may), stays: in use there."""
        kind = self.draw(st.sampled_from(["groups", "ivr_menus", "call_scripts"]))
        in_use = {"call_scripts": self.scheduled, "groups": self.outbound}.get(kind, set())
        victims = [n for n in self.names(kind) if n not in in_use]
        if not victims:
            return
        name = self.draw(st.sampled_from(victims))
        gone = {REF_WORDS[kind]: name}
        self.m[kind] = [o for o in self.m[kind] if o["name"] != name]
        for script in self.m["call_scripts"]:
            script["steps"] = [s for s in script["steps"] if s != gone] or [{"extension": self.m["extensions"][0]["sip_user"]}]
        for menu in self.m["ivr_menus"]:
            menu["keys"] = {k: v for k, v in (menu.get("keys") or {}).items() if v != gone}
            if menu.get("fallback") == gone:
                menu["fallback"] = None
        for group in self.m["groups"]:
            if group.get("on_timeout") == gone:
                group["on_timeout"] = None
        for hotline in self.m["hotlines"]:
            if kind == "call_scripts" and hotline.get("call_script") == name:
                hotline["call_script"] = None
                hotline.pop("schedule", None)
        prune = self.m["policy"].setdefault("prune", [])
        if kind not in prune:
            prune.append(kind)

    def rename(self) -> None:
        """Rename a group, menu or call script in place (previous_names), and every
        reference to it."""
        kind = self.draw(st.sampled_from(["groups", "ivr_menus", "call_scripts"]))
        obj = self.pick(kind)
        if obj is None or obj.get("previous_names"):
            return
        old, new = obj["name"], f"{obj['name']} (mới)"
        obj["name"], obj["previous_names"] = new, [old]
        word = REF_WORDS[kind]
        _rewrite(self.m, {word: old}, {word: new})
        for hotline in self.m["hotlines"]:
            if kind == "call_scripts" and hotline.get("call_script") == old:
                hotline["call_script"] = new
            for day, routing in (hotline.get("schedule") or {}).items():
                if kind == "call_scripts" and routing == old:
                    hotline["schedule"][day] = new
                for frame in routing if isinstance(routing, list) else []:
                    if kind == "call_scripts" and frame.get("call_script") == old:
                        frame["call_script"] = new
        if old in self.scheduled:
            self.scheduled.add(new)
        self.renames[(kind, mermaid_text(old))] = mermaid_text(new)
        self.raw_renames[(kind, old)] = new


def _schedule_scripts(hotline: dict) -> set[str]:
    out = set()
    for routing in (hotline.get("schedule") or {}).values():
        out |= {routing} if isinstance(routing, str) else {f.get("call_script") for f in routing or []}
    return out


def _rewrite(value: Any, old: dict, new: dict) -> None:
    """Every reference equal to `old` in place, to `new`."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in list(items):
        if item == old:
            value[key] = dict(new)
        else:
            _rewrite(item, old, new)


EDITS = ["hotline_script", "hotline_script", "hotline_inbound", "steps", "menu", "group", "create", "delete", "delete",
         "rename"]


def _load(root: Path) -> dict[str, Any]:
    yaml = YAML(typ="safe")
    out: dict[str, Any] = {}
    for path in sorted(root.glob("*.yaml")):
        out.update(yaml.load(path.read_text(encoding="utf-8")))
    return out


def _write(root: Path, manifests: dict[str, Any]) -> None:
    for path in root.glob("*.yaml"):
        path.unlink()
    for kind, value in manifests.items():  # one file per kind; JSON is YAML
        (root / f"{kind}.yaml").write_text(json.dumps({kind: value}, ensure_ascii=False, indent=1), "utf-8")


def _run(sim: Simulator, *args: str):
    return CliRunner().invoke(cli, list(args), env={"OMICALL_URL": sim.url, "OMICALL_API_KEY": API_KEY,
                                                    "OMICALL_TOKEN": None, "NO_COLOR": "1"}, catch_exceptions=False)


def _graph_json(sim: Simulator, *args: str) -> dict:
    result = _run(sim, "graph", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _graph(sim: Simulator, *args: str) -> tuple[set, Counter]:
    return graph_of(_graph_json(sim, *args))


def _impact(numbers: list[str], was: dict[str, dict], now: dict[str, dict], renames: dict) -> list[str]:
    """The text plan's impact lines `graph` implies: each hotline's groups that
    `graph --live` reached and `graph DIR` does not, in the order a caller met them."""
    lines = []
    for number in numbers:
        reached = {n["name"] for n in now[number]["nodes"] if n["kind"] == "groups"}
        for node in was[number]["nodes"]:
            name = renames.get(("groups", node["name"]), node["name"])
            if node["kind"] == "groups" and name not in reached:
                lines.append(f"  hotline {number}: callers lose their way to group '{name}'")
    return lines


def _exists(sim: Simulator, node: tuple[str, str]) -> bool:
    kind, name = node
    field = NAME_FIELD[kind]
    return any(mermaid_text(str(r.get(field))) == name for r in sim.tenant.collection(kind).values())


@given(tenants(), st.lists(st.sampled_from(EDITS), min_size=1, max_size=3), st.data())
def test_a_plans_diagram_is_graph_of_the_new_manifests_with_the_changes_marked(seed, edits, data):
    root = Path(tempfile.mkdtemp()) / "m"
    try:
        with Simulator(seed, api_key=API_KEY) as sim:
            exported = _run(sim, "export", "--out", str(root))
            assert exported.exit_code == 0, exported.output
            manifests = _load(root)
            numbers = [h["number"] for h in manifests["hotlines"]]
            was_json = {n: _graph_json(sim, "--live", "--hotline", n) for n in numbers}
            was = {n: graph_of(data) for n, data in was_json.items()}
            tenant_edges = graph_of(_graph_json(sim, "--live"))[1]  # every hotline's, and the unreached

            group_names = {g["_id"]: g["group_name"] for g in seed["groups"]}
            outbound = {group_names[g] for h in seed["hotlines"] for g in h.get("group_ids") or []}
            edit = Edits(manifests, data.draw, outbound)
            for name in edits:
                edit.apply(name)
            _write(root, manifests)

            plan = _run(sim, "plan", str(root), "--format", "markdown")
            blocked = "Cannot apply" in plan.output
            assert plan.exit_code == (1 if blocked else 0), plan.output
            drawn = diagrams(plan.output)
            event(f"diagrams: {len(drawn)}" + (", blocked" if blocked else ""))
            event("a deleted object drawn" if any(m == "deleted" for d in drawn.values() for m in d.nodes.values())
                  else "no deleted object drawn")
            event("schedule edge drawn" if any(lbl[:3] in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                                               for d in drawn.values() for (_, _, lbl), _ in d.edges)
                  else "no schedule edge drawn")
            now_json = {n: _graph_json(sim, str(root), "--hotline", n) for n in numbers}
            now = {n: graph_of(data) for n, data in now_json.items()}
            for number in numbers:
                before, after = renamed(was[number], edit.renames), now[number]
                if number not in drawn:
                    assert after == before, f"hotline {number}'s flow changes, and the plan draws no diagram"
                    continue
                diagram = drawn[number]
                assert diagram.after() == after, f"hotline {number}: the diagram is not graph DIR --hotline"
                assert diagram.part(*ADDED) == (after[0] - before[0], after[1] - before[1])
                # "new" is an object the tenant lacks, "now reached" one it has (maybe under
                # the name a rename gives it).
                for node, mark in diagram.nodes.items():
                    if mark in ADDED and node[0] in NAME_FIELD:
                        olds = [(k, old) for (k, old), new in edit.renames.items() if (k, new) == node]
                        existed = any(_exists(sim, n) for n in [node, *olds])
                        assert existed is (mark == "now reached"), (number, node, mark)
                tenant_now = renamed((set(), tenant_edges), edit.renames)[1]
                for (edge, mark), _ in diagram.edges.items():
                    if mark in ADDED:
                        assert (edge in tenant_now) is (mark == "now reached"), (number, edge, mark)
                assert diagram.part(*GONE) == (before[0] - after[0], before[1] - after[1])
            assert set(drawn) <= set(numbers)
            # The text plan's impact (computed its own way, for big tenants) tells the same.
            impact = _impact(numbers, was_json, now_json, edit.raw_renames)
            text = _run(sim, "plan", str(root)).output
            event("callers lose a group" if impact else "no group lost")
            if impact:
                assert "Impact on callers:\n" + "\n".join(impact) + "\n" in text, text
            else:
                assert "Impact on callers" not in text, text
            if blocked:
                return

            applied = _run(sim, "apply", str(root), "--auto-approve", "--force")
            assert applied.exit_code == 0, applied.output
            for number in numbers:
                assert _graph(sim, "--live", "--hotline", number) == now[number]
            for diagram in drawn.values():
                for node, mark in diagram.nodes.items():
                    if mark in GONE and node[0] in NAME_FIELD:
                        assert _exists(sim, node) is (mark != "deleted"), (node, mark)
    finally:
        shutil.rmtree(root.parent)
