"""The kinds: the registry (registry.py) and the policy, which reads it. Adding a kind is
one module, one line in registry.py and one test file."""

from __future__ import annotations

from reconciler.kinds.base import Kind
from reconciler.kinds.policy import Policy
from reconciler.kinds.registry import KINDS

__all__ = ["KINDS", "Kind", "Policy"]
