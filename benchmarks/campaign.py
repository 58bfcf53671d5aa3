"""The fault campaign: does apply converge through a flaky network and after a kill,
without duplicates, without touching what the manifests do not own?

Each seed draws a policy, fault rates and a sequence of manifest changes (creates,
updates of readable and write-only fields, greeting replaces, renames, prunes next to a
protected object, reference cycles), starting from the simulator's demo tenant. Each step
is applied through the CLI, over loopback HTTP, at a drawn concurrency, with 5xx, 429,
connection resets and lost responses injected into every kind of request (auth and reads
included); apply is re-run until it exits 0 (at most MAX_APPLIES times). With `--races`,
one step of each seed starts as two real `python -m reconciler apply` processes a drawn
fraction of a second apart, the simulator slowed: the lock lets one apply and refuses the
other (or, faults permitting, both fail and the re-runs finish). With `--kills`,
one step of each seed runs as a real `python -m reconciler apply` process that is
killed (SIGKILL or SIGTERM) at a random moment, and the next applies run at once, while
its last requests may still be landing. A request that lands only after the apply that
then succeeded had checked shows in the next plan: the campaign applies once more, as a
user would, and counts it as a late landing (printed as LATE, with what that plan showed).

After each step, with the faults switched off, from the simulator's own state:
the manifests' objects are all live, once each; nothing else is live in an owned kind but
protected objects and the state note; objects the manifests do not own are unchanged;
no reference dangles; the state note holds a fingerprint of every write-only field the
manifests set (none lost, also when applies raced); and a fresh `plan --detailed-exitcode`
says "no changes".

Every apply runs with a lock expiry of LOCK_EXPIRY seconds (RECONCILER_LOCK_EXPIRY) and
waits up to LOCK_TIMEOUT for the lock, so that a killed apply's lease holds up the next
ones only that long.

    .venv/bin/python benchmarks/campaign.py --seeds 200 --kills --races
    .venv/bin/python benchmarks/campaign.py --seeds 20 --sim-options '{"latency": 0.001}'

`SIM_OPTIONS` (or `--sim-options`) is what each run's `Simulator(...)` is given besides
the API key: running the campaign under another reading of the vendor's doc is one more
entry there.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.engine.state_note import parse as parse_state_note
from reconciler.kinds import KINDS
from reconciler.kinds.call_script import HISTORY_NAME, LOCK_NAME
from reconciler.simulator import Simulator
from reconciler.simulator.readings import resolve
from reconciler.simulator.references import dangling

API_KEY = "campaign-key"
MAX_APPLIES = 4
PROTECTED = "Nhóm nhân viên mặc định"
STATE_NOTE_NAME = "reconciler state (safe to delete)"
# The reconciler's own objects beside the state note: never the manifests' to own.
RECONCILER_NOTES = {STATE_NOTE_NAME, LOCK_NAME, HISTORY_NAME}
LOCK_EXPIRY = "3"  # seconds: a killed apply's lease blocks the next applies this long at most
LOCK_TIMEOUT = "15"  # seconds an in-process apply waits for the lock
# One entry per simulator configuration to run under. Between them they take every reading
# of the doc's open questions (reconciler/simulator/readings.py): the defaults, the
# `strict` preset (each question's hardest answer), and the answers neither includes.
SIM_OPTIONS: list[dict[str, Any]] = [
    {},
    {"readings": ["strict"]},
    {"readings": ["accesses-ids", "void-empty-object", "page-size-honoured"]},
]
EXTENSIONS = ["100", "101", "102", "103", "104"]
HOTLINES = ["842871002283", "842873003388"]
NAME_FIELD = {"groups": "group_name", "ivr_menus": "script_name", "call_scripts": "script_name",
              "greetings": "greeting_name", "hotlines": "number", "extensions": "sip_user"}
VOICES = ["northern_female_ngocanh", "southern_male_tienhuy", "northern_male_anhkiet", "southern_female_khangan"]


# ----------------------------------------------------------------------------- manifests
class Manifests:
    """The desired state a seed walks through, in manifest terms, and its random edits."""

    def __init__(self, rng: random.Random, *, keys_required: bool = False):
        self.rng = rng
        # Under the scripts-nonempty reading the server refuses an IVR menu with no keys: the
        # user there writes menus with a key each (one to a group, so that menus leading to
        # each other can always be created in two phases); the campaign measures the
        # reconciler, not manifests that server refuses.
        self.keys_required = keys_required
        self.n = 0
        self.prune = ["groups", "ivr_menus", "call_scripts"] + (["greetings"] if rng.random() < 0.5 else [])
        self.objects: dict[str, dict[str, dict]] = {k: {} for k in NAME_FIELD}
        self.ever: set[tuple[str, str]] = set()  # every (kind, name) the manifests ever held
        for _ in range(2):
            self.add_greeting()
        for _ in range(2):
            self.add_group()
        self.add_ivr()
        self.add_call_script()
        script = next(iter(self.objects["call_scripts"]))
        for number in HOTLINES:  # the demo tenant's hotlines use a call script the prune removes
            self.put("hotlines", number, {"call_script": script, "inbound": True, "outbound": True})
        for sip in rng.sample(EXTENSIONS, 2):
            self.objects["extensions"][sip] = {"enabled": True, "call_timeout": 30}
            self.ever.add(("extensions", sip))

    def name(self, stem: str) -> str:
        self.n += 1
        return f"{stem} {self.n}"

    def put(self, kind: str, name: str, data: dict) -> None:
        self.objects[kind][name] = data
        self.ever.add((kind, name))

    # -- creates
    def add_greeting(self) -> None:
        self.put("greetings", self.name("Lời chào"),
                 {"text": f"Xin chào quý khách, mã {self.rng.randrange(10**6)}.", "voice": self.rng.choice(VOICES),
                  "speed": self.rng.randint(-3, 3)})

    def add_group(self) -> None:
        members = self.rng.sample(EXTENSIONS, self.rng.randint(1, 3))
        data: dict[str, Any] = {"strategy": self.rng.choice(["enterprise", "rollover", "random"]),
                                "members": members, "member_timeout": self.rng.randint(10, 40)}
        if self.rng.random() < 0.5:
            data["queue"] = self._queue()
        self.put("groups", self.name("Nhóm"), data)

    def add_ivr(self) -> None:
        greetings = list(self.objects["greetings"])
        targets = [{"group": g} for g in self.objects["groups"]] + [{"ivr": i} for i in self.objects["ivr_menus"]]
        keys = {str(d): self.rng.choice(targets) for d in self.rng.sample(range(1, 10), min(2, len(targets)))}
        self.put("ivr_menus", self.name("Menu"), {"greeting": self.rng.choice(greetings), "keys": keys})
        self._keep_a_key()

    def _keep_a_key(self) -> None:
        """With `keys_required`, every IVR menu has a key to a group (a group always remains)."""
        if not self.keys_required:
            return
        for menu in self.objects["ivr_menus"].values():
            if not any("group" in ref for ref in menu["keys"].values()):
                free = [str(d) for d in range(1, 10) if str(d) not in menu["keys"]]
                menu["keys"][self.rng.choice(free)] = {"group": self.rng.choice(sorted(self.objects["groups"]))}

    def add_call_script(self) -> None:
        pool = [{"greeting": g} for g in self.objects["greetings"]] + [{"ivr": i} for i in self.objects["ivr_menus"]]
        self.put("call_scripts", self.name("Kịch bản"),
                 {"note": f"ghi chú {self.rng.randrange(100)}", "steps": self.rng.sample(pool, min(2, len(pool)))})

    # -- edits
    def _queue(self) -> dict:
        return {"enabled": self.rng.random() < 0.7, "when_busy": True, "when_offline": self.rng.random() < 0.5,
                "waiting_time": self.rng.choice([30, 60, 90])}

    def update(self) -> None:
        kind = self.rng.choice(["groups", "groups", "extensions", "call_scripts", "hotlines"])
        if kind == "hotlines":
            number = self.rng.choice(HOTLINES)
            scripts = list(self.objects["call_scripts"])
            data = self.objects["hotlines"][number]
            data["outbound"] = self.rng.random() < 0.5
            if self.rng.random() < 0.7:
                data["call_script"] = self.rng.choice(scripts)
            groups = sorted(self.objects["groups"])
            if groups and self.rng.random() < 0.4:  # restricted: write-only lists, fingerprinted
                data["outbound_access"] = {"extensions": self.rng.sample(EXTENSIONS, 2),
                                           "groups": self.rng.sample(groups, 1)}
            else:
                data["outbound_access"] = "all"
            self.put("hotlines", number, data)
            return
        if not self.objects[kind]:
            return
        name = self.rng.choice(sorted(self.objects[kind]))
        data = self.objects[kind][name]
        if kind == "groups":
            data["member_timeout"] = self.rng.randint(10, 40)
            data["queue"] = self._queue()  # write-only: verified by fingerprint
            data["members"] = self.rng.sample(EXTENSIONS, self.rng.randint(1, 3))
        elif kind == "extensions":
            data["enabled"] = self.rng.random() < 0.8
            data["call_timeout"] = self.rng.randint(10, 60)
            data["password"] = "${env:SIP_PW_" + name + "}"  # write-only and secret
        else:
            data["note"] = f"ghi chú {self.rng.randrange(1000)}"

    def replace_greeting(self) -> None:
        name = self.rng.choice(sorted(self.objects["greetings"]))
        self.objects["greetings"][name]["text"] = f"Lời chào mới, mã {self.rng.randrange(10**6)}."

    def rename(self) -> None:
        kind = self.rng.choice(["groups", "ivr_menus", "call_scripts"])
        if not self.objects[kind]:
            return
        old = self.rng.choice(sorted(self.objects[kind]))
        new = self.name({"groups": "Nhóm", "ivr_menus": "Menu", "call_scripts": "Kịch bản"}[kind])
        data = self.objects[kind].pop(old)
        data["previous_names"] = [old]
        self.put(kind, new, data)
        self._repoint(kind, old, new)

    def remove(self) -> None:
        kind = self.rng.choice(["groups", "ivr_menus", "call_scripts", "greetings"])
        minimum = 1 if kind in ("greetings", "call_scripts") else 0  # IVR menus and hotlines need one
        if len(self.objects[kind]) <= max(minimum, 1):
            return
        name = self.rng.choice(sorted(self.objects[kind]))
        del self.objects[kind][name]
        self._repoint(kind, name, None)

    def cycle(self) -> None:
        """Two groups that overflow into each other, and two IVR menus that lead to each other."""
        groups = sorted(self.objects["groups"])
        if len(groups) >= 2:
            a, b = self.rng.sample(groups, 2)
            self.objects["groups"][a]["on_timeout"] = {"group": b}
            self.objects["groups"][b]["on_timeout"] = {"group": a}
        menus = sorted(self.objects["ivr_menus"])
        if len(menus) < 2:
            self.add_ivr()
            menus = sorted(self.objects["ivr_menus"])
        a, b = self.rng.sample(menus, 2)
        self.objects["ivr_menus"][a]["keys"]["0"] = {"ivr": b}
        self.objects["ivr_menus"][b]["keys"]["0"] = {"ivr": a}

    def _repoint(self, kind: str, old: str, new: str | None) -> None:
        """Make every reference to (kind, old) name `new`, or drop it when `new` is None."""
        word = {"groups": "group", "ivr_menus": "ivr", "call_scripts": "call_script", "greetings": "greeting"}[kind]
        ref, repl = {word: old}, ({word: new} if new else None)
        for group in self.objects["groups"].values():
            if group.get("on_timeout") == ref:
                group.pop("on_timeout") if repl is None else group.update(on_timeout=repl)
        for menu in self.objects["ivr_menus"].values():
            if kind == "greetings" and menu["greeting"] == old:
                menu["greeting"] = new or next(g for g in self.objects["greetings"])
            menu["keys"] = {k: (repl if v == ref else v) for k, v in menu["keys"].items() if v != ref or repl}
        for script in self.objects["call_scripts"].values():
            script["steps"] = [repl if s == ref else s for s in script["steps"] if s != ref or repl]
            script["steps"] = script["steps"] or [{"greeting": next(iter(self.objects["greetings"]))}]
        for hotline in self.objects["hotlines"].values():
            access = hotline.get("outbound_access")
            if kind == "groups" and isinstance(access, dict) and old in access["groups"]:
                access["groups"] = [new] if new else []
            if kind == "call_scripts" and hotline.get("call_script") == old:
                hotline["call_script"] = new or next(iter(self.objects["call_scripts"]))

    def step(self) -> list[str]:
        """One commit's worth of random edits; what they were."""
        edits = [self.rng.choice(["add", "update", "replace", "rename", "remove", "cycle", "update"])
                 for _ in range(self.rng.randint(1, 4))]
        for edit in edits:
            if edit == "add":
                getattr(self, self.rng.choice(["add_greeting", "add_group", "add_ivr", "add_call_script"]))()
            elif edit == "replace":
                self.replace_greeting()
            else:
                getattr(self, edit)()
        self._keep_a_key()
        return edits

    def write(self, root: Path) -> None:
        """The manifest set, as YAML files (JSON is YAML), one per kind."""
        for old in root.glob("*.yaml"):
            old.unlink()
        for kind, objects in self.objects.items():
            identity_field = "number" if kind == "hotlines" else "sip_user" if kind == "extensions" else "name"
            items = [{identity_field: name, **data} for name, data in objects.items()]
            (root / f"{kind}.yaml").write_text(json.dumps({kind: items}, ensure_ascii=False, indent=1), "utf-8")
        (root / "policy.yaml").write_text(json.dumps({"policy": {"prune": self.prune, "protect": [PROTECTED]}}),
                                          "utf-8")

    def passwords(self) -> dict[str, str]:
        return {f"SIP_PW_{sip}": f"pw-{sip}-{self.n}" for sip in EXTENSIONS}


# ----------------------------------------------------------------------------- one seed
@dataclass
class SeedResult:
    seed: int
    converged: bool = True
    duplicates: int = 0
    unowned_touched: int = 0
    problems: list[str] = field(default_factory=list)
    reruns: list[int] = field(default_factory=list)  # per step: applies needed beyond the first
    requests: int = 0
    kills: int = 0  # kills that landed while the process was applying
    fingerprints_lost: int = 0  # write-only fields set in the manifests the state note has no fingerprint of
    # Racing applies: how each race ended ("applied+refused", "applied+applied", ...).
    races: list[str] = field(default_factory=list)
    # Steps where a killed apply's request landed after the apply that then exited 0 had
    # checked (the next plan was not empty): what one more apply found and did.
    late: list[str] = field(default_factory=list)


def draw_faults(sim: Simulator, rng: random.Random) -> None:
    """Faults at seed-drawn rates, on every kind of request: auth and reads included."""
    sim.faults.inject("5xx", times=None, every=rng.randint(6, 15), status=rng.choice([500, 502, 503, 504]))
    sim.faults.inject("429", times=None, every=rng.randint(8, 20), retry_after=0.01)
    sim.faults.inject("reset", times=None, every=rng.randint(9, 25))
    for method in ("POST", "PUT", "DELETE"):
        sim.faults.inject("lost_response", method=method, times=None, every=rng.randint(4, 10),
                          then=rng.choice(["502", "reset"]))


def run_cli(sim: Simulator, env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"OMICALL_URL": sim.url, "OMICALL_API_KEY": API_KEY,
                                                      "OMICALL_TOKEN": None, "NO_COLOR": "1",
                                                      "RECONCILER_LOCK_EXPIRY": LOCK_EXPIRY, **env})
    if result.exception and not isinstance(result.exception, SystemExit):
        return 99, f"{result.output}\n{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, result.output


def killed_apply(sim: Simulator, manifests: Path, env: dict[str, str], rng: random.Random) -> bool:
    """A real apply process, killed at a random moment; whether it was still applying."""
    # Slow answers, so that the writes in flight at the kill land while the next apply runs.
    sim.latency = rng.choice([0.02, 0.05, 0.1])
    before = len(sim.mutations())
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(manifests), "--auto-approve"],
                            env=_process_env(sim, env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wanted = rng.randint(1, 12)  # kill once this many writes have landed
    deadline = time.monotonic() + 60
    while proc.poll() is None and len(sim.mutations()) - before < wanted and time.monotonic() < deadline:
        time.sleep(0.002)
    landed = proc.poll() is None
    proc.send_signal(rng.choice([signal.SIGKILL, signal.SIGTERM]))
    proc.wait()
    sim.latency = 0.0
    return landed


def _process_env(sim: Simulator, env: dict[str, str]) -> dict[str, str]:
    full = {**os.environ, "OMICALL_URL": str(sim.url), "OMICALL_API_KEY": API_KEY, "NO_COLOR": "1",
            "RECONCILER_LOCK_EXPIRY": LOCK_EXPIRY, **env}
    full.pop("OMICALL_TOKEN", None)
    return full


def racing_applies(sim: Simulator, manifests: Path, env: dict[str, str], rng: random.Random) -> str:
    """Two real apply processes started a drawn fraction of a second apart (the issue's
    race), answers slowed; how they ended, e.g. "applied+refused" (first started first)."""
    sim.latency = rng.choice([0.02, 0.05, 0.1])
    command = [sys.executable, "-m", "reconciler", "apply", str(manifests), "--auto-approve"]
    first = subprocess.Popen(command, env=_process_env(sim, env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    time.sleep(rng.uniform(0, 0.6))
    second = subprocess.Popen(command, env=_process_env(sim, env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    ends = []
    for proc in (first, second):
        _, err = proc.communicate(timeout=300)
        ends.append("applied" if proc.returncode == 0 else "refused" if "the tenant is locked" in err else "failed")
    sim.latency = 0.0
    return "+".join(ends)


def lost_fingerprints(snap: dict[str, Any], unverified: dict[str, dict[str, list[str]]]) -> list[str]:
    """Fields a fresh plan can check only by fingerprint (`unverified`: its JSON's, kind ->
    name -> fields) whose fingerprint the state note does not hold: each would be sent
    again, or (an mp3) left unchecked. Objects live more than once are counted as duplicates."""
    notes = [s for s in snap["call_scripts"] if s["script_name"] == STATE_NOTE_NAME]
    entries = parse_state_note(notes[-1].get("note") or "") if len(notes) == 1 else {}
    lost = []
    for kind, objects in unverified.items():
        for name, fields in objects.items():
            live = [i for i in snap.get(kind, []) if str(i[NAME_FIELD[kind]]) == name]
            if len(live) != 1:
                continue
            held = entries.get(f"{kind}:{KINDS[kind].live_id(live[0])}", {})
            lost += [f"{kind} '{name}': {f}" for f in fields if f not in held]
    return lost


def check(sim: Simulator, m: Manifests, foreign: dict[tuple[str, str], Any], env: dict[str, str],
          manifests: Path, result: SeedResult, label: str) -> None:
    """The invariants, from the simulator's own state (faults off)."""
    snap = sim.snapshot()
    for kind, items in snap.items():
        names = Counter(str(i[NAME_FIELD[kind]]) for i in items)
        for name, count in names.items():
            if count > 1:
                result.duplicates += count - 1
                result.problems.append(f"{label}: {kind} '{name}' is live {count} times")
        wanted = set(m.objects[kind])
        missing = wanted - set(names)
        if missing:
            result.problems.append(f"{label}: {kind} missing: {sorted(missing)}")
        if kind in m.prune:
            extra = set(names) - wanted - {PROTECTED} - RECONCILER_NOTES
            if extra:
                result.problems.append(f"{label}: {kind} left behind: {sorted(extra)}")
    for kind, items in snap.items():
        for item in items:
            key = (kind, str(item.get("_id", item[NAME_FIELD[kind]])))
            if key in foreign and foreign.pop(key) != item:
                result.unowned_touched += 1
                result.problems.append(f"{label}: unowned {kind} '{item[NAME_FIELD[kind]]}' was changed")
    for (kind, _), item in list(foreign.items()):
        result.unowned_touched += 1
        result.problems.append(f"{label}: unowned {kind} '{item[NAME_FIELD[kind]]}' was deleted")
    foreign.clear()
    code, shown = run_cli(sim, env, "plan", str(manifests), "--format", "json")
    # The document on stdout (a warning on stderr may come before it in `shown`).
    unverified = json.JSONDecoder().raw_decode(shown[shown.index("{"):])[0].get("unverified", {}) if code == 0 else {}
    for lost in lost_fingerprints(snap, unverified):
        result.fingerprints_lost += 1
        result.problems.append(f"{label}: the state note lost a fingerprint: {lost}")
    with sim.tenant.lock:
        for problem in dangling(sim.tenant):
            result.problems.append(f"{label}: dangling reference: {problem}")
    code, out = run_cli(sim, env, "plan", str(manifests), "--detailed-exitcode")
    if code != 0:
        result.problems.append(f"{label}: a fresh plan is not empty (exit {code}):\n{out[-1500:]}")


def unowned(sim: Simulator, m: Manifests) -> dict[tuple[str, str], Any]:
    """Live objects the manifests do not own: in a kind they do not prune and never named
    by them, or protected."""
    out = {}
    for kind, items in sim.snapshot().items():
        for item in items:
            name = str(item[NAME_FIELD[kind]])
            owned = kind in m.prune and name != PROTECTED
            if not owned and (kind, name) not in m.ever and name not in RECONCILER_NOTES:
                out[(kind, str(item.get("_id", name)))] = item
    return out


def run_seed(seed: int, *, steps: int = 4, kills: bool = False, races: bool = False,
             sim_options: dict | None = None) -> SeedResult:
    """One seed: a policy, fault rates and `steps` manifest changes, each applied until it
    succeeds and then checked."""
    rng = random.Random(seed)
    result = SeedResult(seed)
    readings = resolve((sim_options or {}).get("readings"))
    m = Manifests(rng, keys_required="scripts-nonempty" in readings)
    kill_step = rng.randrange(steps) if kills else -1
    # Drawn from a generator of its own, so that the seeds' other draws stay as they were.
    race_step = random.Random(f"race {seed}").randrange(steps) if races else -1
    with tempfile.TemporaryDirectory() as tmp, Simulator(api_key=API_KEY, **(sim_options or {})) as sim:
        manifests = Path(tmp)
        draw_faults(sim, rng)
        for number in range(steps):
            label = f"seed {seed} step {number + 1}"
            if number:
                m.step()
            m.write(manifests)
            env = m.passwords()
            foreign = unowned(sim, m)
            applies, code, out = 0, 1, ""
            if number == kill_step:
                result.kills += killed_apply(sim, manifests, env, rng)
            if number == race_step:
                ended = racing_applies(sim, manifests, env, random.Random(f"race {seed} {number}"))
                # Right after a killed apply, its lease may still hold the lock (LOCK_EXPIRY).
                result.races.append(ended + (" after a kill" if number == kill_step else ""))
            concurrency = str(rng.choice([1, 4, 8]))
            while applies < MAX_APPLIES and code != 0:
                applies += 1
                code, out = run_cli(sim, env, "apply", str(manifests), "--auto-approve", "--concurrency", concurrency,
                                    "--lock-timeout", LOCK_TIMEOUT)
            rules = sim.faults.rules
            sim.faults.clear()
            assert sim.wait_idle()
            if code == 0 and number == kill_step:
                # The killed process's last request may land after even the apply that
                # succeeded had checked: as a user would, plan again and apply what it shows.
                again, shown = run_cli(sim, env, "plan", str(manifests), "--detailed-exitcode")
                if again == 2:
                    applies += 1
                    code, out = run_cli(sim, env, "apply", str(manifests), "--auto-approve", "--lock-timeout",
                                        LOCK_TIMEOUT)
                    result.late.append(f"{label}: " + " ".join(line.strip() for line in shown.splitlines()
                                                               if line.strip().startswith(("+", "-", "~", "("))))
            result.reruns.append(applies - 1)
            if code != 0:
                result.converged = False
                result.problems.append(f"{label}: apply did not succeed in {MAX_APPLIES} runs:\n{out[-2000:]}")
            check(sim, m, foreign, env, manifests, result, label)
            for r in rules:  # the same rates again for the next step
                sim.faults.inject(r.kind, method=r.method, path=r.path, times=r.times, every=r.every,
                                  retry_after=r.retry_after, status=r.status, then=r.then)
        result.requests = len(sim.requests)
    if result.problems:
        result.converged = False
    return result


# ----------------------------------------------------------------------------- campaign
@dataclass
class Figures:
    results: list[SeedResult]

    @property
    def reruns(self) -> list[int]:
        return [r for s in self.results for r in s.reruns]

    def lines(self) -> list[str]:
        requests = [s.requests for s in self.results]
        return [
            f"seeds run: {len(self.results)}",
            f"converged: {sum(s.converged for s in self.results)}",
            f"duplicates: {sum(s.duplicates for s in self.results)}",
            f"unowned touched: {sum(s.unowned_touched for s in self.results)}",
            f"fingerprints lost: {sum(s.fingerprints_lost for s in self.results)}",
            f"steps applied: {len(self.reruns)}; re-runs needed per step: mean {statistics.mean(self.reruns):.2f}, "
            f"max {max(self.reruns)}",
            f"kills mid-apply: {sum(s.kills for s in self.results)}",
            f"racing applies (first+second started): "
            f"{dict(sorted(Counter(r for s in self.results for r in s.races).items())) or 'none'}",
            f"late landings (a killed apply's request landed after the converging apply; one more apply): "
            f"{sum(len(s.late) for s in self.results)}",
            f"requests per seed: mean {statistics.mean(requests):.0f}, max {max(requests)}",
        ]


def campaign(seeds: range, *, steps: int, kills: bool, races: bool = False, sim_options: dict | None = None,
             jobs: int = 4) -> Figures:
    """Every seed, `jobs` at a time (each in a process of its own: a seed mostly waits on
    retry back-offs, so more seeds than cores run well side by side)."""
    run = functools.partial(run_seed, steps=steps, kills=kills, races=races, sim_options=sim_options)
    with concurrent.futures.ProcessPoolExecutor(jobs) as pool:
        return Figures(list(pool.map(run, seeds)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (default 20)")
    parser.add_argument("--first", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--steps", type=int, default=4, help="manifest changes per seed (default 4)")
    parser.add_argument("--kills", action="store_true", help="kill one apply process per seed")
    parser.add_argument("--races", action="store_true", help="start two apply processes at once in one step per seed")
    parser.add_argument("--jobs", type=int, default=4, help="seeds run side by side (default 4)")
    parser.add_argument("--sim-options", type=json.loads, action="append",
                        help="JSON keyword arguments of Simulator(...); repeat to run under several")
    args = parser.parse_args()
    failed = False
    for options in args.sim_options or SIM_OPTIONS:
        started = time.monotonic()
        figures = campaign(range(args.first, args.first + args.seeds), steps=args.steps, kills=args.kills,
                           races=args.races, sim_options=options, jobs=args.jobs)
        print(f"simulator options: {json.dumps(options)}")
        for line in figures.lines():
            print(f"  {line}")
        print(f"  wall time: {time.monotonic() - started:.0f} s")
        for s in figures.results:
            for late in s.late:
                print(f"  LATE {late}")
            for problem in s.problems:
                failed = True
                print(f"  PROBLEM {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
