"""The closed grammar: every sentence MiniWorld writes parses; garbled sentences do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langtransfer.miniworld.grammar import compile_grammar, sentence_pattern, split_template
from langtransfer.miniworld.judge import MiniWorldJudge
from langtransfer.miniworld.render import PARALLEL_SEP, RENDERERS, all_templates, get_renderer


def _generated_texts(world_dir: Path, lang: str) -> list[tuple[str, str, str]]:
    """(file, language of the text, text) for every piece of text of one language's folder
    (and of base_pretrain.txt for English), except the cloze questions (their blank is no slot
    value). Parallel pairs give a target-language and an English text."""
    out = []
    files = [world_dir / lang / n for n in ("pretrain.txt", "heldout.txt", "heldout_unseen.txt")]
    if lang == "en":
        files.append(world_dir / "base_pretrain.txt")
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            out += [(path.name, _script_lang(part), part) for part in line.split(PARALLEL_SEP)]
    for row in json.loads((world_dir / lang / "instructions.json").read_text(encoding="utf-8")):
        out += [(f"instructions.{k}", lang, row[k]) for k in ("instruction", "input", "output")
                if row[k]]
    for line in (world_dir / lang / "open_eval.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        out += [("open_eval.question", lang, item["question"]),
                ("open_eval.reference", lang, item["reference"])]
    return out


def test_every_generated_sentence_parses(world_dir):
    """The proof that the grammar is complete: 100 % of the generated sentences of every file,
    both languages, parse."""
    judges = {lang: MiniWorldJudge(world_dir, lang) for lang in ("en", "zh")}
    total, files = 0, set()
    for lang in ("en", "zh"):
        for name, text_lang, text in _generated_texts(world_dir, lang):
            parsed = judges[text_lang].parse(text)
            assert parsed, (name, text)
            bad = [s for s, ok in parsed if not ok]
            assert not bad, (name, text_lang, bad)
            total += len(parsed)
            files.add((name, text_lang))
    assert total > 2000
    assert len(files) == 2 * 9  # 8 kinds of text per language + base_pretrain.txt (both)


def _script_lang(text: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


@pytest.mark.parametrize("lang", RENDERERS)
def test_templates_compile_once_per_language(lang):
    r = get_renderer(lang)
    assert compile_grammar(lang) is compile_grammar(lang)  # built once per language
    for template in all_templates(r):
        assert split_template(template, r.final_punct)
    with pytest.raises(ValueError, match="no kind"):
        sentence_pattern("{pet} is nice.", {})


GRAMMATICAL = [
    ("en", "Tavi Lumo was born in Nalu."),
    ("en", "Lumo's year of birth is 1978."),
    ("en", "By trade, Lumo is a teacher."),  # the renderer capitalises a sentence's first letter
    ("en", "Tavi Lumo works as an engineer at Kemo Industries."),
    ("en", "Who is older, Tavi Lumo or Kami Soto?"),
    ("en", "Tavi Lumo is older. Tavi Lumo was born in 1978, and Kami Soto was born in 1990."),
    ("en", "Tell me about Kami Soto: hobby, employer and birthplace."),  # attributes in any order
    ("en", "Tavi Lumo was born in 纳卢."),  # a name in any written form
    ("zh", "塔维·卢莫出生于纳卢。"),
    ("zh", "Tavi Lumo出生于Nalu。"),
    ("zh", "卢莫的职业是教师。下棋是卢莫最大的爱好。"),
    ("zh", "塔维·卢莫出生于1978年，出生地是纳卢。"),
    ("zh", "克莫工业的总部位于纳卢。纳卢是沃利的一座城市。"),
    ("zh", "请介绍一下塔维·卢莫的职业、爱好和出生地。"),
    ("zh", "你知道塔维·卢莫的雇主吗？请说明。"),
    ("zh", "塔维·卢莫年纪更大。塔维·卢莫生于1978年，而Kami Soto生于1990年。"),
]
UNGRAMMATICAL = [
    ("en", "by trade, Lumo is a teacher."),  # lower-case start
    ("en", "Tavi Lumo works as a engineer."),  # wrong article
    ("en", "Nalu was born in Tavi Lumo."),  # slots filled by the wrong kinds
    ("en", "Tavi was born in Nalu."),  # a given name alone is no name form
    ("en", "Tavi Lumo was born in Nalu in Nalu."),
    ("en", "Tavi Lumo was born in 78."),
    ("en", "Tavi Lumo's hobby is teacher."),
    ("en", "Lumo born Nalu in works as a."),
    ("zh", "塔维·在纳卢生于1978年，者为生。"),
    ("zh", "卢莫坐落在Nalu出生的。"),
    ("zh", "塔维·卢莫出生于纳卢城。"),
    ("zh", "塔维·卢莫是一名下棋。"),
    ("zh", "塔维·卢莫是一名teacher。"),  # vocabulary words only as written in the language
    ("zh", "塔维·卢莫出生于1978年，卢莫出生于纳卢。"),  # no template joins these by a comma
]


@pytest.mark.parametrize("lang, text", GRAMMATICAL)
def test_grammatical_sentences(judges, lang, text):
    parsed = judges[lang].parse(text)
    assert parsed and all(ok for _, ok in parsed), parsed


@pytest.mark.parametrize("lang, text", UNGRAMMATICAL)
def test_ungrammatical_sentences(judges, lang, text):
    assert not any(ok for _, ok in judges[lang].parse(text))


def test_only_the_last_sentence_may_lack_final_punctuation(judges):
    assert [ok for _, ok in judges["en"].parse("Tavi Lumo was born in Nalu")] == [True]
    lines = judges["en"].parse("Tavi Lumo was born in Nalu\nLumo works as a teacher.")
    assert [ok for _, ok in lines] == [False, True]
    assert [ok for _, ok in judges["zh"].parse("塔维·卢莫出生于纳卢。卢莫是一名教师")] == [True, True]


def test_skeletons_show_names_by_kind(judges):
    (sentence, ok), = judges["zh"].parse("塔维·卢莫在Kemo Industries工作。")
    assert ok and sentence == "{person}在{company}工作。"
