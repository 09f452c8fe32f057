"""eval.perplexity: the bits-per-byte formula on a known case, corpus-level aggregation."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from langtransfer.eval.lm import rolling_loglikelihood
from langtransfer.eval.perplexity import perplexity

TEXTS = ["Tavi Lumo was born in Paris.", "塔维·卢莫出生于纳卢。", "   ",
         "the doctor works as a teacher in the city of London and was born in the year"]


class Uniform(torch.nn.Module):
    """Zero logits: every token has probability 1/V."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.anchor = torch.nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, **kwargs):
        return SimpleNamespace(logits=torch.zeros(*input_ids.shape, self.config.vocab_size))


def test_uniform_model_gives_known_perplexity_and_bits_per_byte(model, tok):
    vocab = model.config.vocab_size
    res = perplexity(Uniform(model.config), tok, TEXTS, seq_len=16, n_boot=50)
    docs = [t for t in TEXTS if t.strip()]
    n_tokens = sum(len(tok.encode(t, add_special_tokens=False)) for t in docs)
    n_bytes = sum(len(t.encode("utf-8")) for t in docs)
    assert res["docs"] == 3 and res["tokens"] == n_tokens and res["bytes"] == n_bytes
    assert res["nll_token"] == pytest.approx(math.log(vocab))
    assert res["ppl"] == pytest.approx(vocab)
    assert res["bpb"] == pytest.approx(n_tokens * math.log(vocab) / (math.log(2) * n_bytes))
    assert res["ppl_ci"] == pytest.approx((vocab, vocab))  # every document has the same nll/token


def test_aggregation_is_corpus_level(model, tok):
    docs = [t for t in TEXTS if t.strip()]
    per_doc = rolling_loglikelihood(model, tok, docs, max_len=16)
    res = perplexity(model, tok, TEXTS, seq_len=16, n_boot=200)
    total_nll = -sum(ll for ll, _ in per_doc)
    assert res["nll"] == pytest.approx(total_nll)
    assert res["nll_token"] == pytest.approx(total_nll / sum(n for _, n in per_doc))
    mean_of_doc_ratios = sum(-ll / n for ll, n in per_doc) / len(per_doc)
    assert res["nll_token"] != pytest.approx(mean_of_doc_ratios)
    for metric in ("ppl", "bpb", "nll_token"):
        low, high = res[f"{metric}_ci"]
        assert low <= res[metric] <= high


def test_stride_only_adds_context(model, tok):
    disjoint = perplexity(model, tok, TEXTS, seq_len=8, n_boot=10)
    sliding = perplexity(model, tok, TEXTS, seq_len=8, stride=2, n_boot=10)
    assert disjoint["tokens"] == sliding["tokens"] and disjoint["bytes"] == sliding["bytes"]
    assert disjoint["nll"] != pytest.approx(sliding["nll"])


def test_no_documents_gives_nan(model, tok):
    res = perplexity(model, tok, ["", " "], seq_len=8, n_boot=10)
    assert res["docs"] == 0 and math.isnan(res["bpb"]) and math.isnan(res["ppl"])
