"""Seeds: build a tenant from a JSON/YAML file or a dict, and export one back.

Format: ``{"extensions": [...], "groups": [...], "ivr_menus": [...], "greetings":
[...], "call_scripts": [...], "hotlines": [...]}`` with items shaped as the list
endpoints return them (missing fields get defaults, missing ids are generated), plus
hidden per-object fields (``password``, ``enabled``, ``call_timeout``, ``sip_members``,
``timeout``, ``call_queue_config``, ``extensions``, ``group_ids``, ``dedicated``...).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Mapping

from .errors import SeedError
from .resources import call_scripts, extensions, greetings, groups, hotlines, ivr_menus
from .tenant import KINDS, Tenant

# Load order: what is referenced by agent id at load time comes first.
_MODULES = {
    "extensions": extensions,
    "greetings": greetings,
    "groups": groups,
    "ivr_menus": ivr_menus,
    "call_scripts": call_scripts,
    "hotlines": hotlines,
}

SeedSource = str | Path | Mapping[str, Any] | None


def read_seed(source: str | Path) -> dict[str, Any]:
    """Parse a seed file (``.json``, ``.yaml`` or ``.yml``)."""
    path = Path(source)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        try:
            data = YAML(typ="safe").load(text)
        except YAMLError as err:
            raise SeedError(f"{path}: not valid YAML: {err}") from None
    else:
        try:
            data = json.loads(text)
        except ValueError as err:
            raise SeedError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise SeedError(f"{path}: a seed is a mapping of kind -> list of objects")
    return data


def populate(tenant: Tenant, seed: Mapping[str, Any]) -> None:
    """Fill an empty tenant from ``seed``; raise :class:`SeedError` when it is not
    consistent (unknown kind, missing name, dangling reference)."""
    from .references import dangling

    unknown = set(seed) - set(KINDS)
    if unknown:
        raise SeedError(f"unknown kinds in seed: {', '.join(sorted(unknown))}")
    for kind, module in _MODULES.items():
        collection = tenant.collection(kind)
        for raw in seed.get(kind) or []:
            try:
                key, record = module.from_seed(tenant, copy.deepcopy(dict(raw)))
            except KeyError as missing:
                raise SeedError(f"{kind}: item without {missing}: {raw!r}") from None
            if key in collection:
                raise SeedError(f"{kind}: duplicate {key!r}")
            collection[key] = record
            if kind == "groups" and record.get("tenant_id"):
                tenant.tenant_id = record["tenant_id"]
    problems = dangling(tenant)
    if problems:
        raise SeedError("seed has references to missing objects: " + "; ".join(problems))


def snapshot(tenant: Tenant) -> dict[str, Any]:
    """The tenant in seed format (loading it again gives an identical tenant)."""
    with tenant.lock:
        return {
            kind: [_MODULES[kind].to_seed(tenant, r) for r in tenant.collection(kind).values()]
            for kind in KINDS
        }
