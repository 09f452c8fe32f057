"""Perplexity and bits per byte of held-out text, per language.

    langtransfer eval ppl --model DIR --text heldout.txt --lang en [--seq-len 256] [--stride 128]
    langtransfer eval ppl --model DIR --text heldout.jsonl --json     # rows {"text", "lang"}

Aggregation is corpus-level: negative log-likelihoods and counts are summed over all documents
first, then divided (a long document weighs in proportion to its length, as in lm-eval's
word_perplexity / bits_per_byte). Bits per byte divides by UTF-8 bytes, not tokens, so models
with different tokenizers — the point of vocabulary extension — stay comparable:

    bpb = total_nll_nats / (ln 2 * total_utf8_bytes)
    ppl = exp(total_nll_nats / total_tokens)        # token-level: depends on the tokenizer

Token perplexity compares models that share a tokenizer (the paper's Table 2); across
tokenizers only bits per byte is meaningful. Each document is scored on its own with BOS (else
EOS) before it, so every one of its tokens is predicted (eval.lm.rolling_loglikelihood); a
document longer than the window is scored with a sliding window (seq_len tokens, `stride` new
tokens per window after the first). Confidence intervals resample documents.

Text files: `.txt` holds one document per line (MiniWorld's heldout.txt), `.jsonl` one object
per line with "text" and an optional "lang" (per-language results from one file).

Exercised by `langtransfer eval ppl`, `langtransfer eval run` (task "ppl") and
tests/unit/eval/test_eval_perplexity.py, tests/unit/eval/test_eval_engine_ppl.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

from langtransfer.errors import DataError, UserError
from langtransfer.eval.lm import OnBatch, rolling_loglikelihood
from langtransfer.eval.metrics import bootstrap_ratio_ci

AGGREGATION = ("corpus-level: ppl = exp(total NLL / total tokens), bpb = total NLL / (ln 2 x "
               "total UTF-8 bytes), nll_token = total NLL / total tokens (nats); sums over "
               "documents, each scored alone after BOS; 95% CIs resample documents")
"""The aggregation rule, stated with every result (`langtransfer eval ppl --json`)."""
UNDETERMINED = "und"
"""Language label of documents whose language is not given (ISO 639-2 'undetermined')."""


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
    return summarise(docs, scores, n_boot, seed)


def perplexity_by_lang(model: Any, tok: Any, docs: dict[str, Sequence[str]], seq_len: int,
                       stride: int | None = None, batch_size: int = 32, *, n_boot: int = 1000,
                       seed: int = 0, on_batch: OnBatch = None) -> dict[str, dict]:
    """`perplexity` of each language's documents, all scored in one batched pass.

    Args:
        docs: language -> documents (empty ones skipped).
        (the rest as `perplexity`)

    Returns:
        language -> the `perplexity` result, languages in the order given.
    """
    kept = {lang: [t for t in texts if t.strip()] for lang, texts in docs.items()}
    flat = [t for texts in kept.values() for t in texts]
    scores = iter(rolling_loglikelihood(model, tok, flat, seq_len, stride, batch_size, on_batch))
    return {lang: summarise(texts, [next(scores) for _ in texts], n_boot, seed)
            for lang, texts in kept.items()}


def summarise(docs: Sequence[str], scores: Sequence[tuple[float, int]], n_boot: int = 1000,
              seed: int = 0) -> dict:
    """Corpus-level metrics from per-document (sum log p, tokens) (module docstring's rule)."""
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


def read_documents(path: str | Path, lang: str | None = None) -> dict[str, list[str]]:
    """Documents of a held-out text file, grouped by language.

    Args:
        path: `.jsonl` (one {"text": str, "lang": str?} per line) or any other extension (a
            text file, one document per line).
        lang: the language of a text file, or of JSONL rows without "lang"; for JSONL rows
            that have one, keep only this language. None: "und" (undetermined).

    Returns:
        language -> non-empty documents, in file order.

    Raises:
        UserError: the file is missing. DataError: a malformed JSONL line (naming the line),
            or no documents at all.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: text file not found")
    docs: dict[str, list[str]] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if path.suffix == ".jsonl":
            text, row_lang = _jsonl_document(path, n, line)
            if lang is not None and row_lang is not None and row_lang != lang:
                continue
            label = row_lang or lang or UNDETERMINED
        else:
            text, label = line, lang or UNDETERMINED
        if text.strip():
            docs.setdefault(label, []).append(text)
    if not docs:
        wanted = f" in language '{lang}'" if lang else ""
        raise DataError(f"{path}: no documents{wanted} (expected one per line"
                        + (', as {"text": ...}' if path.suffix == ".jsonl" else "") + ")")
    return docs


def _jsonl_document(path: Path, n: int, line: str) -> tuple[str, str | None]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{n}: not a JSON object ({err.msg})") from None
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        raise DataError(f"{path}:{n}: expected an object with a string field 'text'")
    row_lang = row.get("lang")
    if row_lang is not None and not isinstance(row_lang, str):
        raise DataError(f"{path}:{n}: field 'lang' must be a string, got {row_lang!r}")
    return row["text"], row_lang


def ppl_report(model_ref: str, text: str | Path, lang: str | None = None,
               seq_len: int | None = None, stride: int | None = None, batch_size: int = 8, *,
               n_boot: int = 1000, seed: int = 0, threads: int = 2) -> dict:
    """`langtransfer eval ppl`: load a model, score a held-out file, one result per language.

    Args:
        model_ref: model directory (or hub name, for users).
        text: the held-out file (`read_documents`).
        lang: its language (a `.txt`), or the language to keep (a `.jsonl` with "lang").
        seq_len: window in tokens (None: the model's maximum length).
        stride: new tokens per window after the first (None: seq_len, disjoint windows).
        batch_size: windows per forward pass.
        n_boot, seed: bootstrap over documents.
        threads: torch threads.

    Returns:
        {"model","text","seq_len","stride","aggregation","langs": {lang: result}}; each result
        as `perplexity`'s, intervals as [low, high] lists (JSON-ready).

    Raises:
        UserError: a bad window (seq_len or stride below 1, stride above seq_len) or file.
    """
    for name, value in (("--seq-len", seq_len), ("--stride", stride)):
        if value is not None and value < 1:
            raise UserError(f"{name}: must be at least 1, got {value}")
    if seq_len is not None and stride is not None and stride > seq_len:
        raise UserError(f"--stride {stride}: must not exceed --seq-len {seq_len}")
    docs = read_documents(text, lang)
    from langtransfer.eval.lm import model_max_length
    from langtransfer.modeling import load_model_and_tokenizer, set_threads

    set_threads(threads)
    model, tok = load_model_and_tokenizer(model_ref)
    window = min(seq_len or model_max_length(model, tok), model_max_length(model, tok))
    step = min(stride or window, window)
    results = perplexity_by_lang(model, tok, docs, window, step, batch_size, n_boot=n_boot,
                                 seed=seed)
    return {"model": str(model_ref), "text": str(text), "seq_len": window, "stride": step,
            "aggregation": AGGREGATION,
            "langs": {k: {m: list(v) if isinstance(v, tuple) else v for m, v in r.items()}
                      for k, r in results.items()}}
