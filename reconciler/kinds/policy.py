"""`policy`: which kinds the manifests own whole, which names are never touched, and how
many deletes a plan may make before it needs --force."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from reconciler.kinds.base import ManifestModel, Name

PrunableKind = Literal["greetings", "groups", "ivr_menus", "call_scripts"]


class Policy(ManifestModel):
    """What the manifests own. Declared in one file only."""

    prune: list[PrunableKind] = Field(
        default_factory=list, description="kinds whose live objects absent from the manifests are deleted"
    )
    protect: list[Annotated[Name, Field(min_length=1)]] = Field(
        default_factory=list, description="names (or numbers) never changed or deleted"
    )
    max_delete_percent: Annotated[int, Field(ge=0, le=100)] = Field(
        default=30, description="a plan deleting more than this share of a kind's live objects needs --force"
    )
    threshold_min_objects: Annotated[int, Field(ge=0)] = Field(
        default=10, description="the share applies once a kind has at least this many live objects"
    )
