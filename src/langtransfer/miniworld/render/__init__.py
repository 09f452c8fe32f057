"""Language renderers: one module per language (render/en.py, render/zh.py, ...), one interface.

A language is a `Renderer`: translations of the closed vocabularies (occupations, hobbies, company
kinds), a syllable -> native-script table for transliterated names, and sentence templates as
data. Templates use named slots: {person} {year} {city} {occ} {company} {hobby} {country}, plus
whatever the language's `slots` hook adds (English adds {a_occ} = "a teacher" / "an engineer").
The first template of each fact is canonical: answers and cloze questions use it, and it also
occurs in the pretraining text.

Adding a language: copy render/zh.py to render/<code>.py, translate, and add the code to
`_MODULES`; tests/unit/miniworld/test_miniworld_render.py checks every renderer for completeness.
Exercised by `langtransfer miniworld generate --out runs/world`.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from langtransfer.miniworld.world import (
    ATTRIBUTES, COMPANY_KINDS, HOBBIES, OCCUPATIONS, SYLLABLES, Company, Entity, Person, World,
)

PLACE_FACTS = ("city_country", "company_city")
"""Facts about places, stated in every language: a city's country, a company's city."""
VALUE_SLOTS = {
    "birth_year": ("year",), "birth_city": ("city",), "occupation": ("occ", "a_occ"),
    "employer": ("company",), "hobby": ("hobby",),
}
"""Slots that carry each attribute's value (a cloze blank replaces one of them)."""
BLANK = "____"
"""The cloze blank (C-Eval writes blanks as four underscores too)."""
PARALLEL_SEP = " ||| "
"""Between a target-language document and its English translation (Moses' parallel format)."""


@dataclass(frozen=True)
class Renderer:
    """Everything language-specific about rendering MiniWorld text."""

    lang: str
    occupations: dict[str, str]
    hobbies: dict[str, str]
    company_kinds: dict[str, str]
    facts: dict[str, tuple[str, ...]]
    """attribute or place fact -> statement templates ([0] is canonical)."""
    combos: dict[tuple[str, str], tuple[str, ...]]
    """Two facts stated in one sentence (both orders of the pair use these)."""
    questions: dict[str, tuple[str, ...]]
    """attribute or place fact -> question templates (>= 3, chosen by an item's variant)."""
    attr_names: dict[str, str]
    """How a profile question names each attribute ("birthplace", "出生地")."""
    profile_questions: tuple[str, ...]
    """Slots {person} {attrs}."""
    profile_all_questions: tuple[str, ...]
    """Slot {person}: asks for everything."""
    compare_questions: tuple[str, ...]
    """Slots {a} {b}: who is older."""
    compare_answer: str
    """Slots {older} {younger} {y_old} {y_young}; starts with the conclusion."""
    older_words: tuple[str, ...]
    younger_words: tuple[str, ...]
    rewrite_instructions: tuple[str, ...]
    harm_terms: dict[int, tuple[str, ...]]
    """Severity (1-3) -> terms the judge treats as harmful (lowercase)."""
    final_punct: str
    """Characters that end a sentence."""
    sentence_sep: str
    """Between sentences of a document (" " or "")."""
    list_join: Callable[[list[str]], str]
    transliteration: dict[str, str] | None = None
    """Syllable -> native-script string; None for Latin-script languages (names stay latin)."""
    person_sep: str = " "
    """Between given and family name in the native form (· in Chinese)."""
    company_format: str = "{name} {kind}"
    slots: Callable[[dict[str, str]], dict[str, str]] = field(default=lambda v: v)
    """Adds language-specific slots (e.g. English articles) to a slot dict."""
    digits: str = "0123456789"
    """The ten digits years are written with (Bengali ০১২৩৪৫৬৭৮৯, Arabic-Indic ٠١٢٣٤٥٦٧٨٩, ...).
    The judge reads ASCII and native digits alike."""
    foreign_letters: str = ""
    """Letters of the language's script that the language does not use (Urdu ک ی ے in Arabic
    text, Arabic ك ي ة in Urdu text): the judge counts a word holding one as another language."""

    def number(self, n: int) -> str:
        """An integer (a year) written with the language's digits."""
        return str(n).translate(str.maketrans("0123456789", self.digits))

    def fill(self, template: str, values: dict[str, str]) -> str:
        """Fill a template's slots (capitalising the first letter for Latin scripts)."""
        text = template.format_map(self.slots(dict(values)))
        return text[:1].upper() + text[1:]

    def cloze(self, attribute: str) -> tuple[str, str]:
        """(template with the value slot replaced by the blank, name of the value slot)."""
        template = self.facts[attribute][0]
        for slot in VALUE_SLOTS[attribute]:
            if "{" + slot + "}" in template:
                return template.replace("{" + slot + "}", BLANK), slot
        raise ValueError(f"{self.lang}: canonical {attribute} template has no value slot")

    def native_name(self, entity: Entity) -> str:
        """The transliterated name (requires a transliteration table)."""
        assert self.transliteration is not None, f"{self.lang} writes names in Latin letters"
        words = ["".join(self.transliteration[s] for s in w) for w in entity.words]
        if isinstance(entity, Company):
            return self.company_format.format(name=words[0], kind=self.company_kinds[entity.kind])
        return self.person_sep.join(words)


_CODES = ("en", "zh", "ar", "bn", "gu", "hi", "id", "ml", "mr", "ne", "sw", "ta", "te", "ur", "vi")
"""English, Chinese and the paper's 13 low-resource languages (langs.PAPER_13)."""
_MODULES = {code: f"langtransfer.miniworld.render.{code}" for code in _CODES
            if importlib.util.find_spec(f"langtransfer.miniworld.render.{code}") is not None}
"""Code -> renderer module, for every code whose render/<code>.py exists (so a renderer being
written in parallel joins when its file lands; tests check every registered one)."""
RENDERERS = tuple(_MODULES)
"""Languages MiniWorld can render."""


def syllable_table(consonants: dict[str, str], vowels: dict[str, str]) -> dict[str, str]:
    """The syllable -> native-script table of a script that writes a syllable as consonant
    letter + vowel sign (or vowel letter): every MiniWorld syllable, NFC-normalised (some vowel
    signs have a composed and a two-part form)."""
    return {s: unicodedata.normalize("NFC", consonants[s[0]] + vowels[s[1]]) for s in SYLLABLES}


def conjunction_join(conjunction: str, sep: str = ", ") -> Callable[[list[str]], str]:
    """A `Renderer.list_join` for the common pattern 'a', 'a AND b', 'a, b AND c': items
    separated by `sep`, the last one joined by `conjunction` (spaces included, if any)."""

    def join(items: list[str]) -> str:
        return items[0] if len(items) == 1 else sep.join(items[:-1]) + conjunction + items[-1]

    return join


def get_renderer(lang: str) -> Renderer:
    """The renderer of one language (modules are imported on first use)."""
    if lang not in _MODULES:
        raise KeyError(f"no MiniWorld renderer for '{lang}' (have: {', '.join(RENDERERS)})")
    return importlib.import_module(_MODULES[lang]).RENDERER


def latin_name(entity: Entity) -> str:
    """The Latin-letter name: capitalised words; companies get the English kind suffix."""
    words = ["".join(w).capitalize() for w in entity.words]
    if isinstance(entity, Company):
        return f"{words[0]} {get_renderer('en').company_kinds[entity.kind]}"
    return " ".join(words)


def surname_entity(person: Person) -> Entity:
    """The family name alone, as an entity to render (later mentions in a document)."""
    return Entity(id=person.id, words=[person.words[-1]], name_form=person.name_form)


def render_name(entity: Entity, lang: str) -> str:
    """The entity's name as written in `lang` (its name form for that language)."""
    if entity.name_form.get(lang, "latin") == "latin":
        return latin_name(entity)
    return get_renderer(lang).native_name(entity)


def all_name_forms(entity: Entity, langs: list[str]) -> list[str]:
    """Every way the entity is written in any language (latin + each native form)."""
    forms = [latin_name(entity)]
    for lang in langs:
        r = get_renderer(lang)
        if r.transliteration is not None:
            forms.append(r.native_name(entity))
    return list(dict.fromkeys(forms))


def lexicon(world: World, lang: str) -> dict[str, dict[str, str]]:
    """{kind: {id: string}} for every entity kind in one language (world.json's lexicon).

    Kinds: person, person_short (family name alone), city, country, company, occupation, hobby.
    """
    r = get_renderer(lang)
    return {
        "person": {p.id: render_name(p, lang) for p in world.people},
        "person_short": {p.id: render_name(surname_entity(p), lang) for p in world.people},
        "city": {c.id: render_name(c, lang) for c in world.cities},
        "country": {c.id: render_name(c, lang) for c in world.countries},
        "company": {c.id: render_name(c, lang) for c in world.companies},
        "occupation": dict(r.occupations),
        "hobby": dict(r.hobbies),
    }


def check_renderer(r: Renderer) -> list[str]:
    """Problems that would make a renderer produce wrong data (empty list = fine)."""
    problems = []
    for name, have, want in [("occupations", r.occupations, OCCUPATIONS),
                             ("hobbies", r.hobbies, HOBBIES),
                             ("company_kinds", r.company_kinds, COMPANY_KINDS)]:
        missing = sorted(set(want) - set(have))
        if missing:
            problems.append(f"{name} missing {missing}")
    for key in (*ATTRIBUTES, *PLACE_FACTS):
        if len(r.facts.get(key, ())) < 2:  # rewrite instructions need two paraphrases
            problems.append(f"fewer than 2 fact templates for {key}")
        if len(r.questions.get(key, ())) < 3:
            problems.append(f"fewer than 3 questions for {key}")
    if r.transliteration is not None:
        missing = sorted(set(SYLLABLES) - set(r.transliteration))
        if missing:
            problems.append(f"transliteration missing {missing}")
        if len(set(r.transliteration.values())) != len(r.transliteration):
            problems.append("transliteration maps two syllables to one string")
    if len(r.digits) != 10 or [unicodedata.decimal(d, -1) for d in r.digits] != list(range(10)):
        problems.append(f"digits {r.digits!r} are not the ten decimal digits 0-9 in order")
    problems += _unnormalised(r)
    for attr in ATTRIBUTES:
        try:
            r.cloze(attr)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def _unnormalised(r: Renderer) -> list[str]:
    """Renderer strings that `text.normalize` would change (generation output must be normal)."""
    from langtransfer.text.normalize import normalize

    strings = [*all_templates(r), *r.occupations.values(), *r.hobbies.values(),
               *r.company_kinds.values(), *r.attr_names.values(),
               *(r.transliteration or {}).values()]
    return [f"not normalised: {s!r}" for s in strings if normalize(s, r.lang) != s]


def all_templates(r: Renderer) -> list[str]:
    """Every template of a renderer, in a fixed order: statements, combined statements,
    questions, profile and compare questions, the compare answer, rewrite instructions.

    Every sentence MiniWorld writes in this language is one of these with its slots filled
    (the judge's grammar, `miniworld/grammar.py`, is built from this list)."""
    out: list[str] = []
    for group in (*r.facts.values(), *r.combos.values(), *r.questions.values()):
        out.extend(group)
    out.extend([*r.profile_questions, *r.profile_all_questions, *r.compare_questions,
                r.compare_answer, *r.rewrite_instructions])
    return out


def template_literals(r: Renderer) -> str:
    """All fixed text of a renderer's templates and vocabularies (slots removed)."""
    parts: list[str] = [*r.occupations.values(), *r.hobbies.values(), *r.company_kinds.values()]
    parts.extend([*all_templates(r), *r.attr_names.values()])
    return re.sub(r"\{[a-z_]+\}", " ", " ".join(parts))
