"""Explicit text normalisation per language: `normalize(text, lang) -> str`.

Rules, applied in this order (each is idempotent, so the whole is too):

1. Unicode NFC (composed form). Nukta letters that NFC decomposes (Devanagari फ़ U+095E ->
   फ U+092B + ़ U+093C, Bengali য় U+09DF) end up decomposed: that is NFC, not a bug.
2. Invisible junk removed everywhere: BOM / zero-width no-break space (U+FEFF), zero-width
   space (U+200B), word joiner (U+2060), soft hyphen (U+00AD).
3. Arabic tatweel (kashida, U+0640) removed: it only stretches a joined letter for display.
4. Zero-width non-joiner / joiner (ZWNJ U+200C, ZWJ U+200D) kept only *inside a word of the
   language's own script* when that script uses them (`JOINER_SCRIPTS`): both neighbours are
   letters or marks of that script. There they change the text: ZWNJ in Urdu/Persian stops a
   letter joining the next one (and in Devanagari shows an explicit virama); ZWJ forms Malayalam
   chillus in old encodings, Bengali ya-phala after ra (র‍্য) and Marathi eyelash ra (र‍्य).
   Everywhere else (word edges, next to spaces, digits, punctuation, other scripts, or in a
   language whose script does not use them, such as English or Chinese) they are removed.
   Emoji ZWJ sequences are therefore split outside such words; MiniWorld text has none.
5. Optionally (`ascii_digits=True`) every decimal digit (Devanagari १, Bengali ১, Arabic-Indic
   ١, Extended Arabic-Indic ۱, ...) becomes its ASCII digit.

MiniWorld applies it to everything it writes (`miniworld/generate.py`); renderer data are already
normalised (`render.check_renderer` checks it), so generation output is unchanged by it.
Exercised by `langtransfer miniworld generate --out runs/world` and
tests/unit/test_text_normalize.py.
"""

from __future__ import annotations

import re
import unicodedata

from langtransfer.langs import get_lang

ZWNJ, ZWJ = "\u200c", "\u200d"
REMOVED = "\ufeff\u200b\u2060\u00ad"
"""BOM, zero-width space, word joiner, soft hyphen: never meaningful in running text."""
TATWEEL = "\u0640"
JOINER_SCRIPTS = {
    "Arab": "ARABIC", "Deva": "DEVANAGARI", "Beng": "BENGALI", "Guru": "GURMUKHI",
    "Gujr": "GUJARATI", "Orya": "ORIYA", "Taml": "TAMIL", "Telu": "TELUGU", "Knda": "KANNADA",
    "Mlym": "MALAYALAM", "Sinh": "SINHALA",
}
"""ISO 15924 script -> Unicode name prefix, for scripts in which ZWJ/ZWNJ inside a word matter."""
_JOINERS = re.compile(f"[{ZWNJ}{ZWJ}]+")
_DROP = str.maketrans("", "", REMOVED + TATWEEL)


def normalize(text: str, lang: str, ascii_digits: bool = False) -> str:
    """Normalise `text` written in language `lang` (rules in the module docstring).

    Args:
        text: any text.
        lang: ISO code of the text's language (decides where joiners are kept).
        ascii_digits: also turn every decimal digit into its ASCII digit.

    Returns:
        The normalised text; `normalize(normalize(t, l), l) == normalize(t, l)`.
    """
    text = unicodedata.normalize("NFC", text).translate(_DROP)
    prefix = JOINER_SCRIPTS.get(get_lang(lang).script)
    if ZWNJ in text or ZWJ in text:
        text = _JOINERS.sub(lambda m: _keep_joiners(m, prefix), text)
    if ascii_digits:
        text = to_ascii_digits(text)
    return text


def to_ascii_digits(text: str) -> str:
    """Every Unicode decimal digit (category Nd) as its ASCII digit."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch
                   for ch in text)


def _keep_joiners(match: re.Match, prefix: str | None) -> str:
    """The joiner run itself when both neighbours are letters/marks of the script, else ''."""
    text, start, end = match.string, match.start(), match.end()
    if prefix is None or start == 0 or end == len(text):
        return ""
    if _in_script(text[start - 1], prefix) and _in_script(text[end], prefix):
        return match.group(0)
    return ""


def _in_script(ch: str, prefix: str) -> bool:
    return unicodedata.category(ch)[0] in "LM" and unicodedata.name(ch, "").startswith(prefix)
