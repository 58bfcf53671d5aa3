"""Writing manifests as YAML text, fast, in the export's one documented style.

`export` writes one list of objects per file, in one style (block mappings for objects,
flow style for references, for lists of plain values and for the small mappings a list
holds), with at most a comment at the end of a line. ruamel's round-trip dumper writes
that style at a cost of about 1 ms per object (its representer, serializer and emitter
are pure Python and work node by node); this module writes the same bytes directly.

How a text is written (plain, 'single' or "double" quoted) is ruamel's decision, asked
once per distinct text and context and remembered, except for texts that are plainly
safe (letters, digits, spaces and a few punctuation marks, not a YAML keyword), which are
written as they are. A flow-context decision is checked by reading it back, because
ruamel writes some texts unquoted where they do not parse (`{group: ? hỏi}`); those are
quoted.

Values are any nesting of dict, list, str, int, bool and None. A shape this writer does
not know (a float, a list directly inside a list, a one-pair mapping inside a flow list,
a text too long for one line, several comments in one object) raises `Unsupported`, and
the caller falls back to ruamel's dumper for that file.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import Any, Callable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

WIDTH = 1 << 16  # one line per value: no folding of long Vietnamese texts
STR_TAG = "tag:yaml.org,2002:str"
# Texts written as they are in every context: a letter first, then letters, digits,
# single spaces and . ( ) / ' + - (no ':', '#', ',', brackets or quotes that YAML reads).
_SAFE = re.compile(r"[^\W\d_](?:[\w.()/'+-]| (?! |$))*")
_RESOLVER = VersionedResolver()


class Unsupported(Exception):
    """A value this writer does not write; use ruamel's dumper for this document."""


class _Representer(RoundTripRepresenter):
    """Writes None as `null` (round-trip YAML writes nothing, which reads the same but
    looks like a value was forgotten)."""


_Representer.add_representer(type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))


def ruamel_yaml() -> YAML:
    """ruamel configured for the export's style (also the fallback dumper)."""
    yaml = YAML()
    yaml.Representer = _Representer
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    yaml.allow_unicode = True
    return yaml


def ruamel_dump(document: Any) -> str:
    stream = io.StringIO()
    ruamel_yaml().dump(document, stream)
    return stream.getvalue()


@lru_cache(maxsize=1)
def _safe_loader() -> YAML:
    return YAML(typ="safe", pure=False)


def yaml_node(value: Any, flow: bool = False) -> Any:
    """A value as ruamel nodes in the export's style: block style for objects; flow
    style for references ({group: CSKH}), for lists of plain values (["101", "102"]) and
    for the small mappings a list holds (`- {type: account_manager, agent_timeout: 10}`).
    Texts of digits or with a colon are double-quoted ("101": an extension is text, not a
    number; "08:00")."""
    if isinstance(value, dict):
        node = CommentedMap((yaml_node(k), yaml_node(v, flow=True)) for k, v in value.items())
        if flow or is_reference(value):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        node = CommentedSeq(yaml_node(v, flow=True) for v in value)
        if not any(isinstance(v, (dict, list)) for v in value):
            node.fa.set_flow_style()
        return node
    if isinstance(value, str) and _double_quoted(value):
        return DoubleQuotedScalarString(value)
    return value


def _double_quoted(text: str) -> bool:
    # "101": an extension is text, not a number; "08:00" would not read back in flow style.
    return text.isdigit() or ":" in text


def is_reference(value: dict) -> bool:
    """{group: CSKH}, or an opaque live one: {live: {type: Voice_mail, id: ...}}."""
    if len(value) != 1:
        return False
    (inner,) = value.values()
    if isinstance(inner, dict):
        return not any(isinstance(v, (dict, list)) for v in inner.values())
    return not isinstance(inner, list)


# --- scalars ---------------------------------------------------------------------------


def scalar(value: Any, *, flow: bool, key: bool = False, digits_quoted: bool = True) -> str:
    """One scalar as ruamel writes it in that context (block or flow; key or value).
    Texts of digits are double-quoted (`digits_quoted`) everywhere but in an object's
    own field names, as `yaml_node` has it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _text(value, flow, key, digits_quoted)
    raise Unsupported(f"a {type(value).__name__} value")


@lru_cache(maxsize=200_000)
def _text(text: str, flow: bool, key: bool, digits_quoted: bool) -> str:
    if text.isdigit() and text.isascii() and digits_quoted:
        return f'"{text}"'
    if digits_quoted and _double_quoted(text):
        return _render(DoubleQuotedScalarString(text), flow, key)
    if len(text) < 120 and _SAFE.fullmatch(text) and _plain_is_text(text):
        return text
    return _asked(text, flow, key, digits_quoted)


def _plain_is_text(text: str) -> bool:
    """Whether YAML reads `text` written plain as text (not true, null...)."""
    return _RESOLVER.resolve(ScalarNode, text, (True, False)) == STR_TAG


def _asked(text: str, flow: bool, key: bool, digits_quoted: bool) -> str:
    """ruamel's writing of `text` in this context: its own analysis of the text and its
    choice of style (Emitter.choose_scalar_style, for a text with no style of its own);
    double quotes, which need escapes, are left to ruamel itself. A flow-context choice
    is checked by reading it back: ruamel writes some texts unquoted where they do not
    parse (`{group: ? hỏi}`), and those are quoted."""
    if not text:
        return "''"
    if text.isdigit() and digits_quoted:
        return _render(DoubleQuotedScalarString(text), flow, key)
    if len(text) > 1000:
        raise Unsupported("a long text")  # ruamel may fold it over lines
    if key and (len(text) > 100 or any(c in text for c in "\n\r\x85\u2028\u2029")):
        raise Unsupported("a long or multi-line key")  # ruamel writes it as a complex key
    analysis = _emitter().analyze_scalar(text)
    style = '"'
    if _plain_is_text(text) and not (key and analysis.multiline) and (
            analysis.allow_flow_plain if flow else analysis.allow_block_plain):
        style = ""
    elif "'" in text or "\n" in text:
        style = '"'
    elif analysis.allow_single_quoted and not (key and analysis.multiline):
        style = "'"
    written = text if style == "" else f"'{text}'" if style == "'" else _render(DoubleQuotedScalarString(text), flow, key)
    if flow and style != '"' and not _reads_back(written, text, key):
        quotable = style == "" and analysis.allow_single_quoted and "'" not in text and "\n" not in text
        written = f"'{text}'" if quotable else _render(DoubleQuotedScalarString(text), flow, key)
    return written


@lru_cache(maxsize=1)
def _emitter() -> Any:
    """A ruamel emitter set up as the export's dumper, for its analysis of texts."""
    yaml = ruamel_yaml()
    yaml.dump({}, io.StringIO())
    return yaml.emitter


def _render(node: Any, flow: bool, key: bool) -> str:
    """What ruamel writes for `node` in this context, cut out of a one-line document."""
    if key:
        inner = CommentedMap([(node, 1)])
        if flow:
            inner.fa.set_flow_style()
            text, before, after = ruamel_dump(CommentedMap([("k", inner)])), "k: {", ": 1}\n"
        else:
            text, before, after = ruamel_dump(inner), "", ": 1\n"
    elif flow:
        inner = CommentedSeq([node])
        inner.fa.set_flow_style()
        text, before, after = ruamel_dump(CommentedMap([("k", inner)])), "k: [", "]\n"
    else:
        text, before, after = ruamel_dump(CommentedMap([("k", node)])), "k: ", "\n"
    if not (text.startswith(before) and text.endswith(after)):
        raise Unsupported("a text ruamel writes over several lines or as a complex key")
    written = text[len(before):len(text) - len(after)]
    if "\n" in written:
        raise Unsupported("a text ruamel writes over several lines")
    return written


def _reads_back(written: str, text: str, key: bool) -> bool:
    """Whether `written`, in a flow mapping (a key) or a flow list (a value), reads as `text`."""
    document = f"k: {{{written}: 1}}" if key else f"k: [{written}]"
    try:
        loaded = _safe_loader().load(document)
    except YAMLError:
        return False
    return loaded == {"k": {text: 1}} if key else loaded == {"k": [text]}


# --- structure -------------------------------------------------------------------------


def flow(value: Any) -> str:
    """A value in flow style (inside {} or [])."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{" + ", ".join(f"{scalar(k, flow=True, key=True)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if any(isinstance(v, dict) and len(v) == 1 for v in value):
            raise Unsupported("a one-pair mapping in a flow list")  # ruamel drops its braces
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value, flow=True)


def _block_mapping(value: dict, indent: int, first_prefix: str | None, nested_flow: bool,
                   notes: dict[str, str] | None, out: list[str], *, is_object: bool = False) -> None:
    """A block mapping whose keys start at column `indent`; the first key follows
    `first_prefix` on its line when given (an item of a block list). Values of a nested
    mapping are written in flow style (`nested_flow`), as the export's style has it."""
    if len(notes or {}) > 1:
        raise Unsupported("several comments in one object")  # ruamel aligns them
    pad = " " * indent
    for index, (k, v) in enumerate(value.items()):
        lead = first_prefix if index == 0 and first_prefix is not None else pad
        head = f"{lead}{scalar(k, flow=False, key=True, digits_quoted=not is_object)}:"
        note = (notes or {}).get(k)
        inline = _inline(v, nested_flow)
        if inline is not None:
            line = f"{head} {inline}"
            out.append(f"{line}  # {note}" if note else line)
            continue
        if note:
            raise Unsupported("a comment on a block value")
        out.append(head)
        _block(v, indent, out)


def _inline(value: Any, nested_flow: bool) -> str | None:
    """The value's text on its key's line, or None when it is written as a block."""
    if isinstance(value, dict):
        if not value or nested_flow or is_reference(value):
            return flow(value)
        return None
    if isinstance(value, list):
        if not any(isinstance(v, (dict, list)) for v in value):
            return flow(value)
        return None
    return scalar(value, flow=False)


def _block(value: Any, indent: int, out: list[str]) -> None:
    """A block value under a key at column `indent`."""
    if isinstance(value, dict):
        _block_mapping(value, indent + 2, None, True, None, out)
        return
    pad = " " * (indent + 2)
    for item in value:
        if isinstance(item, list):
            raise Unsupported("a list inside a list")  # ruamel's `-   - x`
        text = flow(item) if isinstance(item, dict) else scalar(item, flow=False)
        out.append(f"{pad}- {text}")


def write_list(key: str, objects: list[tuple[dict, dict[str, str]]], blank_lines: bool) -> str:
    """`key:` and its list of objects (each a mapping, with end-of-line comments by
    field), a blank line between objects when `blank_lines`: what
    `ruamel_dump({key: [...]})` writes for the same nodes."""
    if not objects:
        return f"{scalar(key, flow=False, key=True)}: []\n"
    out = [f"{scalar(key, flow=False, key=True)}:"]
    for index, (obj, notes) in enumerate(objects):
        if blank_lines and index:
            out.append("")
        if not obj:
            out.append("  - {}")
            continue
        _block_mapping(obj, 4, "  - ", False, notes, out, is_object=True)
    return "\n".join(out) + "\n"


def ruamel_list(key: str, objects: list[tuple[dict, dict[str, str]]], blank_lines: bool) -> str:
    """The same document through ruamel's dumper (the fallback, and the reference)."""
    nodes = []
    for obj, notes in objects:
        node = CommentedMap((k, yaml_node(v)) for k, v in obj.items())
        for field, note in notes.items():
            node.yaml_add_eol_comment(note, field)
        nodes.append(node)
    seq = CommentedSeq(nodes)
    if blank_lines:
        for index in range(1, len(seq)):
            seq.yaml_set_comment_before_after_key(index, before="\n")  # a blank line between objects
    return ruamel_dump(CommentedMap([(key, seq)]))


def dump_list(key: str, objects: list[tuple[dict, dict[str, str]]], blank_lines: bool,
              fallback: Callable[..., str] = ruamel_list) -> str:
    """`write_list`, or ruamel's dumper for a document it does not write."""
    try:
        return write_list(key, objects, blank_lines)
    except Unsupported:
        return fallback(key, objects, blank_lines)
