"""The validated manifest set the engine plans from: objects by kind and identity, each
with the position of every one of its values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import Location
from reconciler.kinds import KINDS, Policy
from reconciler.kinds.base import ManifestModel


@dataclass
class DesiredObject:
    """One object of the manifests."""

    kind: str  # kind name, e.g. "groups"
    name: str  # identity value, NFC-normalized
    model: ManifestModel  # the validated pydantic object
    location: Location  # where the object's mapping starts
    # dotted field path ("keys.1", "on_timeout", "members.0", "steps.2") -> that value's location
    field_locations: dict[str, Location] = field(default_factory=dict)

    def location_of(self, path: str) -> Location:
        """The location of the value at `path`, else of its nearest parent, else of the object."""
        while path:
            found = self.field_locations.get(path)
            if found is not None:
                return found
            path = path.rpartition(".")[0]
        return self.location

    @property
    def subject(self) -> str:
        """How messages name the object: "group 'CSKH'"."""
        return f"{KINDS[self.kind].label} '{self.name}'"


@dataclass
class ManifestSet:
    """Every object of a manifest directory, validated, plus the policy."""

    root: Path
    objects: dict[str, dict[str, DesiredObject]]  # kind name -> identity -> object, in file order
    policy: Policy = field(default_factory=Policy)
    policy_location: Location | None = None
    files: list[Path] = field(default_factory=list)  # the files read, in order
    # dotted path in the policy ("lint.unreachable", "lint.call-loop.ignore.0") -> its location
    policy_fields: dict[str, Location] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(objs) for objs in self.objects.values())

    def unresolved_references(self) -> list[tuple[DesiredObject, str, tuple[str, str]]]:
        """(referrer, field path, (kind, name)) of every reference the manifests do not
        declare. A kind never created (extensions) is always a live object, so every
        reference to one is here."""
        out: list[tuple[DesiredObject, str, tuple[str, str]]] = []
        for kind, objs in self.objects.items():
            kind_def = KINDS[kind]
            for obj in objs.values():
                for ref in kind_def.references(kind_def.desired(obj.model)):
                    ref_kind, name = ref
                    if not KINDS[ref_kind].creatable or name not in self.objects.get(ref_kind, {}):
                        out.append((obj, ref.path, (ref_kind, name)))
        return out
