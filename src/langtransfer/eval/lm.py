"""Log-likelihood scoring of a causal LM, following lm-evaluation-harness's HFLM conventions.

Two entry points:
- `loglikelihood(model, tok, [(context, continuation), ...])` -> (sum log p, is_greedy, n_tokens)
  per request, as HFLM.loglikelihood (multiple choice);
- `rolling_loglikelihood(model, tok, texts, max_len, stride)` -> (sum log p, n_tokens) per text,
  as HFLM.loglikelihood_rolling (perplexity), generalised to a sliding window.

The conventions that decide the numbers, each as lm-eval 0.4.x does it (lm_eval/models/
huggingface.py, lm_eval/utils.py):
- `_encode_pair`: trailing whitespace of the context moves to the continuation; whole =
  encode(context + continuation), context_enc = encode(context), continuation_enc =
  whole[len(context_enc):]. An empty context becomes the prefix token (BOS, else EOS). One
  deliberate difference: when a merge crosses the boundary (context_enc is not a prefix of
  whole), the split moves back to whole tokens (`_split_whole`).
- BOS: prepended to every encoding when the tokenizer has one. This equals HFLM when the
  tokenizer itself adds BOS (LLaMA's does; lm-eval 0.4.13 delegates BOS to the tokenizer)
  or with `add_bos_token=True`. Encoding is done with add_special_tokens=False and BOS added
  here, so a tokenizer that also appends EOS cannot corrupt the context/continuation split.
- input = (context_enc + continuation_enc)[-(max_length + 1):][:-1]: left truncation.
- rolling windows: lm-eval's get_rolling_token_windows + make_disjoint_window, with
  context_len = max_len - stride + 1 (stride = max_len is exactly lm-eval's default).
Log-softmax runs in float32 (float64 for a float64 model) under torch.inference_mode(); each
request's token log-probs are summed in float64.

Speed (`share_prefix`, on by default where the model allows it): the options of a question
share its context, so requests with the same (truncated) context share one row
`context + cont_1[:-1] + cont_2[:-1] + ...`: a 4D mask lets each continuation see the context
and itself, position_ids restart each one where the context ends, and the context's last
logit predicts every first token. Rows are sorted longest first, left-padded, batched
`batch_size` requests at a time (a batch never pads a row to more than 16/15 of its length),
and only the predicted positions go through the LM head (`logits_to_keep`). On CPU, models
with SDPA attention run packed rows with block attention (eval/attention.py: each block of 32
queries reads only the keys it may see, and the last layer's attention and feed-forward skip
the positions nobody reads) instead of a 4D mask, because torch's CPU kernel pays for masked
cells. Texts are encoded in one batch call to the tokenizer's Rust backend, each distinct
context once. Measured side by side (benchmarks/eval_vs_lmeval.py
--strategies --limit 3 --rounds 3, 1 thread, 0-shot MMLU/CMMLU; docs/evaluation.md): plain /
packed with block attention / packed with a 4D mask / KV cache (each context once with
use_cache=True, the options on its expanded past_key_values, the alternative the brief
proposed) 36.7 / 97.2 / 64.8 / 34.5 items/s on stories260K (attention-bound), 17.4 / 52.2 /
51.8 / 42.7 on a 55k-vocabulary LLaMA (LM-head-bound), so packed rows are used.
The plain path (share_prefix=False: one right-padded row per request, lm-eval's order) is the
reference; the two agree to float32 rounding (1e-5 on short continuations, ~1e-7 relative).
Models that cannot take a custom 4D mask with position_ids (flash/flex attention,
sliding-window layers, or a failed probe, checked once per model) use the plain path. The
packed rows themselves are built and scored in eval/packing.py.

Checked against lm-eval 0.4.13's HFLM on a tiny LLaMA (SentencePiece tokenizer adding BOS):
rolling identical to HFLM(add_bos_token=False). With its default, HFLM's rolling encodes the
document WITH the tokenizer's BOS and then also prefixes BOS, so it scores p(BOS | BOS) as the
first token; here BOS is only the prefix. Multiple-choice parity on MMLU / CMMLU:
benchmarks/eval_vs_lmeval.py.

Exercised by `langtransfer eval knowledge`, `langtransfer eval ppl`, `langtransfer eval run`
and tests/unit/eval/test_eval_lm.py, tests/unit/eval/test_eval_engine_lm.py.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from langtransfer.eval.packing import (
    _fit_context, _no_cache, _packed_batches, _packing_works, _score_packed, at_least_float32,
)

# lm-eval's HFLM._DEFAULT_MAX_LENGTH: used when neither model config nor tokenizer says.
_DEFAULT_MAX_LENGTH = 2048
# transformers' sentinel for "no model_max_length" (int(1e30)).
_TOKENIZER_NO_MAX = 1000000000000000019884624838656

OnBatch = Callable[[int], None] | None
"""Optional callback, called with the number of requests finished after each batch."""


def model_max_length(model: Any, tok: Any) -> int:
    """The longest input the model accepts (HFLM.max_length's lookup order)."""
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(model.config, attr, None)
        if value:
            return int(value)
    value = getattr(tok, "model_max_length", None)
    if value and value != _TOKENIZER_NO_MAX:
        return int(value)
    return _DEFAULT_MAX_LENGTH


def prefix_token_id(tok: Any) -> int:
    """The token that stands for an empty context: BOS, else EOS (HFLM.prefix_token_id)."""
    return tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id


def encode(tok: Any, text: str) -> list[int]:
    """Token ids of `text`, BOS first when the tokenizer has one (added once)."""
    return _with_bos(tok, list(tok.encode(text, add_special_tokens=False)))


def _with_bos(tok: Any, ids: list[int]) -> list[int]:
    bos = tok.bos_token_id
    if bos is not None and (not ids or ids[0] != bos):
        ids.insert(0, bos)
    return ids


def _move_trailing_space(context: str, continuation: str) -> tuple[str, str]:
    """Trailing whitespace of the context belongs to the continuation (HFLM._encode_pair)."""
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces > 0:
        return context[:-n_spaces], context[-n_spaces:] + continuation
    return context, continuation


def _split_whole(whole: list[int], context_enc: list[int]) -> tuple[list[int], list[int]]:
    """Cut encode(context + continuation) into the context's and the continuation's tokens."""
    if whole[:len(context_enc)] == context_enc:
        return context_enc, whole[len(context_enc):]
    # A merge crosses the context/continuation boundary (common with extended vocabularies:
    # "在" + "莱格…" -> "在莱"): lm-eval's slice would then score tokens that are not the
    # continuation's (or none at all). Split `whole` where it stops agreeing with the context:
    # the continuation keeps the boundary token, and every option is scored on whole tokens.
    common = next((i for i, (a, b) in enumerate(zip(whole, context_enc)) if a != b),
                  min(len(whole), len(context_enc)))
    return whole[:common], whole[common:]


def encode_pair(tok: Any, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """(context_enc, continuation_enc) exactly as HFLM._encode_pair (see module docstring)."""
    context, continuation = _move_trailing_space(context, continuation)
    if context == "":
        return [prefix_token_id(tok)], list(tok.encode(continuation, add_special_tokens=False))
    return _split_whole(encode(tok, context + continuation), encode(tok, context))


def encode_pairs(tok: Any,
                 requests: Sequence[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
    """`encode_pair` of every request, each distinct text encoded once.

    The options of a question share its context, so contexts are encoded once per question
    instead of once per option; a fast (Rust) tokenizer encodes all texts in one batch call,
    which returns the same ids as `tok.encode` one text at a time.
    """
    split = [_move_trailing_space(context, cont) for context, cont in requests]
    texts = {}
    for context, cont in split:
        for text in ((context, context + cont) if context else (cont,)):
            texts.setdefault(text, None)
    ids = dict(zip(texts, _encode_texts(tok, list(texts))))
    out = []
    for context, cont in split:
        if context == "":
            out.append(([prefix_token_id(tok)], list(ids[cont])))
        else:
            out.append(_split_whole(_with_bos(tok, list(ids[context + cont])),
                                    _with_bos(tok, list(ids[context]))))
    return out


def _encode_texts(tok: Any, texts: list[str]) -> list[list[int]]:
    """tok.encode(text, add_special_tokens=False) per text; batched for fast tokenizers.

    A fast tokenizer's Rust backend is called directly, as transformers' own batch call does
    (TokenizersBackend._encode_plus: encode_special_tokens set from split_special_tokens, then
    encode_batch), without wrapping each encoding in a BatchEncoding: that wrapping took 0.22
    of 0.34 s on benchmarks/eval_vs_lmeval.py's 2,172 requests (stories260K, 1 thread).
    A backend left with truncation or padding switched on goes through `tok(...)`, which
    switches them off first."""
    if not texts:
        return []
    backend = getattr(tok, "backend_tokenizer", None) if getattr(tok, "is_fast", False) else None
    if backend is not None and backend.truncation is None and backend.padding is None:
        split = bool(getattr(tok, "split_special_tokens", False))
        if backend.encode_special_tokens != split:
            backend.encode_special_tokens = split
        return [enc.ids for enc in backend.encode_batch(texts, add_special_tokens=False)]
    if getattr(tok, "is_fast", False) and callable(tok):
        return tok(texts, add_special_tokens=False)["input_ids"]
    return [tok.encode(text, add_special_tokens=False) for text in texts]


def loglikelihood(model: Any, tok: Any, requests: Sequence[tuple[str, str]],
                  batch_size: int = 32, on_batch: OnBatch = None, *,
                  share_prefix: bool | None = None) -> list[tuple[float, bool, int]]:
    """Score continuations given contexts.

    Args:
        model: a causal LM returning `.logits` (transformers `AutoModelForCausalLM`).
        tok: its tokenizer.
        requests: (context, continuation) pairs.
        batch_size: requests per forward pass.
        on_batch: progress callback (number of requests done in each batch).
        share_prefix: run each shared context once for all its continuations (module
            docstring, "Speed"); None = whenever the model supports it, False = the plain
            one-sequence-per-request path (the reference the fast path is tested against).

    Returns:
        Per request, in input order: (sum of log p(continuation tokens | context),
        whether greedy decoding would produce exactly the continuation, continuation tokens).

    Raises:
        ValueError: a continuation that encodes to no tokens (lm-eval asserts the same).
    """
    pairs = encode_pairs(tok, requests)
    for (context, continuation), (_, continuation_enc) in zip(requests, pairs):
        if not continuation_enc:
            raise ValueError(f"continuation {continuation!r} of context {context[-40:]!r} "
                             "encodes to no tokens")
    return loglikelihood_tokens(model, pairs, batch_size, model_max_length(model, tok), on_batch,
                                share_prefix=share_prefix)


def loglikelihood_tokens(model: Any, pairs: Sequence[tuple[list[int], list[int]]],
                         batch_size: int, max_length: int, on_batch: OnBatch = None, *,
                         share_prefix: bool | None = None) -> list[tuple[float, bool, int]]:
    """Score token-level (context_enc, continuation_enc) pairs (HFLM._loglikelihood_tokens).

    A continuation longer than max_length is an error (it cannot be scored in one window).
    `share_prefix` as in `loglikelihood`.
    """
    import torch

    for _, cont in pairs:
        if len(cont) > max_length:
            raise ValueError(f"continuation of {len(cont)} tokens exceeds max length {max_length}")
    if share_prefix is None:
        share_prefix = bool(pairs) and _packing_works(model)
    results: list[tuple[float, bool, int] | None] = [None] * len(pairs)
    with torch.inference_mode():
        if share_prefix:
            contexts = [_fit_context(ctx, cont, max_length) for ctx, cont in pairs]
            conts = [cont for _, cont in pairs]
            for rows in _packed_batches(contexts, conts, batch_size):
                _store(results, rows, _score_packed(model, rows, conts))
                if on_batch is not None:
                    on_batch(sum(len(ids) for _, ids in rows))
        else:
            for chunk in _plain_batches(pairs, batch_size):
                scored = _score_batch(model, [pairs[i] for i in chunk], max_length)
                _store(results, [(None, chunk)], scored)
                if on_batch is not None:
                    on_batch(len(chunk))
    return results  # type: ignore[return-value]


def _store(results: list, rows: Sequence[tuple[Any, list[int]]], scored: Sequence) -> None:
    """Put each row's scores back at their requests' input positions."""
    order = [i for _, ids in rows for i in ids]
    for i, res in zip(order, scored):
        results[i] = res


def _plain_batches(pairs: Sequence[tuple[list[int], list[int]]], batch_size: int):
    """Request indices in lm-eval's Collator order (longest first, ties by tokens), chunked."""
    order = sorted(range(len(pairs)), key=lambda i: (-len(pairs[i][0]) - len(pairs[i][1]),
                                                     tuple(pairs[i][0] + pairs[i][1])))
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]


def _score_batch(model: Any, pairs: Sequence[tuple[list[int], list[int]]],
                 max_length: int) -> list[tuple[float, bool, int]]:
    """The plain path: one right-padded row per request, log-softmax at its continuation."""
    import torch

    inputs = [(ctx + cont)[-(max_length + 1):][:-1] for ctx, cont in pairs]
    width = max(len(x) for x in inputs)
    device = next(model.parameters()).device
    batch = torch.zeros((len(inputs), width), dtype=torch.long, device=device)
    for row, ids in enumerate(inputs):
        batch[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
    logits = model(input_ids=batch, **_no_cache(model)).logits
    out = []
    for row, (ids, (_, cont)) in enumerate(zip(inputs, pairs)):
        inplen, contlen = len(ids), len(cont)
        # Logit at position p predicts token p + 1: the continuation's tokens are predicted by
        # the last `contlen` real positions (HFLM._select_cont_toks). Causal attention never
        # looks right, so the padding after a row cannot change its real positions.
        logprobs = torch.log_softmax(at_least_float32(logits[row, inplen - contlen:inplen]), dim=-1)
        target = torch.tensor(cont, dtype=torch.long, device=device)
        greedy = bool((logprobs.argmax(dim=-1) == target).all())
        total = float(logprobs.gather(1, target.unsqueeze(1)).double().sum())
        out.append((total, greedy, contlen))
    return out


def rolling_windows(tokens: Sequence[int], prefix_token: int, max_len: int,
                    stride: int) -> list[tuple[list[int], list[int]]]:
    """Disjoint (context, predicted) windows that score every token exactly once.

    The first window feeds [prefix] + tokens[:max_len - 1] and predicts tokens[:max_len]; each
    later window predicts the next `stride` tokens from the max_len tokens before the last one
    (lm-eval's get_rolling_token_windows with context_len = max_len - stride + 1, made disjoint).
    """
    if not 1 <= stride <= max_len:
        raise ValueError(f"stride must be in 1..max_len ({max_len}), got {stride}")
    tokens = list(tokens)
    if not tokens:
        return []
    first = min(max_len, len(tokens))
    windows = [([prefix_token], tokens[:first])]
    done = first
    while done < len(tokens):
        k = min(len(tokens) - done, stride)
        end = done + k
        # input = tokens[end - max_len - 1 : end - 1]; the predicted tail is its last k targets
        windows.append((tokens[end - max_len - 1:end - k], tokens[end - k:end]))
        done = end
    return windows


def rolling_loglikelihood(model: Any, tok: Any, texts: Sequence[str], max_len: int,
                          stride: int | None = None, batch_size: int = 32,
                          on_batch: OnBatch = None, *,
                          share_prefix: bool | None = None) -> list[tuple[float, int]]:
    """Total log-likelihood of each text, every token scored once (sliding window).

    The prefix token (BOS, else EOS) stands before each text, so its first token is predicted
    too; no EOS is appended. A window holds at most `max_len` input tokens (capped at the
    model's maximum); after the first, each window predicts `stride` new tokens with
    max_len - stride + 1 or more tokens of left context. stride=None means stride=max_len:
    lm-eval's loglikelihood_rolling (disjoint windows). stride=1 gives every token the full
    window of context at one forward per token.

    Args:
        model, tok: the LM and its tokenizer.
        texts: documents.
        max_len: window length in tokens.
        stride: new tokens predicted per window after the first (1..max_len).
        batch_size: windows per forward pass.
        on_batch: progress callback (windows done per batch).
        share_prefix: as in `loglikelihood` (windows share no context, but the fast path
            also projects only the predicted positions onto the vocabulary).

    Returns:
        Per text: (sum of log p over its tokens, number of tokens); (0.0, 0) for an empty text.
    """
    max_len = min(max_len, model_max_length(model, tok))
    stride = max_len if stride is None else min(stride, max_len)
    prefix = prefix_token_id(tok)
    owners: list[int] = []
    pairs: list[tuple[list[int], list[int]]] = []
    counts = []
    for doc, tokens in enumerate(_encode_texts(tok, list(texts))):
        counts.append(len(tokens))
        for window in rolling_windows(tokens, prefix, max_len, stride):
            owners.append(doc)
            pairs.append(window)
    scores = loglikelihood_tokens(model, pairs, batch_size, max_len, on_batch,
                                  share_prefix=share_prefix)
    totals = [0.0] * len(texts)
    for doc, (logprob, _, _) in zip(owners, scores):
        totals[doc] += logprob
    return list(zip(totals, counts))
