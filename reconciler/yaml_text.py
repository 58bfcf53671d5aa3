"""Values as YAML text, in the export's one style: the one writer of YAML text, used by
`export` (engine/manifest_writer.py, whole files) and by `drift --write` (manifest/
yaml_edit.py, new values spliced into the user's files, and new files).

The style: block mappings for objects, flow style for references (`{group: CSKH}`), for
lists of plain values (`["101", "102"]`) and for the small mappings a list holds
(`- {type: account_manager, agent_timeout: 10}`), the values of a mapping nested in an
object in flow style, at most a comment at the end of a line.

How a text is written (plain, 'single' or "double" quoted) is ruamel's decision, asked
once per distinct text and context and remembered, except for texts that are plainly
safe (letters, digits, spaces and a few punctuation marks, not a YAML keyword), which are
written as they are. A flow-context decision is checked by reading it back, because
ruamel writes some texts unquoted where they do not parse (`{group: ? hỏi}`); those are
quoted. Two ways of quoting (`Quoting`) differ only in what ruamel would quote or leave
plain: the export writes ruamel's bytes (its files are checked against ruamel's dumper);
an edit of the user's file is cautious (see `CAUTIOUS`).

Values are any nesting of dict, list, str, int, bool and None. A shape the ruamel-like
writing does not know (a float, a list directly inside a list, a one-pair mapping inside
a flow list, a text too long for one line, several comments in one object) raises
`Unsupported`, and the export falls back to ruamel's dumper for that file; the cautious
writing writes them all.

This module is its own layer, below both `engine` and `manifest` (as `errors` is): the
engine may not import the manifest layer, and both write YAML.
"""

from __future__ import annotations

import io
import json
import re
from functools import lru_cache
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
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
# Characters that may not start a plain scalar to a cautious writer, and those that may
# not appear in one in flow style.
_PLAIN_FIRST = set("-?:,[]{}#&*!|>'\"%@`") | {" "}
_FLOW_CHARS = set(",[]{}?")  # `?`: pure-Python parsers refuse `[ạ9?́]`, libyaml reads it
# How YAML 1.1 readers (PyYAML, many editors and linters) read a plain text: `no` is false,
# `18:00` the number 1080, `1_0` the number 10.
_RESOLVER_11 = VersionedResolver(version=(1, 1))
# What json.dumps leaves as it is that YAML reads as a line break inside double quotes.
_YAML_BREAKS = {"\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}


class Unsupported(Exception):
    """A value this writer does not write as ruamel would; use ruamel's dumper for this
    document."""


# How texts are quoted (plain strings: they are part of the texts' cache keys).
# RUAMEL: as ruamel's round-trip dumper quotes them (the export: its files are the bytes
# ruamel's dumper writes, texts in 'single' quotes where ruamel chooses them).
# CAUTIOUS: for `drift --write`, which writes into files other tools read too: plain only
# where ruamel writes plain and YAML 1.1 readers read the same text (no `yes`, `no`, `on`,
# `18:00`, no leading `-` or `?`, nothing but printable characters), otherwise in "double"
# quotes; it writes every shape (no `Unsupported`).
Quoting = Literal["ruamel", "cautious"]
RUAMEL: Quoting = "ruamel"
CAUTIOUS: Quoting = "cautious"


class _Representer(RoundTripRepresenter):
    """Writes None as `null` (round-trip YAML writes nothing, which reads the same but
    looks like a value was forgotten)."""


_Representer.add_representer(type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))


def ruamel_yaml() -> YAML:
    """ruamel configured for the export's style (also the export's fallback dumper)."""
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


def is_reference(value: dict) -> bool:
    """{group: CSKH}, or an opaque live one: {live: {type: Voice_mail, id: ...}}."""
    if len(value) != 1:
        return False
    (inner,) = value.values()
    if isinstance(inner, dict):
        return not any(isinstance(v, (dict, list)) for v in inner.values())
    return not isinstance(inner, list)


def double_quoted_always(text: str) -> bool:
    """Texts written in double quotes however they could be written: "101" (an extension
    is text, not a number) and texts with a colon ("08:00" would not read back in flow
    style, and YAML 1.1 readers take 18:00 for the number 1080)."""
    return text.isdigit() or ":" in text


# --- scalars ---------------------------------------------------------------------------


def scalar(value: Any, *, flow: bool, key: bool = False, digits_quoted: bool = True,
           quoting: Quoting = RUAMEL) -> str:
    """One scalar as written in that context (block or flow; key or value). Texts of
    digits are double-quoted (`digits_quoted`) everywhere but in an object's own field
    names."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _text(value, flow, key, digits_quoted, quoting)
    if isinstance(value, float) and quoting == CAUTIOUS:
        return str(value)
    raise Unsupported(f"a {type(value).__name__} value")


@lru_cache(maxsize=200_000)
def _text(text: str, flow: bool, key: bool, digits_quoted: bool, quoting: Quoting) -> str:
    if quoting == CAUTIOUS:
        return _cautious(text, flow, key, digits_quoted)
    if text.isdigit() and text.isascii() and digits_quoted:
        return f'"{text}"'
    if digits_quoted and double_quoted_always(text):
        return _render(DoubleQuotedScalarString(text), flow, key)
    if len(text) < 120 and _SAFE.fullmatch(text) and _plain_is_text(text):
        return text
    return _asked(text, flow, key, digits_quoted)


def _cautious(text: str, flow: bool, key: bool, digits_quoted: bool) -> str:
    """Plain where ruamel writes it plain and a YAML 1.1 reader reads it as this text,
    else in double quotes."""
    try:
        written = _text(text, flow, key, digits_quoted, RUAMEL)
    except Unsupported:  # too long for ruamel's one line: no decision of ruamel's to follow
        written = text
    if written == text and _plain_for_every_reader(text, flow):
        return text
    if written.startswith('"'):
        return written  # ruamel's double quotes, as double_quoted writes them
    return double_quoted(text, flow, key)


def _plain_for_every_reader(text: str, flow: bool) -> bool:
    if not text or text[0] in _PLAIN_FIRST or text != text.strip() or not text.isprintable():
        return False
    if ": " in text or " #" in text or text.endswith(":") or (flow and _FLOW_CHARS & set(text)):
        return False
    return _plain_is_text(text) and _RESOLVER_11.resolve(ScalarNode, text, (True, False)) == STR_TAG


@lru_cache(maxsize=50_000)
def double_quoted(text: str, flow: bool = False, key: bool = False) -> str:
    """`text` in double quotes, escaped as ruamel escapes it (json's escapes, and YAML's
    own line breaks, when ruamel would write it over several lines)."""
    try:
        return _render(DoubleQuotedScalarString(text), flow, key)
    except Unsupported:
        written = json.dumps(text, ensure_ascii=False)
        return "".join(_YAML_BREAKS.get(c, c) for c in written)


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


def flow(value: Any, quoting: Quoting = RUAMEL) -> str:
    """A value in flow style (inside {} or [])."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{" + ", ".join(f"{scalar(k, flow=True, key=True, quoting=quoting)}: {flow(v, quoting)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if quoting == RUAMEL and any(isinstance(v, dict) and len(v) == 1 for v in value):
            raise Unsupported("a one-pair mapping in a flow list")  # ruamel drops its braces
        return "[" + ", ".join(flow(v, quoting) for v in value) + "]"
    return scalar(value, flow=True, quoting=quoting)


def block_pairs(value: dict, column: int, step: int, *, nested: bool, quoting: Quoting = RUAMEL,
                notes: dict[str, str] | None = None) -> list[str]:
    """The lines of a block mapping whose keys start at `column`, nested blocks indented
    by `step`. The values of a `nested` mapping (one inside an object) are written in flow
    style; an object's (not `nested`) are written in block style where they are not a
    reference or a list of plain values, and its field names are never quoted as digits."""
    out: list[str] = []
    _block_mapping(value, column, step, nested, notes, quoting, out)
    return out


def _block_mapping(value: dict, column: int, step: int, nested: bool, notes: dict[str, str] | None,
                   quoting: Quoting, out: list[str]) -> None:
    if len(notes or {}) > 1:
        raise Unsupported("several comments in one object")  # ruamel aligns them
    pad = " " * column
    for k, v in value.items():
        head = f"{pad}{scalar(k, flow=False, key=True, digits_quoted=nested, quoting=quoting)}:"
        note = (notes or {}).get(k)
        inline = _inline(v, nested, quoting)
        if inline is not None:
            line = f"{head} {inline}"
            out.append(f"{line}  # {note}" if note else line)
            continue
        if note:
            raise Unsupported("a comment on a block value")
        out.append(head)
        block_value(v, column + step, step, quoting, out)


def _inline(value: Any, nested: bool, quoting: Quoting) -> str | None:
    """The value's text on its key's line, or None when it is written as a block."""
    if isinstance(value, dict):
        if not value or nested or is_reference(value):
            return flow(value, quoting)
        return None
    if isinstance(value, list):
        if not any(isinstance(v, (dict, list)) for v in value):
            return flow(value, quoting)
        return None
    return scalar(value, flow=False, quoting=quoting)


def block_value(value: dict | list, column: int, step: int, quoting: Quoting, out: list[str]) -> None:
    """A block value under a key: a mapping's keys, or a list's dashes, at `column`."""
    if isinstance(value, dict):
        _block_mapping(value, column, step, True, None, quoting, out)
        return
    pad = " " * column
    for item in value:
        out.append(f"{pad}- {list_item(item, quoting)}")


def list_item(item: Any, quoting: Quoting = RUAMEL) -> str:
    """An item of a block list inside an object, after its `- `: in flow style."""
    if isinstance(item, list):
        if quoting == RUAMEL:
            raise Unsupported("a list inside a list")  # ruamel's `-   - x`
        return flow(item, quoting)
    return flow(item, quoting) if isinstance(item, dict) else scalar(item, flow=False, quoting=quoting)


def block_object(obj: dict, dash: int, gap: int, step: int, quoting: Quoting = RUAMEL,
                 notes: dict[str, str] | None = None) -> list[str]:
    """An object as an item of its kind's list: `- name: ...` and its other fields, the
    dash at column `dash` and the fields `gap` spaces after it."""
    prefix = " " * dash + "-" + " " * gap
    if not obj:
        return [prefix + "{}"]
    column = dash + 1 + gap
    out: list[str] = []
    _block_mapping(obj, column, step, False, notes, quoting, out)
    out[0] = prefix + out[0][column:]
    return out


def write_list(key: str, objects: list[tuple[dict, dict[str, str]]], blank_lines: bool,
               quoting: Quoting = RUAMEL) -> str:
    """`key:` and its list of objects (each a mapping, with end-of-line comments by
    field), a blank line between objects when `blank_lines`: a manifest file's text (with
    RUAMEL quoting, what `ruamel_dump({key: [...]})` writes for the same nodes)."""
    head = scalar(key, flow=False, key=True, quoting=quoting)
    if not objects:
        return f"{head}: []\n"
    out = [f"{head}:"]
    for index, (obj, notes) in enumerate(objects):
        if blank_lines and index:
            out.append("")
        out += block_object(obj, 2, 1, 2, quoting, notes)
    return "\n".join(out) + "\n"
