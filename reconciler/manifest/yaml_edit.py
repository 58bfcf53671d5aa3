"""Minimal edits of a manifest file's text: change an object's fields where they stand,
remove an object, append one.

ruamel.yaml's round-trip composer gives every node of the file with its exact character
span; the edits are splices of those spans, so everything not edited (comments, key
order, quoting, flow or block style, blank lines, indentation, line endings) stays byte
for byte. Dumping the whole document again would not: a round-trip dump re-indents
sequences, re-spaces flow collections and `key:   value`, and moves some comments.

A changed scalar keeps its quoting style where the new value allows it; a changed flow
collection is written again in flow style with the same spacing; block collections are
edited item by item and key by key. New values are written by the writer `export` uses
(reconciler/yaml_text.py: block mappings, `{group: X}` references and lists of plain
values in flow style), quoting cautiously: in double quotes where a YAML 1.1 reader would
misread them plain (`"no"`, `"18:00"`).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import ReconcilerError
from reconciler.kinds.base import nfc
from reconciler.manifest.yaml_source import _plain
from reconciler.yaml_text import CAUTIOUS, block_object, block_pairs, double_quoted, flow, list_item, scalar, \
    write_list


class EditError(ReconcilerError):
    """A manifest file cannot be edited as asked (its YAML uses something an edit in place
    cannot keep, such as an anchor shared by two places)."""


@dataclass
class _Splice:
    start: int
    end: int
    text: str
    first: bool = False  # removes the first item of a list: the blank lines after it go too


@dataclass
class ObjectSlot:
    """Where one manifest object stands in a file."""

    node: MappingNode
    seq: SequenceNode


@dataclass
class FileEditor:
    """Edits of one file's text; `result()` is the edited text."""

    display: str
    text: str
    root: Node | None = None
    splices: list[_Splice] = field(default_factory=list)
    removed: dict[int, tuple[SequenceNode, set[int]]] = field(default_factory=dict)
    appended: set[int] = field(default_factory=set)  # id() of the lists objects were appended to

    @classmethod
    def parse(cls, display: str, text: str) -> "FileEditor":
        bom = text.startswith("\ufeff")
        editor = cls(display, text[1:] if bom else text)
        editor._bom = bom
        try:
            editor.root = YAML(typ="rt").compose(editor.text)
        except YAMLError as err:  # the loader read it: only a bug of ours gets here
            raise EditError(f"{display}: cannot be read for editing: {err}") from None
        return editor

    # --- reading -----------------------------------------------------------------------

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    def kind_seq(self, kind: str) -> tuple[ScalarNode, Node] | None:
        """The top-level `kind:` key node and its value node."""
        if not isinstance(self.root, MappingNode):
            return None
        for key, value in self.root.value:
            if isinstance(key, ScalarNode) and key.value == kind:
                return key, value
        return None

    def objects(self, kind: str, identity: str) -> dict[str, ObjectSlot]:
        """The objects of `kind` in this file, by their identity (NFC text)."""
        found = self.kind_seq(kind)
        if found is None or not isinstance(found[1], SequenceNode):
            return {}
        out = {}
        for item in found[1].value:
            if isinstance(item, MappingNode):
                ident = value_of(item).get(identity)
                if isinstance(ident, (str, int)) and not isinstance(ident, bool):
                    out[nfc(str(ident))] = ObjectSlot(item, found[1])
        return out

    # --- edits ---------------------------------------------------------------------------

    def set_fields(self, slot: ObjectSlot, fields: dict[str, Any], order: list[str]) -> None:
        """Give the object `fields` (other fields untouched); a field it does not have is
        inserted after the field that precedes it in `order`."""
        _refuse_anchors(slot.node, self.display)
        old = value_of(slot.node)
        new = dict(old)
        for name, value in fields.items():
            current = next((k for k in old if _same_key(k, name)), name)
            new[current] = value
        if slot.node.flow_style:  # `- {name: A, strategy: random}`: stays one flow mapping
            self._edit(slot.node, old, new, None, False)
            return
        position = {name: i for i, name in enumerate(order)}
        self._edit_mapping(slot.node, old, new, key_order=lambda k: position.get(str(k), len(order)))

    def set_lint_ignore(self, code: str, names: list[str]) -> bool:
        """Make `policy.lint.CODE.ignore` of this file list `names` (set_policy_list)."""
        return self.set_policy_list(("policy", "lint", code, "ignore"), names)

    def set_policy_list(self, path: tuple[str, ...], names: list[str]) -> bool:
        """Make the list at `path` (("policy", "protect")) of this file list `names` (entries
        kept in place, others removed or added as a list edit makes them; an emptied list
        becomes `[]`). False when the file has no such list."""
        node: Node | None = self.root
        key: ScalarNode | None = None
        for step in path:
            if not isinstance(node, MappingNode):
                return False
            pair = next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == step), None)
            if pair is None:
                return False
            key, node = pair
        if not isinstance(node, SequenceNode):
            return False
        _refuse_anchors(node, self.display)
        old = value_of(node)
        if not names and not node.flow_style and old:
            self._replace_value(node, [], key, False)  # `ignore:` with no item left would read as null
        else:
            self._edit(node, old, list(names), key, False)
        return True

    def remove(self, slot: ObjectSlot) -> None:
        """Remove an object: its lines, the comment lines right above it, and one blank
        line that separated it from its neighbours."""
        items = slot.seq.value
        index = next(i for i, item in enumerate(items) if item is slot.node)
        start = self._dash_line(slot.node)
        end = self._line_after(_content_end(slot.node, self.text))
        start = self._leading_comments(start, self._column(start))
        first = index == 0 and len(items) > 1
        if index > 0 and self._blank_before(start):
            start = self._line_start(start - 1)
        self.splices.append(_Splice(start, end, "", first))
        self.removed.setdefault(id(slot.seq), (slot.seq, set()))[1].add(id(slot.node))

    def append(self, kind: str, objects: list[dict], indent: int = 2) -> None:
        """Append objects at the end of this file's list of `kind` (the list, or the key,
        is added when the file has none)."""
        nl = self.newline
        found = self.kind_seq(kind)
        if found is not None and isinstance(found[1], SequenceNode) and found[1].value and not found[1].flow_style:
            seq = found[1]
            self.appended.add(id(seq))
            dash = self._column(self._dash_line(seq.value[0]))
            gap = seq.value[0].start_mark.column - dash - 1
            blank = nl if self._spaced(seq) else ""
            at = self._line_after(_content_end(seq.value[-1], self.text))
            text = "".join(blank + nl.join(block_object(obj, dash, gap, indent, CAUTIOUS)) + nl for obj in objects)
            prefix = nl if at == len(self.text) and not self.text.endswith(("\n", "\r")) else ""
            self._splice(at, at, prefix + text)
            return
        empty = found is not None and (isinstance(found[1], ScalarNode) and found[1].value in ("", "~", "null")
                                       or isinstance(found[1], SequenceNode) and not found[1].value)
        if found is not None and not empty:
            raise EditError(f"{self.display}: `{kind}` is not a block list that an object can be appended to; "
                            "write it as `- name: ...` items")
        lines = [line for obj in objects for line in block_object(obj, indent, 1, indent, CAUTIOUS)]
        if found is not None:  # `groups:`, `groups: ~` or `groups: []`: the items go under the key
            key, value = found
            colon = self.text.index(":", key.end_mark.index)
            if value.end_mark.index > value.start_mark.index:
                self._splice(colon + 1, value.end_mark.index, "")
            at = self._line_end(colon)
            self._splice(at, at, nl + nl.join(lines))
            return
        sep = "" if not self.text.strip() else (nl if self.text.endswith(("\n", "\r")) else nl + nl)
        self._splice(len(self.text), len(self.text), sep + f"{kind}:" + nl + nl.join(lines) + nl)

    def result(self) -> str:
        text = self.text
        splices = [_Splice(s.start, s.end, s.text, s.first) for s in self.splices]
        for seq, gone in self.removed.values():
            if len(gone) == len(seq.value) and id(seq) not in self.appended:
                # Every object of the kind is gone (and none added): `groups: []`, on the key's line.
                key = next(k for k, v in self.root.value if v is seq)  # type: ignore[union-attr]
                colon = self.text.index(":", key.end_mark.index)
                splices.append(_Splice(colon + 1, colon + 1, " []"))
        ordered = self._merged(self._merged(splices))
        for s in reversed(ordered):
            text = text[:s.start] + s.text + text[s.end:]
        return ("\ufeff" if getattr(self, "_bom", False) else "") + text

    def _merged(self, splices: list[_Splice]) -> list[_Splice]:
        """Splices in order; removals of neighbouring objects (which may share a blank
        line) become one; a removal of a list's first item takes the blank lines after it."""
        for splice in splices:
            while splice.first and splice.end < len(self.text) and self._line_text(splice.end).strip() == "":
                splice.end = self._line_after(splice.end)
        ordered: list[_Splice] = []
        for splice in sorted(splices, key=lambda s: (s.start, s.end)):
            last = ordered[-1] if ordered else None
            if last is not None and not last.text and not splice.text and last.start < splice.end \
                    and splice.start <= last.end:
                ordered[-1] = _Splice(last.start, max(last.end, splice.end), "", last.first)
                continue
            if last is not None and splice.start < last.end:
                raise EditError(f"{self.display}: two edits overlap (a bug of reconciler; nothing was written)")
            ordered.append(splice)
        return ordered

    @property
    def changed(self) -> bool:
        return bool(self.splices)

    # --- the diff ------------------------------------------------------------------------

    def _edit(self, node: Node, old: Any, new: Any, key: ScalarNode | None, in_flow: bool) -> None:
        if _same(old, new):
            return
        if node.anchor is not None:
            raise EditError(f"{self.display}:{node.start_mark.line + 1}: the value has a YAML anchor (&{node.anchor}) "
                            "that other places share; edit it by hand")
        if isinstance(node, ScalarNode) and node.style in ("|", ">") and isinstance(new, str):
            self._put_block_scalar(node, new)
        elif isinstance(node, ScalarNode) and not isinstance(new, (dict, list)):
            self._put_scalar(node, _scalar(new, node, in_flow), key)
        elif isinstance(node, MappingNode) and isinstance(new, dict):
            if node.flow_style:
                same_keys = len(old) == len(new) and all(any(_same_key(k, n) for n in new) for k in old)
                if same_keys:
                    for k, v in node.value:
                        name = next(n for n in new if _same_key(value_of(k), n))
                        self._edit(v, value_of(v), new[name], k, True)
                else:
                    self._splice(node.start_mark.index, node.end_mark.index, self._flow(new, node))
            else:
                self._edit_mapping(node, old, new, key_order=None)
        elif isinstance(node, SequenceNode) and isinstance(new, list):
            if node.flow_style:
                if len(old) == len(new):
                    for item, old_item, new_item in zip(node.value, old, new):
                        self._edit(item, old_item, new_item, None, True)
                else:
                    self._splice(node.start_mark.index, node.end_mark.index, self._flow(new, node))
            else:
                self._edit_block_seq(node, old, new)
        else:
            self._replace_value(node, new, key, in_flow)

    def _replace_value(self, node: Node, new: Any, key: ScalarNode | None, in_flow: bool) -> None:
        """A value of another shape (a reference where there was `null`, ...): written
        inline, in flow style."""
        text = _inline(new, in_flow=in_flow, like=node)
        if isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style:
            if key is None:
                raise EditError(f"{self.display}:{node.start_mark.line + 1}: cannot rewrite this list item in place")
            colon = self.text.index(":", key.end_mark.index)
            self._splice(colon + 1, _content_end(node, self.text), " " + text)
            return
        self._put_scalar(node, text, key)

    def _put_block_scalar(self, node: ScalarNode, new: str) -> None:
        """A `|` or `>` text stays one, with its indentation; the chomping indicator
        follows the new text's trailing newlines."""
        start = node.start_mark.index
        header_end = self._line_end(start)
        header = self.text[start:header_end]
        body = new[:-1] if new.endswith("\n") and not new.endswith("\n\n") else new
        chomp = "" if body is not new else ("+" if new.endswith("\n") else "-")
        style = node.style if "\n" not in body else "|"  # folding would join the lines
        digits = "".join(c for c in header.split("#")[0][1:].strip() if c.isdigit())
        first = self._line_after(header_end)
        indent = " " * self._column(first) if first < len(self.text) else " " * (node.start_mark.column + 2)
        rest = header[1:].lstrip("0123456789+-")
        lines = [indent + line if line else "" for line in body.split("\n")]
        self._splice(start, _content_end(node, self.text),
                     style + digits + chomp + rest + self.newline + self.newline.join(lines))

    def _put_scalar(self, node: Node, text: str, key: ScalarNode | None) -> None:
        if isinstance(node, ScalarNode) and node.start_mark.index == node.end_mark.index and key is not None:
            # `key:` with nothing after it: the empty value's mark lies at the next token.
            colon = self.text.index(":", key.end_mark.index)
            self._splice(colon + 1, colon + 1, " " + text)
            return
        self._splice(node.start_mark.index, node.end_mark.index, text)

    def _edit_mapping(self, node: MappingNode, old: dict, new: dict, key_order: Any) -> None:
        # `key_order` (the model's field order) is given for an object's own fields only.
        pairs = list(node.value)
        for k, v in pairs:
            name = value_of(k)
            target = next((n for n in new if _same_key(name, n)), _MISSING)
            if target is _MISSING:
                self._remove_pair(k, v)
            else:
                self._edit(v, value_of(v), new[target], k, False)
        missing = [n for n in new if not any(_same_key(value_of(k), n) for k, _ in pairs)]
        if not missing:
            return
        column = pairs[0][0].start_mark.column if pairs else node.start_mark.column
        for name in missing:
            after = pairs[-1]
            if key_order is not None:
                before = [p for p in pairs if key_order(value_of(p[0])) <= key_order(name)]
                after = before[-1] if before else pairs[0]
            at = self._line_after(_content_end(after[1], self.text))
            lines = _new_pair(name, new[name], column, self._indent_step(node), in_object=key_order is not None)
            self._splice(at, at, self.newline.join(lines) + self.newline)

    def _remove_pair(self, key: Node, value: Node) -> None:
        start = self._line_start(key.start_mark.index)
        if self.text[start:key.start_mark.index].strip():
            raise EditError(f"{self.display}:{key.start_mark.line + 1}: cannot remove the first field of a list item")
        self._splice(start, self._line_after(_content_end(value, self.text)), "")

    def _edit_block_seq(self, node: SequenceNode, old: list, new: list) -> None:
        matcher = difflib.SequenceMatcher(a=[_canon(x) for x in old], b=[_canon(x) for x in new], autojunk=False)
        dash = self._column(self._dash_line(node.value[0]))
        gap = node.value[0].start_mark.column - dash - 1
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            if op == "replace" and i2 - i1 == j2 - j1:
                for i, j in zip(range(i1, i2), range(j1, j2)):
                    self._edit(node.value[i], old[i], new[j], None, False)
                continue
            for i in range(i1, i2):
                item = node.value[i]
                self._splice(self._dash_line(item), self._line_after(_content_end(item, self.text)), "")
            if j2 > j1:
                at = self._dash_line(node.value[i2]) if i2 < len(node.value) else \
                    self._line_after(_content_end(node.value[-1], self.text))
                lines = [_new_item(value, dash, gap) for value in new[j1:j2]]
                self._splice(at, at, self.newline.join(lines) + self.newline)

    def _flow(self, value: Any, like: Node) -> str:
        """`value` in flow style, spaced like the flow collection it replaces."""
        original = self.text[like.start_mark.index:like.end_mark.index]
        padded = len(original) > 2 and original[1] == " "
        return _inline(value, in_flow=True, like=like, padded=padded)

    def _indent_step(self, node: Node) -> int:
        """How far this file indents a nested mapping (2 unless it shows otherwise)."""
        if isinstance(node, MappingNode):
            for _, v in node.value:
                if isinstance(v, MappingNode) and not v.flow_style and v.value:
                    return max(1, v.value[0][0].start_mark.column - node.value[0][0].start_mark.column)
        return 2

    # --- positions -----------------------------------------------------------------------

    def _splice(self, start: int, end: int, text: str) -> None:
        self.splices.append(_Splice(start, end, text))

    def _line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def _line_end(self, index: int) -> int:
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end

    def _line_after(self, index: int) -> int:
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end + 1

    def _line_text(self, start: int) -> str:
        return self.text[start:self._line_end(start)]

    def _column(self, line_start: int) -> int:
        line = self._line_text(line_start)
        return len(line) - len(line.lstrip(" "))

    def _dash_line(self, item: Node) -> int:
        """Start of the line of a block sequence item's `-`."""
        start = self._line_start(item.start_mark.index)
        before = self.text[start:item.start_mark.index]
        if before.strip(" ") != "-" and not before.strip(" ").endswith("-"):
            raise EditError(f"{self.display}:{item.start_mark.line + 1}: a list item that does not start its line; "
                            "edit it by hand")
        return start

    def _leading_comments(self, start: int, column: int) -> int:
        """Extend `start` over the comment lines right above it, at its column."""
        while start > 0:
            previous = self._line_start(start - 1)
            line = self._line_text(previous)
            if line.strip().startswith("#") and len(line) - len(line.lstrip(" ")) == column:
                start = previous
            else:
                break
        return start

    def _spaced(self, seq: SequenceNode) -> bool:
        """Whether this list's items are separated by blank lines."""
        if len(seq.value) < 2:
            return False
        gap = self.text[self._line_after(_content_end(seq.value[0], self.text)):self._dash_line(seq.value[1])]
        return any(not line.strip() for line in gap.splitlines())

    def _blank_before(self, start: int) -> bool:
        return start > 0 and self._line_text(self._line_start(start - 1)).strip() == ""


_MISSING = object()


def value_of(node: Node) -> Any:
    """A node's value, read as the manifest loader reads it (YAML 1.2 core schema)."""
    if isinstance(node, ScalarNode):
        return _plain(node.value) if node.style is None and not _explicit_str(node) else node.value
    if isinstance(node, SequenceNode):
        return [value_of(v) for v in node.value]
    if isinstance(node, MappingNode):
        return {value_of(k): value_of(v) for k, v in node.value}
    return None


def _explicit_str(node: ScalarNode) -> bool:
    tag = getattr(node, "ctag", None) or getattr(node, "tag", None)
    text = getattr(tag, "value", tag)
    return isinstance(text, str) and text.endswith(":str") and bool(getattr(tag, "handle", None))


def _refuse_anchors(node: Node, display: str) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.anchor is not None:
            raise EditError(f"{display}:{current.start_mark.line + 1}: this object uses a YAML anchor "
                            f"(&{current.anchor}); edit it by hand")
        if isinstance(current, MappingNode):
            stack += [n for pair in current.value for n in pair]
        elif isinstance(current, SequenceNode):
            stack += current.value


def _content_end(node: Node, text: str) -> int:
    """Where a node's own text ends (a block collection's end mark lies past the comments
    and blank lines that follow it)."""
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1][1], text)
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1], text)
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        return node.start_mark.index + len(text[node.start_mark.index:node.end_mark.index].rstrip())
    return node.end_mark.index


def _same_key(a: Any, b: Any) -> bool:
    return _canon(a) == _canon(b)


def _same(old: Any, new: Any) -> bool:
    return _canon(old) == _canon(new)


def _canon(value: Any) -> str:
    """A comparable form: `101` and "101", `1:` and "1":, NFD and NFC text are the same
    value to the manifests."""
    def norm(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(norm(k)): norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
        if isinstance(v, str):
            return nfc(v)
        return v
    return json.dumps(norm(value), sort_keys=True, ensure_ascii=False)


# --- writing values -----------------------------------------------------------------------
# reconciler/yaml_text.py writes the text (as export does), with the cautious quoting;
# what is here is how an edit follows the style of what it replaces.


def _scalar(value: Any, like: ScalarNode | None = None, in_flow: bool = False) -> str:
    """One scalar, in the style of the scalar it replaces where the value allows it."""
    if value is None:
        return "~" if like is not None and like.style is None and like.value == "~" else "null"
    if isinstance(value, bool):
        word = "true" if value else "false"
        if like is not None and like.style is None and like.value[:1].isupper():
            return word.upper() if like.value.isupper() else word.capitalize()
        return word
    if not isinstance(value, str):
        return scalar(value, flow=in_flow, quoting=CAUTIOUS)
    style = like.style if like is not None and isinstance(like.value, str) else None
    if style == "'" and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return double_quoted(value, in_flow)
    return scalar(value, flow=in_flow, quoting=CAUTIOUS)


def _quote_like(items: list[Node]) -> ScalarNode | None:
    """The style of a collection's text items, to write new items the same way."""
    return next((n for n in items if isinstance(n, ScalarNode) and n.style in ('"', "'")), None)


def _inline(value: Any, in_flow: bool = False, like: Node | None = None, padded: bool = False) -> str:
    """A value in flow style: `{group: X}`, `["101", "102"]`, a scalar; the texts of a
    list quoted as the list it replaces quotes them, `padded` inside its brackets."""
    hint = _quote_like(like.value) if isinstance(value, list) and isinstance(like, SequenceNode) else None
    if hint is not None and value:
        text = "[" + ", ".join(_scalar(v, hint, True) if isinstance(v, str) else flow(v, CAUTIOUS) for v in value) + "]"
    elif isinstance(value, (dict, list)):
        text = flow(value, CAUTIOUS)
    else:
        return _scalar(value, like if isinstance(like, ScalarNode) else None, in_flow)
    return text[0] + " " + text[1:-1] + " " + text[-1] if padded and len(text) > 2 else text


def _new_pair(key: Any, value: Any, column: int, step: int, in_object: bool) -> list[str]:
    """`key: value` as lines at `column`, as export writes a field of an object
    (`in_object`) or a key of a mapping inside one."""
    if isinstance(key, int) and not isinstance(key, bool):
        key = str(key)  # `1:` read from the file: a text key to the manifests, quoted
    return block_pairs({key: value}, column, step, nested=not in_object, quoting=CAUTIOUS)


def _new_item(value: Any, dash: int, gap: int) -> str:
    """`- value`, an item of a block list inside an object, the dash at column `dash`."""
    return " " * dash + "-" + " " * gap + list_item(value, CAUTIOUS)


def new_file_text(kind: str, objects: Iterable[dict], header: str) -> str:
    """A new manifest file holding `objects` of `kind`, as export writes it."""
    return header + write_list(kind, [(obj, {}) for obj in objects], True, CAUTIOUS)
