"""Writing the export's manifests, fast, in its one documented style.

`export` writes one list of objects per file (reconciler/yaml_text.py writes the text, as
it does for `drift --write`), with at most a comment at the end of a line. ruamel's
round-trip dumper writes that style at a cost of about 1 ms per object (its representer,
serializer and emitter are pure Python and work node by node); yaml_text writes the same
bytes directly, deciding each distinct text's quoting once and remembering it.

A shape yaml_text does not write as ruamel would (a float, a list directly inside a list,
a one-pair mapping inside a flow list, a text too long for one line, several comments in
one object) raises `Unsupported`, and this module falls back to ruamel's dumper for that
file.
"""

from __future__ import annotations

from typing import Any, Callable

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from reconciler.yaml_text import Unsupported, double_quoted_always, is_reference, ruamel_dump, write_list


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
    if isinstance(value, str) and double_quoted_always(value):
        return DoubleQuotedScalarString(value)
    return value


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
    """`write_list`, or ruamel's dumper for a document it does not write as ruamel would."""
    try:
        return write_list(key, objects, blank_lines)
    except Unsupported:
        return fallback(key, objects, blank_lines)
