"""Text helpers: the server-made ``*_unsigned`` copies of Vietnamese names."""

from __future__ import annotations

import functools
import unicodedata

# đ/Đ are letters of their own, not a d with a combining mark: NFD keeps them.
_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})


def unsigned(text: str) -> str:
    """Strip Vietnamese diacritics (``"Nhóm Đặc biệt"`` -> ``"Nhom Dac biet"``)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches(keyword: str, *fields: str | None) -> bool:
    """Case- and accent-insensitive substring search over ``fields``."""
    wanted = _folded(keyword).strip()
    return any(f is not None and wanted in _folded(f) for f in fields)


@functools.lru_cache(maxsize=1 << 16)
def _folded(text: str) -> str:
    """``text`` as a search compares it. Cached: a keyword search folds every name of the
    list, and a big tenant's apply searches thousands of times."""
    return unsigned(text).casefold()
