"""Word units that work in every script: letters *with their combining marks*.

Python's `re` treats Indic vowel signs, viramas, nuktas and Arabic harakat (Unicode categories
Mn / Mc / Me) as non-word characters, so `[^\\W\\d_]+` cuts हिन्दी into हि, न, द, ी. `WORD`
is a letter followed by letters, marks and in-word joiners (ZWNJ / ZWJ), so a word stays whole.
Marks are collected from the Basic Multilingual Plane once at import (~10 ms): the scripts of
every language in `langs.py` live there. Used by the MiniWorld judge
(`miniworld/judge.py`); exercised by tests/unit/miniworld/test_miniworld_scripts.py.
"""

from __future__ import annotations

import re
import unicodedata


def _mark_class() -> str:
    """A regex character-class body of every combining mark in the BMP, as ranges."""
    ranges: list[list[int]] = []
    for cp in range(0x10000):
        if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                   for a, b in ranges)


MARKS = _mark_class()
"""Character-class body (no brackets) of the combining marks."""
WORD = rf"[^\W\d_](?:[^\W\d_]|[{MARKS}\u200c\u200d])*"
"""Regex source of one word: a letter, then letters, combining marks or joiners."""
WORD_RE = re.compile(WORD)


def words(text: str) -> list[str]:
    """The words of `text` (digits, punctuation and spaces separate them)."""
    return WORD_RE.findall(text)
