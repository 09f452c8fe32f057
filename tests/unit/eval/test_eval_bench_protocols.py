"""eval.protocols: golden prompts per benchmark (exact strings), the letter and option
protocols against log-probabilities computed by hand on a tiny model, the generate protocol's
letter-extraction rule."""

from __future__ import annotations

import pytest
import torch

from langtransfer.eval.benchmarks import load_benchmark
from langtransfer.eval.generate import GenOut
from langtransfer.eval.mc import MCItem
from langtransfer.eval.protocols import (extract_letters, letter_prompt, option_requests_for,
                                         score, score_letter, score_option)


def _zh(i: str, q: str, options: str, answer: int, subject: str = "law") -> MCItem:
    return MCItem(i, q, list(options), answer, "zh", subject=subject)


def _en(i: str, q: str, answer: int, subject: str = "anatomy", n: int = 4) -> MCItem:
    return MCItem(i, q, ["red", "blue", "green", "black", "white"][:n], answer, "en",
                  subject=subject)


# ---------------------------------------------------------------- golden prompts
def test_ceval_prompt_is_the_official_one():
    shot, item = _zh("0", "甲是____。", "一二三四", 1), _zh("1", "乙是____。", "五六七八", 0)
    assert letter_prompt(load_benchmark("ceval"), item, [shot]) == (
        "以下是中国关于法学考试的单项选择题，请选出其中的正确答案。\n\n"
        "甲是____。\nA. 一\nB. 二\nC. 三\nD. 四\n答案：B\n\n"
        "乙是____。\nA. 五\nB. 六\nC. 七\nD. 八\n答案：")


def test_mmlu_prompt_is_lm_evals():
    spec = load_benchmark("mmlu")
    shot, item = _en("0", "Sky?", 1, "high_school_us_history"), _en("1", " Grass? ", 2,
                                                                     "high_school_us_history")
    assert letter_prompt(spec, item, [shot]) == (
        "The following are multiple choice questions (with answers) about high school us "
        "history.\n\nSky?\nA. red\nB. blue\nC. green\nD. black\nAnswer: B\n\n"
        "Grass?\nA. red\nB. blue\nC. green\nD. black\nAnswer:")
    context, continuation = option_requests_for(spec, item)[2]
    assert context == ("The following are multiple choice questions (with answers) about high "
                       "school us history.\n\nQuestion: Grass?\nAnswer:")
    assert continuation == " green"


def test_cmmlu_prompt_is_the_official_one():
    item = _zh("0", "问？", "甲乙丙丁", 0, "agronomy")
    assert letter_prompt(load_benchmark("cmmlu"), item) == (
        "以下是关于农学的单项选择题，请直接给出正确答案的选项。\n\n"
        "题目：问？\nA. 甲\nB. 乙\nC. 丙\nD. 丁\n答案是：")


def test_agieval_prompts_follow_the_task_language():
    spec = load_benchmark("agieval")
    en = MCItem("0", "Which?", list("xyzwv"), 0, "en", subject="lsat-ar", passage="PASSAGE.")
    zh = MCItem("0", "哪个？", list("甲乙丙丁"), 0, "zh", subject="logiqa-zh", passage="材料。")
    assert letter_prompt(spec, en) == ("PASSAGE.Q: Which? Answer Choices: (A)x (B)y (C)z (D)w "
                                       "(E)v\nA: Among A through E, the answer is")
    assert letter_prompt(spec, zh) == "材料。问题：哪个？ 选项：(A)甲 (B)乙 (C)丙 (D)丁\n答案：从A到D, 我们应选择"
    assert option_requests_for(spec, zh)[1] == ("材料。问题：哪个？\n答案：", "乙")


def test_belebele_and_gaokao_prompts():
    item = MCItem("0", "q", list("abcd"), 0, "en", subject="eng_Latn", passage="p")
    assert letter_prompt(load_benchmark("belebele"), item) == (
        "P: p\nQ: q\nA: a\nB: b\nC: c\nD: d\nAnswer:")
    sub = MCItem("3-2", "短文 …\n57. Where?\nA. x  B. y  C. z  D. w\n", list("xyzw"), 1, "zh",
                 meta={"sub": 2}, subject="2010-2022_English_Reading_Comp")
    assert letter_prompt(load_benchmark("gaokao"), sub).endswith("D. w\n第2小题答案：")
    single = MCItem("1", "题？\nA．甲 B．乙\n", ["甲", "乙"], 1, "zh", meta={"sub": None})
    assert letter_prompt(load_benchmark("gaokao"), single) == "题？\nA．甲 B．乙\n答案："


def test_miniworld_option_requests_are_the_cloze_formulation():
    spec = load_benchmark("miniworld")
    blank = MCItem("k", "Tavi was born in ____.", ["Nalu", "Oslo"], 0, "en")
    assert option_requests_for(spec, blank) == [("Tavi was born in ", "Nalu."),
                                                ("Tavi was born in ", "Oslo.")]
    zh = MCItem("z", "塔维出生在哪？", ["纳卢", "巴黎"], 0, "zh")
    assert option_requests_for(spec, zh)[1] == ("塔维出生在哪？\n答案：", "巴黎")


def test_an_item_is_never_its_own_shot(model, tok):
    spec = load_benchmark("ceval")
    pool = [_zh(str(i), f"问{i}？", "甲乙丙丁", i % 4) for i in range(3)]
    preds = score(model, tok, spec, pool[:1], "letter", shots={"law": pool}, k=2)
    assert len(preds) == 1
    prompt = letter_prompt(spec, pool[0], pool[1:3])
    assert prompt.count("问0？") == 1 and "问1？" in prompt and "问2？" in prompt


# ---------------------------------------------------------------- hand-computed log-probs
def _hand_loglik(model, tok, context: str, continuation: str) -> float:
    """log p(continuation | BOS + context): one unpadded forward, summed by hand."""
    ctx = [tok.bos_token_id] + tok.encode(context, add_special_tokens=False)
    full = [tok.bos_token_id] + tok.encode(context + continuation, add_special_tokens=False)
    assert full[:len(ctx)] == ctx and len(full) > len(ctx)
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([full[:-1]])).logits[0].float()
    logp = torch.log_softmax(logits, dim=-1)
    return float(sum(logp[i - 1, full[i]] for i in range(len(ctx), len(full))))


@pytest.fixture
def long_model(make_model):
    return make_model(seed=3, max_positions=2048)  # no truncation: prompts fit whole


@pytest.mark.parametrize("bench", ["ceval", "mmlu"])
def test_letter_protocol_matches_hand_computed_logprobs(long_model, tok, bench):
    spec = load_benchmark(bench)
    if bench == "ceval":
        items = [_zh("0", "甲是____。", "一二三四", 1), _zh("1", "乙？", "五六七八", 3)]
    else:
        items = [_en("0", "Sky?", 1), _en("1", "Grass?", 2)]
    shots = {items[0].subject: items}
    preds = score_letter(long_model, tok, spec, items, shots, k=1, batch_size=3)
    for item, pred in zip(items, preds):
        prompt = letter_prompt(spec, item, [s for s in items if s is not item][:1])
        answer = spec.template.answer
        hand = [_hand_loglik(long_model, tok, prompt, answer.format(letter=L)) for L in "ABCD"]
        assert pred["scores"] == pytest.approx(hand, abs=1e-4)
        assert pred["pred"] == "ABCD"[max(range(4), key=lambda i: hand[i])]
        assert pred["correct"] == (pred["pred"] == item.gold)


@pytest.mark.parametrize("norm", ["none", "char", "token"])
def test_option_protocol_matches_hand_computed_logprobs(long_model, tok, norm):
    spec = load_benchmark("mmlu")
    items = [MCItem("0", "Where was Tavi born?", ["Paris", "the city of London", "Nalu"], 1,
                    "en", subject="anatomy")]
    pred = score_option(long_model, tok, spec, items, norm=norm)[0]
    hand, sizes = [], []
    for context, continuation in option_requests_for(spec, items[0]):
        hand.append(_hand_loglik(long_model, tok, context, continuation))
        full = tok.encode(context + continuation, add_special_tokens=False)
        sizes.append({"none": 1, "char": len(continuation.strip()),
                      "token": len(full) - len(tok.encode(context, add_special_tokens=False))}[norm])
    assert pred["logliks"] == pytest.approx(hand, abs=1e-4)
    assert pred["scores"] == pytest.approx([h / s for h, s in zip(hand, sizes)], abs=1e-4)
    assert pred["n_tokens"] == [len(tok.encode(c + o, add_special_tokens=False))
                                - len(tok.encode(c, add_special_tokens=False))
                                for c, o in option_requests_for(spec, items[0])]


def test_multi_answer_items_need_the_exact_set(model, tok):
    spec = load_benchmark("agieval")
    item = MCItem("0", "Which?", list("wxyz"), 0, "en", subject="lsat-ar", multi=(0, 2))
    pred = score(model, tok, spec, [item], "letter")[0]
    assert pred["gold"] == "AC" and pred["correct"] is False  # one argmax never equals {A, C}
    assert item.chance == pytest.approx(1 / 15)


def test_unknown_answers_give_no_correctness(model, tok):
    item = _zh("0", "问？", "甲乙丙丁", None)
    pred = score(model, tok, load_benchmark("ceval"), [item], "letter")[0]
    assert pred["gold"] == "" and pred["correct"] is None and pred["pred"] in "ABCD"


# ---------------------------------------------------------------- generate
@pytest.mark.parametrize("text, expect", [
    ("B", "B"), (" (C) because", "C"), ("答案是D。", "D"), ("答案：B", "B"),
    ("Among A through D, the answer is C.", "C"), ("I think a cat. Answer: D", "D"),
    ("An apple", ""), ("E", ""),  # "A" inside a word is no letter; E is not an option
])
def test_extract_letters(text, expect):
    assert extract_letters(text, _en("0", "q", 0)) == expect


def test_extract_letters_multi_answer_takes_the_first_line_with_letters():
    item = MCItem("0", "q", list("abcd"), 0, "en", multi=(0, 3))
    assert extract_letters("so\nA and D\nB", item) == "AD"


def test_generate_protocol_scores_the_extracted_letter(model, tok, monkeypatch):
    import langtransfer.eval.generate as gen

    seen = []

    def canned(model, tok, prompts, max_new_tokens, batch_size, stop, on_batch=None):
        seen.extend(prompts)
        return [GenOut(text, 2, 0.0, "eos") for text in ("答案是B", "C", "no idea")]

    monkeypatch.setattr(gen, "generate", canned)
    items = [_zh(str(i), f"问{i}？", "甲乙丙丁", 1) for i in range(3)]
    preds = score(model, tok, load_benchmark("ceval"), items, "generate")
    assert [p["pred"] for p in preds] == ["B", "C", ""]
    assert [p["correct"] for p in preds] == [True, False, False]
    assert preds[0]["response"] == "答案是B" and seen[0].endswith("问0？\nA. 甲\nB. 乙\nC. 丙\nD. 丁\n答案：")


def test_generate_protocol_runs_on_a_real_model(model, tok):
    items = [_en(str(i), f"Sky {i}?", 1) for i in range(2)]
    preds = score(model, tok, load_benchmark("mmlu"), items, "generate", max_new_tokens=4)
    assert len(preds) == 2 and all(p["pred"] in ("", "A", "B", "C", "D") for p in preds)
    assert all(isinstance(p["response"], str) for p in preds)
