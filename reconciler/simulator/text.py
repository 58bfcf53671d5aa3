"""Text helpers: the server-made ``*_unsigned`` copies of Vietnamese names."""

from __future__ import annotations

import unicodedata

# đ/Đ are letters of their own, not a d with a combining mark: NFD keeps them.
_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})


def unsigned(text: str) -> str:
    """Strip Vietnamese diacritics (``"Nhóm Đặc biệt"`` -> ``"Nhom Dac biet"``)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches(keyword: str, *fields: str | None) -> bool:
    """Case- and accent-insensitive substring search over ``fields``."""
    wanted = unsigned(keyword).casefold().strip()
    return any(f is not None and wanted in unsigned(f).casefold() for f in fields)
