"""Every renderer round-trips in its own script (issue 8): generated text is in the expected
script, states the same facts as the English rendering, knowledge answers are right by
construction, and the judge gives the reference full marks and a wrong-script answer fluency 0.

The round-trip tests run over every registered renderer (`RENDERERS`), so a new language is
checked as soon as its render/<code>.py lands.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

import pytest

from langtransfer.langs import get_lang
from langtransfer.miniworld.config import WorldConfig
from langtransfer.miniworld.corpus import pretrain_documents, unseen_documents
from langtransfer.miniworld.datasets import View
from langtransfer.miniworld.generate import generate
from langtransfer.miniworld.judge import SCRIPT_PREFIX, UNIT_RE, MiniWorldJudge
from langtransfer.miniworld.render import (
    PARALLEL_SEP, PLACE_FACTS, RENDERERS, all_name_forms, get_renderer, surname_entity,
    template_literals,
)
from langtransfer.miniworld.world import ATTRIBUTE_KIND, ATTRIBUTES, World, build_world
from langtransfer.text.normalize import normalize, to_ascii_digits
from langtransfer.text.words import words

TARGETS = [lang for lang in RENDERERS if lang != "en"]
LETTERS = "ABCD"


def _cfg(small_cfg: WorldConfig, langs: list[str]) -> WorldConfig:
    """The small test world in `langs`, names written natively wherever the language can."""
    forms = {lang: "native" for lang in langs if get_renderer(lang).transliteration}
    return small_cfg.with_updates({"langs": ["en", *langs], "name_rendering": forms})


@pytest.fixture(scope="module")
def worlds(tmp_path_factory, small_cfg):
    """lang -> directory of a generated [en, lang] world (generated on first use)."""
    cache: dict[str, Path] = {}

    def get(lang: str) -> Path:
        if lang not in cache:
            cache[lang] = tmp_path_factory.mktemp(f"world_{lang}") / "w"
            generate(_cfg(small_cfg, [lang]), cache[lang])
        return cache[lang]
    return get


def _texts(world_dir: Path, lang: str) -> list[str]:
    """Every text of one language's folder (the target half of parallel pairs; cloze questions
    and all four options of the knowledge files)."""
    out = []
    for name in ("pretrain.txt", "heldout.txt", "heldout_unseen.txt"):
        for line in (world_dir / lang / name).read_text(encoding="utf-8").splitlines():
            out.append(line.split(PARALLEL_SEP)[0])
    for row in json.loads((world_dir / lang / "instructions.json").read_text(encoding="utf-8")):
        out += [row[k] for k in ("instruction", "input", "output") if row[k]]
    for name in ("knowledge.csv", "knowledge_control.csv"):
        with open(world_dir / lang / name, encoding="utf-8") as f:
            out += [" ".join(row[1:6]) for row in list(csv.reader(f))[1:]]
    for item in _open_items(world_dir, lang):
        out += [item["question"], item["reference"]]
    return out


def _open_items(world_dir: Path, lang: str) -> list[dict]:
    lines = (world_dir / lang / "open_eval.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _world(world_dir: Path) -> World:
    return World.from_dict(json.loads((world_dir / "world.json").read_text(encoding="utf-8")))


# ------------------------------------------------------------------ word units


@pytest.mark.parametrize("text, expected", [
    ("हिन्दी भाषा", ["हिन्दी", "भाषा"]),  # vowel signs and virama stay in the word
    ("தமிழ் மொழி", ["தமிழ்", "மொழி"]),
    ("বাংলা ভাষা১৯৭৮", ["বাংলা", "ভাষা"]),  # native digits are not letters
    ("ટાવી લૂમોનો જન્મ", ["ટાવી", "લૂમોનો", "જન્મ"]),
    ("تاڤي لُمو، العربيةُ", ["تاڤي", "لُمو", "العربيةُ"]),  # harakat stay too
    ("র\u200d্যাব", ["র\u200d্যাব"]),  # a joiner inside a word keeps it whole
])
def test_words_keep_combining_marks(text, expected):
    assert words(text) == expected
    assert [u for u in UNIT_RE.findall(text) if not u.isdigit()] == expected


# ------------------------------------------------------------------ round trips per language


@pytest.mark.parametrize("lang", TARGETS)
def test_generated_text_is_in_the_expected_script(worlds, lang):
    """>= 99 % of the letters of every generated text of the language are in its script."""
    prefix = SCRIPT_PREFIX.get(get_lang(lang).script, "LATIN")
    letters = ok = 0
    for text in _texts(worlds(lang), lang):
        for ch in text:
            if unicodedata.category(ch).startswith("L"):
                letters += 1
                ok += unicodedata.name(ch, "").startswith(prefix)
    assert letters > 10_000
    assert ok / letters >= 0.99, f"{lang}: {ok / letters:.4f} of letters in {prefix}"


@pytest.mark.parametrize("lang", TARGETS)
def test_statements_carry_the_same_facts_as_english(worlds, lang):
    """Every fact template (and combined template) of the language, filled for real people and
    places, names the same entities and values as the English canonical sentence: the judge's
    matcher finds the person (full or family name), the value (city, company, occupation,
    hobby, year read from native digits) and nothing else."""
    world_dir = worlds(lang)
    world = _world(world_dir)
    judges = {code: MiniWorldJudge(world_dir, code) for code in ("en", lang)}
    views = {code: View(world, code) for code in ("en", lang)}
    r = views[lang].r
    people = [p for p in world.people if p.group == "shared"][:12]

    def found(code: str, text: str) -> set:
        return {(m.kind, m.id) for m in judges[code].mentions(text)}

    for person in people:
        for full in (True, False):
            values = {code: v.values(person.id, full) for code, v in views.items()}
            for attr in ATTRIBUTES:
                want = found("en", views["en"].r.fill(views["en"].r.facts[attr][0], values["en"]))
                assert ("person", person.id) in want and len(want) == 2
                for template in r.facts[attr]:
                    assert found(lang, r.fill(template, values[lang])) == want, template
            for pair, templates in r.combos.items():
                en = views["en"].r
                want = found("en", en.fill(en.combos[pair][0], values["en"]))
                for template in templates:
                    assert found(lang, r.fill(template, values[lang])) == want, template
    for fact, entities in zip(PLACE_FACTS, (world.cities, world.companies)):
        for e in entities:
            en = views["en"]
            want = found("en", en.r.fill(en.r.facts[fact][0], en.values(e.id)))
            for template in r.facts[fact]:
                assert found(lang, r.fill(template, views[lang].values(e.id))) == want


@pytest.mark.parametrize("lang", TARGETS)
def test_knowledge_answers_are_correct_by_construction(worlds, lang):
    world_dir = worlds(lang)
    world = _world(world_dir)
    view = View(world, lang)
    meta = {m["id"]: m for m in map(json.loads, (world_dir / lang / "knowledge_meta.jsonl")
                                    .read_text(encoding="utf-8").splitlines())}
    n = 0
    for name in ("knowledge.csv", "knowledge_control.csv"):
        with open(world_dir / lang / name, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            m = meta[row["id"]]
            attr, person = m["attribute"], world.by_id[m["person"]]
            _, slot = view.r.cloze(attr)
            truth = view.value_text(attr, person.value(attr), slot)
            options = [row[letter] for letter in LETTERS]
            assert options[LETTERS.index(row["answer"])] == truth
            assert options.count(truth) == 1
            assert view.lex["person"][person.id] in row["question"]
            if attr == "birth_year":
                assert all(ch in view.r.digits for o in options for ch in o)
            n += 1
    assert n > 0


@pytest.mark.parametrize("lang", TARGETS)
def test_judge_full_marks_for_references_and_ascii_years(worlds, lang):
    world_dir = worlds(lang)
    judge = MiniWorldJudge(world_dir, lang)
    for item in _open_items(world_dir, lang):
        for answer in (item["reference"], to_ascii_digits(item["reference"])):
            scores = judge.score(item, answer)
            assert scores["avg"] == 3, (answer, scores["reasons"])


@pytest.mark.parametrize("lang", [t for t in TARGETS if get_lang(t).script != "Latn"])
def test_english_answer_to_a_non_latin_question_gets_fluency_zero(worlds, lang):
    world_dir = worlds(lang)
    judge = MiniWorldJudge(world_dir, lang)
    english = _open_items(world_dir, "en")
    for item, en_item in zip(_open_items(world_dir, lang), english):
        assert judge.score(item, en_item["reference"])["fluency"] == 0


@pytest.mark.parametrize("lang", TARGETS)
def test_renderer_output_is_already_normalised(small_cfg, lang):
    """generate() normalises what it writes; the renderers' text needs no change (so world.json's
    lexicon and the files agree)."""
    cfg = _cfg(small_cfg, [lang])
    world = build_world(cfg)
    docs = pretrain_documents(world, cfg, lang) + unseen_documents(world, cfg, lang)
    assert all(normalize(d, lang) == d for d in docs)
    names = [f for e in world.by_id.values() for f in all_name_forms(e, [lang])]
    assert all(normalize(f, lang) == f for f in names)


@pytest.mark.parametrize("lang", [t for t in TARGETS if get_renderer(t).transliteration])
def test_native_names_never_occur_in_template_text(small_cfg, lang):
    """The judge finds names by substring search: no native name form of any entity (full name,
    family name, place, company word) may occur in the language's template or vocabulary text,
    and none may hold a word the judge searches for (vocabulary, older/younger, harm words)."""
    r = get_renderer(lang)
    world = build_world(_cfg(small_cfg, [lang]))
    literals = template_literals(r)
    searched = [*r.occupations.values(), *r.hobbies.values(), *r.older_words, *r.younger_words,
                *(t for terms in r.harm_terms.values() for t in terms)]
    for e in world.by_id.values():
        for word in e.words:
            form = "".join(r.transliteration[s] for s in word)
            assert form not in literals, (e.id, form)
            assert not [w for w in searched if w in form], (e.id, form)
    assert len({r.native_name(p) for p in world.people}) == len(world.people)
    surnames = [r.native_name(surname_entity(p)) for p in world.people]
    assert len(set(surnames)) == len(surnames)


# ------------------------------------------------------------------ one world, many scripts


@pytest.fixture(scope="module")
def scripts_world(tmp_path_factory, small_cfg) -> Path:
    """A small world in English, Arabic, Urdu, Hindi and Marathi (two pairs sharing a script)."""
    out = tmp_path_factory.mktemp("scripts") / "w"
    generate(_cfg(small_cfg, ["ar", "ur", "hi", "mr"]), out)
    return out


@pytest.mark.parametrize("question_lang, answer_lang, fluency", [
    ("hi", "en", 0),  # Latin answer, Devanagari question
    ("ur", "hi", 0),  # another script
    ("hi", "ur", 0),
    ("ar", "ur", 0),  # same script: Urdu letters (ک ی ے ہ ٹ ...) mark the words as not Arabic
    ("mr", "hi", 1),  # same script, no telling letters: only the grammar notices (capped at 1)
    ("hi", "mr", 1),
])
def test_answer_in_another_language(scripts_world, question_lang, answer_lang, fluency):
    judge = MiniWorldJudge(scripts_world, question_lang)
    items = _open_items(scripts_world, question_lang)
    others = _open_items(scripts_world, answer_lang)
    got = [judge.score(item, other["reference"])["fluency"] for item, other in zip(items, others)]
    assert max(got) == fluency, got


def test_arabic_answer_to_an_urdu_question_is_mostly_caught(scripts_world):
    """The reverse direction is weaker: many Arabic words hold none of the Arabic-only letters
    (ي ك ة ه ى): "من مواليد عام" passes the script check and only the grammar caps such an
    answer at 1 (measured: 12 of 20 answers get 0, 8 get 1)."""
    judge = MiniWorldJudge(scripts_world, "ur")
    pairs = zip(_open_items(scripts_world, "ur"), _open_items(scripts_world, "ar"))
    got = [judge.score(item, other["reference"])["fluency"] for item, other in pairs]
    assert max(got) <= 1 and got.count(0) >= len(got) // 2, got


@pytest.mark.slow  # ~2 s alone, > 5 s on the shared 2-core machine
def test_world_in_every_language_generates_and_parses(tmp_path, small_cfg):
    """One world in all registered languages: generation works and every reference is a full
    score in its own language."""
    out = tmp_path / "w"
    generate(_cfg(small_cfg, TARGETS), out)
    for lang in TARGETS:
        judge = MiniWorldJudge(out, lang)
        for item in _open_items(out, lang)[:6]:
            assert judge.score(item, item["reference"])["avg"] == 3


def test_years_in_native_digits_per_language(worlds):
    """Each language writes years with its digits; the year in the text is the person's."""
    for lang, sample in (("bn", "১"), ("ar", "١"), ("ur", "۱"), ("mr", "१"), ("gu", "૧"),
                         ("hi", "1")):
        if lang not in TARGETS:
            continue
        world_dir = worlds(lang)
        world = _world(world_dir)
        r = get_renderer(lang)
        assert r.digits[1] == sample
        item = next(i for i in _open_items(world_dir, lang) if i["category"] == "compare")
        years = [world.by_id[f["person"]].birth_year for f in item["facts"]]
        assert all(r.number(y) in item["reference"] for y in years)
        assert {f["value"] for f in item["facts"]} == {r.number(y) for y in years}
        assert ATTRIBUTE_KIND["birth_year"] == "year"
