"""One YAML file -> plain Python values, plus the position of every key and value.

libyaml (ruamel's C parser, `_ruamel_yaml_clibz`) produces the events; the values are
built here, iteratively, so that every scalar keeps its own line and column (not only the
mappings, as octoDNS does) and so that hostile input is bounded: file size, nesting depth,
and the number of values built counting alias expansions (a "billion laughs" file stops
after a few thousand events, long before it could take memory).

`ruamel.yaml.YAML(typ="safe", pure=False)` would silently fall back to the pure-Python
parser with this build of the C extension (it looks for `_ruamel_yaml`), so the extension
is used directly.

Scalars follow the YAML 1.2 core schema (what editors use), with one deliberate exception:
a plain number written with a leading `0` or `+` (`0101`, `+842871002283`) stays text,
because in a manifest that is always a phone or extension number. Timestamps stay text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.reader import ReaderError

from reconciler.errors import Location, Problem

try:  # the C parser (ruamel.yaml[libyaml])
    from _ruamel_yaml_clibz import CParser as _Parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - the pure parser has the same event interface
    try:
        from _ruamel_yaml import CParser as _Parser  # type: ignore[import-not-found,no-redef]
    except ImportError:
        from ruamel.yaml import YAML as _YAML

        class _Parser:  # type: ignore[no-redef]
            """The pure-Python parser behind the C parser's interface (slow, same events)."""

            def __init__(self, text: str):
                self._events = _YAML(typ="safe", pure=True).parse(text)

            def get_event(self) -> Any:
                return next(self._events)


MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 1_000_000  # per file, alias expansions included

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {None, "!", _CORE + "str", _CORE + "int", _CORE + "float", _CORE + "bool",
                 _CORE + "null", _CORE + "map", _CORE + "seq"}
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOATS = {".inf": math.inf, ".Inf": math.inf, ".INF": math.inf, "+.inf": math.inf,
                   "+.Inf": math.inf, "+.INF": math.inf, "-.inf": -math.inf, "-.Inf": -math.inf,
                   "-.INF": -math.inf, ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan}

Pos = tuple[int, int]  # 1-based line, column


@dataclass
class _Marks:
    """Positions inside one mapping or sequence."""

    start: Pos
    keys: dict[Any, Pos] | None  # mapping: key -> position of the key
    values: dict[Any, Pos] | list[Pos]  # mapping: key -> value position; sequence: by index


@dataclass
class SourceFile:
    """A parsed YAML file: its value (None when empty) and a side table of positions."""

    path: Path
    display: str  # the path as shown in messages
    data: Any = None
    has_env: bool = False  # the text holds "${env:" somewhere: worth checking its values
    _marks: dict[int, _Marks] = field(default_factory=dict)
    _keep: list[Any] = field(default_factory=list)  # keeps ids in _marks unique

    def loc(self, pos: Pos) -> Location:
        return Location(self.display, pos[0], pos[1])

    def start(self, container: Any) -> Pos | None:
        """Where a mapping or sequence starts."""
        marks = self._marks.get(id(container))
        return marks.start if marks else None

    def value_pos(self, container: Any, key: Any) -> Pos | None:
        """Where `container[key]` is written (key: a mapping key or a list index)."""
        marks = self._marks.get(id(container))
        if marks is None:
            return None
        if isinstance(marks.values, list):
            return marks.values[key] if isinstance(key, int) and 0 <= key < len(marks.values) else None
        return marks.values.get(key)

    def key_pos(self, container: Any, key: Any) -> Pos | None:
        """Where a mapping key itself is written."""
        marks = self._marks.get(id(container))
        if marks is None or marks.keys is None:
            return None
        return marks.keys.get(key)


class YamlFileError(Exception):
    """The file cannot be read as a manifest file at all; carries its problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def read_yaml(path: Path, display: str) -> SourceFile:
    """Parse one file. Raises YamlFileError for anything that is not one safe, bounded
    YAML document in UTF-8 (duplicate keys and unsupported tags included)."""
    at = lambda line, col: Location(display, line, col)  # noqa: E731
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlFileError([Problem(at(1, 1), f"file is too large ({size / 1048576:.1f} MB; "
                                                   f"a manifest file may be at most {MAX_FILE_BYTES // 1048576} MB)")])
        raw = path.read_bytes()
    except OSError as err:
        raise YamlFileError([Problem(at(1, 1), f"cannot read the file: {err.strerror or err}")]) from None
    text = _decode(raw, at)
    source = SourceFile(path, display, has_env="${env:" in text)
    source.data = _Builder(source, text).build()
    return source


def _decode(raw: bytes, at) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _byte_position(raw, nul)
        raise YamlFileError([Problem(at(line, col), "not a text file (it contains binary data); "
                                                    "manifests are YAML in UTF-8")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line, col = _byte_position(raw, err.start)
        raise YamlFileError([Problem(at(line, col), f"not valid UTF-8 text (byte 0x{raw[err.start]:02x}); "
                                                    "save the file as UTF-8")]) from None


def _byte_position(raw: bytes, offset: int) -> Pos:
    """1-based line and column (in characters) of a byte offset."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    return line, len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1


class _Frame:
    __slots__ = ("value", "marks", "anchor", "count_at_start", "key", "has_key", "is_map", "seen")

    def __init__(self, value: Any, marks: _Marks, anchor: str | None, count: int):
        self.value = value
        self.marks = marks
        self.anchor = anchor
        self.count_at_start = count
        self.is_map = isinstance(value, dict)
        self.key: Any = None
        self.has_key = False
        self.seen: dict[Any, Pos] = {}


class _Builder:
    """Events -> values. Iterative (no recursion), bounded, fails on the first problem:
    after a syntax error libyaml cannot go on anyway."""

    def __init__(self, source: SourceFile, text: str):
        self.source = source
        self.text = text
        self.count = 0
        self.anchors: dict[str, tuple[Any, int | None]] = {}  # name -> (value, size or None while open)

    def fail(self, pos: Pos, message: str) -> YamlFileError:
        return YamlFileError([Problem(self.source.loc(pos), message)])

    def build(self) -> Any:
        parser = _Parser(self.text)
        try:
            return self._run(parser)
        except MarkedYAMLError as err:
            raise self._syntax_error(err) from None
        except ReaderError as err:
            encoded = self.text.encode("utf-8")
            line, col = _byte_position(encoded, min(err.position, len(encoded)))
            raise self.fail((line, col), f"not valid YAML: {err.reason} "
                                         f"(character U+{err.character:04X})" if isinstance(err.character, int)
                            else f"not valid YAML: {err.reason}") from None
        except YAMLError as err:  # pragma: no cover - every libyaml error is one of the above
            raise self.fail((1, 1), f"not valid YAML: {err}") from None
        finally:
            dispose = getattr(parser, "dispose", None)
            if dispose:
                dispose()

    def _syntax_error(self, err: MarkedYAMLError) -> YamlFileError:
        mark = err.problem_mark or err.context_mark
        pos = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = f"not valid YAML: {err.problem or err.context or 'syntax error'}"
        if mark is not None and self._char_at(mark.line, mark.column) == "\t":
            return self.fail(pos, message + " (a tab: indent YAML with spaces)")
        lines = self.text.split("\n")
        line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
        if mark is not None and (err.problem or "").startswith("mapping values") and ":" in line[:mark.column]:
            return self.fail(pos, f"line {mark.line + 1} has a second `: ` in a value: put the value in quotes "
                                  f"(`key: \"a: b\"`) (YAML said: {err.problem})")
        if mark is not None and (err.problem or "").startswith(_INDENTATION_PROBLEMS):
            line = line.strip()
            return self.fail(pos, f"the indentation of line {mark.line + 1} (`{line}`) does not fit the lines "
                                  "above it: indent every field of an object as far as its first field, and "
                                  f"start each list item with `- ` (YAML said: {err.problem})")
        ctx = err.context_mark
        if err.context and err.problem and ctx is not None and (ctx.line, ctx.column) != (mark.line, mark.column):
            message += f" ({err.context} started at line {ctx.line + 1}, column {ctx.column + 1})"
        return self.fail(pos, message)

    def _char_at(self, line: int, column: int) -> str:
        lines = self.text.split("\n", line + 1)
        return lines[line][column:column + 1] if line < len(lines) else ""

    def _run(self, parser: Any) -> Any:
        # The hot loop of `validate`: one pass over the events, dispatch on the event's
        # class, containers filled in place. Scalars (most events) and putting a value into
        # its parent stay inline: a call per event is a measurable share of a large load
        # (STYLE.md: 1,000 objects in about 1 s); the rarer events have a step each.
        stack: list[_Frame] = []
        root: list[Any] = []
        documents = 0
        get_event = parser.get_event
        while True:
            event = get_event()
            cls = event.__class__
            mark = event.start_mark
            pos = (mark.line + 1, mark.column + 1)
            if cls is ScalarEvent:
                if event.tag is None and event.implicit[0]:
                    value: Any = _plain(event.value)
                elif event.tag is None:
                    value = event.value
                else:
                    value = self._scalar(event, pos)
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                self.count += 1
                if self.count > MAX_NODES:
                    self._count(0, pos)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                stack.append(self._open(event, cls is MappingStartEvent, pos, len(stack)))
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                value, pos = self._close(stack.pop())
            elif cls is AliasEvent:
                value = self._alias(event.anchor, pos)
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail(pos, "a manifest file holds one YAML document; a second one starts here "
                                         "(remove the `---`, or split the file)")
                continue
            elif cls is StreamEndEvent:
                return root[0] if root else None
            else:
                continue
            # Put `value` (written at `pos`) into its parent.
            if not stack:
                root.append(value)
                continue
            parent = stack[-1]
            if not parent.is_map:
                parent.value.append(value)
                parent.marks.values.append(pos)  # type: ignore[union-attr]
            elif parent.has_key:
                parent.value[parent.key] = value
                parent.marks.values[parent.key] = pos  # type: ignore[call-overload]
                parent.has_key = False
            else:
                self._key(parent, value, pos)

    def _open(self, event: Any, is_map: bool, pos: Pos, depth: int) -> _Frame:
        """A mapping or sequence starts at `pos`: its empty container, with its marks."""
        if event.tag is not None:
            self._check_tag(event.tag, pos, "map" if is_map else "seq")
        if depth >= MAX_DEPTH:
            raise self.fail(pos, f"nesting is too deep (more than {MAX_DEPTH} levels)")
        value: Any = {} if is_map else []
        marks = _Marks(pos, {}, {}) if is_map else _Marks(pos, None, [])
        self.source._marks[id(value)] = marks
        self.source._keep.append(value)
        self._count(1, pos)
        if event.anchor:
            self.anchors[event.anchor] = (value, None)
        return _Frame(value, marks, event.anchor, self.count)

    def _close(self, frame: _Frame) -> tuple[Any, Pos]:
        """A container ends: it, and where it started (its position in its parent)."""
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.value, self.count - frame.count_at_start + 1)
        return frame.value, frame.marks.start

    def _alias(self, anchor: str, pos: Pos) -> Any:
        """The value `*anchor` at `pos` stands for, counted as often as it is repeated."""
        target = self.anchors.get(anchor)
        if target is None:
            raise self.fail(pos, f"unknown alias *{anchor} (no &{anchor} before it)")
        value, size = target
        if size is None:
            raise self.fail(pos, f"alias *{anchor} refers to a value that contains it (a cycle)")
        self._count(size, pos)
        return value

    def _count(self, n: int, pos: Pos) -> None:
        self.count += n
        if self.count > MAX_NODES:
            raise self.fail(pos, f"too many values (more than {MAX_NODES:,}, aliases expanded); "
                                 "is this an alias bomb?")

    def _key(self, frame: _Frame, key: Any, pos: Pos) -> None:
        if isinstance(key, (dict, list)):
            raise self.fail(pos, "a mapping key must be a plain value, not a mapping or a list")
        if key == "<<":
            raise self.fail(pos, "merge keys (<<) are not supported: write the fields out, "
                                 "or use an alias (*name) for a whole value")
        keys = frame.marks.keys
        assert keys is not None
        # `1:` and `"1":` are the same key to the reconciler (IVR keys are text).
        norm = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
        first = frame.seen.get(norm)
        if first is not None:
            raise self.fail(pos, f"duplicate key '{key}' in this mapping (first at line {first[0]}, column {first[1]})")
        frame.seen[norm] = pos
        keys[key] = pos
        frame.key = key
        frame.has_key = True

    def _check_tag(self, tag: str | None, pos: Pos, expect: str) -> None:
        if tag not in _ALLOWED_TAGS:
            raise self.fail(pos, f"unsupported YAML tag {_short_tag(tag)}: manifests hold plain values only")
        if tag and tag != "!" and not tag.endswith(":" + expect) and expect in ("map", "seq"):
            raise self.fail(pos, f"the tag {_short_tag(tag)} does not fit a {'mapping' if expect == 'map' else 'list'}")

    def _scalar(self, event: Any, pos: Pos) -> Any:
        tag = event.tag
        value = event.value
        if tag is None and event.implicit[0]:
            result = _plain(value)
        elif tag is None or tag == "!" or tag == _CORE + "str":
            result = value
        else:
            self._check_tag(tag, pos, "scalar")
            result = _tagged(tag, value)
            if result is _MISSING:
                raise self.fail(pos, f"the value {value!r} does not fit its tag {_short_tag(tag)}")
        return result


_MISSING = object()
# What libyaml says when a line is indented more or less than its neighbours.
_INDENTATION_PROBLEMS = ("did not find expected '-' indicator", "mapping values are not allowed",
                         "did not find expected key", "expected <block end>")


def _short_tag(tag: str | None) -> str:
    if tag and tag.startswith(_CORE):
        return "!!" + tag[len(_CORE):]
    return str(tag)


def _plain(value: str) -> Any:
    """A plain (unquoted, untagged) scalar by the YAML 1.2 core schema."""
    if not value:
        return None
    first = value[0]
    if first in "~nN" and value in _NULLS:
        return None
    if first in "tTfF" and value in _BOOLS:
        return _BOOLS[value]
    if first in "-+.0123456789":
        if _INT.fullmatch(value):
            if first == "+" or (first == "0" and len(value) > 1 and value[1].isdigit()):
                return value  # a phone or extension number: text
            if value.startswith(("0x", "0o")):
                # YAML reads 0x1F as 31; no value of a manifest is written in hex or octal,
                # and an extension "0x1F" read as "31" would be a silent surprise: kept as
                # text, so validation refuses it.
                return value
            try:
                return int(value)
            except ValueError:  # more digits than Python converts: keep the text
                return value
        if _FLOAT.fullmatch(value):
            return float(value)
        if value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value]
    return value


def _tagged(tag: str, value: str) -> Any:
    kind = tag[len(_CORE):]
    result = _plain(value) if value else None
    if kind == "null":
        return None if value in _NULLS else _MISSING
    if kind == "bool":
        return _BOOLS.get(value, _MISSING)
    if kind == "int":
        if _INT.fullmatch(value):
            try:
                return int(value, 0) if value.startswith(("0o", "0x")) else int(value)
            except ValueError:
                return _MISSING
        return _MISSING
    if kind == "float":
        if isinstance(result, (int, float)) and not isinstance(result, bool):
            return float(result)
        return _MISSING
    return _MISSING
