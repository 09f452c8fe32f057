"""Budgets and mixtures: exact samples budgets, fractions plus fixed samples, nested seeded
subsets, one-line errors, the realised counts in the manifests, and SFT packing."""

from __future__ import annotations

import json
import random

import pytest
import torch

from langtransfer.data.config import InstructionSourceConfig, TextSourceConfig
from langtransfer.data.mix import draw_documents, draw_examples, take_items
from langtransfer.data.packing import pack_examples
from langtransfer.errors import ConfigError, DataError
from langtransfer.runs import read_manifest
from langtransfer.train.config import CPTConfig, SFTConfig


def _docs(n, seed=0):
    rng = random.Random(seed)
    return [list(range(rng.randint(3, 30))) for _ in range(n)]


def _text(path, n, word, seed=0):
    rng = random.Random(seed)
    path.write_text("\n".join(f"{word} {i} " + "na " * rng.randint(1, 12) for i in range(n))
                    + "\n", "utf-8")
    return str(path)


def _alpaca(path, n, word):
    rows = [{"instruction": f"{word} question {i}?", "input": "",
             "output": f"{word} answer " + "x " * (i % 5)} for i in range(n)]
    path.write_text(json.dumps(rows), "utf-8")
    return str(path)


def test_take_items_is_nested_seeded_and_cycles_only_with_repeat():
    items = list(range(50))
    small, big = take_items(items, 10, repeat=False, seed=3), take_items(items, 30, repeat=False,
                                                                         seed=3)
    assert big[:10] == small and small != items[:10]
    cycled = take_items(items, 120, repeat=True, seed=3)
    assert cycled[:30] == big and sorted(cycled[50:100]) == items  # every pass is a permutation
    with pytest.raises(DataError, match=r"zh.txt: has 50 documents, the config asks for 51 "
                                        r"\(set repeat: true"):
        take_items(items, 51, repeat=False, seed=0, name="zh.txt")


def test_samples_budget_is_exact_in_documents_split_by_fraction():
    sources = [TextSourceConfig(path="zh", fraction=0.75), TextSourceConfig(path="en",
                                                                            fraction=0.25)]
    parts = draw_documents([_docs(100), _docs(100, 1)], sources, tokens=None, samples=41,
                           repeat=False, seed=0)
    assert [len(p) for p in parts] == [31, 10]  # largest remainder: 30.75 -> 31, 10.25 -> 10


def test_fixed_samples_first_then_fractions_share_the_rest_of_a_token_budget():
    sources = [TextSourceConfig(path="zh", fraction=1.0), TextSourceConfig(path="en", samples=5)]
    parts = draw_documents([_docs(100), _docs(100, 1)], sources, tokens=900, samples=None,
                           repeat=False, seed=0)
    assert len(parts[1]) == 5
    assert sum(map(len, parts[0])) + sum(map(len, parts[1])) == 900
    with pytest.raises(DataError, match="already give .* tokens of the budget of 20 tokens"):
        draw_documents([_docs(100), _docs(100, 1)], sources, tokens=20, samples=None,
                       repeat=False, seed=0)


def test_budget_over_data_without_repeat_is_one_line_error_per_source():
    sources = [TextSourceConfig(path="small.txt", fraction=1.0, repeat=False)]
    with pytest.raises(DataError, match=r"small.txt: has 10 documents, the config asks for 11"):
        draw_documents([_docs(10)], sources, tokens=None, samples=11, repeat=True, seed=0)
    assert len(draw_documents([_docs(10)], [TextSourceConfig(path="s", fraction=1.0)],
                              tokens=None, samples=25, repeat=True, seed=0)[0]) == 25


def test_cpt_budget_config_rules():
    assert CPTConfig.from_dict({"samples": 100}).tokens is None  # tokens default dropped
    again = CPTConfig.from_dict(CPTConfig.from_dict({"samples": 100}).to_dict())
    assert (again.tokens, again.samples) == (None, 100)
    with pytest.raises(ConfigError, match="give exactly one budget, tokens or samples"):
        CPTConfig.from_dict({"samples": 100, "tokens": 1000})
    fixed = CPTConfig.from_dict({"data": [{"path": "a", "samples": 3},
                                          {"path": "b", "samples": 4}]})
    assert (fixed.tokens, fixed.samples) == (None, None)
    with pytest.raises(ConfigError, match=r"fractions must sum to 1 \(got 0.9\)"):
        CPTConfig.from_dict({"data": [{"path": "a", "fraction": 0.6}, {"path": "b",
                                                                        "fraction": 0.3}]})
    with pytest.raises(ConfigError, match="budget_tokenizer counts a tokens budget"):
        CPTConfig.from_dict({"samples": 5, "budget_tokenizer": "tok"})


def test_cpt_stage_samples_budget_records_realised_documents_and_tokens(model_dir, tmp_path):
    from langtransfer.train.cpt import run

    data = [{"path": _text(tmp_path / "zh.txt", 40, "zh"), "lang": "zh", "fraction": 0.8},
            {"path": _text(tmp_path / "en.txt", 40, "en", 1), "lang": "en", "fraction": 0.2}]
    cfg = CPTConfig.from_dict({"model": str(model_dir), "data": data, "samples": 25,
                               "seq_len": 32, "threads": 1, "checkpoint_every": 0,
                               "optim": {"batch_size": 4}})
    res = run(cfg, tmp_path / "cpt")
    rows = read_manifest(tmp_path / "cpt")["tokens_by_source"]
    assert [r["documents"] for r in rows] == [20, 5]
    assert res.tokens == sum(r["tokens"] for r in rows) == sum(res.tokens_by_lang.values())
    assert res.tokens_by_lang == {"zh": rows[0]["tokens"], "en": rows[1]["tokens"]}
    too_many = cfg.with_updates({"samples": 100, "repeat": False})
    with pytest.raises(DataError, match=r"zh.txt: has 40 documents, the config asks for 80"):
        run(too_many, tmp_path / "cpt2")


def test_sft_examples_split_over_sources_nested_per_source(tmp_path):
    rows = [[{"messages": [], "i": i} for i in range(30)], [{"messages": [], "j": j}
                                                           for j in range(30)]]
    sources = [InstructionSourceConfig(path="a", fraction=0.5),
               InstructionSourceConfig(path="b", fraction=0.5)]
    small = draw_examples(rows, sources, 10, seed=1)
    big = draw_examples(rows, sources, 20, seed=1)
    assert [len(p) for p in small] == [5, 5] and all(b[:5] == s for b, s in zip(big, small))
    fixed = [InstructionSourceConfig(path="a", samples=4), InstructionSourceConfig(path="b",
                                                                                   fraction=1.0)]
    assert [len(p) for p in draw_examples(rows, fixed, 10, seed=1)] == [4, 6]


def test_sft_stage_with_a_mixture_records_examples_per_source_and_language(model_dir,
                                                                          tmp_path):
    from langtransfer.train.sft import run

    data = [{"path": _alpaca(tmp_path / "zh.json", 20, "zh"), "lang": "zh", "samples": 12},
            {"path": _alpaca(tmp_path / "en.json", 20, "en"), "lang": "en", "samples": 4}]
    cfg = SFTConfig.from_dict({"model": str(model_dir), "data": data, "epochs": 1,
                               "max_len": 64, "threads": 1, "optim": {"batch_size": 4}})
    assert cfg.examples == 16
    res = run(cfg, tmp_path / "sft")
    manifest = read_manifest(tmp_path / "sft")
    by_source = manifest["examples_by_source"]
    assert [r["examples"] for r in by_source] == [12, 4] and res.examples == 16
    assert manifest["examples_by_lang"]["zh"]["examples"] == 12
    assert all(r["response_tokens"] < r["tokens"] for r in by_source)
    assert manifest["cache"]["status"] == "miss"
    run(cfg.with_updates({"optim.lr": 1e-4}), tmp_path / "sft_b")  # another arm, same data
    assert read_manifest(tmp_path / "sft_b")["cache"]["status"] == "hit"
    with pytest.raises(ConfigError, match=r"examples \(10\) must equal the sources' samples "
                                          r"\(16\)"):
        SFTConfig.from_dict({**cfg.to_dict(), "examples": 10})


def _examples(n, seed=0):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        prompt, answer = rng.randint(2, 6), rng.randint(1, 5)
        ids = [1] + [rng.randint(3, 300) for _ in range(prompt + answer)] + [2]
        labels = [-100] * (1 + prompt) + ids[1 + prompt:]
        out.append({"input_ids": ids, "labels": labels})
    return out


def test_packing_fills_sequences_and_restarts_positions():
    examples = _examples(20)
    batches = pack_examples(examples, list(range(20)), batch_size=2, max_len=24, pad_id=0)
    ids = [t for b in batches for row, pos, lab in zip(b["input_ids"], b["position_ids"],
                                                       b["labels"])
           for t, p, y in zip(row.tolist(), pos.tolist(), lab.tolist()) if t or y != -100]
    assert ids == [t for e in examples for t in e["input_ids"]]  # every token once, in order
    for b in batches:
        assert b["input_ids"].shape[1] <= 24 and "attention_mask" not in b
        starts = (b["position_ids"] == 0).sum().item()
        assert starts >= b["input_ids"].shape[0]  # each row starts an example at position 0
    assert sum(b["input_ids"].shape[0] for b in batches) < len(examples) / 2


def test_packed_batch_gives_each_example_its_own_loss(model_dir):
    """With position_ids and no mask, the model sees each packed example as if alone: the
    summed loss equals the sum over separate forwards."""
    from transformers import AutoModelForCausalLM

    from langtransfer.train.loop import causal_lm_loss_sum

    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    examples = _examples(6, seed=2)  # 4..13 tokens each: all fit in one batch of 4 x 40
    batches = pack_examples(examples, list(range(6)), batch_size=4, max_len=40, pad_id=0)
    assert len(batches) == 1 and batches[0]["input_ids"].shape[0] < 6
    batch = batches[0]
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                       use_cache=False).logits
        packed = causal_lm_loss_sum(logits, batch["labels"]).item()
        alone = sum(causal_lm_loss_sum(model(input_ids=torch.tensor([e["input_ids"]]),
                                             use_cache=False).logits,
                                       torch.tensor([e["labels"]])).item() for e in examples)
        crossing = model(input_ids=batch["input_ids"], use_cache=False).logits  # no positions
    assert packed == pytest.approx(alone, rel=1e-4)
    assert causal_lm_loss_sum(crossing, batch["labels"]).item() != pytest.approx(alone, rel=1e-4)


def test_sft_stage_with_packing_runs_and_records_it(model_dir, tmp_path):
    from langtransfer.train.sft import run

    cfg = SFTConfig.from_dict({"model": str(model_dir),
                               "data": _alpaca(tmp_path / "a.json", 24, "zh"), "examples": 24,
                               "epochs": 1, "max_len": 128, "pack": True, "threads": 1,
                               "optim": {"batch_size": 2}})
    res = run(cfg, tmp_path / "sft")
    record = read_manifest(tmp_path / "sft")["examples"]
    assert record["packed"] and record["sequences"] < 24 and res.examples == 24
    assert res.steps == -(-record["sequences"] // 2)


@pytest.mark.parametrize("budget", [57, 700, 5000])  # 5000: cycles the source
def test_reference_budget_draw_equals_the_text_path(tok, tmp_path, budget):
    """budget_tokenizer: the cached-ids draw selects the text select_text selects and encodes
    it as encode_selected does, with the same reference count."""
    from langtransfer.data.cache import TokenCache, cached_documents
    from langtransfer.data.mix import draw_by_reference
    from langtransfer.data.sources import iter_texts
    from langtransfer.train.cpt import encode_selected, select_text
    from langtransfer.vocab.train import hf_tokenizer_from_sp, train_sentencepiece

    src = TextSourceConfig(path=_text(tmp_path / "zh.txt", 60, "塔维出生于纳鲁"))
    ref = hf_tokenizer_from_sp(train_sentencepiece([src.path], 290, tmp_path / "sp"),
                               tmp_path / "ref")
    cache = TokenCache(tmp_path / "c")
    ref_docs, _ = cached_documents(src, ref, cache)
    train_docs, _ = cached_documents(src, tok, cache)
    docs, count = draw_by_reference(lambda: iter_texts(src), ref_docs, train_docs, budget, tok,
                                    ref, repeat=True, seed=5)
    selected = select_text(ref, list(iter_texts(src)), budget, repeat=True, seed=5)
    assert [list(map(int, d)) for d in docs] == encode_selected(tok, selected)
    assert count == sum(len(d) for d in encode_selected(ref, selected))
