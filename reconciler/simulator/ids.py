"""Server-made identifiers and timestamps."""

from __future__ import annotations

import random
import threading
import time


class Clock:
    """Epoch milliseconds that strictly increase, so every update changes
    ``last_updated_date`` even within the same millisecond."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """The current time in epoch ms, always greater than the previous call."""
        with self._lock:
            self._last = max(int(time.time() * 1000), self._last + 1)
            return self._last


class IdFactory:
    """24-hex object ids (Mongo-style: 4-byte time + 8 random bytes) and numbers."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()

    def object_id(self) -> str:
        """A fresh 24-hex id."""
        return f"{int(time.time()):08x}{self._rng.getrandbits(64):016x}"

    def number(self, digits: int, taken: set[str]) -> str:
        """A ``digits``-long decimal string not in ``taken`` (no leading zero)."""
        while True:
            candidate = str(self._rng.randrange(10 ** (digits - 1), 10**digits))
            if candidate not in taken:
                return candidate

    def token(self, length: int) -> str:
        """A random lowercase alphanumeric string (passwords, api keys)."""
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(self._rng.choice(alphabet) for _ in range(length))
