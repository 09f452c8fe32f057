"""Language registry: ISO 639-1 code -> script, language-ID label, FLORES-style code.

Languages are named by ISO codes everywhere (CLI, configs, results). The paper's languages are
Chinese plus 13 low-resource ones (ar bn gu hi id ml mr ne sw ta te ur vi), with English as the
source language.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from langtransfer.errors import ConfigError


@dataclass(frozen=True)
class Lang:
    """One language's identifiers."""

    code: str
    """ISO 639-1 code (en, zh, ...)."""
    name: str
    """English name."""
    script: str
    """ISO 15924 script (Latn, Hans, Arab, Deva, ...)."""
    langid: str
    """Label used by the language-ID library (langid.py uses ISO 639-1)."""
    flores: str
    """FLORES-200 style code (eng_Latn, zho_Hans, ...)."""

    @property
    def is_cjk(self) -> bool:
        return self.script in {"Hans", "Hant", "Jpan", "Kore"}


LANGS: dict[str, Lang] = {
    lang.code: lang
    for lang in [
        Lang("en", "English", "Latn", "en", "eng_Latn"),
        Lang("zh", "Chinese", "Hans", "zh", "zho_Hans"),
        Lang("ar", "Arabic", "Arab", "ar", "arb_Arab"),
        Lang("bn", "Bengali", "Beng", "bn", "ben_Beng"),
        Lang("gu", "Gujarati", "Gujr", "gu", "guj_Gujr"),
        Lang("hi", "Hindi", "Deva", "hi", "hin_Deva"),
        Lang("id", "Indonesian", "Latn", "id", "ind_Latn"),
        Lang("ml", "Malayalam", "Mlym", "ml", "mal_Mlym"),
        Lang("mr", "Marathi", "Deva", "mr", "mar_Deva"),
        Lang("ne", "Nepali", "Deva", "ne", "npi_Deva"),
        Lang("sw", "Swahili", "Latn", "sw", "swh_Latn"),
        Lang("ta", "Tamil", "Taml", "ta", "tam_Taml"),
        Lang("te", "Telugu", "Telu", "te", "tel_Telu"),
        Lang("ur", "Urdu", "Arab", "ur", "urd_Arab"),
        Lang("vi", "Vietnamese", "Latn", "vi", "vie_Latn"),
    ]
}

RUBRICS_DIR = Path(__file__).resolve().parent / "eval" / "rubrics"
"""Judge rubric prompt per language (`<code>.yaml`: version, language name, system, user and
repair texts), read by eval.judge."""

PAPER_13 = ("ar", "bn", "gu", "hi", "id", "ml", "mr", "ne", "sw", "ta", "te", "ur", "vi")


def get_lang(code: str) -> Lang:
    """Look up a language by ISO code; unknown codes are a one-line ConfigError."""
    try:
        return LANGS[code]
    except KeyError:
        raise ConfigError(
            f"unknown language '{code}' (known: {', '.join(sorted(LANGS))})"
        ) from None


def rubric_path(code: str) -> Path:
    """The judge rubric file of a language (eval/rubrics/<code>.yaml).

    Raises:
        ConfigError: unknown language, or a known one without a rubric file.
    """
    lang = get_lang(code)
    path = RUBRICS_DIR / f"{lang.code}.yaml"
    if not path.is_file():
        raise ConfigError(f"no judge rubric for language '{code}' (expected {path})")
    return path
