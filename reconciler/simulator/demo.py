"""The built-in demo tenant: the doc's example objects, made consistent.

The objects are in demo_tenant.json, in the shapes the doc's list examples show. Every
reference points at an object of a documented type that exists: the doc's "Nhóm nhân
viên mặc định" loses its Voice_mail target, the IVR menu's greeting is one of the doc's
greetings, hotline 842871002283 runs the doc's call script. Extension 100 is the doc's
console owner: the member of every doc group and of the create example (sip_members
["100"] -> agent 6209c98561c1cb163ded25fa). Under the "live-unknown-types" reading the
group keeps the doc's Voice_mail target (an id no list returns) and the IVR menu's key 3
uses a newer type word.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

# Ids of demo_tenant.json's objects that tests and readings name.
GROUP_TECH = "62ff11b208d4bf3ea694a6f3"
GROUP_SALES = "62ff11a208d4bf3ea694a539"
GROUP_CSKH = "62ff119508d4bf3ea694a44a"
GROUP_DEFAULT = "6209c99b067f745da47367f4"
IVR_MENU = "632969ce7534d97b0933d51d"
CALL_SCRIPT = "6333d3d3f4bfc27c57841093"
IVR_GREETING = "634944c8df71333e7787e03d"

VOICE_MAIL = "62da34652a310904dfbbf13b"  # the doc's group list example
CALLBOT = "64b0c0ffee0000000000cb01"


@cache
def _demo_text() -> str:
    return resources.files(__package__).joinpath("demo_tenant.json").read_text(encoding="utf-8")


def demo_seed(readings: frozenset[str] = frozenset()) -> dict[str, list[dict[str, Any]]]:
    """A fresh copy of the demo tenant in seed format, as a server of ``readings`` holds it."""
    seed: dict[str, list[dict[str, Any]]] = json.loads(_demo_text())
    if "live-unknown-types" in readings:
        default = next(g for g in seed["groups"] if g["_id"] == GROUP_DEFAULT)
        default.update(target_timeout_type="Voice_mail", target_timeout=VOICE_MAIL)
        seed["ivr_menus"][0]["scripts"].append(
            {"key": None, "action_type": "Callbot", "action": CALLBOT, "action_name": None, "ivr": "3"})
    return seed
