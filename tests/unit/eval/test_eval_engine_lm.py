"""eval.lm's fast path: shared-prefix scoring equals the plain one-sequence-per-request path
(to 1e-5), batched encoding equals encode_pair, models that cannot take it fall back."""

from __future__ import annotations

import logging
import re

import pytest
import torch

from langtransfer.eval import lm, packing

from eval_token_pairs import random_token_pairs
from langtransfer.eval.lm import (
    encode_pair, encode_pairs, loglikelihood, loglikelihood_tokens, rolling_loglikelihood,
)

QUESTIONS = [
    ("Question: where was Tavi Lumo born?\nAnswer:", [" Paris", " London", " Nalu is red", " a"]),
    ("The capital of", [" Nalu", " the city of London was born", " Paris."]),
    ("Tavi Lumo works as a ", ["teacher", "doctor", "teacher in the city", "red"]),
    ("塔维·卢莫出生于", ["城市。", "答案", "医生的工作在年。"]),
    ("", ["the teacher", "Paris", "塔维"]),
    ("red blue green black year", [" the", " answer question instruction response"]),
]
REQUESTS = [(ctx, opt) for ctx, opts in QUESTIONS for opt in opts]


def _close(fast, plain, tol=1e-5, rel=2e-6):
    """Float32 rounding in other shapes: the random model's log-likelihoods reach ~66, where
    one float32 spacing is 7.6e-6 (float64 agreement to 1e-10: the test below)."""
    assert len(fast) == len(plain)
    for (ll, greedy, n), (ref_ll, ref_greedy, ref_n) in zip(fast, plain):
        assert n == ref_n and greedy == ref_greedy
        assert ll == pytest.approx(ref_ll, abs=tol, rel=rel)


def test_encode_pairs_equals_encode_pair(tok):
    extra = [("Tavi Lumo was born in   ", "Paris"), ("答案：", "医生"), ("x", " y")]
    requests = REQUESTS + extra + REQUESTS[:3]  # repeated texts are encoded once, same result
    assert encode_pairs(tok, requests) == [encode_pair(tok, c, x) for c, x in requests]


def test_encode_pairs_ignores_a_backend_left_truncating(tok):
    # The direct Rust call would truncate; the fallback through tok(...) switches it off.
    tok.backend_tokenizer.enable_truncation(3)
    try:
        batched = encode_pairs(tok, REQUESTS)
    finally:
        tok.backend_tokenizer.no_truncation()
    assert batched == [encode_pair(tok, c, x) for c, x in REQUESTS]
    assert max(len(ctx) for ctx, _ in batched) > 4


class _MergingTokenizer:
    """A slow (per-text) tokenizer: characters, except that "ab" is one token, a merge that
    can cross the context/continuation boundary."""

    bos_token_id = None
    eos_token_id = 0

    def encode(self, text, add_special_tokens=False):
        return [1000 if piece == "ab" else ord(piece) for piece in re.findall("ab|.", text, re.S)]


def test_encode_pairs_keeps_the_boundary_merge_fallback():
    tok = _MergingTokenizer()
    requests = [("xa", "b"), ("xy", "ab"), ("", "ab"), ("xa ", "b")]
    assert encode_pairs(tok, requests) == [encode_pair(tok, c, x) for c, x in requests]
    assert encode_pairs(tok, requests)[0] == ([ord("x")], [1000])


@pytest.mark.parametrize("batch_size", [1, 3, 4, 8, 64])
def test_shared_prefix_equals_plain_path(model, tok, batch_size):
    plain = loglikelihood(model, tok, REQUESTS, batch_size=8, share_prefix=False)
    fast = loglikelihood(model, tok, REQUESTS, batch_size=batch_size, share_prefix=True)
    _close(fast, plain)


def test_auto_mode_uses_the_shared_prefix_path_for_llama(model, tok, monkeypatch):
    calls = []
    real = lm._score_packed
    monkeypatch.setattr(lm, "_score_packed", lambda *a, **k: calls.append(1) or real(*a, **k))
    _close(loglikelihood(model, tok, REQUESTS), loglikelihood(model, tok, REQUESTS,
                                                               share_prefix=False))
    assert calls


def test_eager_attention_agrees_too(tok, make_model):
    model = make_model()
    model.config._attn_implementation = "eager"
    plain = loglikelihood(model, tok, REQUESTS, share_prefix=False)
    _close(loglikelihood(model, tok, REQUESTS, share_prefix=True), plain)


def test_one_row_scores_every_option_of_a_question(model, tok, monkeypatch):
    packing._packing_mode(model)  # the one-time probe also calls forward; not what is counted
    widths = []
    real = model.forward

    def spy(*args, **kwargs):
        widths.append(kwargs["input_ids"].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "forward", spy)
    requests = [(ctx, opt) for ctx, opts in QUESTIONS[:2] for opt in opts]  # 7 requests
    loglikelihood(model, tok, requests, batch_size=32, share_prefix=True)
    assert sum(shape[0] for shape in widths) == 2  # one row per question, 7 requests


def test_progress_counts_requests_and_respects_batch_size(model, tok):
    seen = []
    loglikelihood(model, tok, REQUESTS, batch_size=5, on_batch=seen.append, share_prefix=True)
    assert sum(seen) == len(REQUESTS) and max(seen) <= 5


def test_truncated_contexts_match_the_plain_path(tok, make_model):
    model = make_model(max_positions=16)
    long_ctx = " ".join(["the teacher was born in London"] * 5)
    requests = [(long_ctx, " Paris"), (long_ctx, " the city of London was born in"),
                (long_ctx, " red"), ("a", " b"), (long_ctx[:40], " Nalu is red")]
    plain = loglikelihood(model, tok, requests, share_prefix=False)
    _close(loglikelihood(model, tok, requests, batch_size=2, share_prefix=True), plain)


def test_random_token_pairs_match_at_every_batch_size(model):
    pairs = random_token_pairs(model.config.vocab_size, seed=1, contexts=12, max_context=20,
                               max_options=5)
    plain = loglikelihood_tokens(model, pairs, 8, 24, share_prefix=False)  # some truncated
    for batch_size in (1, 7, 100):
        _close(loglikelihood_tokens(model, pairs, batch_size, 24, share_prefix=True), plain)


def test_random_token_pairs_match_exactly_in_float64(model):
    model = model.double()
    pairs = random_token_pairs(model.config.vocab_size, seed=1, contexts=12, max_context=20,
                               max_options=5)
    plain = loglikelihood_tokens(model, pairs, 8, 24, share_prefix=False)
    for batch_size in (1, 7, 100):
        _close(loglikelihood_tokens(model, pairs, batch_size, 24, share_prefix=True), plain,
               tol=1e-10, rel=0)


class _KeepSpy(torch.nn.Module):
    """Wraps a LLaMA, declaring the keywords the fast path looks for; records logits_to_keep."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.config, self.kept = inner, inner.config, []

    def get_output_embeddings(self):
        return self.inner.get_output_embeddings()

    def forward(self, input_ids, attention_mask=None, position_ids=None, use_cache=None,
                logits_to_keep=0):
        self.kept.append((input_ids.shape[1], logits_to_keep))
        return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                          position_ids=position_ids, use_cache=use_cache,
                          logits_to_keep=logits_to_keep)


def test_only_the_needed_positions_reach_the_lm_head(model, tok):
    spy = _KeepSpy(model)
    packing._packing_mode(spy)  # the one-time probe also calls forward; not what is checked
    spy.kept.clear()
    plain = loglikelihood(model, tok, REQUESTS, share_prefix=False)
    _close(loglikelihood(spy, tok, REQUESTS, share_prefix=True), plain)
    assert all(0 < keep <= width for width, keep in spy.kept)
    assert sum(keep for _, keep in spy.kept) < sum(width for width, _ in spy.kept)


class _IgnoresPositions(torch.nn.Module):
    """Declares position_ids but drops them: the probe must catch it."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.config = inner, inner.config

    def get_output_embeddings(self):
        return self.inner.get_output_embeddings()

    def forward(self, input_ids, attention_mask=None, position_ids=None, use_cache=None):
        return self.inner(input_ids=input_ids, attention_mask=attention_mask, use_cache=use_cache)


def test_a_model_failing_the_probe_falls_back_to_the_plain_path(model, tok, caplog):
    odd = _IgnoresPositions(model)
    with caplog.at_level(logging.WARNING, logger="langtransfer.eval.packing"):
        got = loglikelihood(odd, tok, REQUESTS)
    assert "plain path" in caplog.text
    _close(got, loglikelihood(model, tok, REQUESTS, share_prefix=False))


@pytest.mark.parametrize("arch", ["gpt2", "qwen2", "gpt_neox", "mistral"])
def test_other_architectures_agree_or_fall_back(tok, arch):
    import transformers as T

    vocab = len(tok)
    configs = {
        "gpt2": lambda: T.GPT2Config(vocab_size=vocab, n_embd=32, n_layer=2, n_head=2,
                                     n_positions=128, bos_token_id=1, eos_token_id=2),
        "qwen2": lambda: T.Qwen2Config(vocab_size=vocab, hidden_size=32, intermediate_size=64,
                                       num_hidden_layers=2, num_attention_heads=2,
                                       num_key_value_heads=1),
        "gpt_neox": lambda: T.GPTNeoXConfig(vocab_size=vocab, hidden_size=32,
                                            intermediate_size=64, num_hidden_layers=2,
                                            num_attention_heads=2, bos_token_id=1,
                                            eos_token_id=2),
        # sliding window of 4 tokens: the plain path applies it, a custom mask would not
        "mistral": lambda: T.MistralConfig(vocab_size=vocab, hidden_size=32,
                                           intermediate_size=64, num_hidden_layers=2,
                                           num_attention_heads=2, num_key_value_heads=1,
                                           sliding_window=4),
    }
    torch.manual_seed(0)
    model = T.AutoModelForCausalLM.from_config(configs[arch]()).eval()
    plain = loglikelihood(model, tok, REQUESTS, share_prefix=False)
    _close(loglikelihood(model, tok, REQUESTS), plain, tol=1e-4)
    assert packing._packing_works(model) == (arch != "mistral")


@pytest.mark.parametrize("stride", [None, 3])
def test_rolling_fast_path_equals_plain(model, tok, stride):
    texts = ["the doctor was born in London and works as a teacher in the city of Paris.",
             "塔维·卢莫出生于城市。", "", "red"]
    plain = rolling_loglikelihood(model, tok, texts, 8, stride, batch_size=3, share_prefix=False)
    fast = rolling_loglikelihood(model, tok, texts, 8, stride, batch_size=3, share_prefix=True)
    for (a, n), (b, m) in zip(fast, plain):
        assert n == m and a == pytest.approx(b, abs=1e-5)


@pytest.mark.shared_data
def test_extended_vocabulary_on_real_questions(shared_data):
    """The 55,296-piece Chinese-LLaMA-2 tokenizer (an extended LLaMA vocabulary) on CMMLU and
    MMLU dev questions: batched encoding and the fast path agree with the plain path."""
    import csv

    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    folder = shared_data / "tokenizers" / "chinese_llama2"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    tok = AutoTokenizer.from_pretrained(folder)
    requests = []
    for path, delim in ((shared_data / "cmmlu" / "dev" / "anatomy.csv", ""),
                        (shared_data / "mmlu" / "dev" / "anatomy_dev.csv", " ")):
        rows = list(csv.reader(path.open(encoding="utf-8")))
        for row in rows[1:4] if delim == "" else rows[:3]:
            question, options = (row[1], row[2:6]) if delim == "" else (row[0], row[1:5])
            requests += [(f"{question}\n{'答案：' if delim == '' else 'Answer:'}", delim + o)
                         for o in options]
    assert encode_pairs(tok, requests) == [encode_pair(tok, c, x) for c, x in requests]
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, max_position_embeddings=256)).eval()
    _close(loglikelihood(model, tok, requests, batch_size=8),
           loglikelihood(model, tok, requests, batch_size=8, share_prefix=False))


def test_packed_batches_cover_every_request_once_and_cut_long_padding():
    conts = [[1] * 30, [2] * 30, [3] * 2, [4] * 2, [5] * 2, [6] * 3, [7] * 2]
    contexts = [[7] * 10, [7] * 10, [8] * 12, [9] * 12, [9] * 12, [10] * 40, [11] * 60]
    batches = list(packing._packed_batches(contexts, conts, batch_size=3))
    seen = [i for rows in batches for _, ids in rows for i in ids]
    assert sorted(seen) == list(range(7))
    assert all(sum(len(ids) for _, ids in rows) <= 3 for rows in batches)
    # row lengths: 61 ([11]), 42 ([10]), 39 and 39 ([7]: long options after a short context
    # are not shared), 14 ([9] + 1 + 1: shared), 13 ([8]); a row shorter than 15/16 of its
    # batch's first starts a batch (42 after 61, 39 after 42, 13 after 14), equal ones share
    assert [[ids for _, ids in rows] for rows in batches] == [[[6]], [[5]], [[0], [1]],
                                                             [[3, 4]], [[2]]]


def test_a_context_is_shared_only_while_it_saves_attention():
    conts = [[0] * 21] * 4 + [[0] * 512] * 2 + [[0]] * 3
    assert packing._share_rows(tuple(range(192)), [0, 1, 2, 3], conts) == [[0, 1, 2, 3]]
    assert packing._share_rows((5,), [4, 5], conts) == [[4], [5]]  # 1023^2 > 2 x 512^2 cells
    assert packing._share_rows((5,), [6, 7, 8], conts) == [[6, 7, 8]]  # one-token continuations
