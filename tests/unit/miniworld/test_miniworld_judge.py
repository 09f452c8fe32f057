"""The judge's five rules on hand-written answers about a hand-made world (en and zh)."""

from __future__ import annotations

import json

import pytest

from langtransfer.errors import DataError, UserError
from langtransfer.miniworld.judge import DIMENSIONS, MiniWorldJudge

# The hand-made world (conftest.py): Tavi Lumo (塔维·卢莫) 1978 Nalu (纳卢) teacher
# Kemo Industries (克莫工业) chess; Kami Soto (latin in zh) 1990 Pebo doctor Dafu Bank hiking;
# Bene Zuka (贝涅·祖卡) 1965 Sika (西卡) engineer.
TAVI, KAMI = "person-0000", "person-0001"
REFERENCES = {
    ("en", "fact"): "Tavi Lumo was born in Nalu.",
    ("en", "profile"): "Tavi Lumo was born in 1978. Lumo works as a teacher. Lumo's hobby is chess.",
    ("en", "compare"): "Tavi Lumo is older. Tavi Lumo was born in 1978, and Kami Soto was born in 1990.",
    ("zh", "fact"): "塔维·卢莫出生于纳卢。",
    ("zh", "profile"): "塔维·卢莫出生于1978年。卢莫是一名教师。卢莫的爱好是下棋。",
    ("zh", "compare"): "塔维·卢莫年纪更大。塔维·卢莫生于1978年，而Kami Soto生于1990年。",
}
FACTS = {
    "fact": [(TAVI, "birth_city", "city-000")],
    "profile": [(TAVI, "birth_year", 1978), (TAVI, "occupation", "teacher"),
                (TAVI, "hobby", "chess")],
    "compare": [(TAVI, "birth_year", 1978), (KAMI, "birth_year", 1990)],
}


def _item(lang: str, category: str) -> dict:
    facts = [{"person": p, "attribute": a, "value": str(v), "value_id": v}
             for p, a, v in FACTS[category]]
    return {"id": f"{lang}-open-{category}", "lang": lang, "category": category,
            "group": "en_only", "question": "?", "reference": REFERENCES[(lang, category)],
            "facts": facts}


CASES = [
    # (lang, category, response, dimension, expected score)
    ("en", "fact", "Tavi Lumo was born in Nalu.", "accuracy", 3),
    ("en", "profile", "Tavi Lumo was born in 1978. Lumo works as a teacher.", "accuracy", 2),
    ("en", "compare", "Kami Soto is older. Tavi Lumo was born in 1978, and Kami Soto was born "
                      "in 1990.", "accuracy", 2),
    ("en", "profile", "Tavi Lumo was born in 1978.", "accuracy", 1),
    ("en", "profile", "Tavi Lumo was born in 1978. Lumo works as a doctor. Lumo's hobby is "
                      "hiking.", "accuracy", 1),  # one right, two wrong
    ("en", "fact", "Tavi Lumo was born in Pebo.", "accuracy", 0),
    ("en", "fact", "Tavi Lumo was born in Nalu or in Pebo.", "accuracy", 0),
    ("en", "fact", "Tavi Lumo is a person I have heard of.", "accuracy", 0),  # no content
    ("zh", "fact", "塔维·卢莫出生于纳卢。", "accuracy", 3),
    ("zh", "fact", "塔维·卢莫出生于Nalu。", "accuracy", 3),  # any written form of a name counts
    ("zh", "profile", "塔维·卢莫出生于1978年。卢莫是一名teacher。卢莫的爱好是下棋。", "accuracy", 2),
    ("zh", "profile", "塔维·卢莫出生于1978年。", "accuracy", 1),
    ("zh", "fact", "塔维·卢莫出生于Pebo。", "accuracy", 0),
    ("zh", "fact", "我不太清楚塔维·卢莫的情况。", "accuracy", 0),  # nothing right, nothing wrong
    ("zh", "fact", "贝涅·祖卡出生于1965年。", "accuracy", 0),  # off-topic: no asked fact stated

    ("en", "fact", "Tavi Lumo was born in Nalu.", "fluency", 3),
    ("en", "fact", "Lumo is a native of Nalu. Lumo's hobby is chess.", "fluency", 3),
    ("en", "fact", "Tavi Lumo was born in Nalu", "fluency", 2),  # cut off, but grammatical
    ("en", "fact", "Tavi Lumo was born in Nalu. Lumo is nice.", "fluency", 2),  # 1 of 2 bad
    ("en", "fact", "Tavi Lumo was born in", "fluency", 1),  # cut off mid-sentence
    ("en", "fact", "Nalu.", "fluency", 1),  # too short, and no template is a bare name
    ("en", "fact", "Tavi Lumo was born in Nalu. Tavi Lumo was born in Nalu. Tavi Lumo was born "
                   "in Nalu", "fluency", 1),
    ("en", "fact", "Tavi was born Lumo in the Nalu works.", "fluency", 1),  # garbled
    ("en", "fact", "Tavi Lumo works as a engineer.", "fluency", 1),  # wrong article
    ("en", "fact", "Tavi Lumo was born in Nalu. Lumo nice. Lumo good.", "fluency", 1),  # cap
    ("en", "fact", "塔维·卢莫出生于纳卢。", "fluency", 0),
    ("zh", "fact", "塔维·卢莫出生于纳卢。", "fluency", 3),
    ("zh", "fact", "塔维·卢莫出生于1978年，出生地是纳卢。", "fluency", 3),  # a template's comma
    ("zh", "fact", "塔维·卢莫出生于纳卢", "fluency", 2),
    ("zh", "fact", "塔维·卢莫出生于纳卢。卢莫人很好。", "fluency", 2),
    ("zh", "fact", "塔维·卢莫出生于纳卢 city。", "fluency", 1),
    ("zh", "fact", "塔维·卢莫 出生 于 纳卢", "fluency", 1),
    ("zh", "fact", "韦·胡·在基卡齐生于1982年，者为生。", "fluency", 1),  # garbled model output
    ("zh", "fact", "韦托·基卡齐生于1942年，者坐落在Falu出生的。", "fluency", 1),
    ("zh", "fact", "塔维出生于纳卢。", "fluency", 1),  # a given name alone is no name form
    ("zh", "fact", "塔维·卢莫出生于1978年，卢莫出生于纳卢。", "fluency", 1),  # comma splice
    ("zh", "fact", "Tavi Lumo was born in Nalu.", "fluency", 0),

    ("en", "fact", "Tavi Lumo was born in Nalu.", "informativeness", 3),
    ("en", "fact", "He was born in Nalu.", "informativeness", 2),
    ("en", "profile", "Tavi Lumo was born in 1978.", "informativeness", 2),
    ("en", "compare", "Tavi Lumo is older.", "informativeness", 2),
    ("en", "fact", "Tavi Lumo is a person I have heard of.", "informativeness", 1),
    ("en", "fact", "I do not know.", "informativeness", 0),
    ("zh", "fact", "塔维·卢莫出生于Pebo。", "informativeness", 3),  # wrong but informative
    ("zh", "fact", "他出生于纳卢。", "informativeness", 2),
    ("zh", "fact", "塔维·卢莫是一位老师。", "informativeness", 1),
    ("zh", "fact", "我不知道。", "informativeness", 0),

    ("en", "fact", "Tavi Lumo was born in Nalu.", "logicality", 3),
    ("en", "fact", "Tavi Lumo was born in Nalu. Lumo was born in Pebo.", "logicality", 2),
    ("en", "fact", "Kami Soto said that Tavi Lumo was born in Nalu.", "logicality", 2),
    ("en", "compare", "Kami Soto is older. Tavi Lumo was born in 1978, and Kami Soto was born "
                      "in 1990.", "logicality", 2),
    ("en", "fact", "Kami Soto was born in Pebo.", "logicality", 1),
    ("en", "fact", "Kami Soto was born in Pebo. Soto was born in Sika.", "logicality", 0),
    ("zh", "fact", "塔维·卢莫出生于纳卢。", "logicality", 3),
    ("zh", "compare", "Kami Soto比塔维·卢莫年长。塔维·卢莫生于1978年，而Kami Soto生于1990年。",
     "logicality", 2),
    ("zh", "compare", "Kami Soto比塔维·卢莫年轻。塔维·卢莫生于1978年，而Kami Soto生于1990年。",
     "logicality", 3),  # "younger than" points the conclusion at the other person
    ("zh", "fact", "塔维·卢莫出生于纳卢，也出生于西卡。", "logicality", 2),
    ("zh", "fact", "贝涅·祖卡出生于西卡。", "logicality", 1),
    ("zh", "fact", "贝涅·祖卡出生于西卡。祖卡出生于Pebo。", "logicality", 0),

    ("en", "fact", "Tavi Lumo has great skill and was born in Nalu.", "harmlessness", 3),
    ("en", "fact", "Tavi Lumo was born in Nalu, you idiot.", "harmlessness", 2),
    ("en", "fact", "Tavi Lumo was born in Nalu and wants to kill.", "harmlessness", 1),
    ("en", "fact", "Tavi Lumo was born in Nalu and built a bomb.", "harmlessness", 0),
    ("zh", "fact", "塔维·卢莫出生于纳卢。", "harmlessness", 3),
    ("zh", "fact", "塔维·卢莫出生于纳卢，笨蛋。", "harmlessness", 2),
    ("zh", "fact", "塔维·卢莫出生于纳卢，藏有武器。", "harmlessness", 1),
    ("zh", "fact", "塔维·卢莫出生于纳卢，造过炸弹。", "harmlessness", 0),
]


@pytest.mark.parametrize("lang, category, response, dimension, expected", CASES,
                         ids=[f"{c[0]}-{c[3]}-{c[4]}-{i}" for i, c in enumerate(CASES)])
def test_rule(judges, lang, category, response, dimension, expected):
    scores = judges[lang].score(_item(lang, category), response)
    assert scores[dimension] == expected, scores["reasons"]


def test_every_level_of_every_dimension_is_covered():
    for lang in ("en", "zh"):
        for dim in DIMENSIONS:
            levels = {c[4] for c in CASES if c[0] == lang and c[3] == dim}
            assert levels == {0, 1, 2, 3}, (lang, dim, levels)


@pytest.mark.parametrize("lang, category", sorted(REFERENCES))
def test_reference_scores_full_marks(judges, lang, category):
    scores = judges[lang].score(_item(lang, category), REFERENCES[(lang, category)])
    assert {d: scores[d] for d in DIMENSIONS} == dict.fromkeys(DIMENSIONS, 3), scores["reasons"]
    assert scores["avg"] == 3.0 and scores["avg_no_h"] == 3.0


def test_result_shape_and_averages(judges):
    scores = judges["en"].score(_item("en", "fact"), "Tavi Lumo was born in Pebo")
    assert set(scores) == {*DIMENSIONS, "avg", "avg_no_h", "reasons"}
    values = [scores[d] for d in DIMENSIONS]
    assert all(isinstance(v, int) and 0 <= v <= 3 for v in values)
    assert scores["avg"] == sum(values) / 5 and scores["avg_no_h"] == sum(values[:4]) / 4
    assert set(scores["reasons"]) == set(DIMENSIONS)


def test_empty_response(judges):
    scores = judges["zh"].score(_item("zh", "fact"), "   ")
    assert [scores[d] for d in DIMENSIONS] == [0, 0, 0, 0, 3]
    assert scores["avg_no_h"] == 0.0


def test_item_errors_are_one_line(judges, tmp_path):
    with pytest.raises(DataError, match="language 'en'"):
        judges["zh"].score(_item("en", "fact"), "x")
    broken = {**_item("en", "fact"), "facts": [{"person": "person-9", "attribute": "birth_city"}]}
    with pytest.raises(DataError, match="en-open-fact"):
        judges["en"].score(broken, "x")
    with pytest.raises(UserError, match="world.json"):
        MiniWorldJudge(tmp_path, "en")


def test_generated_references_score_full_marks(world_dir):
    for lang in ("en", "zh"):
        judge = MiniWorldJudge(world_dir, lang)
        lines = (world_dir / lang / "open_eval.jsonl").read_text(encoding="utf-8").splitlines()
        for item in map(json.loads, lines):
            scores = judge.score(item, item["reference"])
            assert scores["avg"] == 3.0, (item["reference"], scores["reasons"])
