"""Renderers: complete, consistent, and safe for the judge's substring search."""

from __future__ import annotations

import itertools
import re

import pytest

from langtransfer.miniworld.render import (
    BLANK, RENDERERS, check_renderer, get_renderer, template_literals,
)
from langtransfer.miniworld.world import ATTRIBUTES


@pytest.mark.parametrize("lang", RENDERERS)
def test_renderer_is_complete(lang):
    assert check_renderer(get_renderer(lang)) == []


@pytest.mark.parametrize("lang", RENDERERS)
def test_cloze_comes_from_a_pretraining_template(lang):
    r = get_renderer(lang)
    for attr in ATTRIBUTES:
        cloze, slot = r.cloze(attr)
        assert cloze.count(BLANK) == 1
        assert cloze.replace(BLANK, "{" + slot + "}") in r.facts[attr]


@pytest.mark.parametrize("lang", RENDERERS)
def test_vocabulary_values_never_contain_one_another(lang):
    r = get_renderer(lang)
    values = [*r.occupations.values(), *r.hobbies.values()]
    assert len(set(values)) == len(values)
    for a, b in itertools.permutations(values, 2):
        assert a not in b, f"{a!r} inside {b!r}: the judge could not tell them apart"


def test_name_characters_never_occur_in_chinese_template_text():
    r = get_renderer("zh")
    name_chars = set(r.transliteration.values())
    assert len(name_chars) == len(r.transliteration)  # one hanzi per syllable, all distinct
    assert not name_chars & set(template_literals(r))


def test_harm_terms_absent_from_template_text():
    for lang in RENDERERS:
        r = get_renderer(lang)
        literals = template_literals(r).lower()
        for term in (t for terms in r.harm_terms.values() for t in terms):
            assert not re.search(rf"(?<![a-z]){re.escape(term)}(?![a-z])", literals), term


def test_english_articles():
    r = get_renderer("en")
    values = {"person": "Tavi Lumo", "occ": "engineer"}
    assert r.fill("{person} works as {a_occ}.", values) == "Tavi Lumo works as an engineer."
    assert r.fill("{person} works as {a_occ}.", {**values, "occ": "pilot"}).endswith("a pilot.")
    assert r.fill("by trade, {person} is {a_occ}.", values).startswith("By trade")


def test_chinese_templates_read_as_chinese():
    r = get_renderer("zh")
    values = {"person": "塔维·卢莫", "year": "1978", "city": "纳卢", "occ": "教师",
              "company": "凯莫工业", "hobby": "下棋", "country": "沃利"}
    for templates in (*r.facts.values(), *r.combos.values()):
        for t in templates:
            text = r.fill(t, values)
            assert text.endswith("。") and " " not in text
            assert "," not in text and "." not in text
    assert r.fill(r.facts["birth_year"][0], values) == "塔维·卢莫出生于1978年。"
    for q in (q for qs in r.questions.values() for q in qs):
        assert q.endswith("？")
