"""What changed inside a field, as a reviewer reads it.

A nested change shows the leaves that differ with their paths, as Terraform does for
nested attributes (`keys."2": {group: A} -> {group: B}`, `+ keys."3": ...`), not the
whole before and after on one line. A list of distinct values (a group's members) shows
the members added and removed, in order; other lists go by index. A changed text shows
the words that changed (`[-old words-]{+new words+}`, as `git diff --word-diff`).

Why not DeepDiff: its paths (`root['keys']['2']['group']`) would have to be parsed back
into ours, it cannot tell a reference ({group: X}, shown whole) from a map, and values are
small manifest-terms dicts and lists that a twenty-line walk compares exactly; difflib
(the standard library) does the words and the members. So deepdiff is not a dependency.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from reconciler.kinds.base import LIVE_REF, REF_WORDS

CHANGED = "changed"
ADDED = "added"
REMOVED = "removed"
SIGNS = {CHANGED: "~", ADDED: "+", REMOVED: "-"}

# A text is diffed word by word when both sides have at least this many words.
MIN_WORDS = 3
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Leaf:
    """One leaf that differs inside a field: its path, how, and its two values. `words`
    is the word diff of a changed text, else None."""

    change: str  # CHANGED | ADDED | REMOVED
    path: str
    old: Any = None
    new: Any = None
    words: str | None = None

    @property
    def sign(self) -> str:
        return SIGNS[self.change]

    def to_json(self) -> dict:
        out = {"change": self.change, "path": self.path, "old": self.old, "new": self.new}
        if self.words is not None:
            out["words"] = self.words
        return out


def leaves(field: str, old: Any, new: Any) -> list[Leaf] | None:
    """The leaves that differ between `old` and `new` of `field`, or None when the field
    reads best whole (a scalar, a value appearing or going, a reference)."""
    if old == new:
        return None
    nested = (isinstance(old, dict) and isinstance(new, dict) and not _is_reference(old) and not _is_reference(new)) \
        or (isinstance(old, list) and isinstance(new, list))
    words = _word_diff(old, new)
    if not nested and words is None:
        return None
    out: list[Leaf] = []
    _walk(field, old, new, out)
    return out or None


def _is_reference(value: dict) -> bool:
    # {group: X}, {ivr: X}, {live: ...}: one key that says what it points to; shown whole,
    # because its kind is part of what it says.
    return len(value) == 1 and (next(iter(value)) in REF_WORDS or LIVE_REF in value)


def _walk(path: str, old: Any, new: Any, out: list[Leaf]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict) and not _is_reference(old) and not _is_reference(new):
        for key in [*old, *(k for k in new if k not in old)]:
            sub = _child(path, key)
            if key not in new:
                out.append(Leaf(REMOVED, sub, old=old[key]))
            elif key not in old:
                out.append(Leaf(ADDED, sub, new=new[key]))
            else:
                _walk(sub, old[key], new[key], out)
    elif isinstance(old, list) and isinstance(new, list):
        if _distinct_scalars(old) and _distinct_scalars(new):
            _members(path, old, new, out)
        else:
            for i in range(max(len(old), len(new))):
                sub = f"{path}[{i}]"
                if i >= len(new):
                    out.append(Leaf(REMOVED, sub, old=old[i]))
                elif i >= len(old):
                    out.append(Leaf(ADDED, sub, new=new[i]))
                else:
                    _walk(sub, old[i], new[i], out)
    else:
        out.append(Leaf(CHANGED, path, old, new, _word_diff(old, new)))


def _members(path: str, old: list, new: list, out: list[Leaf]) -> None:
    """A list of distinct values: members removed, then added, each in list order; and the
    order, when the members kept are in another order."""
    out += [Leaf(REMOVED, path, old=v) for v in old if v not in new]
    out += [Leaf(ADDED, path, new=v) for v in new if v not in old]
    kept_old = [v for v in old if v in new]
    kept_new = [v for v in new if v in old]
    if kept_old != kept_new:
        out.append(Leaf(CHANGED, f"{path} (order)", kept_old, kept_new))


def _distinct_scalars(values: list) -> bool:
    return all(isinstance(v, (str, int, float, bool)) for v in values) and len(set(values)) == len(values)


def _child(path: str, key: Any) -> str:
    text = str(key)
    return f"{path}.{text}" if _PLAIN_KEY.match(text) else f"{path}.{json.dumps(text, ensure_ascii=False)}"


def _word_diff(old: Any, new: Any) -> str | None:
    """`Xin chào [-quý khách-]{+các bạn+}`, for two texts of a few words each; None else."""
    if not (isinstance(old, str) and isinstance(new, str)):
        return None
    a, b = old.split(), new.split()
    if len(a) < MIN_WORDS or len(b) < MIN_WORDS:
        return None
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(" ".join(a[i1:i2]))
            continue
        removed = f"[-{' '.join(a[i1:i2])}-]" if i2 > i1 else ""
        added = f"{{+{' '.join(b[j1:j2])}+}}" if j2 > j1 else ""
        parts.append(removed + added)
    return " ".join(parts)


def flow_text(value: Any) -> str:
    """A value on one line in YAML's flow style, as a reviewer reads it: {group: Kinh doanh}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow_text(k)}: {flow_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_text(v) for v in value) + "]"
    if isinstance(value, str) and value and value == value.strip() and not re.search(r"[,:{}\[\]\"'#&*!|>%@`]", value):
        return value
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False)
