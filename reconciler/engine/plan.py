"""The plan: a small, ordered, serialisable list of changes. What `plan` shows is the very
object `apply` executes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Iterable

from reconciler import FORMAT_VERSION
from reconciler.errors import UnsafePlanError
from reconciler.kinds.base import env_refs


class Action(StrEnum):
    """What a change does to one object, in the order a plan lists them. A StrEnum: its
    JSON and text are the plain words ("create"), as they always were."""

    CREATE = "create"
    RENAME = "rename"  # renamed in place, maybe updated too
    UPDATE = "update"
    REPLACE = "replace"  # the API cannot update it: a new one, referrers repointed, the old deleted
    DELETE = "delete"


ACTIONS = tuple(Action)
NOT_RETURNED = "(not returned by the API)"
MASK = "(sensitive)"  # what every output shows of a secret


@dataclass
class FieldChange:
    """One field of one object: old (live) and new (manifest) values.

    When the manifests set the field from `${env:NAME}`, its live value is a secret too
    (the one before a rotation, say): it is never kept, only MASK, so that no output, plan
    file, history or manifest written by `drift --write` can hold it."""

    field: str
    old: Any
    new: Any
    verifiable: bool = True  # False: the API never returns it; old is unknown

    def __post_init__(self) -> None:
        if env_refs(self.new) and self.old not in (None, NOT_RETURNED):
            self.old = MASK


@dataclass
class Change:
    """One change of one object. Its object in manifest terms is `new` (the desired one:
    what a create, update, rename or replace sends) or, for a delete, `existing` (the live
    one as the plan saw it: what it points to). Both are kept as one `data`, the plan
    file's and the JSON's key."""

    action: Action
    kind: str  # the kind's manifest key: "groups"
    name: str  # identity in the manifests (name, number or sip_user)
    id: str | None = None  # live id (None for a create)
    fields: list[FieldChange] = field(default_factory=list)
    data: dict | None = None  # `new`, or a delete's `existing`: read those
    rename_from: str | None = None
    reason: str | None = None  # why, when not obvious (prune, repoint, replace ...)
    live_version: str | None = None  # digest of the live item the plan saw
    live_references: list[list[str]] = field(default_factory=list)  # (kind, name) the live object points to

    def __post_init__(self) -> None:
        self.action = Action(self.action)  # a plan file (or a caller) gives the word

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def new(self) -> dict | None:
        """The desired object in manifest terms; None for a delete."""
        return None if self.action is Action.DELETE else self.data

    @property
    def existing(self) -> dict | None:
        """A delete's live object in manifest terms (references by name); None otherwise:
        an update's live values are in its `fields`."""
        return self.data if self.action is Action.DELETE else None

    def to_json(self) -> dict:
        return {**asdict(self), "action": str(self.action)}

    @classmethod
    def from_json(cls, data: dict) -> "Change":
        fields = [FieldChange(**f) for f in data.get("fields", [])]
        return cls(**{**data, "fields": fields})


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=dict)  # kind -> count
    unmanaged: dict[str, list[str]] = field(default_factory=dict)  # kind -> names
    unverified: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # kind -> name -> fields
    protected: list[str] = field(default_factory=list)  # addresses left alone by policy
    protected_differs: list[str] = field(default_factory=list)  # of those, addresses whose live fields differ
    # The changes policy.protect held back from a declared object (apply never makes them):
    # drift reports them and `drift --write` adopts them. Not in the JSON or a plan file.
    held_back: list[Change] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # live objects referenced, not declared
    warnings: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)  # threshold passed: apply needs --force
    blocked: list[str] = field(default_factory=list)  # changes apply cannot make, even forced
    live_counts: dict[str, int] = field(default_factory=dict)
    # Variables of ${env:NAME} values that were not set when the plan was made: the fields
    # that use them were not compared, and apply refuses such a saved plan.
    secrets_not_set: list[str] = field(default_factory=list)
    # Fields that could not be compared at all (a secret not set here, an mp3 whose
    # fingerprint is missing): kind -> name -> field -> why. Neither a change nor
    # unchanged: such an object is not counted unchanged, and a plan with any is not "No
    # changes" (`plan --detailed-exitcode` exits 2).
    unverifiable: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # Identities of the live objects per kind when the plan was made: a saved plan is stale
    # when others appeared since. Kept in the plan file, not in the JSON output.
    seen: dict[str, list[str]] = field(default_factory=dict)
    # `--target`: the addresses asked for (the plan is partial), and the changes a whole
    # plan would also make ("update groups/CSKH"), left out.
    targets: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.targets)

    def counts(self) -> dict[str, int]:
        out = {str(a): 0 for a in ACTIONS}  # plain words: the JSON's keys
        for c in self.changes:
            out[str(c.action)] += 1
        return out

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def differences(self) -> list[Change]:
        """Every way the tenant differs from the manifests, as changes: those apply makes,
        then those policy.protect holds back. `drift` and `drift --write` read these, so
        that what one reports is what the other writes."""
        return self.changes + self.held_back

    @property
    def unverifiable_count(self) -> int:
        """Objects with a field that could not be compared."""
        return sum(len(objs) for objs in self.unverifiable.values())

    @property
    def fully_verified(self) -> bool:
        """Whether every field of every managed object was compared: only then can an
        empty plan say "No changes"."""
        return not self.unverifiable_count

    def raise_if_unsafe(self, force: bool = False) -> None:
        """Refuse to be applied (as octoDNS's Plan does), so no caller can apply an unsafe
        plan by forgetting a check: UnsafePlanError when a change cannot be made at all
        (`blocked`, even forced), or passes the delete threshold (`unsafe`) unless `force`."""
        if self.blocked:
            raise UnsafePlanError(list(self.blocked))
        if self.unsafe and not force:
            raise UnsafePlanError(list(self.unsafe))

    def to_json(self) -> dict:
        """The stable JSON form (`format_version` 1)."""
        counts = self.counts()
        # Only a partial plan has these keys: a whole plan's JSON (and the checksum of a
        # plan file saved before) is what it always was.
        partial = {"partial": True, "targets": self.targets, "left_out": self.left_out} if self.targets else {}
        return {
            "format_version": FORMAT_VERSION,
            **partial,
            "summary": {**counts, "unchanged": sum(self.unchanged.values()),
                        "unmanaged": sum(len(v) for v in self.unmanaged.values()),
                        "protected_differs": len(self.protected_differs),
                        "unverifiable": self.unverifiable_count},
            "changes": [c.to_json() for c in self.changes],
            "unchanged": dict(sorted(self.unchanged.items())),
            "unmanaged": {k: v for k, v in self.unmanaged.items() if v},
            "unverified": self.unverified,
            "protected": self.protected,
            "protected_differs": self.protected_differs,
            "external": self.external,
            "warnings": self.warnings,
            "unsafe": self.unsafe,
            "blocked": self.blocked,
            "live_counts": self.live_counts,
            "secrets_not_set": self.secrets_not_set,
            "unverifiable": self.unverifiable,
        }

    def to_saved_json(self) -> dict:
        """`to_json` as a plan file holds it (and its checksum counts it): keys added later
        only when used, so that a file is written, and a file saved before checks, as before."""
        data = self.to_json()
        if not self.unverifiable:
            del data["unverifiable"], data["summary"]["unverifiable"]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Plan":
        return cls(
            changes=[Change.from_json(c) for c in data.get("changes", [])],
            unchanged=data.get("unchanged", {}),
            unmanaged=data.get("unmanaged", {}),
            unverified=data.get("unverified", {}),
            protected=data.get("protected", []),
            protected_differs=data.get("protected_differs", []),
            external=data.get("external", []),
            warnings=data.get("warnings", []),
            unsafe=data.get("unsafe", []),
            blocked=data.get("blocked", []),
            live_counts=data.get("live_counts", {}),
            secrets_not_set=data.get("secrets_not_set", []),
            targets=data.get("targets", []),
            left_out=data.get("left_out", []),
            unverifiable=data.get("unverifiable", {}),
        )

    def checksum(self) -> str:
        """Pins an applied plan to the reviewed one."""
        text = json.dumps(self.to_saved_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def live_version(raw: dict, secret: Iterable[str]) -> str:
    """Digest of a live item as the API returned it, its kind's `secret` fields left out:
    if it differs later, someone changed the object."""
    clean = {k: v for k, v in raw.items() if k not in secret}
    text = json.dumps(clean, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]
