"""text.normalize: one concrete example per rule, idempotence, and the joiner policy per script."""

from __future__ import annotations

import pytest

from langtransfer.errors import ConfigError
from langtransfer.text.normalize import normalize, to_ascii_digits

ZWNJ, ZWJ = "\u200c", "\u200d"


@pytest.mark.parametrize("lang, raw, expected", [
    # 1. NFC: e + combining acute -> é; Bengali e-kar + aa-kar -> o-kar (U+09CB)
    ("vi", "Vie\u0302\u0323t", "Việt"),
    ("bn", "ক\u09c7\u09be", "ক\u09cb"),
    # NFC decomposes Devanagari nukta letters (composition exclusions): फ़ U+095E -> फ + ़
    ("hi", "\u095e", "\u092b\u093c"),
    # 2. BOM, zero-width space, word joiner, soft hyphen removed
    ("en", "\ufeffTavi\u200b Lu\u00admo\u2060", "Tavi Lumo"),
    # 3. Arabic tatweel removed
    ("ar", "مـــدينة", "مدينة"),
    # 4. joiners kept inside a word of the language's script...
    ("bn", "র" + ZWJ + "্যাব", "র" + ZWJ + "্যাব"),  # ya-phala after ra, not reph
    ("mr", "र" + ZWJ + "्या", "र" + ZWJ + "्या"),  # Marathi eyelash ra
    ("ml", "ന" + "\u0d4d" + ZWJ + "മ", "ന" + "\u0d4d" + ZWJ + "മ"),  # old-style chillu
    ("ur", "می" + ZWNJ + "خواہم", "می" + ZWNJ + "خواہم"),  # no join across the ZWNJ
    ("hi", "क्" + ZWNJ + "ष", "क्" + ZWNJ + "ष"),  # explicit virama instead of a conjunct
    # ...removed at word edges, next to other scripts or digits, and where the script has none
    ("hi", "हिन्दी" + ZWJ + " भाषा" + ZWNJ, "हिन्दी भाषा"),
    ("hi", "भाषा" + ZWJ + "abc", "भाषाabc"),
    ("bn", "১৯" + ZWJ + "৭৮", "১৯৭৮"),
    ("en", "co" + ZWNJ + "operate", "cooperate"),
    ("zh", "中" + ZWJ + "文", "中文"),
    ("hi", "ক" + ZWJ + "্য", "ক্য"),  # Bengali letters in a Hindi text: not Hindi's script
])
def test_rules(lang, raw, expected):
    assert normalize(raw, lang) == expected
    assert normalize(expected, lang) == expected  # idempotent


def test_digits_to_ascii_only_when_asked():
    text = "১৯৭৮ ١٩٧٨ ۱۹۷۸ १९७८ ૧૯૭૮ ௧௯௭௮ 1978"
    assert normalize(text, "bn") == text
    assert normalize(text, "bn", ascii_digits=True) == " ".join(["1978"] * 7)
    assert to_ascii_digits("x²") == "x²"  # superscripts are digits but not decimal digits


def test_unknown_language_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown language 'xx'"):
        normalize("text", "xx")


def test_plain_text_unchanged():
    for lang, text in [("en", "Tavi Lumo was born in 1978."), ("zh", "塔维·卢莫出生于1978年。"),
                       ("ta", "தமிழ் மொழி"), ("ar", "وُلد في ١٩٧٨.")]:
        assert normalize(text, lang) == text
