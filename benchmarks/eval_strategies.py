"""The scoring strategies of eval.lm side by side (`eval_vs_lmeval.py --strategies`).

plain (one row per request, lm-eval's batching), packed (the engine's choice: block attention
on CPU, eval/attention.py), masked (packed rows behind a 4D mask, the engine before block
attention) and kv-cache (each context once with use_cache=True, options on its expanded
cache: the alternative the brief proposed). Same items and batches; rounds interleaved, the
median reported.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any


def time_strategies(model: Any, tok: Any, sets: dict[str, dict], args: argparse.Namespace) -> dict:
    """items/s of eval.lm's plain path, its shared-prefix path, and a KV-cache variant."""
    from langtransfer.eval.lm import encode_pairs, loglikelihood_tokens, model_max_length

    flat = [r for s in sets.values() for reqs in s["requests"] for r in reqs]
    n_items = sum(len(s["items"]) for s in sets.values())
    pairs = encode_pairs(tok, flat)
    max_length = model_max_length(model, tok)
    ways = {
        "plain": lambda: loglikelihood_tokens(model, pairs, args.batch_size, max_length,
                                              share_prefix=False),
        "packed": lambda: loglikelihood_tokens(model, pairs, args.batch_size, max_length,
                                               share_prefix=True),
        "masked": lambda: _with_mode(model, "mask", lambda: loglikelihood_tokens(
            model, pairs, args.batch_size, max_length, share_prefix=True)),
        "kv-cache": lambda: kv_cache_loglikelihood(model, pairs, args.batch_size, max_length),
    }
    ways["packed"]()  # warm-up (and the one-time probe)
    times: dict[str, list[float]] = {w: [] for w in ways}
    results = {}
    for rnd in range(args.rounds):
        for way in (list(ways) if rnd % 2 == 0 else list(ways)[::-1]):
            start = time.perf_counter()
            results[way] = ways[way]()
            times[way].append(time.perf_counter() - start)
    out = {}
    for way in ways:
        diff = max(abs(a[0] - b[0]) for a, b in zip(results[way], results["plain"]))
        out[way] = {"s": statistics.median(times[way]),
                    "items_per_s": n_items / statistics.median(times[way]),
                    "max_abs_diff_vs_plain": diff}
        print(f"{way:9} {out[way]['items_per_s']:8.1f} items/s  {out[way]['s']:7.2f} s  "
              f"max |d| vs plain {diff:.1e}")
    return out


def _with_mode(model: Any, mode: str, run):
    """Run with eval.packing's mode for `model` forced to `mode` ("mask": packed rows behind
    a 4D mask, the engine before block attention)."""
    from langtransfer.eval import packing

    packing._packing_mode(model)
    before = packing._PACKING_MODE[model]
    packing._PACKING_MODE[model] = mode
    try:
        return run()
    finally:
        packing._PACKING_MODE[model] = before


def kv_cache_loglikelihood(model: Any, pairs: list, batch_size: int,
                           max_length: int) -> list[tuple[float, bool, int]]:
    """The alternative measured against eval.lm's packed rows: each batch's distinct contexts
    (all but their last token) run once, right-padded with no mask (plain causal attention),
    with use_cache=True; the cache is expanded over the options (reorder_cache with repeated
    indices) and each option runs [last context token] + continuation[:-1] on top of it,
    masked to its own context. Same batches as the packed path."""
    import torch

    from langtransfer.eval.packing import _fit_context, _packed_batches

    contexts = [_fit_context(ctx, cont, max_length) for ctx, cont in pairs]
    conts = [cont for _, cont in pairs]
    results: list = [None] * len(pairs)
    with torch.inference_mode():
        for rows in _packed_batches(contexts, conts, batch_size):
            order = [i for _, ids in rows for i in ids]
            for i, res in zip(order, _kv_rows(model, rows, conts)):
                results[i] = res
    return results


def _kv_rows(model: Any, rows: list, conts: list) -> list[tuple[float, bool, int]]:
    import torch

    dtype = next(model.parameters()).dtype
    heads = [ctx[:-1] for ctx, _ in rows]
    width = max(len(h) for h in heads)
    owner = [r for r, (_, ids) in enumerate(rows) for _ in ids]
    reqs = [i for _, ids in rows for i in ids]
    extra: dict = {"use_cache": False}
    if width:
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        for r, head in enumerate(heads):
            ids[r, :len(head)] = torch.tensor(head)
        cache = model(input_ids=ids, use_cache=True, logits_to_keep=1).past_key_values
        cache.reorder_cache(torch.tensor(owner))
        extra = {"past_key_values": cache, "use_cache": True}
    tail = max(len(conts[i]) for i in reqs)
    inputs = torch.zeros((len(reqs), tail), dtype=torch.long)
    positions = torch.zeros((len(reqs), tail), dtype=torch.long)
    allowed = torch.zeros((len(reqs), tail, width + tail), dtype=torch.bool)
    allowed[:, :, width:] = torch.ones((tail, tail), dtype=torch.bool).tril()
    for j, (r, i) in enumerate(zip(owner, reqs)):
        ctx, seq = rows[r][0], [rows[r][0][-1]] + conts[i][:-1]
        inputs[j, :len(seq)] = torch.tensor(seq)
        positions[j] = torch.arange(len(ctx) - 1, len(ctx) - 1 + tail)
        allowed[j, :, :len(ctx) - 1] = True
    if width:
        mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed,
                                                                    torch.finfo(dtype).min)
        extra["attention_mask"] = mask[:, None]
    logits = model(input_ids=inputs, position_ids=positions, **extra).logits
    out = []
    for j, i in enumerate(reqs):
        target = torch.tensor(conts[i])
        logp = torch.log_softmax(logits[j, :len(target)].float(), -1)
        out.append((float(logp.gather(1, target[:, None]).double().sum()),
                    bool((logp.argmax(-1) == target).all()), len(target)))
    return out
