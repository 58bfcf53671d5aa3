"""Readings: the simulator's answer to each question call-center.md leaves open.

The doc is the contract, but it does not settle everything (see the API README, "Where
the doc leaves a choice open"). Each open question has one default answer (what the
simulator did first) and other answers a real server could give while still following
the doc. ``Simulator(readings=[...])`` and ``reconciler sim --reading NAME`` take them,
so the reconciler can be tested against every defensible server.
"""

from __future__ import annotations

from typing import Iterable

# question -> {reading: what the server does}; the first reading of each is the default.
QUESTIONS: dict[str, dict[str, str]] = {
    "scripts": {
        "scripts-empty-ok": "a call script or IVR menu may have an empty `scripts` list",
        "scripts-nonempty": "`scripts` is required and an empty list is refused (\"scripts is required\")",
    },
    "extension step": {
        "extension-step-agent-id": "a call-script Extension step's action_id is the extension's agent_id",
        "extension-step-sip-user": "a call-script Extension step's action_id is the extension's sip_user",
    },
    "accesses": {
        "accesses-typed": "hotline `accesses` are objects: {type: extension, sip_user} / {type: group, group_id}",
        "accesses-ids": "hotline `accesses` are plain ids: sip_users and group ids",
        "accesses-hidden": "hotline reads carry no `accesses` field at all",
    },
    "type words": {
        "live-documented-types": "live references use the documented type words only",
        "live-unknown-types": "live data also holds other type words: the doc's group example keeps its "
                              "Voice_mail overflow (an id no list returns) and an IVR key uses a newer word "
                              "(Callbot); the server accepts them back",
    },
    "void answers": {
        "void-payload-true": "status, extension update, refresh and dedicate answer an envelope with payload true",
        "void-empty-body": "those four endpoints answer HTTP 200 with an empty body",
        "void-empty-object": "those four endpoints answer a bare {}",
    },
    "fields": {
        "documented-fields": "answers carry exactly the documented fields",
        "extra-fields": "answers carry fields the doc does not list (a newer server)",
    },
    "group update": {
        "group-update-keeps-queue": "a group update without call_queue_config keeps the queue settings",
        "group-update-resets-queue": "a group update without call_queue_config resets the queue to off",
    },
    "mp3 upload": {
        "mp3-file-id": "an mp3 upload answers like text-to-speech (payload.file with its _id)",
        "mp3-no-id": "an mp3 upload answers payload true: no id at all",
    },
    "page sizes": {
        "page-cap-100": "lists cap `size` at 100 (hotline search at 50, as documented)",
        "page-cap-10": "lists cap `size` at 10 (hotline search at 50)",
        "page-size-honoured": "any `size` is honoured (hotline search capped at 50, as documented)",
    },
}

# The default reading of every question.
DEFAULTS: frozenset[str] = frozenset(next(iter(r)) for r in QUESTIONS.values())
QUESTION_OF: dict[str, str] = {r: q for q, readings in QUESTIONS.items() for r in readings}
ALL_READINGS: tuple[str, ...] = tuple(QUESTION_OF)

# The combination hardest for a client: every question answered its least helpful way.
PRESETS: dict[str, tuple[str, ...]] = {
    "strict": (
        "scripts-nonempty", "extension-step-sip-user", "accesses-hidden", "live-unknown-types",
        "void-empty-body", "extra-fields", "group-update-resets-queue", "mp3-no-id", "page-cap-10",
    ),
}


def resolve(names: Iterable[str] | None) -> frozenset[str]:
    """The full set of readings (one per question) for the names asked for: presets are
    expanded, unasked questions take their default. ValueError for an unknown name or two
    readings of one question."""
    chosen: dict[str, str] = {}
    for name in names or ():
        for reading in PRESETS.get(name, (name,)):
            question = QUESTION_OF.get(reading)
            if question is None:
                known = ", ".join([*ALL_READINGS, *PRESETS])
                raise ValueError(f"unknown reading {reading!r}; known readings: {known}")
            if chosen.get(question, reading) != reading:
                raise ValueError(f"readings {chosen[question]!r} and {reading!r} answer the same question "
                                 f"({question}); choose one")
            chosen[question] = reading
    return frozenset(chosen.get(q, next(iter(r))) for q, r in QUESTIONS.items())

