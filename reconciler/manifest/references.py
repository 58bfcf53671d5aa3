"""Where in an object each of its references is written.

A kind says which objects it points to (`Kind.references`), not where: the field path is
found here by looking for each reference in the object's data, `{group: CSKH}` forms first,
then plain names in slots that take one kind (an IVR menu's `greeting`, a group's members).
"""

from __future__ import annotations

from typing import Any, Iterator

from reconciler.kinds.base import REF_WORDS, Kind, ManifestModel

_NOT_REFERENCES = {"note", "previous_names"}


def references_with_paths(kind: Kind, model: ManifestModel) -> list[tuple[str, tuple[str, str]]]:
    """(dotted field path, (kind key, name)) of every reference of one object, in the
    kind's order."""
    if type(kind).references is Kind.references:
        return []  # this kind points to nothing (and its `desired` may read files)
    data = kind.desired(model)
    refs = kind.references(data)
    if not refs:
        return []
    forms: list[tuple[str, tuple[str, str]]] = []
    plains: list[tuple[str, str]] = []
    for path, value in _walk(data, ""):
        if isinstance(value, dict):
            ((word, name),) = value.items()
            forms.append((path, (REF_WORDS[word], name)))
        elif path.split(".", 1)[0] not in _NOT_REFERENCES | {kind.identity}:
            plains.append((path, value))
    out: list[tuple[str, tuple[str, str]]] = []
    used: set[str] = set()
    for target in refs:
        path = next((p for p, t in forms if t == target and p not in used), None)
        if path is None:
            path = next((p for p, v in plains if v == target[1] and p not in used), "")
        used.add(path)
        out.append((path, target))
    return out


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) of every reference form and every text value."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((word, name),) = value.items()
            if word in REF_WORDS and isinstance(name, str):
                yield path, value
                return
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}.{i}" if path else str(i))
    elif isinstance(value, str) and path:
        yield path, value
