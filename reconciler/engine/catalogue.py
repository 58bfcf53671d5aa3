"""One catalogue of the live tenant: every object of every kind, indexed once by id, by
name (its identity) and by alias, built from what `read_live` read. The planner matches
by it, the applier finds ids in it, export and `validate --live` look names up in it, and
kinds read references through its `LiveNames`."""

from __future__ import annotations

from typing import Mapping

from reconciler.kinds import KINDS


class Catalogue:
    """The live objects of each kind (raw items as the API returned them), by id and name."""

    def __init__(self, items: Mapping[str, list[dict]]):
        self._items = {k: list(items.get(k, [])) for k in KINDS}
        self._by_id: dict[str, dict[str, dict]] = {}
        self._by_name: dict[str, dict[str, list[dict]]] = {}
        self._by_alias: dict[str, dict[str, dict]] = {}
        for k, kind_def in KINDS.items():
            by_id: dict[str, dict] = {}
            by_name: dict[str, list[dict]] = {}
            for item in self._items[k]:
                by_id[kind_def.live_id(item)] = item
                by_name.setdefault(kind_def.live_identity(item), []).append(item)
            self._by_id[k], self._by_name[k] = by_id, by_name
            if kind_def.alias_field:
                self._by_alias[k] = {str(i[kind_def.alias_field]): i for i in self._items[k] if i.get(kind_def.alias_field)}

    def items(self, kind: str) -> list[dict]:
        """Every live object of the kind, in the order the API listed them."""
        return self._items.get(kind, [])

    def item(self, kind: str, object_id: str) -> dict | None:
        """The live object with this id, or None."""
        return self._by_id.get(kind, {}).get(object_id)

    def named(self, kind: str, name: str) -> list[dict]:
        """The live objects with this identity (several when the tenant has duplicates)."""
        return self._by_name.get(kind, {}).get(name, [])

    def names(self, kind: str) -> list[str]:
        """The identities of the kind's live objects, each once, in the order listed."""
        return list(self._by_name.get(kind, {}))

    def identities(self) -> dict[str, set[str]]:
        """Kind name -> identities of its live objects (what `validate --live` resolves against)."""
        return {k: set(self.names(k)) for k in KINDS}

    def ids(self, kind: str) -> set[str]:
        """The ids of the kind's live objects."""
        return set(self._by_id.get(kind, {}))

    def ids_named(self, kind: str, name: str) -> list[str]:
        """The ids of the live objects with this identity."""
        return [KINDS[kind].live_id(i) for i in self.named(kind, name)]

    def aliased(self, kind: str, alias: str) -> dict | None:
        """The live object others name by this alias (`Kind.alias_field`), or None."""
        return self._by_alias.get(kind, {}).get(alias)

    def duplicates(self) -> list[tuple[str, str, list[str]]]:
        """(kind name, object name, ids) of every identity several live objects share."""
        return [(k, name, self.ids_named(k, name)) for k in KINDS
                for name, found in sorted(self._by_name[k].items()) if len(found) > 1]

    def names_for_reading(self, matched: Mapping[str, Mapping[str, str]] | None = None) -> "LiveNames":
        """How references read in manifest terms name live objects; `matched`: kind name ->
        id -> the manifest name the planner matched that object to."""
        return LiveNames(self, matched or {})


class LiveNames:
    """The names references get when live objects are read in manifest terms (the kinds'
    `LiveIndex`): an object's identity; its manifest name when the planner matched it
    (a rename); "Name (id …)" for an object whose name another one has too."""

    def __init__(self, catalogue: Catalogue, matched: Mapping[str, Mapping[str, str]]):
        self.catalogue = catalogue
        self.matched = matched
        self._matched_names = {k: set(ids.values()) for k, ids in matched.items()}

    def name_of(self, kind: str, object_id: str) -> str:
        matched = self.matched.get(kind, {}).get(object_id)
        if matched is not None:
            return matched
        item = self.catalogue.item(kind, object_id)
        if item is None:
            return f"(unknown id {object_id})"
        name = KINDS[kind].live_identity(item)
        if len(self.catalogue.named(kind, name)) > 1 or name in self._matched_names.get(kind, set()):
            return f"{name} (id {object_id})"
        return name

    def name_by_alias(self, kind: str, alias: str | None) -> str | None:
        item = self.catalogue.aliased(kind, alias or "")
        return KINDS[kind].live_identity(item) if item is not None else None

    def knows(self, kind: str, object_id: str) -> bool:
        return self.catalogue.item(kind, object_id) is not None
