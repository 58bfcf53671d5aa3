"""Hotlines: numbers provisioned by the carrier. Never created or deleted here; only their
inbound routing and outbound permissions are managed. Every field is optional: a field
left out of the manifest is left as it is in the tenant."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from reconciler.kinds.base import (
    CallRole,
    CallShape,
    ExtensionNumber,
    IdResolver,
    LiveIndex,
    ManifestModel,
    Name,
    Ref,
    SipUser,
    Updatable,
    WeekDay,
    WeekFrame,
    expand_env,
)

ALL = "applies_to_all_employees"
RESTRICTED = "applies_according_to_employee_criteria"


class OutboundAccess(ManifestModel):
    """Only these extensions and groups may call out on the number."""

    extensions: list[ExtensionNumber] = Field(default_factory=list, description="extensions that may call out")
    groups: list[Annotated[Name, Field(min_length=1)]] = Field(
        default_factory=list, description="groups whose members may call out"
    )


class DedicatedTo(ManifestModel):
    """The number is used by one extension only (API: hotline/extension/update)."""

    user_email: str = Field(min_length=3, pattern=r"^(\$\{env:[A-Za-z_][A-Za-z0-9_]*\}|[^@\s]+@[^@\s]+)$")
    directions: list[Literal["inbound", "outbound"]] = Field(min_length=1)

    @field_validator("directions")
    @classmethod
    def _unique(cls, directions: list[str]) -> list[str]:
        if len(set(directions)) != len(directions):
            raise ValueError("a direction is listed twice")
        return directions


WEEKDAYS = {"mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7, "sun": 1}  # API: working_days[].weekday
DAY_OF_API = {v: k for k, v in WEEKDAYS.items()}
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class TimeFrame(ManifestModel):
    """Part of a day routed to its own call script."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Clock = Field(alias="from", description="HH:MM")
    to: Clock = Field(description="HH:MM")
    call_script: Name | None = Field(default=None, description="the call script for this time frame")


# A day: one call script for the whole day (null: none), or time frames.
DaySchedule = Annotated[Name | None, Field()] | list[TimeFrame]


class Hotline(ManifestModel):
    """A hotline number's routing and permissions. A field left out is left as it is."""

    number: SipUser = Field(pattern=r"^\+?[0-9]{4,15}$", description="the phone number (its identity)")
    call_script: Name | None = Field(default=None, description="inbound routing (API: call_script)")
    inbound: bool | None = Field(default=None, description="API: allow_call_in")
    outbound: bool | None = Field(default=None, description="API: allow_call_out")
    outbound_access: Literal["all"] | OutboundAccess | None = Field(
        default=None, description="who may call out: all, or {extensions: [...], groups: [...]}"
    )
    dedicated_to: DedicatedTo | None = Field(default=None, description="the number is used by one extension only")
    schedule: dict[Weekday, DaySchedule] | None = Field(
        default=None,
        description="the weekly schedule set in the console (configs.working_days): the days whose routing differs "
                    "from call_script. Read and checked, never written: the API cannot set it",
    )


class HotlineKind(Updatable):
    name = "hotlines"
    label = "hotline"
    model = Hotline
    identity = "number"
    identity_field = "number"
    identity_may_be_number = True
    id_field = None  # the number is the id
    call_role = CallRole.ROUTE
    call_shape = CallShape("([", "])", "oval")
    list_path = "/api/call_center/hotline/search"
    list_takes_keyword = True  # the number
    # The API never returns the dedicated extension: verified by fingerprint. Who may call
    # out comes back only as an undocumented `accesses` list: compared when it is read here,
    # else by fingerprint (see `compare`).
    write_only = frozenset({"dedicated_to"})
    keep_when_omitted = frozenset({"call_script", "inbound", "outbound", "outbound_access", "dedicated_to", "schedule"})

    @property
    def fingerprinted(self) -> frozenset[str]:
        return self.write_only | {"outbound_access"}

    def live_identity(self, item: dict) -> str:
        return str(item.get("number") or "")

    def same_identity(self, number: str, live_identities: set[str]) -> str | None:
        """Vietnamese numbers are written 0…, +84… or 84…; the tenant has one of them."""
        national = number[3:] if number.startswith("+84") else number[2:] if number.startswith("84") else \
            number[1:] if number.startswith("0") else number
        for spelling in (f"84{national}", f"0{national}", f"+84{national}", national):
            if spelling != number and spelling in live_identities:
                return spelling
        return None

    def live_id(self, item: dict) -> str:
        return str(item.get("number"))

    def from_live(self, item: dict, index: LiveIndex) -> dict:
        configs = item.get("configs") or {}
        script = configs.get("default_script")
        data = {
            "number": self.live_identity(item),
            "call_script": index.name_of("call_scripts", script) if script else None,
            "inbound": _bool(configs.get("allow_call_in")),
            "outbound": _bool(configs.get("allow_call_out")),
            "outbound_access": "all" if item.get("access_type", ALL) == ALL else _outbound_lists(item, index),
        }
        schedule = _schedule(configs, index)
        if schedule is not None:
            data["schedule"] = schedule
        return data

    def compare(self, field: str, want: Any, live: dict) -> bool | None:
        if field == "schedule" and field not in live:
            return True  # the tenant did not return working days: nothing to check, nothing to send
        if field == "schedule":
            return _without_default_days(want, live.get("call_script")) == live[field]
        if field == "outbound_access" and isinstance(want, dict):
            have = live.get(field)
            if have == "restricted":
                return None  # restricted to lists the tenant does not show: the fingerprint decides
            # The lists as the tenant shows them decide, as sets: their order means nothing.
            return isinstance(have, dict) and all(set(want.get(k, [])) == set(have.get(k, []))
                                                  for k in ("extensions", "groups"))
        return super().compare(field, want, live)

    def desired(self, obj: Hotline) -> dict:  # type: ignore[override]
        data = obj.model_dump(exclude_unset=True, by_alias=True)
        if obj.schedule is not None:  # time frames with their defaults, as the tenant is read
            schedule = obj.model_dump(by_alias=True, include={"schedule"})["schedule"]
            data["schedule"] = _without_default_days(schedule, data["call_script"]) if "call_script" in data else schedule
        return {"number": obj.number, **{k: v for k, v in data.items() if k != "number"}}

    def references(self, data: dict) -> list[Ref]:
        refs = [Ref("call_scripts", data["call_script"], "call_script")] if data.get("call_script") else []
        for day, routing in (data.get("schedule") or {}).items():
            if isinstance(routing, str):
                named = [(f"schedule.{day}", routing)]
            else:
                named = [(f"schedule.{day}.{i}.call_script", f.get("call_script")) for i, f in enumerate(routing or [])]
            refs += [Ref("call_scripts", n, path) for path, n in named if n and ("call_scripts", n) not in refs]
        access = data.get("outbound_access")
        if isinstance(access, dict):
            refs += [Ref("extensions", e, f"outbound_access.extensions.{i}")
                     for i, e in enumerate(access.get("extensions", []))]
            refs += [Ref("groups", g, f"outbound_access.groups.{i}") for i, g in enumerate(access.get("groups", []))]
        return refs

    def week(self, data: dict) -> dict[str, WeekDay]:
        """The manifest's `schedule` (`sat: Cuối tuần`, or a day's `{from, to, call_script}`
        frames), in the order written; a day set to null is left out."""
        out: dict[str, WeekDay] = {}
        for day, value in (data.get("schedule") or {}).items():
            if isinstance(value, str):
                out[day] = WeekDay(value)
            elif isinstance(value, list):
                out[day] = WeekDay(None, tuple(WeekFrame(f.get("from", ""), f.get("to", ""), f.get("call_script"))
                                               for f in value if isinstance(f, dict)))
        return out

    def live_week(self, item: dict, index: LiveIndex) -> dict[str, WeekDay] | None:
        """`configs.working_days` in manifest terms, every day it sets (the default script's
        too, and a day with time frames with its script for the rest of the day)."""
        configs = item.get("configs") if isinstance(item.get("configs"), dict) else {}
        days = _working_days(configs)
        if days is None:
            return None
        name = lambda script: index.name_of("call_scripts", script) if script else None  # noqa: E731
        return {word: WeekDay(name(script), tuple(WeekFrame(start, end, name(s)) for start, end, s in frames))
                for word, (script, frames) in days.items()}

    def review(self, name: str, want: dict, live: dict, fields: list) -> tuple[list, list[str], list[str]]:
        """The weekly schedule cannot be set, and `call_script` sets one script for every day
        (the doc: "one default script for the days of the week"): a change of call_script
        on a hotline whose days differ replaces that schedule, shown and needing --force; a
        schedule stated in the manifest that the tenant does not have cannot be applied."""
        changing = {f.field for f in fields}
        before = live.get("schedule") or {}
        extra, unsafe, blocked = [], [], []
        after = {} if "call_script" in changing else before
        if "call_script" in changing and before and "schedule" not in changing:
            extra.append(("schedule", before, {}))
        if "call_script" in changing and before:
            days = ", ".join(before)
            unsafe.append(f"hotline {name}: setting call_script replaces its weekly schedule ({days} differ) with "
                          f"one call script for every day; run with --force if that is intended")
        stated = want.get("schedule")
        if stated is not None:
            stated = _without_default_days(stated, want["call_script"] if "call_script" in want else live.get("call_script"))
        if stated is not None and stated != after:
            blocked.append(f"hotline {name}: the manifest's schedule differs from what the tenant will have, and the "
                           f"API cannot set a weekly schedule: change it in the console, or change `schedule` in the "
                           f"manifest to what the tenant has")
        return extra, unsafe, blocked

    def unknown_references(self, data: dict) -> frozenset[str]:
        # Restricted lists the tenant did not show (no `accesses`, or ids no list has):
        # the hotline may hold any group.
        if data.get("outbound_access") == "restricted":
            return frozenset({"groups"})
        return frozenset()

    def to_manifest(self, data: dict) -> dict:
        # "restricted" only says the lists exist; a manifest cannot state what it does not know.
        # An empty schedule (every day runs call_script) goes without saying.
        return {k: v for k, v in data.items()
                if not (k == "outbound_access" and v == "restricted") and not (k == "schedule" and not v)}

    async def update(
        self, client: Any, object_id: str, data: dict, live: dict, changed: set[str], ids: IdResolver
    ) -> None:
        data = expand_env(data)
        number = data["number"]
        subject = f"hotline {number}"
        # The doc does not say what the server does with a field left out of an update, so
        # every field the API returns is sent: the manifest's value, or the live one it
        # leaves alone. Only the outbound lists, which the API does not return in a
        # documented form, are sent just when the manifest states them.
        configs = live.get("configs") if isinstance(live.get("configs"), dict) else {}
        body: dict[str, Any] = {"hotline": number}
        # call_script sets one script for every day, wiping a weekly schedule made in the
        # console: sent only when the manifest changes it (the plan said so, under --force).
        if "call_script" in data and "call_script" in changed:
            body["call_script"] = ids.id_of("call_scripts", data["call_script"]) if data["call_script"] else ""
        for field, api in (("inbound", "allow_call_in"), ("outbound", "allow_call_out")):
            value = data[field] if field in data else _bool(configs.get(api))
            if value is not None:
                body[api] = "true" if value else "false"
        access = data.get("outbound_access")
        if access is None and live.get("access_type") == ALL:
            body["access_type"] = ALL
        if access == "all":
            # Said explicitly: a server that keeps what is not sent would keep the old lists,
            # and a group named there would stay "in use".
            body.update(access_type=ALL, extensions=[], group_ids=[])
        elif isinstance(access, dict):
            body["access_type"] = RESTRICTED
            body["extensions"] = list(access.get("extensions", []))
            body["group_ids"] = [ids.id_of("groups", g) for g in access.get("groups", [])]
        if set(body) != {"hotline"} and changed - {"dedicated_to"}:
            await client.send("POST", "/api/call_center/hotline/update", json=body, subject=subject)
        dedicated = data.get("dedicated_to")
        if dedicated is not None and "dedicated_to" in changed:
            await client.send(
                "POST",
                "/api/call_center/hotline/extension/update",
                json={"hotline": number, "user_email": dedicated["user_email"], "directions": dedicated["directions"]},
                subject=subject,
            )


def _without_default_days(schedule: dict, call_script: str | None) -> dict:
    """A manifest's schedule without the whole days that name the hotline's call_script:
    `mon: Giờ hành chính` says what leaving Monday out says, and the tenant lists only
    the days that differ."""
    return {day: routing for day, routing in schedule.items() if not (isinstance(routing, str) and routing == call_script)}


def _schedule(configs: dict, index: LiveIndex) -> dict | None:
    """The days of `working_days` whose routing differs from the default script, in manifest
    terms: a call script name (or None) for a full day, else its time frames. None when the
    tenant does not return working days."""
    days = _working_days(configs)
    if days is None:
        return None
    default = configs.get("default_script") or ""
    name = lambda script: index.name_of("call_scripts", script) if script else None  # noqa: E731
    schedule: dict[str, Any] = {}
    for word, (script, frames) in days.items():
        if frames:
            schedule[word] = [{"from": start, "to": end, "call_script": name(s)} for start, end, s in frames]
        elif script != default:
            schedule[word] = name(script)
    return schedule


def _working_days(configs: dict) -> dict[str, tuple[str, list[tuple[str, str, str]]]] | None:
    """`working_days` as the tenant holds it, read once for the manifest's `schedule` and
    for call flows: day word -> (its script id, "" for none; its time frames (from, to,
    script id) unless the day runs one script all day), in week order. None when the
    tenant does not return working days."""
    days = configs.get("working_days")
    if not isinstance(days, list):
        return None
    out: dict[str, tuple[str, list[tuple[str, str, str]]]] = {}
    for day in sorted((d for d in days if isinstance(d, dict)), key=lambda d: _day_order(d.get("weekday"))):
        word = DAY_OF_API.get(day.get("weekday"))
        if word is None:
            continue
        # A frame without both ends (a full day's placeholder {from: "", to: ""}) runs nothing.
        frames = [(f["from"], f["to"], f.get("script") or "") for f in day.get("time_frames") or []
                  if isinstance(f, dict) and f.get("from") and f.get("to")]
        out[word] = (day.get("script") or "", frames if day.get("type", "full_day") != "full_day" else [])
    return out


def _day_order(weekday: Any) -> int:
    # Monday (2) first, Sunday (1) last, as the doc lists them.
    return 8 if weekday == 1 else weekday if isinstance(weekday, int) else 9


def _outbound_lists(item: dict, index: LiveIndex) -> dict | str:
    """A restricted hotline's `{extensions, groups}`, in the order the tenant lists them;
    "restricted" when its `accesses` are missing, empty or cannot all be read: only the
    fingerprint of the last apply can tell then. (Empty says nothing: the doc shows
    `accesses` only as `[]`, which a server that never fills it returns for every hotline.)"""
    refs = _access_references(item.get("accesses"), index)
    if not refs:
        return "restricted"
    return {"extensions": [name for kind, name in refs if kind == "extensions"],
            "groups": [name for kind, name in refs if kind == "groups"]}


def _access_references(accesses: Any, index: LiveIndex) -> list[list[str]] | None:
    """[kind, name] of what a hotline's `accesses` name, whichever shape they come in
    (the doc shows only `[]`): {type: group, group_id} / {type: extension, sip_user}
    objects, or plain ids. None when they are missing or name something no list has."""
    if not isinstance(accesses, list):
        return None
    refs: list[list[str]] = []
    for entry in accesses:
        if isinstance(entry, dict):
            kind_word = str(entry.get("type") or "").lower()
            target = entry.get("group_id") if kind_word == "group" else entry.get("sip_user")
            kind = {"group": "groups", "extension": "extensions"}.get(kind_word)
        else:
            target = entry
            kind = next((k for k in ("groups", "extensions") if index.knows(k, str(entry))), None)
        if kind is None or target is None or not index.knows(kind, str(target)):
            return None
        name = str(target) if kind == "extensions" else index.name_of(kind, str(target))
        refs.append([kind, name])
    return refs


def _bool(value: Any) -> Any:
    # allow_call_in/out are sent as strings and read back as booleans; accept either.
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value


__all__ = ["Hotline", "HotlineKind"]
