"""The one form of a text that search compares, so every search box (the inbox, catalogs,
the treasury's taxpayers, the administrators' case list) ignores accents and case the same
way on SQLite and PostgreSQL: the folded text is stored beside the original and compared
with LIKE."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["search_text", "search_words"]


def search_text(name: str) -> str:
    """The form of a name that search compares: no accents, lower case, words separated
    by single spaces and preceded by one, so `LIKE '% lop%'` is a word-prefix match."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    words = re.findall(r"[a-z0-9]+", plain)
    return (" " + " ".join(words)) if words else ""


def search_words(query: str, most: int = 6) -> list[str]:
    """The LIKE patterns (word prefixes) a query asks for, at most `most` of them."""
    return [f"% {word}%" for word in search_text(query).split()[:most]]
