"""eval.mc: C-Eval CSV loading with one-line errors, the cloze formulation, and scoring on a
model whose answer is forced."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from langtransfer.errors import DataError
from langtransfer.eval.lm import encode_pair
from langtransfer.eval.mc import MCItem, attach_meta, load_mc_csv, option_requests, score_mc

HEADER = "id,question,A,B,C,D,answer\n"
SHARED_CEVAL = Path(__file__).resolve().parents[4] / "shared" / "data" / "ceval" / "val"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_load_reads_items_and_language_from_folder(tmp_path):
    path = _write(tmp_path / "zh" / "knowledge.csv",
                  HEADER + "zh-know-1,塔维出生于____。,纳卢,巴黎,伦敦,东京,B\n"
                  'zh-know-2,"Lumo, 答案?",a,b,c,d,D\n')
    items = load_mc_csv(path)
    assert [i.id for i in items] == ["zh-know-1", "zh-know-2"]
    assert items[0].options == ["纳卢", "巴黎", "伦敦", "东京"] and items[0].answer == 1
    assert items[1].question == "Lumo, 答案?" and items[1].answer == 3
    assert items[0].lang == "zh" and items[0].chance == 0.25 and items[0].letters == list("ABCD")


def test_extra_columns_and_fewer_options_are_accepted(tmp_path):
    path = _write(tmp_path / "dev.csv", "id,question,A,B,C,answer,explanation\n"
                                        "0,Which?,x,y,z,C,because\n")
    (item,) = load_mc_csv(path, lang="en")
    assert item.options == ["x", "y", "z"] and item.answer == 2
    assert item.chance == pytest.approx(1 / 3)


@pytest.mark.parametrize("body,expect", [
    (HEADER + "1,q,a,b,c,d,A\n2,q,a,b,c,d,E\n",
     "row 2 (line 3): answer 'E' is not one of the options A, B, C, D"),
    (HEADER + "1,q,a,b,c,d,A\n2,q,a,b,c\n",
     "row 2 (line 3): expected 7 fields as in the header, got 5"),
    (HEADER + "1,q,a,b,c,d,A,extra\n", "row 1 (line 2): expected 7 fields as in the header, got 8"),
    (HEADER + "1,q,a,,c,d,A\n", "row 1 (line 2): empty option B"),
    (HEADER + "1, ,a,b,c,d,A\n", "row 1 (line 2): empty question"),
    (HEADER + "1,q,a,b,c,d,A\n1,r,a,b,c,d,B\n", "row 2 (line 3): duplicate id '1'"),
    ("id,question,A,B,C,D\n1,q,a,b,c,d\n", "missing answer"),
    ("1,q,a,b,c,d,A\n", "header must be id,question,A,B,...,answer"),
    (HEADER, "no questions below the header"),
])
def test_bad_csv_is_a_one_line_data_error_naming_file_and_row(tmp_path, body, expect):
    path = _write(tmp_path / "bad.csv", body)
    with pytest.raises(DataError) as err:
        load_mc_csv(path, lang="en")
    message = str(err.value)
    assert "\n" not in message and str(path) in message and expect in message


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_mc_csv(tmp_path / "none.csv")


def test_cloze_and_question_formulations():
    cloze = MCItem("1", "Tavi Lumo was born in ____.", ["Nalu", "Paris"], 0, "en")
    assert option_requests(cloze) == [("Tavi Lumo was born in ", "Nalu."),
                                      ("Tavi Lumo was born in ", "Paris.")]
    zh_cloze = MCItem("2", "塔维·卢莫出生于____。", ["纳卢", "巴黎"], 0, "zh")
    assert option_requests(zh_cloze)[1] == ("塔维·卢莫出生于", "巴黎。")
    question = MCItem("3", "Where was Tavi born?", ["Nalu", "Paris"], 0, "en")
    assert option_requests(question)[0] == ("Where was Tavi born?\nAnswer:", " Nalu")
    zh_question = MCItem("4", "塔维出生在哪个城市？", ["纳卢", "巴黎"], 0, "zh")
    assert option_requests(zh_question)[0] == ("塔维出生在哪个城市？\n答案：", "纳卢")


def test_attach_meta_labels_items_and_requires_every_id(tmp_path):
    items = [MCItem("k1", "q", ["a", "b"], 0, "en"), MCItem("k2", "q", ["a", "b"], 1, "en")]
    rows = [{"id": "k1", "file": "knowledge.csv", "group": "en_only", "attribute": "birth_city",
             "name_form": "native", "person": "p1"},
            {"id": "k1", "file": "knowledge_control", "group": "unseen"},
            {"id": "k2", "file": "knowledge", "group": "en_only", "attribute": "hobby",
             "name_form": "latin", "person": "p2", "answer_form": "none"}]
    meta = _write(tmp_path / "meta.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    attach_meta(items, meta, file_name="knowledge.csv")
    assert items[0].meta["attribute"] == "birth_city" and items[1].meta["name_form"] == "latin"
    assert items[0].meta["group"] == "en_only" and items[1].meta["answer_form"] == "none"
    control = [MCItem("k1", "q", ["a", "b"], 0, "en")]
    attach_meta(control, meta, file_name="knowledge_control.csv")
    assert control[0].meta == {"file": "knowledge_control", "group": "unseen"}
    with pytest.raises(DataError, match="no line for item 'k3'"):
        attach_meta([MCItem("k3", "q", ["a", "b"], 0, "en")], meta, file_name="knowledge.csv")


class ForcedAnswers(torch.nn.Module):
    """Wraps a model and adds +50 to the logits of chosen tokens at every position."""

    def __init__(self, base, boosted: set[int]):
        super().__init__()
        self.base, self.config = base, base.config
        self.boosted = sorted(boosted)

    def forward(self, input_ids, **kwargs):
        logits = self.base(input_ids=input_ids).logits.clone()
        logits[..., self.boosted] += 50.0
        return SimpleNamespace(logits=logits)


def _items() -> list[MCItem]:
    gold = ["Paris", "London", "Paris", "Nalu"]
    distractors = [["red", "blue", "green"], ["black", "red", "teacher"],
                   ["doctor", "blue", "green"], ["red", "black", "doctor"]]
    items = []
    for k, (g, ds) in enumerate(zip(gold, distractors)):
        options = ds[:k % 4] + [g] + ds[k % 4:]  # gold at A, B, C, D in turn
        question = "Tavi was born in ____." if k % 2 else "Where was Tavi born?"
        items.append(MCItem(f"q{k}", question, options, options.index(g), "en",
                            {"group": "en_only"}))
    return items


def _forced_model(model, tok, items):
    boosted, distractor_conts = set(), []
    for item in items:
        for k, (ctx, cont) in enumerate(option_requests(item)):
            ids = encode_pair(tok, ctx, cont)[1]
            (boosted.update if k == item.answer else distractor_conts.append)(ids)
    # every distractor keeps at least one un-boosted token, so it cannot score like the gold
    assert all(set(ids) - boosted for ids in distractor_conts)
    return ForcedAnswers(model, boosted)


@pytest.mark.parametrize("norm", ["none", "token", "char", "byte"])
def test_forced_model_scores_every_item_correct(model, tok, norm):
    items = _items()
    preds = score_mc(_forced_model(model, tok, items), tok, items, norm=norm, batch_size=3)
    assert [p["correct"] for p in preds] == [True] * len(items)
    assert [p["pred"] for p in preds] == ["A", "B", "C", "D"]
    assert all(p["group"] == "en_only" and p["chance"] == 0.25 for p in preds)


def test_wrong_gold_letters_score_zero(model, tok):
    items = _items()
    forced = _forced_model(model, tok, items)
    for item in items:
        item.answer = (item.answer + 1) % len(item.options)
    preds = score_mc(forced, tok, items)
    assert sum(p["correct"] for p in preds) == 0


def test_normalised_scores_divide_the_raw_logliks(model, tok):
    item = MCItem("q", "Tavi was born in ____ city.", ["Paris", "London"], 0, "en")
    raw = score_mc(model, tok, [item], norm="none")[0]
    for norm, sizes in [("char", [len("Paris city."), len("London city.")]),
                        ("byte", [len("Paris city."), len("London city.")])]:
        scored = score_mc(model, tok, [item], norm=norm)[0]
        assert scored["scores"] == pytest.approx([ll / s for ll, s in zip(raw["logliks"], sizes)])
    per_token = score_mc(model, tok, [item], norm="token")[0]
    per_token_ref = [ll / n for ll, n in zip(raw["logliks"], raw["n_tokens"])]
    assert per_token["scores"] == pytest.approx(per_token_ref)
    zh = MCItem("z", "塔维出生在哪？", ["巴黎", "伦敦城"], 0, "zh")
    raw_zh = score_mc(model, tok, [zh])[0]
    byte_zh = score_mc(model, tok, [zh], norm="byte")[0]
    assert byte_zh["scores"] == pytest.approx([raw_zh["logliks"][0] / 6, raw_zh["logliks"][1] / 9])


@pytest.mark.shared_data
def test_real_ceval_val_files_load():
    if not SHARED_CEVAL.is_dir():
        pytest.skip(f"{SHARED_CEVAL} absent")
    files = sorted(SHARED_CEVAL.glob("*.csv"))
    items = [item for f in files for item in load_mc_csv(f)]
    rows = sum(len(list(csv.DictReader(f.open(encoding="utf-8")))) for f in files)
    assert len(items) == rows > 900  # 35 subjects' val splits are shared (PROVENANCE.md)
    assert {item.lang for item in items} == {"zh"} and all(len(i.options) == 4 for i in items)
