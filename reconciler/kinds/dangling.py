"""The one answer to a reference to a name declared neither in the manifests nor in the
tenant, with the name it may have meant: `validate --live` (manifest/checks.py) and the
planner (engine/planner.py, for plan, apply and `validate --live`'s plan) both word it so."""

from __future__ import annotations

import difflib
from typing import Iterable, Mapping

from reconciler.kinds import KINDS
from reconciler.kinds.base import KIND_REF_WORD

NEITHER = "neither in the manifests nor in the tenant"


def dangling_hint(kind: str, name: str, declared: Mapping[str, Iterable[str]], live: Iterable[str]) -> str:
    """What `name`, a `kind` the manifests (`declared`: kind -> identities) and the tenant
    (`live`: that kind's identities) both lack, may have meant: the nearest name of that
    kind (text names only: for numbers, '109' vs '104', a near one is noise), else an
    object of another kind of that very name, by the reference that names it; '' if none."""
    if KINDS[kind].identity == "name":
        known = set(declared.get(kind, ())) | set(live)
        match = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        if match:
            return f"; did you mean '{match[0]}'?"
    other = next((k for k, names in declared.items() if k != kind and name in names), None)
    if other and other in KIND_REF_WORD:
        return f"; there is a {KINDS[other].label} '{name}': did you mean {{{KIND_REF_WORD[other]}: {name}}}?"
    return ""
