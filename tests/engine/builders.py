"""In-memory desired and live states for planner and applier tests (no HTTP)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.live import LiveState
from reconciler.errors import Location
from reconciler.kinds import KINDS, Policy

_ids = itertools.count(1)


def oid() -> str:
    return f"{next(_ids):024x}"


@dataclass
class FakeDesired:
    kind: str
    name: str
    model: Any
    location: Location

    def location_of(self, path: str) -> Location:
        return self.location


@dataclass
class FakeManifests:
    objects: dict[str, dict[str, FakeDesired]] = field(default_factory=lambda: {k: {} for k in KINDS})
    policy: Policy = field(default_factory=Policy)

    def add(self, kind: str, **fields: Any) -> "FakeManifests":
        model = KINDS[kind].model(**fields)
        name = getattr(model, KINDS[kind].identity)
        line = sum(len(v) for v in self.objects.values()) + 1
        self.objects[kind][name] = FakeDesired(kind, name, model, Location(f"{kind}.yaml", line, 3))
        return self


def extension(sip_user: str, agent_id: str | None = None) -> dict:
    return {"sip_user": sip_user, "agent_id": agent_id or f"agent{sip_user}", "full_name": f"NV {sip_user}",
            "email": f"{sip_user}@example.vn", "password": "XXXXXX"}


def group(name: str, members: list[str] = (), *, strategy: str = "enterprise", timeout: int = 30,
          ring_group_type: int = 0, target: tuple[str, str] = ("", ""), _id: str | None = None) -> dict:
    return {
        "_id": _id or oid(), "group_name": name, "strategy": strategy, "ring_group_type": ring_group_type,
        "members": [{"agent_id": f"agent{m}", "timeout": timeout, "sip_user": None, "order": i}
                    for i, m in enumerate(members)],
        "target_timeout_type": target[0], "target_timeout": target[1], "last_updated_date": 1,
    }


def tts(name: str, text: str, *, voice: str = "northern_female_ngocanh", speed: int = 0,
        _id: str | None = None, created: int = 1) -> dict:
    return {"_id": _id or oid(), "greeting_name": name, "formality": "Robot đọc", "content": text,
            "voice": voice, "speed": speed, "recording_file": "x.mp3", "created_date": created}


def ivr(name: str, greeting_id: str, keys: dict[str, tuple[str, str]] = None, *, fallback=("", ""),
        _id: str | None = None) -> dict:
    keys = keys or {}
    scripts = [{"ivr": str(k), "action_type": keys.get(str(k), ("", ""))[0], "action": keys.get(str(k), ("", ""))[1]}
               for k in range(1, 6)]
    scripts += [{"ivr": k, "action_type": t, "action": a} for k, (t, a) in keys.items() if k not in "12345"]
    return {"_id": _id or oid(), "script_name": name, "greeting_id": greeting_id, "greeting_short_id": "",
            "invalid_sound_id": "", "time_out": 3, "max_failure": 1, "scripts": scripts,
            "action_type": fallback[0], "action": fallback[1]}


def call_script(name: str, steps: list[tuple[str, str]], _id: str | None = None) -> dict:
    return {"_id": _id or oid(), "script_name": name, "note": "",
            "scripts": [{"action_type": t, "action_id": a, "order": i} for i, (t, a) in enumerate(steps)],
            "criterias": []}


def hotline(number: str, script_id: str = "", *, access: str = "applies_to_all_employees") -> dict:
    return {"number": number, "configs": {"allow_call_in": True, "allow_call_out": True,
                                          "default_script": script_id},
            "access_type": access, "accesses": []}


def live(**items: list[dict]) -> LiveState:
    return LiveState.from_raw(items)
