"""Shared-prefix ("packed") scoring for eval.lm: the options of a question in one row.

A row `context + cont_1[:-1] + cont_2[:-1] + ...` scores every continuation of one context in
a single forward pass: a 4D mask lets each continuation see the context and itself, and
position_ids restart each continuation where the context ends, so each sees exactly the input
of eval.lm's plain path. `_packing_works` probes a model once before the path is used.
Split out of eval/lm.py (the rationale and the measurements are in its docstring, "Speed").

Exercised by `langtransfer eval knowledge` (through eval.lm.loglikelihood) and
tests/unit/eval/test_eval_engine_lm.py.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, Sequence

from langtransfer.eval.attention import BLOCK_SIZE, Spans, blocked
from langtransfer.eval.attention import eligible as attention_eligible


def _fit_context(ctx: list[int], cont: list[int], max_length: int) -> list[int]:
    """The part of `ctx` the model sees before `cont`: the plain path's input is
    (ctx + cont)[-(max_length + 1):][:-1], so a long context loses its first tokens."""
    over = len(ctx) + len(cont) - 1 - max_length
    return ctx[over:] if over > 0 else ctx


def _packed_batches(contexts: Sequence[list[int]], conts: Sequence[list[int]], batch_size: int):
    """Batches of rows (context, request indices) for `_score_packed`.

    Requests with the same (fitted) context share a row while that saves attention work
    (`_share_rows`). Rows go longest first (as lm-eval: an out-of-memory shows at once, and
    rows of like length pad little). A batch holds at most `batch_size` requests, so a row
    may be split across two batches, and no row shorter than 15/16 of the batch's first: a
    row holding long options can be several times longer than the next, and padding the
    rest to it costs quadratically in attention (stories260K: one such batch took 4.4x;
    on benchmarks/eval_vs_lmeval.py 7/8 ran 4% faster than 3/4, and 15/16 about 3% faster
    than 7/8: block attention still reads a batch's padding keys, see eval/attention.py).
    """
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, ctx in enumerate(contexts):
        groups.setdefault(tuple(ctx), []).append(i)
    units = [(key, ids) for key, group in groups.items() for ids in _share_rows(key, group, conts)]
    lengths = [len(key) + sum(len(conts[i]) - 1 for i in ids) for key, ids in units]
    order = sorted(range(len(units)), key=lambda u: (-lengths[u], units[u][0]))
    rows: list[tuple[list[int], list[int]]] = []
    n_requests = width = 0
    last = -1
    for u in order:
        key, ids = units[u]
        for i in ids:
            if n_requests == batch_size or (rows and last != u and 16 * lengths[u] < 15 * width):
                yield rows
                rows, n_requests = [], 0
            if rows and last == u:
                rows[-1][1].append(i)
            else:
                rows.append((list(key), [i]))
                width = width if len(rows) > 1 else lengths[u]
                last = u
            n_requests += 1
    if rows:
        yield rows


def _share_rows(ctx: tuple[int, ...], ids: list[int],
                conts: Sequence[list[int]]) -> list[list[int]]:
    """Split requests sharing a context into rows that pay off.

    Adding a continuation of c tokens (c = len - 1) to a row of length R that began with a
    context of P tokens costs (R + c)^2 - R^2 attention cells instead of (P + c)^2 for a row
    of its own, so it joins only if 2 c (R - P) < P^2. Options after a long question share
    (P=192, four options of 21 tokens: 276^2 vs 4 x 212^2 cells); 512-token perplexity
    windows that happen to share a 1-token context do not (1023^2 vs 2 x 512^2: 3x slower).
    """
    p = len(ctx)
    rows: list[list[int]] = []
    length = 0
    for i in ids:
        c = len(conts[i]) - 1
        if rows and 2 * c * (length - p) < p * p:
            rows[-1].append(i)
            length += c
        else:
            rows.append([i])
            length = p + c
    return rows


def _score_packed(model: Any, rows: Sequence[tuple[list[int], list[int]]],
                  conts: Sequence[list[int]], blocks: bool | None = None,
                  block_size: int = BLOCK_SIZE) -> list[tuple[float, bool, int]]:
    """One forward for a batch of rows `context + cont_1[:-1] + cont_2[:-1] + ...`.

    Each continuation segment attends to the context and to itself only (a 4D mask) and
    restarts its positions where the context ends (position_ids), so it sees exactly the
    input of the plain path; the context's last logit predicts every continuation's first
    token. Rows are left-padded so all needed logits sit in the last `keep` positions, and
    only those are projected onto the vocabulary (logits_to_keep; the LM head dominates
    small models with large vocabularies). `blocks`: use block attention (eval/attention.py)
    instead of a 4D mask; None = the mode `_packing_mode` chose for this model. `block_size`:
    its queries per block (the probe uses small blocks so that it exercises them).
    """
    import numpy as np
    import torch

    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    tails = [1 + sum(len(conts[i]) - 1 for i in ids) for _, ids in rows]
    lengths = [len(ctx) - 1 + tail for (ctx, _), tail in zip(rows, tails)]
    width, keep = max(lengths), max(tails)
    all_ids, all_pos, all_seg = [], [], []  # per row; segments: -1 pad, 0 context, j + 1
    pick_row, pick_pos, targets = [], [], []
    for r, (ctx, ids) in enumerate(rows):
        pad = width - lengths[r]
        row_ids, row_pos = [0] * pad + list(ctx), [0] * pad + list(range(len(ctx)))
        row_seg = [-1] * pad + [0] * len(ctx)
        last = keep - tails[r]  # the context's last position, counted in the kept window
        for j, i in enumerate(ids):
            cont = conts[i]
            done = len(row_ids) - pad - len(ctx)  # continuation tokens already in the row
            pick = [last] + [last + done + 1 + t for t in range(len(cont) - 1)]
            pick_row += [r] * len(cont)
            pick_pos += pick
            targets += cont
            row_ids += cont[:-1]
            row_pos += range(len(ctx), len(ctx) + len(cont) - 1)
            row_seg += [j + 1] * (len(cont) - 1)
        all_ids.append(row_ids)
        all_pos.append(row_pos)
        all_seg.append(row_seg)
    # one array per batch through numpy: torch.tensor on Python lists took 0.09 of 5.8 s
    # on stories260K (benchmarks/eval_vs_lmeval.py), numpy about a seventh of that
    input_ids, positions, segments = (torch.from_numpy(np.array(x, dtype=np.int64))
                                      for x in (all_ids, all_pos, all_seg))
    extra = {"logits_to_keep": keep} if "logits_to_keep" in _forward_params(model) else {}
    inputs = dict(input_ids=input_ids.to(device), position_ids=positions.to(device),
                  **_no_cache(model), **extra)
    use_blocks = _packing_mode(model) == "blocks" if blocks is None else blocks
    if use_blocks:
        with blocked(model, _segment_spans(segments), width - keep, block_size):
            logits = model(**inputs).logits
    else:
        # Without shared contexts a padding mask is enough (the model makes it causal): it
        # costs B x T instead of the B x T x T of the segment mask (long perplexity windows).
        shared = any(len(ids) > 1 for _, ids in rows)
        mask = (_additive(_segment_spans(segments).allowed(), dtype) if shared
                else (segments >= 0).long())
        logits = model(attention_mask=mask.to(device), **inputs).logits
    offset = logits.shape[1] - keep  # 0 when the model honoured logits_to_keep
    pos = torch.tensor(pick_pos, device=device) + offset
    logprobs = torch.log_softmax(
        at_least_float32(logits[torch.tensor(pick_row, device=device), pos]), -1)
    target = torch.tensor(targets, device=device)
    token_lp = logprobs.gather(1, target.unsqueeze(1)).squeeze(1)
    hits = logprobs.argmax(dim=-1) == target
    sizes = [len(conts[i]) for _, ids in rows for i in ids]
    # Each request's tokens are contiguous. Summed in float64: lm-eval's float32 sum of a
    # 359-token option (log-likelihood ~ -1000, float32 spacing 6e-5 there) is off by up to
    # 2e-4, which would swamp the ~1e-6-per-token differences between the two paths.
    return [(float(lp.double().sum()), bool(hit.all()), len(lp))
            for lp, hit in zip(token_lp.split(sizes), hits.split(sizes))]


def at_least_float32(logits: Any) -> Any:
    """Logits for log-softmax: half precision goes up to float32, float64 stays float64 (a
    float64 model scores in float64 throughout, which is how a reference is computed)."""
    import torch

    return logits if logits.dtype == torch.float64 else logits.float()


def _segment_spans(segments: Any) -> Spans:
    """What each position of packed rows may see (`attention.Spans`), from their (batch, T)
    segment ids (-1 padding, 0 context, j > 0 continuation j; rows are left-padded):
    context positions see the context up to themselves, a continuation sees the whole
    context and itself up to the position, a padding query sees itself only (so no softmax
    row is empty; its output is never read)."""
    import torch

    width = segments.shape[1]
    position = torch.arange(width).expand_as(segments)
    valid = segments >= 0
    first = torch.where(valid, position, width).min(dim=1, keepdim=True).values
    context_end = first + (segments == 0).sum(dim=1, keepdim=True)
    starts = torch.ones_like(valid)
    starts[:, 1:] = segments[:, 1:] != segments[:, :-1]
    segment_start = torch.cummax(torch.where(starts, position, 0), dim=1).values
    continuation = segments > 0
    return Spans(prefix_start=torch.where(valid, first, position),
                 prefix_end=torch.where(continuation, context_end, position + 1),
                 local_start=torch.where(continuation, segment_start, position + 1))


def _additive(allowed: Any, dtype: Any) -> Any:
    """The (batch, 1, T, T) additive mask (0 / dtype min) of a boolean pattern, which eager
    and SDPA attention both take."""
    import torch

    mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed, torch.finfo(dtype).min)
    return mask[:, None]


_FORWARD_PARAMS: dict[type, frozenset[str]] = {}


def _forward_params(model: Any) -> frozenset[str]:
    """The keyword names `model.forward` declares (not **kwargs: those may go nowhere)."""
    import inspect

    cls = type(model)
    if cls not in _FORWARD_PARAMS:
        params = inspect.signature(model.forward).parameters.values()
        _FORWARD_PARAMS[cls] = frozenset(
            p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
    return _FORWARD_PARAMS[cls]


def _no_cache(model: Any) -> dict:
    """use_cache=False where the model takes it: scoring never reuses a KV cache, and
    building one costs time and memory."""
    return {"use_cache": False} if "use_cache" in _forward_params(model) else {}


_PACKING_MODE: "weakref.WeakKeyDictionary[Any, str | None]" = weakref.WeakKeyDictionary()
_PROBE = (([3, 4, 5, 6, 7], [[8, 9], [10], [11, 12, 13]]), ([5, 6], [[7, 8, 9]]))
"""Two contexts, four continuations: padding, a one-token continuation and a shared context."""


def _packing_works(model: Any) -> bool:
    """Whether the shared-prefix path may be used for `model` (see `_packing_mode`)."""
    return _packing_mode(model) is not None


def _packing_mode(model: Any) -> str | None:
    """How packed rows are scored for `model`: "blocks" (block attention, eval/attention.py),
    "mask" (a custom 4D mask, eager or SDPA attention) or None (the plain path).

    The model must take position_ids, and a probe must score the same packed as plain: it
    catches models that ignore position_ids, rebuild the mask (positions computed from a 2D
    mask, say) or do not route attention through transformers' interface. "blocks" is tried
    first where `attention.eligible`; a model failing both falls back to the plain path, with
    a warning. Checked once per model object.
    """
    if model in _PACKING_MODE:
        return _PACKING_MODE[model]
    config = getattr(model, "config", None)
    attention = getattr(config, "_attn_implementation", None)
    mode = None
    if ("position_ids" in _forward_params(model) and attention in ("eager", "sdpa")
            and not _has_sliding_window(config)):
        if attention_eligible(model) and _probe_agrees(model, blocks=True):
            mode = "blocks"
        elif _probe_agrees(model, blocks=False):
            mode = "mask"
        else:
            logging.getLogger(__name__).warning(
                "%s: shared-prefix scoring disagrees with the plain path; using the plain "
                "path (slower)", type(model).__name__)
    _PACKING_MODE[model] = mode
    return mode


def _has_sliding_window(config: Any) -> bool:
    """Sliding-window layers (Mistral, Gemma 2, ...) build their own mask, which a custom 4D
    mask would replace: their windows only show beyond the probe's length, so they are
    excluded by configuration rather than by the probe."""
    layer_types = getattr(config, "layer_types", None)
    if layer_types:
        return any(t != "full_attention" for t in layer_types)
    return bool(getattr(config, "sliding_window", None))


def _probe_agrees(model: Any, blocks: bool) -> bool:
    """Score the probe packed (one batch with a shared context, one of single padded rows)
    and plain; True when they agree to float tolerance (False when packing raises)."""
    import torch

    from langtransfer.eval.lm import _score_batch  # the reference path (lm imports this module)

    vocab = model.get_output_embeddings().weight.shape[0]
    pairs, shared_rows, single_rows = [], [], []
    for ctx, conts in _PROBE:
        ids = list(range(len(pairs), len(pairs) + len(conts)))
        pairs += [([t % vocab for t in ctx], [t % vocab for t in c]) for c in conts]
        shared_rows.append((pairs[ids[0]][0], ids))
        single_rows.append((pairs[ids[0]][0], ids[:1]))
    conts = [cont for _, cont in pairs]
    with torch.inference_mode():
        try:
            packed = (_score_packed(model, shared_rows, conts, blocks, block_size=2)
                      + _score_packed(model, single_rows, conts, blocks, block_size=2))
        except Exception as exc:  # noqa: BLE001 -- any failure means: not this way
            logging.getLogger(__name__).debug("packed probe (blocks=%s) failed: %s", blocks, exc)
            return False
        plain = _score_batch(model, pairs, max_length=64)
    plain += [plain[ids[0]] for _, ids in single_rows]
    return all(abs(a[0] - b[0]) <= 1e-4 * max(1.0, abs(b[0])) and a[1:] == b[1:]
               for a, b in zip(packed, plain))
