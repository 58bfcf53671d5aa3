"""A generated live tenant of any size, in the simulator's seed shape (the API's own
shapes): every kind, Vietnamese names as a real call center has them, references every
way the API allows, cycles (groups that overflow into each other, IVR menus that lead to
each other, a menu that leads to itself) and a few names a YAML writer must quote.

Used by the benchmarks (`benchmarks/bench_scale.py`, `apply_timeline.py`, ...) and by the
tests, so it lives here rather than under tests/: the benchmarks import nothing from the
tests. Like the rest of the simulator it imports nothing of the package (`tests/engine/
generated.py` reads such a tenant as the engine does). Deterministic for a given (size, seed).
"""

from __future__ import annotations

import random
from typing import Any

DEPARTMENTS = ["Chăm sóc khách hàng", "Kinh doanh", "Kỹ thuật", "Hỗ trợ sau bán hàng", "Kế toán", "Tổng đài",
               "Bảo hành", "Đặt lịch hẹn", "Giao hàng", "Khiếu nại", "Thu hồi nợ", "Tuyển dụng"]
PLACES = ["Hà Nội", "TP Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Nha Trang", "Huế", "Vũng Tàu",
          "Biên Hòa", "Quy Nhơn", "Đà Lạt", "Buôn Ma Thuột"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Gia Huy", "Ngọc Lan", "Đức Mạnh",
         "Thanh Tâm", "Bảo Ngọc", "Hữu Phước", "Khánh Linh"]
NOTES = ["", "Giờ hành chính", "Ngoài giờ: chuyển tổng đài", "Cuối tuần", "Khuyến mãi tháng 12",
         "note: với dấu hai chấm", "Ưu tiên khách VIP #1"]
# Text a YAML writer must quote, or keep exactly, to read it back unchanged.
AWKWARD = ["0123", "yes", "no", "null", "true", "~", "1e3", "Nhóm: A", "#1 Hỗ trợ", "- gạch", "'nháy'", '"kép"',
           "* sao", "Ngôn ngữ  kép ", "<details>", "a: b # c", "dòng một\ndòng hai", "Off", "NO", "@ký", "%phần",
           "`lệnh`", "!quan trọng", "&tham chiếu", "|ống", ">lớn", "[ngoặc]", "{nhọn}", "dấu, phẩy", "? hỏi",
           "tab\tở giữa", "3.14", "0x1F", "2026-11-30", ".inf", "=", "- ", "kết thúc:", " đầu cách"]

# Share of each kind in a tenant (of 450 objects, the end-to-end tests' proportions).
SHARES = {"extensions": 60, "greetings": 100, "groups": 90, "ivr_menus": 70, "call_scripts": 90, "hotlines": 40}
VOICES = ["northern_female_ngocanh", "southern_male_tienhuy", "northern_male_anhkiet", "southern_female_khangan"]


def _oid(prefix: int, n: int) -> str:
    return f"{prefix:02x}{n:022x}"


def _name(word: str, i: int) -> str:
    """A unique, realistic name: "Nhóm Kinh doanh Đà Nẵng 3"."""
    per_round = len(DEPARTMENTS) * len(PLACES)
    department, place = DEPARTMENTS[i % len(DEPARTMENTS)], PLACES[(i // len(DEPARTMENTS)) % len(PLACES)]
    return f"{word} {department} {place} {i // per_round + 1}"


def counts(size: int) -> dict[str, int]:
    """Objects per kind for a tenant of about `size` objects."""
    total = sum(SHARES.values())
    return {k: max(2, round(size * share / total)) for k, share in SHARES.items()}


def generate(size: int, seed: int = 15, awkward: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """A seed of about `size` objects. Some names, notes and greeting texts are taken
    from `awkward` (default AWKWARD), in turn."""
    rnd = random.Random(seed)
    n = counts(size)
    odd = iter(AWKWARD if awkward is None else awkward)

    def named(word: str, i: int) -> str:
        return next(odd, None) or _name(word, i) if i % 7 == 3 else _name(word, i)

    extensions = [{"sip_user": str(1000 + i), "agent_id": _oid(1, i),
                   "full_name": f"{FAMILY[i % len(FAMILY)]} {GIVEN[(i // len(FAMILY)) % len(GIVEN)]}",
                   "email": f"nv{i}@congty.vn", "password": f"mk-{i:06d}-bi-mat"} for i in range(n["extensions"])]
    sip_users = [e["sip_user"] for e in extensions]
    greetings = []
    for i in range(n["greetings"]):
        gid, name = _oid(2, i), named("Lời chào", i)
        if i % 10 == 9:
            greetings.append({"_id": gid, "greeting_name": name, "formality": "Tải lên",
                              "recording_file": f"{i:08d}-ghi-am.mp3", "content": f"ghi-am-{i}.mp3", "voice": "",
                              "speed": 0})
        else:
            text = (f"Xin chào quý khách đã gọi đến {DEPARTMENTS[i % len(DEPARTMENTS)]}: bấm phím 1 để gặp nhân "
                    f"viên, phím # để nghe lại.") if i % 13 else next(odd, "Cảm ơn quý khách")
            greetings.append({"_id": gid, "greeting_name": name, "formality": "Robot đọc",
                              "recording_file": f"{i:08d}.mp3", "content": text, "voice": rnd.choice(VOICES),
                              "speed": rnd.randint(-3, 3)})
    greeting_ids = [g["_id"] for g in greetings]
    group_ids = [_oid(3, i) for i in range(n["groups"])]
    ivr_ids = [_oid(4, i) for i in range(n["ivr_menus"])]
    groups = []
    for i, gid in enumerate(group_ids):
        # Every fifth group overflows into the next one and the last of each five back into
        # the first: rings of groups that overflow into each other.
        if i % 5 == 4:
            target = ("Ring_group", group_ids[i - 4])
        elif i % 5 in (2, 3):
            target = ("Ring_group", group_ids[(i + 1) % len(group_ids)])
        else:
            target = rnd.choice([("", ""), ("Ivr_menu", rnd.choice(ivr_ids)), ("Recording", rnd.choice(greeting_ids))])
        groups.append({"_id": gid, "group_name": named("Nhóm", i), "strategy": rnd.choice(["enterprise", "rollover", "random"]),
                       "ring_group_type": rnd.choice([0, 1, 4]),
                       # At least one member where nothing follows: a group never rings nobody (lint).
                       "sip_members": rnd.sample(sip_users, min(len(sip_users), rnd.randint(0 if target[0] else 1, 4))),
                       "timeout": rnd.choice([15, 20, 30, 45]), "target_timeout_type": target[0],
                       "target_timeout": target[1],
                       "call_queue_config": {"enable": True, "is_in_call": True, "is_offline": False, "waiting_time": 60}})
    ivr_menus = []
    for i, mid in enumerate(ivr_ids):
        keys = rnd.sample(list("0123456789*#"), rnd.randint(0, 4))
        scripts = [{"ivr": k, "action_type": "Ring_group", "action": rnd.choice(group_ids)} for k in keys]
        # Sub-menus lead back to their parent (key 9), and some menus repeat themselves (key 0).
        if i % 4:
            scripts.append({"ivr": "9", "action_type": "Ivr_menu", "action": ivr_ids[i - i % 4]})
            ivr_menus[i - i % 4]["scripts"].append({"ivr": str(i % 4), "action_type": "Ivr_menu", "action": mid})
        if i % 11 == 5:
            scripts.append({"ivr": "0", "action_type": "Ivr_menu", "action": mid})
        scripts = list({s["ivr"]: s for s in scripts}.values())
        fallback = rnd.choice([("", ""), ("Ring_group", rnd.choice(group_ids)), ("Recording", rnd.choice(greeting_ids))])
        if not any(s["action_type"] == "Ring_group" for s in scripts):
            fallback = ("Ring_group", rnd.choice(group_ids))  # a caller can always reach a person (lint)
        ivr_menus.append({"_id": mid, "script_name": named("Menu", i) if i else "Menu chính",
                          "greeting_id": rnd.choice(greeting_ids),
                          "greeting_short_id": rnd.choice(["", rnd.choice(greeting_ids)]),
                          "invalid_sound_id": rnd.choice(["", rnd.choice(greeting_ids)]),
                          "time_out": rnd.randint(1, 10), "max_failure": rnd.randint(1, 5), "scripts": scripts,
                          "action_type": fallback[0], "action": fallback[1]})
    for menu in ivr_menus:
        menu["scripts"] = list({s["ivr"]: s for s in menu["scripts"]}.values())
    # A call script's steps: greetings, menus, groups and extensions, in any order.
    step_targets = {"Recording": greeting_ids, "Ivr_menu": ivr_ids, "Ring_group": group_ids,
                    "Extension": [e["agent_id"] for e in extensions]}
    call_scripts = []
    for i in range(n["call_scripts"]):
        kinds = [rnd.choice(list(step_targets)) for _ in range(rnd.randint(1, 3))]
        steps = [{"action_type": t, "action_id": rnd.choice(step_targets[t])} for t in kinds]
        criterias = [dict(type=t, wait_time=str(rnd.randint(0, 30)), timeout_time=str(rnd.randint(0, 30)))
                     for t in rnd.sample(["2", "3", "4"], rnd.randint(0, 3))]
        note = next(odd, None) if i % 9 == 4 else None
        call_scripts.append({"_id": _oid(5, i), "script_name": named("Kịch bản", i),
                             "note": note if note is not None else rnd.choice(NOTES),
                             "scripts": steps, "criterias": criterias})
    hotlines = []
    for i in range(n["hotlines"]):
        script = _oid(5, rnd.randrange(n["call_scripts"]))
        if i % 3 == 0:  # takes no inbound calls: a call script is optional (lint)
            script = rnd.choice(["", script])
        hotline = {"number": f"8428{71000000 + i:08d}", "access_type": "applies_to_all_employees",
                   "configs": {"allow_call_in": i % 3 != 0, "allow_call_out": i % 5 != 0, "default_script": script}}
        if i % 4 == 3:  # outbound restricted to two extensions and a group
            hotline.update(access_type="applies_according_to_employee_criteria", extensions=rnd.sample(sip_users, 2),
                           group_ids=rnd.sample(group_ids, 1))
        hotlines.append(hotline)
    return {"extensions": extensions, "greetings": greetings, "groups": groups, "ivr_menus": ivr_menus,
            "call_scripts": call_scripts, "hotlines": hotlines}


def before_configuration(seed: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """What a tenant has before any configuration, and what an export's manifests cannot
    create: its extensions and hotlines (the carrier provisions them; hotlines here
    unconfigured) and its uploaded mp3s (exported as `recording`, whose audio the API
    never returns)."""
    return {"extensions": seed["extensions"],
            "greetings": [g for g in seed["greetings"] if g["formality"] == "Tải lên"],
            "hotlines": [{"number": h["number"], "configs": {"allow_call_in": True, "allow_call_out": True,
                                                             "default_script": ""}} for h in seed["hotlines"]]}

