"""Renderers for Indonesian, Swahili, Vietnamese, Tamil, Telugu and Malayalam (issue 8).

Per language: the renderer is complete; a small [en, <lang>] world generates; its text is in
the expected script (>= 99 % of letters); every generated sentence parses; the judge gives the
reference answers full marks. For the three Indic scripts the name table is injective and no
possible name occurs in template text (nor any vocabulary word inside a name): the judge finds
names and words by substring search.
"""

from __future__ import annotations

import csv
import itertools
import json
import unicodedata
from pathlib import Path

import pytest

from langtransfer.miniworld.generate import generate
from langtransfer.miniworld.judge import DIMENSIONS, MiniWorldJudge
from langtransfer.miniworld.render import (
    PARALLEL_SEP, all_templates, check_renderer, get_renderer, template_literals,
)
from langtransfer.miniworld.world import SYLLABLES

LATIN = ("id", "sw", "vi")
NATIVE = {"ta": "TAMIL", "te": "TELUGU", "ml": "MALAYALAM"}
LANGS = (*LATIN, *NATIVE)
SCRIPT = {**dict.fromkeys(LATIN, "LATIN"), **NATIVE}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory, small_cfg) -> dict[str, Path]:
    """A small [en, lang] world per language; Indic names native, so all text is one script."""
    out = {}
    for lang in LANGS:
        forms = {"en": "latin", lang: "native" if lang in NATIVE else "latin"}
        cfg = small_cfg.with_updates({"langs": ["en", lang], "name_rendering": forms})
        out[lang] = tmp_path_factory.mktemp(f"world_{lang}") / "world"
        generate(cfg, out[lang])
    return out


def _texts(world: Path, lang: str) -> list[str]:
    """Every text of the language's folder (the target half of parallel pairs)."""
    folder = world / lang
    texts = []
    for name in ("pretrain.txt", "heldout.txt", "heldout_unseen.txt"):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        texts += [line.split(PARALLEL_SEP)[0] for line in lines]
    for row in json.loads((folder / "instructions.json").read_text(encoding="utf-8")):
        texts += [row[k] for k in ("instruction", "input", "output") if row[k]]
    for item in _open_eval(world, lang):
        texts += [item["question"], item["reference"]]
    return texts


def _open_eval(world: Path, lang: str) -> list[dict]:
    lines = (world / lang / "open_eval.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("lang", LANGS)
def test_renderer_is_complete_and_nfc(lang):
    r = get_renderer(lang)
    assert check_renderer(r) == []
    strings = [*all_templates(r), *r.occupations.values(), *r.hobbies.values(),
               *r.attr_names.values(), *(r.transliteration or {}).values()]
    assert all(unicodedata.normalize("NFC", s) == s for s in strings)
    assert not any(ch in "\u200c\u200d" for s in strings for ch in s)  # no ZWJ / ZWNJ
    for templates in r.facts.values():  # the paraphrase promise of the brief
        assert len(templates) >= 3


@pytest.mark.parametrize("lang", LANGS)
def test_generated_text_is_in_the_expected_script(worlds, lang):
    letters = [ch for text in _texts(worlds[lang], lang) for ch in text if ch.isalpha()]
    in_script = sum(unicodedata.name(ch, "").startswith(SCRIPT[lang]) for ch in letters)
    assert len(letters) > 10_000
    assert in_script / len(letters) >= 0.99


@pytest.mark.parametrize("lang", LANGS)
def test_every_generated_sentence_parses(worlds, lang):
    judge = MiniWorldJudge(worlds[lang], lang)
    texts = _texts(worlds[lang], lang)
    bad = [(text, s) for text in texts for s, ok in judge.parse(text) if not ok]
    assert not bad, bad[:3]


@pytest.mark.parametrize("lang", LANGS)
def test_reference_answers_get_full_marks(worlds, lang):
    judge = MiniWorldJudge(worlds[lang], lang)
    items = _open_eval(worlds[lang], lang)
    assert {i["category"] for i in items} == {"fact", "profile", "compare"}
    for item in items:
        scores = judge.score(item, item["reference"])
        assert [scores[d] for d in DIMENSIONS] == [3] * 5, (item["reference"], scores["reasons"])


@pytest.mark.parametrize("lang", NATIVE)
def test_english_answer_gets_no_fluency_in_an_indic_language(worlds, lang):
    items = {i["id"].split("-", 1)[1]: i for i in _open_eval(worlds[lang], lang)}
    english = {i["id"].split("-", 1)[1]: i for i in _open_eval(worlds[lang], "en")}
    judge = MiniWorldJudge(worlds[lang], lang)
    for key, item in items.items():
        assert judge.score(item, english[key]["reference"])["fluency"] == 0


@pytest.mark.parametrize("lang", LANGS)
def test_knowledge_answers_hold_the_true_value(worlds, lang):
    """Cloze MC is correct by construction: the answer letter's option is the person's value
    as the lexicon writes it (years as digits), and the items match English's."""
    world = json.loads((worlds[lang] / "world.json").read_text(encoding="utf-8"))
    people = {p["id"]: p for p in world["people"]}
    lex = world["lexicon"][lang]
    kinds = {"birth_city": "city", "occupation": "occupation", "employer": "company",
             "hobby": "hobby"}
    rows = _csv(worlds[lang] / lang / "knowledge.csv")
    meta = (worlds[lang] / lang / "knowledge_meta.jsonl").read_text(encoding="utf-8")
    meta = [json.loads(line) for line in meta.splitlines()][:len(rows)]
    english = _csv(worlds[lang] / "en" / "knowledge.csv")
    assert [r["answer"] for r in rows] == [r["answer"] for r in english]
    for row, m in zip(rows, meta):
        value = people[m["person"]][m["attribute"]]
        want = str(value) if m["attribute"] == "birth_year" else lex[kinds[m["attribute"]]][value]
        assert row[row["answer"]] == want
        assert row["question"].count("____") == 1


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- native-script names

def _words(lang: str, n: int) -> dict[str, tuple[str, ...]]:
    """Native form -> syllables of every possible n-syllable name word."""
    table = get_renderer(lang).transliteration
    return {"".join(table[s] for s in w): w for w in itertools.product(SYLLABLES, repeat=n)}


@pytest.mark.parametrize("lang", NATIVE)
def test_transliteration_is_injective(lang):
    """Distinct name words stay distinct (Tamil needs ம்ப / ங்க for b / g: one letter each
    for p/b and k/g would merge "Pali" and "Bali"). The syllable strings are distinct and none
    is a prefix of another (a prefix code), so every sequence of syllables decodes one way."""
    table = get_renderer(lang).transliteration
    forms = list(table.values())
    assert len(set(forms)) == len(SYLLABLES)
    assert not [(a, b) for a, b in itertools.permutations(forms, 2) if b.startswith(a)]
    assert len(_words(lang, 2)) == len(SYLLABLES) ** 2


@pytest.mark.parametrize("lang", NATIVE)
def test_no_name_inside_template_text_and_no_word_inside_a_name(lang):
    """The judge finds names and vocabulary by plain substring search in these scripts. Every
    name word contains a 2-syllable word, so checking those covers all names; every word fits
    in a 3-syllable word if it fits in any name word."""
    r = get_renderer(lang)
    literals = template_literals(r)
    assert not [w for w in _words(lang, 2) if w in literals]
    words = [*r.occupations.values(), *r.hobbies.values(), *r.older_words, *r.younger_words,
             *(t for terms in r.harm_terms.values() for t in terms)]
    alphabet = set("".join(r.transliteration.values()))
    could_fit = [w for w in words if set(w) <= alphabet]  # most hold a letter no name has
    if could_fit:
        names = "|".join(_words(lang, 3))
        assert not [w for w in could_fit if w in names]


def test_names_render_in_each_script():
    from langtransfer.miniworld.world import Person

    tavi = Person("person-0000", [["ta", "vi"], ["lu", "mo"]])
    assert get_renderer("ta").native_name(tavi) == "டாவி லுமொ"
    assert get_renderer("te").native_name(tavi) == "టావీ లూమో"
    assert get_renderer("ml").native_name(tavi) == "ടാവീ ലൂമോ"
    bali, pali = Person("p1", [["ba", "li"]]), Person("p2", [["pa", "li"]])
    assert get_renderer("ta").native_name(bali) == "ம்பாலி"
    assert get_renderer("ta").native_name(pali) == "பாலி"


@pytest.mark.parametrize("lang", LANGS)
def test_canonical_sentences(lang):
    """Golden canonical statements (what cloze questions and answers use)."""
    r = get_renderer(lang)
    values = {"person": "Tavi Lumo", "year": "1978", "city": "Nalu", "occ": r.occupations["teacher"],
              "company": "Kemo Industries", "hobby": r.hobbies["chess"]}
    golden = {
        "id": "Tavi Lumo lahir pada tahun 1978.",
        "sw": "Tavi Lumo alizaliwa mwaka 1978.",
        "vi": "Tavi Lumo sinh năm 1978.",
        "ta": "Tavi Lumo 1978 ஆம் ஆண்டு பிறந்தார்.",
        "te": "Tavi Lumo 1978లో జన్మించారు.",
        "ml": "Tavi Lumo 1978-ൽ ജനിച്ചു.",
    }
    assert r.fill(r.facts["birth_year"][0], values) == golden[lang]
    for attr in ("birth_city", "occupation", "employer", "hobby"):
        text = r.fill(r.facts[attr][0], values)
        assert text.endswith(".") and "Tavi Lumo" in text
