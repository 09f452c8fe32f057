"""Perplexity and bits per byte of held-out text.

Aggregation is corpus-level: negative log-likelihoods and counts are summed over all documents
first, then divided (a long document weighs in proportion to its length, as in lm-eval's
word_perplexity / bits_per_byte). Bits per byte divides by UTF-8 bytes, not tokens, so models
with different tokenizers — the point of vocabulary extension — stay comparable:

    bpb = total_nll_nats / (ln 2 * total_utf8_bytes)
    ppl = exp(total_nll_nats / total_tokens)        # token-level: depends on the tokenizer

Each document is scored on its own with BOS (else EOS) before it, so every one of its tokens is
predicted (eval.lm.rolling_loglikelihood). Confidence intervals resample documents.

Exercised by `langtransfer eval run` (eval.run, task "ppl") and tests/unit/eval/test_eval_perplexity.py.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from langtransfer.eval.lm import OnBatch, rolling_loglikelihood
from langtransfer.eval.metrics import bootstrap_ratio_ci


def perplexity(model: Any, tok: Any, texts: Sequence[str], seq_len: int,
               stride: int | None = None, batch_size: int = 32, *, n_boot: int = 1000,
               seed: int = 0, on_batch: OnBatch = None) -> dict:
    """Corpus-level perplexity, bits per byte and nll per token of `texts`.

    Args:
        model, tok: the LM and its tokenizer.
        texts: documents; empty or whitespace-only ones are skipped.
        seq_len: window length in tokens (capped at the model's maximum).
        stride: new tokens per window after the first (None = seq_len: disjoint windows).
        batch_size: windows per forward pass.
        n_boot, seed: bootstrap over documents for the intervals.
        on_batch: progress callback (windows done per batch).

    Returns:
        {"ppl","bpb","nll_token","nll","tokens","bytes","docs"} plus "<metric>_ci":
        (low, high) for ppl, bpb and nll_token. NaN values when there are no tokens.
    """
    docs = [t for t in texts if t.strip()]
    scores = rolling_loglikelihood(model, tok, docs, seq_len, stride, batch_size, on_batch)
    nll = [-logprob for logprob, _ in scores]
    tokens = [n for _, n in scores]
    n_bytes = [len(t.encode("utf-8")) for t in docs]
    total_nll, total_tokens, total_bytes = sum(nll), sum(tokens), sum(n_bytes)
    nll_token = total_nll / total_tokens if total_tokens else math.nan
    bpb = total_nll / (math.log(2) * total_bytes) if total_bytes else math.nan
    tok_ci = bootstrap_ratio_ci(nll, tokens, n_boot, seed)
    byte_ci = bootstrap_ratio_ci(nll, n_bytes, n_boot, seed)
    return {
        "ppl": math.exp(nll_token) if total_tokens else math.nan,
        "bpb": bpb,
        "nll_token": nll_token,
        "nll": total_nll,
        "tokens": total_tokens,
        "bytes": total_bytes,
        "docs": len(docs),
        "ppl_ci": (math.exp(tok_ci[0]), math.exp(tok_ci[1])),
        "bpb_ci": (byte_ci[0] / math.log(2), byte_ci[1] / math.log(2)),
        "nll_token_ci": tok_ci,
    }
