"""eval.formats / eval.benchmarks: every source format loads with its exact question count
(real releases from ../shared/data; GAOKAO-Bench from fixtures in its exact layout), single
files and the hub path (datasets.load_dataset replaced) give the same items."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from langtransfer.eval.benchmarks import load_benchmark, load_items, load_shots
from langtransfer.eval.formats import FORMATS


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


@pytest.mark.shared_data
@pytest.mark.parametrize("name, split, total, subjects", [
    ("ceval", "dev", 260, 52), ("mmlu", "dev", 285, 57), ("cmmlu", "dev", 335, 67),
    ("mmlu", "val", 1531, 57), ("belebele", "test", 900, 1),
])
def test_release_loads_with_its_exact_count(shared_data, name, split, total, subjects):
    loaded = load_items(load_benchmark(name), shared_data / name, split)
    assert len(loaded.items) == total and len(loaded.per_subject) == subjects
    assert loaded.split == split and not loaded.skipped
    if name != "belebele":  # dev splits: 5 per subject
        assert set(loaded.per_subject.values()) == ({5} if split == "dev" else
                                                     set(loaded.per_subject.values()))
    assert all(len(i.options) == 4 and i.answer is not None for i in loaded.items)


@pytest.mark.shared_data
def test_ceval_test_split_has_no_answers_and_val_matches_row_counts(shared_data):
    spec = load_benchmark("ceval")
    test = load_items(spec, shared_data / "ceval", "test")
    assert test.items and all(i.answer is None and i.gold == "" for i in test.items)
    val = load_items(spec, shared_data / "ceval", "val")
    rows = sum(len(list(csv.DictReader(f.open(encoding="utf-8"))))
               for f in (shared_data / "ceval" / "val").glob("*.csv"))
    assert len(val.items) == rows  # questions may span lines: rows, not lines
    assert {i.lang for i in val.items} == {"zh"}


@pytest.mark.shared_data
def test_agieval_counts_per_task_and_skips_cloze(shared_data):
    folder = shared_data / "agieval" / "v1"
    loaded = load_items(load_benchmark("agieval"), shared_data / "agieval")
    cloze = {"gaokao-mathcloze", "math"}
    expected = {f.stem: _lines(f) for f in folder.glob("*.jsonl") if f.stem not in cloze}
    assert loaded.per_subject == dict(sorted(expected.items()))
    assert loaded.skipped == {"no_options": sum(_lines(folder / f"{t}.jsonl") for t in cloze)}
    by_subject = {i.subject: i for i in loaded.items}
    assert by_subject["logiqa-zh"].lang == "zh" and by_subject["lsat-ar"].lang == "en"
    assert len(by_subject["aqua-rat"].options) == 5
    assert not by_subject["aqua-rat"].options[0].startswith("(A)")  # marker stripped
    multi = [i for i in loaded.items if i.multi]
    # gaokao-mathqa writes 7 multi-answer labels as strings: "AD", "ACD", "A B D", ...
    assert len(multi) == 7 and {i.subject for i in multi} == {"gaokao-mathqa"}
    assert {i.gold for i in multi} >= {"AD", "ABD"}


@pytest.mark.shared_data
def test_single_file_implies_subject_and_split(shared_data):
    spec = load_benchmark("ceval")
    one = load_items(spec, shared_data / "ceval" / "dev" / "law_dev.csv")
    assert one.split == "dev" and list(one.per_subject) == ["law"] and len(one.items) == 5
    cm = load_items(load_benchmark("cmmlu"), shared_data / "cmmlu" / "dev" / "agronomy.csv")
    assert cm.split == "dev" and cm.per_subject == {"agronomy": 5}
    assert [i.id for i in cm.items] == ["0", "1", "2", "3", "4"]  # the unnamed index column


@pytest.mark.shared_data
def test_shots_are_the_first_k_dev_rows(shared_data):
    spec = load_benchmark("mmlu")
    shots = load_shots(spec, shared_data / "mmlu", ["anatomy"], 3)
    dev = load_items(spec, shared_data / "mmlu", "dev", ["anatomy"]).items
    assert [s.question for s in shots["anatomy"]] == [d.question for d in dev[:4]]


# ---------------------------------------------------------------- GAOKAO-Bench (fixtures)
# Shapes copied from OpenLMLab/GAOKAO-Bench Data/Objective_Questions: options inside the
# question text (full-width "．" in Chinese papers, "A. " in English ones), a reading passage
# with numbered sub-questions and one option run each, a 七选五 with one shared run A–G.
BIOLOGY = {"keywords": "2010-2022_Biology_MCQs", "example": [
    {"year": "2010", "category": "（新课标）", "index": 0, "score": 6, "analysis": "…",
     "question": "1．（ 6分）下列有关细胞的叙述，正确的是（ 　　） \nA．病毒是一类具有细胞结构的生物   \n"
                 "B．蓝藻细胞具有细胞核且 DNA分子呈环状   \nC．人体所有细胞的细胞周期持续时间相同   \n"
                 "D．内质网膜和高尔基体膜都具有流动性\n", "answer": ["D"]},
    {"year": "2011", "category": "（新课标）", "index": 9, "score": 6, "analysis": "…",
     "question": "6．（6分）如表是根据实验目的，所需选用的试剂与预期的实验结果正确的是（　　）\n"
                 "A 检测植物组织中的脂肪  双缩脲试剂\nA．A B．B C．C D．D\n", "answer": ["B"]},
]}
READING = {"keywords": "2010-2022_English_Reading_Comp", "example": [
    {"year": "2010", "category": "（新课标Ⅰ）", "index": 0, "score": 2, "analysis": "…",
     "question": "A \nWelcome  to the world -famous  house  where  William  Shakespeare  was born.\n"
                 "56. How  much  is the admission  for a family ?　   　 \n"
                 "A. ￡9.80.       B. ￡12.00 .        C. ￡14.20 .       D. ￡16.40 . \n"
                 "57. Where  is the nearest  parking  place ? 　   　 \n"
                 "A. Behind  the exhibition  hall.        B. Opposite  the Visitors ’ Centre . \n"
                 "C. At Windsor  Street .               D. Near  the Coffee  House . \n"
                 "58. A wheelchair  user may need  help to enter　   　. \n"
                 "A. the House    B. the garden    C. the Visitors ’ Centre     D. the exhibition  hall.\n",
     "answer": ["B", "C", "A"]},
]}
CLOZE = {"keywords": "2012-2022_English_Cloze_Test", "example": [
    {"year": "2012", "category": "（新课标）", "index": 0, "score": 2, "analysis": "…",
     "question": "根据短文内容 ，从短文后的选项中选出能填入空白处的最佳选项 。\nEverybody  gets "
                 "stressed.    71    Some  ways  don’t solve much.    72    Try these steps.    73"
                 "    Be positive.    74    They do work.    75    \n"
                 "A. Ask for a helping  hand .  \nB. Notice  your friends ’ feelings .  \n"
                 "C. Different  people  feel stress  in different  ways.  \nD. Ah, it feels  so good.  \n"
                 "E. You need  to figure  out the problem. \nF. And don’t forget  your friends.  \n"
                 "G. Then,  find a way to calm  down.\n",
     "answer": ["C", "F", "A", "E", "D"]},
]}


def write_gaokao(root: Path) -> Path:
    """A GAOKAO-Bench checkout: Data/Objective_Questions/<file>.json (+ a model-output file)."""
    folder = root / "Data" / "Objective_Questions"
    folder.mkdir(parents=True)
    for data in (BIOLOGY, READING, CLOZE):
        (folder / f"{data['keywords']}.json").write_text(
            json.dumps(data, ensure_ascii=False, indent=4), encoding="utf-8")
    (folder / "gemini-pro_2010-2022_Biology_MCQs.json").write_text("[]", encoding="utf-8")
    return root


def test_gaokao_counts_sub_questions_and_parses_option_runs(tmp_path):
    loaded = load_items(load_benchmark("gaokao"), write_gaokao(tmp_path / "GAOKAO-Bench"))
    assert loaded.per_subject == {"2010-2022_Biology_MCQs": 2, "2010-2022_English_Reading_Comp": 3,
                                  "2012-2022_English_Cloze_Test": 5}
    items = {(i.subject, i.id): i for i in loaded.items}
    bio = items[("2010-2022_Biology_MCQs", "0")]
    assert bio.options == ["病毒是一类具有细胞结构的生物", "蓝藻细胞具有细胞核且 DNA分子呈环状",
                           "人体所有细胞的细胞周期持续时间相同", "内质网膜和高尔基体膜都具有流动性"]
    assert bio.gold == "D" and bio.meta["sub"] is None
    assert items[("2010-2022_Biology_MCQs", "9")].options == ["A", "B", "C", "D"]
    q57 = items[("2010-2022_English_Reading_Comp", "0-2")]
    assert q57.options == ["Behind the exhibition hall.", "Opposite the Visitors ’ Centre .",
                           "At Windsor Street .", "Near the Coffee House ."]
    assert q57.gold == "C" and q57.meta["sub"] == 2 and q57.meta["n_sub"] == 3
    assert items[("2010-2022_English_Reading_Comp", "0-3")].options[3] == "the exhibition hall."
    cloze = [items[("2012-2022_English_Cloze_Test", f"0-{k}")] for k in range(1, 6)]
    assert [c.gold for c in cloze] == ["C", "F", "A", "E", "D"]
    assert all(len(c.options) == 7 and c.chance == pytest.approx(1 / 7) for c in cloze)


def test_gaokao_single_file(tmp_path):
    root = write_gaokao(tmp_path / "g")
    one = load_items(load_benchmark("gaokao"),
                     root / "Data" / "Objective_Questions" / "2010-2022_English_Reading_Comp.json")
    assert [i.id for i in one.items] == ["0-1", "0-2", "0-3"]


def test_belebele_answer_number_and_language(tmp_path):
    row = {"link": "https://x", "question_number": 1, "flores_passage": "P.", "question": "Q?",
           "mc_answer1": "a", "mc_answer2": "b", "mc_answer3": "c", "mc_answer4": "d",
           "correct_answer_num": "3", "dialect": "zho_Hans"}
    (tmp_path / "zho_Hans.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    item = load_items(load_benchmark("belebele"), tmp_path).items[0]
    assert item.gold == "C" and item.lang == "zh" and item.subject == "zho_Hans"
    assert item.passage == "P." and item.meta == {"link": "https://x", "question_number": 1}


def test_miniworld_subjects_are_attributes(tmp_path):
    folder = tmp_path / "en"
    folder.mkdir()
    (folder / "knowledge.csv").write_text(
        "id,question,A,B,C,D,answer\nk1,Tavi was born in ____.,Nalu,Paris,Rome,Oslo,A\n"
        "k2,Tavi works as a ____.,baker,pilot,cook,nurse,B\n", encoding="utf-8")
    (folder / "knowledge_meta.jsonl").write_text(
        '{"id": "k1", "file": "knowledge.csv", "attribute": "birth_city"}\n'
        '{"id": "k2", "file": "knowledge.csv", "attribute": "occupation"}\n', encoding="utf-8")
    loaded = load_items(load_benchmark("miniworld"), folder)
    assert loaded.per_subject == {"birth_city": 1, "occupation": 1}
    assert loaded.split == "knowledge" and {i.lang for i in loaded.items} == {"en"}
    only = load_items(load_benchmark("miniworld"), folder, subjects=["occupation"])
    assert [i.id for i in only.items] == ["k2"]


class FakeHub:
    """Stands in for datasets.load_dataset: rows per (path, name, split), calls recorded."""

    def __init__(self, rows: dict):
        self.rows, self.calls = rows, []

    def __call__(self, path, name=None, split=None):
        self.calls.append((path, name, split))
        return self.rows[(path, name, split)]


def test_hub_rows_become_the_same_items(monkeypatch):
    import datasets

    hub = FakeHub({
        ("cais/mmlu", "anatomy", "validation"): [
            {"question": "Q1?", "subject": "anatomy", "choices": ["a", "b", "c", "d"], "answer": 2}],
        ("ceval/ceval-exam", "law", "test"): [
            {"id": 0, "question": "问？", "A": "甲", "B": "乙", "C": "丙", "D": "丁",
             "answer": "", "explanation": ""}],
    })
    monkeypatch.setattr(datasets, "load_dataset", hub)
    mmlu = load_items(load_benchmark("mmlu"), "hub", "val", ["anatomy"]).items
    assert hub.calls[0] == ("cais/mmlu", "anatomy", "validation")  # split renamed for the hub
    assert mmlu[0].gold == "C" and mmlu[0].options == ["a", "b", "c", "d"]
    ceval = load_items(load_benchmark("ceval"), "hub", "test", ["law"]).items
    assert ceval[0].answer is None and ceval[0].subject == "law"


def test_every_format_is_registered_and_used():
    from langtransfer.eval.benchmarks import benchmark_names

    used = {load_benchmark(n).format for n in benchmark_names()}
    assert used == set(FORMATS)
