"""The manifests' JSON Schema, generated from the kinds' models, for editors
(`# yaml-language-server: $schema=...`) and for `reconciler schema`."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import ConfigDict, Field, create_model

from reconciler.kinds import KINDS, Policy

SCHEMA_ID = "urn:omicall-reconciler:manifest-schema:1"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one manifest file: a mapping of the six kinds'
    lists and the policy, nothing else."""
    fields: dict[str, Any] = {
        kind: (
            Optional[list[kind_def.model]],  # type: ignore[name-defined]
            Field(default=None, description=f"{kind_def.label[0].upper()}{kind_def.label[1:]}s, identified by "
                                            f"`{kind_def.identity}`{_kind_note(kind_def)}"),
        )
        for kind, kind_def in KINDS.items()
    }
    fields["policy"] = (
        Optional[Policy],
        Field(default=None, description="What the manifests own: kinds to prune, names to protect, the "
                                        "delete safety threshold. In one file only."),
    )
    model = create_model("Manifest", __config__=ConfigDict(extra="forbid"), **fields)  # type: ignore[call-overload]
    schema = model.model_json_schema(mode="validation")
    schema["title"] = "OMICall reconciler manifest"
    schema["description"] = (
        "One YAML file of a manifest directory. Lists of a kind from several files are merged; "
        "`policy` may appear in one file only. A string value `${env:NAME}` is read from the "
        "environment."
    )
    return {"$schema": DRAFT, "$id": SCHEMA_ID, **schema}


def _kind_note(kind_def: Any) -> str:
    if not kind_def.creatable:
        return " (never created or deleted: only their settings are managed)"
    return ""
