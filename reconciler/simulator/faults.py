"""Injected failures: 5xx, 429 with Retry-After, dropped connections, and lost
responses (the write happens, the caller never hears of it)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = ("5xx", "429", "reset", "lost_response")


@dataclass
class FaultRule:
    """One injected fault. It fires on matching requests (``method`` exact,
    ``path`` a substring), on every ``every``-th match when set, at most ``times``
    times (``None``: forever)."""

    kind: str
    method: str | None = None
    path: str | None = None
    times: int | None = 1
    every: int | None = None
    retry_after: float = 0.05
    status: int = 503
    then: str = "502"  # lost_response: "502" (a gateway error) or "reset"
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether the request is one this rule targets."""
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path is None or self.path in path
        )

    @property
    def exhausted(self) -> bool:
        """Whether the rule has fired all the times it may."""
        return self.times is not None and self.fired >= self.times

    def take(self) -> bool:
        """Count a matching request; True if the fault fires on it."""
        if self.exhausted:
            return False
        self.seen += 1
        if self.every and self.seen % self.every:
            return False
        self.fired += 1
        return True


class Faults:
    """The simulator's fault plan (thread-safe)."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def inject(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        every: int | None = None,
        retry_after: float = 0.05,
        status: int = 503,
        then: str = "502",
    ) -> FaultRule:
        """Add a fault: ``kind`` is "5xx", "429", "reset" or "lost_response"."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if then not in ("502", "reset"):
            raise ValueError('then must be "502" or "reset"')
        if not 500 <= status <= 599:
            raise ValueError("status must be a 5xx code")
        rule = FaultRule(kind, method, path, times, every, retry_after, status, then)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """The injected rules, in order."""
        with self._lock:
            return list(self._rules)

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The first rule that fires on this request, if any."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path) and rule.take():
                    return rule
        return None
