"""pydantic's validation errors -> the user's messages, each at the offending value.

pydantic says "Input should be a valid integer" at a path like ('queue', 'waiting_time');
the user wants `groups.yaml:9:21: group 'CSKH': queue.waiting_time: expected an integer
from 0 to 3600, got 'ninety'`. The path is followed through the raw YAML value (not the
model) so that the position is the value's own; union branch names that pydantic puts in
paths are recognised because the raw value has no such key.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.errors import Problem
from reconciler.kinds import KINDS
from reconciler.manifest.yaml_source import Pos, SourceFile

# Values a field accepts but no message suggests (declared by the kinds: old voices).
UNSUGGESTED = frozenset().union(*(kind.unsuggested for kind in KINDS.values()))

# What a pattern means, in words (the models' regular expressions).
PATTERN_TEXT = {
    r"^\+?[0-9]{4,15}$": "expected a phone number: 4 to 15 digits, optionally after a +",
    r"^[0-9]{1,10}$": "expected an extension number: 1 to 10 digits",
    r"^[0-9*#]$": "expected a key a caller presses: 0-9, * or #",
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$": "expected a time of day as HH:MM, from 00:00 to 23:59 (e.g. \"08:00\")",
    r"^(\$\{env:[A-Za-z_][A-Za-z0-9_]*\}|[^@\s]+@[^@\s]+)$": "expected an email address (or ${env:NAME})",
}
_SHAPES = {"model_type", "dict_type", "model_attributes_type", "literal_error", "list_type",
           "string_type", "int_type", "bool_type", "float_type", "none_required"}
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def suggest(word: Any, choices: typing.Iterable[str]) -> str:
    """'; did you mean 'x'?' for the nearest choice, else ''."""
    if not isinstance(word, str):
        return ""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def describe(value: Any) -> str:
    """A YAML value as the user wrote it, shortly."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"'{text}'"
    return str(value)


def translate(
    err: ValidationError, data: Any, source: SourceFile, subject: str, model: type[BaseModel], start: Pos
) -> list[Problem]:
    """One Problem per pydantic error of `data` (the raw value of one object, whose mapping
    starts at `start`), union branches folded into one message."""
    resolved = [_resolve(e, data) for e in err.errors(include_url=False)]
    problems: list[Problem] = []
    unions: dict[tuple, list[dict]] = {}
    for e in resolved:
        if e["tagged"]:
            unions.setdefault(tuple(e["path"][: e["tag_at"]]), []).append(e)
        else:
            problems.append(_problem(e, source, subject, model, start))
    for branches in unions.values():
        problems.extend(_union_problems(branches, source, subject, model, start))
    return problems


def _resolve(error: dict, data: Any) -> dict:
    """Follow the error's path through the raw data: the containers passed, the real path
    (union branch names dropped) and whether the last step names a mapping key itself."""
    containers = [data]
    path: list[Any] = []
    tag_at: int | None = None
    on_key = False
    current = data
    loc = error["loc"]
    for i, step in enumerate(loc):
        if step == "[key]":
            on_key = True
            break
        raw_key = _raw_key(current, step)
        if raw_key is not _NONE:
            path.append(raw_key)
            current = current[raw_key]
            containers.append(current)
        elif i == len(loc) - 1 and error["type"] in ("missing", "extra_forbidden"):
            path.append(step)  # a field that is not (or should not be) there
        elif tag_at is None:
            tag_at = len(path)  # a union branch name: not in the data
    return {**error, "path": path, "containers": containers, "tagged": tag_at is not None,
            "tag_at": tag_at, "on_key": on_key}


_NONE = object()


def _raw_key(container: Any, step: Any) -> Any:
    if isinstance(container, dict):
        if step in container:
            return step
        for key in container:  # `1:` in YAML is the int 1; pydantic reports '1'
            if isinstance(key, int) and not isinstance(key, bool) and str(key) == step:
                return key
    elif isinstance(container, list) and isinstance(step, int) and 0 <= step < len(container):
        return step
    return _NONE


def _dotted(path: list[Any]) -> str:
    return ".".join(str(p) for p in path)


def _position(e: dict, source: SourceFile, start: Pos) -> Pos:
    path, containers = e["path"], e["containers"]
    if e["type"] == "missing":
        # At the mapping that lacks the field.
        return source.start(containers[len(path) - 1]) or start
    if not path:
        return start
    parent = containers[len(path) - 1]
    if e["type"] == "extra_forbidden" or e["on_key"]:
        if e["on_key"]:
            parent = containers[len(path) - 1]
        return source.key_pos(parent, path[-1]) or source.start(parent) or start
    return source.value_pos(parent, path[-1]) or start


def _problem(e: dict, source: SourceFile, subject: str, model: type[BaseModel], start: Pos) -> Problem:
    return Problem(source.loc(_position(e, source, start)), f"{subject}: {_message(e, model)}",
                   CODES.get(e["type"], "invalid-value"))


# What programs read of a validation error (validate --format json): its kind of mistake.
CODES = {"extra_forbidden": "unknown-field", "missing": "missing-field"}


def _message(e: dict, model: type[BaseModel]) -> str:
    path = e["path"]
    kind = e["type"]
    if kind == "extra_forbidden":
        where = f" in {_dotted(path[:-1])}" if len(path) > 1 else ""
        fields = _fields_at(model, path[:-1])
        return f"unknown field '{path[-1]}'{where}{suggest(path[-1], fields)}"
    if kind == "missing":
        where = f" in {_dotted(path[:-1])}" if len(path) > 1 else ""
        return f"missing required field '{path[-1]}'{where}"
    prefix = f"{_dotted(path)}: " if path else ""
    if e["on_key"]:
        prefix = f"{_dotted(path[:-1])}: key '{path[-1]}': " if len(path) > 1 else f"key '{path[-1]}': "
    return prefix + _expected(e, model)


def _number_hint(value: Any) -> str:
    """Why text is not the number it looks like: quotes around it, or hex/octal."""
    if not isinstance(value, str):
        return ""
    if re.fullmatch(r"-?[0-9]+", value.strip()):
        return f" (remove the quotes: {value.strip()})"
    if value.startswith(("0x", "0o")):
        return " (write numbers in decimal)"
    return ""


def _expected(e: dict, model: type[BaseModel]) -> str:
    """What was expected, and what was found."""
    kind, ctx, value = e["type"], e.get("ctx") or {}, e.get("input")
    got = f", got {describe(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected {_int_range(model, e['path'])}{got}{_number_hint(value)}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"expected {_int_range(model, e['path'])}{got}"
    if kind in ("bool_type", "bool_parsing"):
        quoted = isinstance(value, str) and value.lower() in ("true", "false")
        return f"expected true or false{got}" + (f" (remove the quotes: {value.lower()})" if quoted else "")
    if kind == "string_type":
        hint = f" (write it in quotes: \"{value}\")" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
        return f"expected text{got}{hint}"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must be at least {n} characters{got}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters (this one has {len(value)})"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return f"{PATTERN_TEXT.get(pattern, f'does not match the pattern {pattern}')}{got}"
    if kind == "literal_error":
        choices = [c for c in _QUOTED.findall(str(ctx.get("expected", ""))) if c not in UNSUGGESTED]
        return f"expected one of {', '.join(choices)}{got}{suggest(value, choices)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping{got}"
    if kind == "list_type":
        return f"expected a list{got}"
    if kind == "too_short" and isinstance(value, str):  # a constrained name inside a list
        return "must not be empty"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"needs at least {n} entr{'y' if n == 1 else 'ies'}"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} entries"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind in ("float_type", "float_parsing"):
        return f"expected a number{got}"
    msg = str(e.get("msg", "invalid value"))
    return msg[:1].lower() + msg[1:] + got


def _union_problems(
    branches: list[dict], source: SourceFile, subject: str, model: type[BaseModel], start: Pos
) -> list[Problem]:
    """A value that fits none of a union's forms: when one form fits its shape (a mapping
    given for the mapping form), its errors are the useful ones; else say what forms exist."""
    at = branches[0]["tag_at"]
    deep = [b for b in branches if len(b["path"]) > at or b["type"] not in _SHAPES]
    if deep:
        return [_problem(b, source, subject, model, start) for b in deep]
    forms: list[str] = []
    for b in branches:
        form = _form(b)
        if form not in forms:
            forms.append(form)
    first = {**branches[0], "type": "union"}
    pos = _position(first, source, start)
    prefix = f"{_dotted(first['path'])}: " if first["path"] else ""
    words = [c for b in branches if b["type"] == "literal_error"
             for c in _QUOTED.findall(str((b.get("ctx") or {}).get("expected", "")))]
    hint = suggest(first.get("input"), words)  # 'warn' for one of the words: 'warning'
    return [Problem(source.loc(pos), f"{subject}: {prefix}expected {' or '.join(forms)}, "
                                     f"got {describe(first.get('input'))}{hint}", "invalid-value")]


def _form(e: dict) -> str:
    kind = e["type"]
    if kind == "literal_error":
        return " or ".join(f"'{c}'" for c in _QUOTED.findall(str((e.get("ctx") or {}).get("expected", ""))))
    return {"list_type": "a list", "string_type": "text", "int_type": "an integer",
            "bool_type": "true or false", "float_type": "a number"}.get(kind, "a mapping")


# --- what the model says about a field ---------------------------------------------


def _fields_at(model: type[BaseModel], path: list[Any]) -> list[str]:
    """Field names of the (nested) model at `path`."""
    found = _model_at(model, path)
    return list(found.model_fields) if found else []


def _model_at(model: type[BaseModel], path: list[Any]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for step in path:
        if current is None:
            return None
        if isinstance(step, str) and step in current.model_fields:
            current = _first_model(current.model_fields[step].annotation)
        # list indexes and mapping keys stay in the same item model
    return current


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _first_model(arg)
        if found:
            return found
    return None


def _int_range(model: type[BaseModel], path: list[Any]) -> str:
    """'an integer from 1 to 600' from the field's constraints."""
    bounds: dict[str, Any] = {}
    parent = _model_at(model, path[:-1]) if path else None
    name = path[-1] if path else None
    if parent is not None and isinstance(name, str) and name in parent.model_fields:
        info = parent.model_fields[name]
        _collect_bounds(info.metadata, bounds)
        _collect_bounds(info.annotation, bounds)
    lo = bounds.get("ge", bounds["gt"] + 1 if "gt" in bounds else None)
    hi = bounds.get("le", bounds["lt"] - 1 if "lt" in bounds else None)
    if lo is not None and hi is not None:
        return f"an integer from {lo} to {hi}"
    if lo is not None:
        return f"an integer of at least {lo}"
    if hi is not None:
        return f"an integer of at most {hi}"
    return "an integer"


def _collect_bounds(thing: Any, bounds: dict[str, Any]) -> None:
    if isinstance(thing, (list, tuple)):
        for item in thing:
            _collect_bounds(item, bounds)
        return
    for attr in ("ge", "le", "gt", "lt"):
        value = getattr(thing, attr, None)
        if isinstance(value, int) and not isinstance(value, bool):
            bounds.setdefault(attr, value)
    if hasattr(thing, "metadata") and isinstance(getattr(thing, "metadata"), list):
        _collect_bounds(thing.metadata, bounds)
    if typing.get_origin(thing) is typing.Annotated:
        _collect_bounds(list(thing.__metadata__), bounds)
        _collect_bounds(typing.get_args(thing)[0], bounds)
    elif typing.get_origin(thing) in (typing.Union, types.UnionType):
        _collect_bounds(list(typing.get_args(thing)), bounds)
