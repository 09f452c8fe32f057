"""Unicode scripts and word tokens for code-switching detection (eval/codeswitch.py).

    langtransfer eval codeswitch --responses answers.jsonl --lang zh --json

A character's script comes from its Unicode name (stdlib `unicodedata`: "LATIN SMALL LETTER A",
"CJK UNIFIED IDEOGRAPH-4E2D", "DEVANAGARI VOWEL SIGN AA" ...), so no extra dependency is needed
and every script of `langtransfer.langs` (Latn, Hans, Arab, Beng, Gujr, Deva, Mlym, Taml, Telu)
is covered. `tokenize` splits text into words, numbers and other characters; a word never mixes
scripts ("iPhone手机" is two words), and combining marks, zero-width (non-)joiners (Indic
conjuncts) and Arabic tatweel stay inside their word. `mask_non_prose` blanks out what is not
prose in any language: fenced and inline code, URLs and e-mail addresses (docs/evaluation.md,
"Code-switching", rule 1).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from langtransfer.langs import get_lang

# First word(s) of a Unicode character name -> ISO 15924 script code.
_NAME_PREFIX_TO_SCRIPT = {
    "LATIN": "Latn", "FULLWIDTH LATIN": "Latn", "CJK": "Hani", "ARABIC": "Arab",
    "DEVANAGARI": "Deva", "BENGALI": "Beng", "GUJARATI": "Gujr", "MALAYALAM": "Mlym",
    "TAMIL": "Taml", "TELUGU": "Telu", "CYRILLIC": "Cyrl", "GREEK": "Grek", "HIRAGANA": "Jpan",
    "KATAKANA": "Jpan", "HALFWIDTH KATAKANA": "Jpan", "HANGUL": "Hang", "THAI": "Thai",
    "HEBREW": "Hebr", "GURMUKHI": "Guru", "KANNADA": "Knda", "ORIYA": "Orya", "SINHALA": "Sinh",
    "ETHIOPIC": "Ethi", "GEORGIAN": "Geor", "ARMENIAN": "Armn", "KHMER": "Khmr", "LAO": "Laoo",
    "MYANMAR": "Mymr", "TIBETAN": "Tibt", "SYRIAC": "Syrc", "THAANA": "Thaa",
}
INHERITED = "Zinh"
"""Combining marks and joiners: they take the script of the letter they attach to."""
COMMON = "Zyyy"
"""Anything that is not a letter of a known script (digits, punctuation, symbols)."""
# ZWNJ/ZWJ shape Indic and Arabic conjuncts: part of the word, not a separator (issue 8).
_JOINERS = {"\u200c", "\u200d"}
_APOSTROPHES = {"'", "\u2019"}  # inside a word: Turkish "Ramazan'dan", English "don't"

# Rule 1 of docs/evaluation.md: what is not prose is never language evidence.
_NON_PROSE = re.compile(
    r"```.*?(?:```|\Z)"                      # fenced code block (an unclosed one runs to the end)
    r"|`[^`\n]+`"                            # inline code
    r"|\b(?:https?://|ftp://|www\.)\S+"      # URLs
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",        # e-mail addresses
    re.DOTALL,
)


# Rule 1b: a line that looks like code (statements, operators, SQL) and has no more non-Latin
# letters than Latin ones is code even outside a fence (LLMEval-2 answers paste code bare).
_CODE_LINE = re.compile(
    r"[;{}]\s*$|^\s*(?:#include|import |from \S+ import|def |class |return |public |private |"
    r"int |for ?\(|while ?\(|if ?\(|SELECT |INSERT |UPDATE |print\()"
    r"|==|!=|<=|>=|->|::|\+\+|&&|\|\||\w\[\w*\]|\w\(\)|\w\s*=\s*\w")


def _is_code_line(line: str) -> bool:
    if not _CODE_LINE.search(line):
        return False
    latin = sum(1 for ch in line if char_script(ch) == "Latn")
    other = sum(1 for ch in line if char_script(ch) not in ("Latn", COMMON, INHERITED))
    return latin >= other


def lang_script(code: str) -> str:
    """The Unicode script that a language of `langtransfer.langs` is written in.

    Simplified and traditional Chinese are both Han (`Hani`) at the character level.
    """
    script = get_lang(code).script
    return "Hani" if script in {"Hans", "Hant"} else script


@lru_cache(maxsize=65536)
def char_script(ch: str) -> str:
    """ISO 15924 script of one character: Latn, Hani, Arab, Deva, ...; Zinh for combining
    marks and joiners, Zyyy for digits, punctuation, symbols and unknown scripts."""
    category = unicodedata.category(ch)
    if category.startswith("M") or ch in _JOINERS:
        return INHERITED
    if not category.startswith("L"):
        return COMMON
    name = unicodedata.name(ch, "")
    for words in (2, 1):
        prefix = " ".join(name.split(" ")[:words])
        if prefix in _NAME_PREFIX_TO_SCRIPT:
            return _NAME_PREFIX_TO_SCRIPT[prefix]
    return COMMON


@dataclass(frozen=True)
class Token:
    """A word, a number or a single other character, with its place in the text."""

    text: str
    start: int
    end: int
    kind: str
    """'word', 'number', 'space' or 'other' (punctuation, symbols)."""
    script: str = COMMON
    """The word's script (COMMON for everything that is not a word)."""

    @property
    def letters(self) -> int:
        """Letters in the token (marks and joiners do not count)."""
        return sum(1 for ch in self.text if unicodedata.category(ch).startswith("L"))


def _is_word_char(ch: str) -> bool:
    return char_script(ch) not in (COMMON,) or unicodedata.category(ch).startswith("L")


def tokenize(text: str) -> list[Token]:
    """Split text into word, number, space and other tokens; words are single-script.

    Args:
        text: any text (NFC is applied by the caller: `analyse_response` does).

    Returns:
        Tokens covering every character of `text` in order.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if _is_word_char(ch):
            j, script = _scan_word(text, i)
            tokens.append(Token(text[i:j], i, j, "word", script))
        elif ch.isdigit():
            j = i + 1
            while j < n and (text[j].isdigit() or (text[j] in ".,:" and j + 1 < n
                                                   and text[j + 1].isdigit())):
                j += 1
            tokens.append(Token(text[i:j], i, j, "number"))
        else:
            j = i + 1
            tokens.append(Token(ch, i, j, "space" if ch.isspace() else "other"))
        i = j
    return tokens


def _scan_word(text: str, i: int) -> tuple[int, str]:
    """End of the word starting at i and its script; a change of script ends the word."""
    script = INHERITED
    j, n = i, len(text)
    while j < n:
        ch = text[j]
        if ch in _APOSTROPHES and script == "Latn" and j + 1 < n and char_script(text[j + 1]) == "Latn":
            j += 1
            continue
        if not _is_word_char(ch):
            break
        s = char_script(ch)
        if s not in (INHERITED, COMMON):
            if script == INHERITED:
                script = s
            elif s != script:
                break
        j += 1
    return j, (script if script != INHERITED else COMMON)


def mask_non_prose(text: str) -> str:
    """Replace code blocks, inline code, URLs, e-mail addresses and code-like lines by spaces
    (same length, so offsets into the masked text are offsets into the original)."""
    masked = _NON_PROSE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return "".join(" " * len(line.rstrip("\n")) + line[len(line.rstrip("\n")):]
                   if _is_code_line(line) else line for line in masked.splitlines(keepends=True))
