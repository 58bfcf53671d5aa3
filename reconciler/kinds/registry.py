"""The registry of kinds. Adding a kind is one module, one line here and one test file."""

from __future__ import annotations

from reconciler.kinds.base import Kind
from reconciler.kinds.call_script import CallScriptKind
from reconciler.kinds.extension import ExtensionKind
from reconciler.kinds.greeting import GreetingKind
from reconciler.kinds.group import GroupKind
from reconciler.kinds.hotline import HotlineKind
from reconciler.kinds.ivr_menu import IvrMenuKind

# In manifest order: the order kinds are listed in output and export.
KINDS: dict[str, Kind] = {
    kind_def.name: kind_def
    for kind_def in (
        GreetingKind(),
        GroupKind(),
        IvrMenuKind(),
        CallScriptKind(),
        HotlineKind(),
        ExtensionKind(),
    )
}
