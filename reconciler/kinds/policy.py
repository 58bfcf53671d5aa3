"""`policy`: which kinds the manifests own whole, which names are never touched, how
many deletes a plan may make before it needs --force, and how `lint` rules are set."""

from __future__ import annotations

import difflib
import unicodedata
from typing import Annotated, Any, Iterable, Iterator, Literal, Mapping, Union

from pydantic import Field

from reconciler.kinds.registry import KINDS
from reconciler.kinds.base import ManifestModel, Name, nfc

# The kinds `policy.prune` may own, from the registry (reconciler/kinds/registry.py).
PrunableKind = Literal[tuple(kind for kind, kind_def in KINDS.items() if kind_def.prunable)]  # type: ignore[valid-type]


# The codes of `lint`'s rules (reconciler/flows/lint.py finds them): declared here, where the
# policy that sets them is validated.
LINT_CODES = ("hotline-without-call-script", "ivr-menu-dead-end", "group-dead-end", "ivr-menu-trap",
              "ivr-key-loops-back", "call-loop", "unanswered-loop", "unreachable", "unused-lint-ignore")
LINT_SEVERITIES = ("off", "error", "warning", "info")
LintCode = Literal[LINT_CODES]  # type: ignore[valid-type]
LintSeverity = Literal[LINT_SEVERITIES]  # type: ignore[valid-type]


class LintRule(ManifestModel):
    """One rule's setting in its long form: a severity, and objects it leaves alone."""

    severity: LintSeverity | None = Field(
        default=None, description="off, or the severity of every finding of the rule (default: the rule's own)")
    ignore: list[Annotated[Name, Field(min_length=1)]] = Field(
        default_factory=list, description="names (or numbers) of objects the rule does not report: a finding about "
                                          "one of them (for a loop or a trap: about any object on it) is left out")


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
    lint: dict[LintCode, Union[LintSeverity, LintRule]] = Field(
        default_factory=dict, description="lint rules by code: off, a severity (error, warning, info), or "
                                          "{severity: ..., ignore: [names]}; `validate` and `lint` both follow it"
    )


def folded(text: str) -> str:
    """`text` without diacritics or case ("Nhóm Tech" -> "nhom tech"): how a typo in a
    Vietnamese name is recognised."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def unmatched_protect(protect: Iterable[str], known: Iterable[str]) -> list[str]:
    """A warning per `policy.protect` entry that names no object (`known`: every identity
    in the manifests and the tenant): it protects nothing, so say so, with the nearest
    name (diacritics and case ignored)."""
    names = {nfc(n) for n in known}
    warnings = []
    for entry in protect:
        if nfc(entry) in names:
            continue
        warnings.append(f"policy.protect: '{entry}' matches no object in the manifests or the tenant, "
                        f"so it protects nothing{did_you_mean(entry, names)}")
    return warnings


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """"; did you mean 'Bán hàng'?" for the nearest of `known` (diacritics and case ignored
    first, then a close spelling), or ""."""
    by_fold: dict[str, str] = {}
    for candidate in sorted(known):
        by_fold.setdefault(folded(candidate), candidate)
    near = by_fold.get(folded(name))
    if near is None:
        close = difflib.get_close_matches(folded(name), list(by_fold), n=1, cutoff=0.6)
        near = by_fold[close[0]] if close else None
    return f"; did you mean '{near}'?" if near else ""


def lint_ignores(lint: Any) -> Iterator[tuple[str, int, str]]:
    """(rule code, index, name) of every entry of `policy.lint`'s ignore lists: of a
    validated policy (LintRule values) or of the raw mapping as written (a policy with
    mistakes elsewhere still has its ignore lists checked: every problem at once)."""
    if not isinstance(lint, dict):
        return
    for code, setting in lint.items():
        entries = setting.get("ignore") if isinstance(setting, dict) else getattr(setting, "ignore", None)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, (str, int)) and not isinstance(entry, bool) and str(entry):
                yield str(code), i, nfc(str(entry))


def unused_lint_ignores(lint: Any, known: Iterable[str], where: str,
                        retired: Mapping[str, Mapping[str, str]] | None = None) -> list[tuple[str, str, str]]:
    """(path "lint.CODE.ignore.I", name, message) of each ignore entry that names none of
    `known` (every object's name or number, any kind): it ignores nothing, a typo or an
    object since renamed or deleted. `where`: "the manifests" or "the tenant". `retired`
    (kind -> old name -> new, as `retired_names` gives): an entry naming an old name
    says so and names the new one."""
    names = {nfc(n) for n in known}
    found = []
    for code, i, name in lint_ignores(lint):
        if name in names:
            continue
        renamed = [(kind, olds[name]) for kind, olds in (retired or {}).items() if name in olds]
        if renamed:
            kind, new = renamed[0]
            why = (f" is renamed to '{new}' (a {KINDS[kind].label}'s previous_names), so it ignores nothing; "
                   f"use the new name")
        else:
            why = f" names no object in {where}, so it ignores nothing{did_you_mean(name, names)}"
        found.append((f"lint.{code}.ignore.{i}", name, f"policy: lint.{code}.ignore.{i}: '{name}'{why}"))
    return found
