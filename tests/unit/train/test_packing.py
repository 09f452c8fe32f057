"""Packing and the exact token budget."""

from __future__ import annotations

import pytest
import torch

from langtransfer.errors import ConfigError, DataError
from langtransfer.train.config import BaseModelConfig, CPTConfig
from langtransfer.train.packing import (allocate_budget, lm_batches, mix_documents, pack_blocks,
                                        split_blocks, steps_for, take_tokens, tokenize_lines)


def _docs(n=30, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(3, 300, (int(torch.randint(5, 40, (1,), generator=g)),),
                          generator=g).tolist() for _ in range(n)]


def test_tokenize_lines_wraps_each_document(tok):
    docs = tokenize_lines(tok, ["Tavi was born.", "米拉生于1978年。"])
    for doc, line in zip(docs, ["Tavi was born.", "米拉生于1978年。"]):
        assert doc == [tok.bos_token_id, *tok(line, add_special_tokens=False)["input_ids"],
                       tok.eos_token_id]


def test_pack_blocks_is_all_real_tokens():
    docs = _docs()
    blocks = pack_blocks(docs, 16)
    stream = [t for d in docs for t in d]
    assert blocks.shape == (len(stream) // 16, 16)
    assert blocks.flatten().tolist() == stream[: blocks.numel()]  # 100% non-pad, in order


@pytest.mark.parametrize("budget", [1000, 1024, 7])
def test_budget_is_exact_full_blocks_then_one_short(budget):
    data = split_blocks(take_tokens(_docs(), budget, repeat=True, seed=0), 64)
    batches = lm_batches(data, batch_size=4)
    assert sum(b["input_ids"].numel() for b in batches) == budget == data.n_tokens
    assert all(b["input_ids"].shape[1] == 64 for b in batches[:-1])
    tail = budget % 64
    assert batches[-1]["input_ids"].shape == ((1, tail) if tail else (budget // 64 % 4 or 4, 64))
    assert all(b["labels"] is b["input_ids"] for b in batches)


def test_repeat_cycles_in_a_fresh_order():
    docs = _docs(10)
    available = sum(map(len, docs))
    taken = take_tokens(docs, 3 * available + 5, repeat=True, seed=1)
    assert sum(map(len, taken)) == 3 * available + 5
    first, second = taken[:10], taken[10:20]
    assert sorted(map(tuple, first)) == sorted(map(tuple, second)) == sorted(map(tuple, docs))
    assert first != second  # each pass reshuffled
    assert take_tokens(docs, 100, repeat=True, seed=1) == take_tokens(docs, 100, repeat=True,
                                                                      seed=1)


def test_over_budget_without_repeat_is_one_line_error():
    docs = _docs(5)
    available = sum(map(len, docs))
    assert sum(map(len, take_tokens(docs, available, repeat=False, seed=0))) == available
    with pytest.raises(DataError, match=f"zh.txt: budget of {available + 1} tokens exceeds "
                                        f"the data's {available} tokens and repeat is false"):
        take_tokens(docs, available + 1, repeat=False, seed=0, name="zh.txt")


def test_empty_data_is_an_error():
    with pytest.raises(DataError, match="no tokens"):
        take_tokens([], 10, repeat=True, seed=0)


@pytest.mark.parametrize("fractions,budget", [
    ([0.5, 0.5], 301), ([1 / 3] * 3, 100), ([0.8, 0.2], 400_001), ([0.05, 0.95], 7), ([1.0], 9),
])
def test_allocation_sums_to_budget_within_one_of_share(fractions, budget):
    parts = allocate_budget(fractions, budget)
    assert sum(parts) == budget
    assert all(abs(p - f * budget) < 1 for p, f in zip(parts, fractions))


def test_mix_keeps_every_document_once():
    a, b = _docs(5, seed=1), _docs(7, seed=2)
    mixed = mix_documents([a, b], seed=0)
    assert sorted(map(tuple, mixed)) == sorted(map(tuple, a + b))
    assert mixed != a + b


def test_steps_round_up():
    assert [steps_for(n, 3) for n in (1, 3, 4, 9, 10)] == [1, 1, 2, 3, 4]


@pytest.mark.parametrize("cls", [CPTConfig, BaseModelConfig])
def test_zero_budget_rejected_by_config(cls):
    with pytest.raises(ConfigError, match="field 'tokens'"):
        cls.from_dict({"tokens": 0})


def test_base_seq_len_must_fit_positions():
    with pytest.raises(ConfigError, match=r"seq_len \(1024\) exceeds arch.max_seq_len \(512\)"):
        BaseModelConfig.from_dict({"seq_len": 1024})
