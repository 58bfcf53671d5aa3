"""Which object points at which: checks on write, and refusal to delete an object
that something still uses."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from .errors import ApiError
from .tenant import Tenant

# The doc's type words for a reference, and the collection each points into.
TYPE_KIND = {"Recording": "greetings", "Ivr_menu": "ivr_menus", "Ring_group": "groups", "Extension": "extensions"}
# Type words live data holds under the "live-unknown-types" reading: the doc's own group
# example (Voice_mail) and a newer one. Their targets are nothing the lists return.
UNMODELLED_TYPES = ("Voice_mail", "Callbot")


def exists(tenant: Tenant, type_word: str, target: str) -> bool:
    """Whether a ``type_word`` reference to ``target`` resolves. Extensions are
    referenced by ``agent_id`` (call-script steps), or by ``sip_user`` under the
    "extension-step-sip-user" reading; unmodelled type words by any id."""
    if type_word in UNMODELLED_TYPES:
        return True
    kind = TYPE_KIND[type_word]
    if kind == "extensions":
        if tenant.reads("extension-step-sip-user"):
            return target in tenant.extensions
        return tenant.extension_by_agent(target) is not None
    return target in tenant.collection(kind)


def typed_target(
    tenant: Tenant,
    type_word: Any,
    target: Any,
    *,
    type_field: str,
    id_field: str,
    allowed: Iterable[str],
) -> tuple[str, str]:
    """Validate a (type word, id) pair; both empty means "no target"."""
    type_word = "" if type_word is None else type_word
    target = "" if target is None else target
    if not isinstance(type_word, str) or not isinstance(target, str):
        raise ApiError(f"{type_field} and {id_field} must be strings")
    if type_word == "" and target == "":
        return "", ""
    options = tuple(allowed)
    if tenant.reads("live-unknown-types"):
        options += UNMODELLED_TYPES
    if type_word not in options:
        raise ApiError(f"{type_field} must be one of {', '.join(options)}")
    if target == "":
        raise ApiError(f"{id_field} is required when {type_field} is {type_word}")
    if not exists(tenant, type_word, target):
        raise ApiError(f"{id_field}: {type_word} {target!r} not found")
    return type_word, target


def outgoing(kind: str, record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The (type word, id) references held by ``record``; blank slots are skipped."""
    pairs: list[tuple[Any, Any]] = []
    if kind == "groups":
        pairs.append((record.get("target_timeout_type"), record.get("target_timeout")))
    elif kind == "ivr_menus":
        for field in ("greeting_id", "greeting_short_id", "invalid_sound_id"):
            pairs.append(("Recording", record.get(field)))
        pairs += [(s.get("action_type"), s.get("action")) for s in record.get("scripts") or []]
        pairs.append((record.get("action_type"), record.get("action")))
    elif kind == "call_scripts":
        pairs += [(s.get("action_type"), s.get("action_id")) for s in record.get("scripts") or []]
    elif kind == "hotlines":
        pairs += [("Call_script", s) for s in hotline_scripts(record)]
        pairs += [("Ring_group", g) for g in record.get("group_ids") or []]
    for type_word, target in pairs:
        if type_word and target:
            yield type_word, target


def hotline_scripts(record: dict[str, Any]) -> set[str]:
    """Every call-script id a hotline's configs mention."""
    configs = record.get("configs") or {}
    found = {configs.get("default_script")}
    for day in configs.get("working_days") or []:
        found.add(day.get("script"))
        found.update(frame.get("script") for frame in day.get("time_frames") or [])
    return {s for s in found if s}


_KIND_TYPE = {"greetings": "Recording", "ivr_menus": "Ivr_menu", "groups": "Ring_group", "call_scripts": "Call_script"}


def ensure_unused(tenant: Tenant, kind: str, key: str) -> None:
    """Refuse (API error naming the users) to delete an object still referenced."""
    wanted = (_KIND_TYPE[kind], key)
    users = []
    for other_kind in ("groups", "ivr_menus", "call_scripts", "hotlines"):
        for other_key, record in tenant.collection(other_kind).items():
            if (other_kind, other_key) == (kind, key):
                continue  # a menu whose key loops back to itself does not pin itself
            if wanted in set(outgoing(other_kind, record)):
                users.append(tenant.display(other_kind, record))
    if users:
        target = tenant.display(kind, tenant.collection(kind)[key])
        raise ApiError(f"cannot delete {target}: it is used by {', '.join(users)}")


def dangling(tenant: Tenant) -> list[str]:
    """Descriptions of references that do not resolve (used to validate seeds).
    Type words the simulator does not model (e.g. ``Voice_mail``) are not checked."""
    problems = []
    for kind in ("groups", "ivr_menus", "call_scripts", "hotlines"):
        for record in tenant.collection(kind).values():
            for type_word, target in outgoing(kind, record):
                if type_word == "Call_script":
                    ok = target in tenant.call_scripts
                elif type_word in TYPE_KIND:
                    ok = exists(tenant, type_word, target)
                else:
                    continue
                if not ok:
                    problems.append(f"{tenant.display(kind, record)} -> {type_word} {target!r}")
        if kind == "groups":
            for record in tenant.groups.values():
                for sip in record.get("sip_members") or []:
                    if sip not in tenant.extensions:
                        problems.append(f"{tenant.display(kind, record)} -> extension {sip!r}")
    for record in tenant.hotlines.values():
        for sip in record.get("extensions") or []:
            if sip not in tenant.extensions:
                problems.append(f"{tenant.display('hotlines', record)} -> extension {sip!r}")
    return problems
