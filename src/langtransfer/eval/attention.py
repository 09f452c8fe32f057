"""Block-sparse exact attention for scoring: each block of queries reads only the keys it may see.

torch's CPU scaled-dot-product kernel costs about the same per query-key cell with a causal
flag or an arbitrary mask as without one (torch 2.13, 1 thread, batch 8, 8 heads of size 8:
512 tokens took 33.3 ms masked, 31.4 ms causal, 19.4 ms cut into 32-query blocks that each
read only the keys up to their last query), so a causal row of T tokens pays T² cells where
about T²/2 are needed, and a packed scoring row (eval/packing.py) also pays for the cells
its segment mask hides. `plan_blocks` cuts the queries into blocks of `BLOCK_SIZE` and gives
each block the smallest key range that holds every key any of its queries may see, with a
mask only where that range still holds a hidden cell. Skipped cells would have had weight
exp(-inf) = 0, so the result is the same attention, up to float rounding in other shapes.

The last attention layer may also skip the queries whose outputs are never read: scoring reads
logits only at the last positions of a row (`needed_from` on), and in the last layer nothing
else depends on the other positions, so their blocks are left out there (their outputs are
zeros; one layer in five fewer attention blocks on stories260K). The last layer's
feed-forward likewise runs on the read positions only (`_last_mlp_from`).

Used by the packed scoring path on CPU for models whose attention goes through transformers'
attention interface (config._attn_implementation "sdpa"): `blocked(model, spans)` switches
the model to the registered `NAME` for one forward and restores it. transformers builds no
mask for an implementation it has no mask function for, so the forward costs no (B, T, T)
mask either. Models that do not route attention through the interface are caught by the
probe in eval/packing.py and scored with the masked path instead.

Measured (benchmarks/eval_vs_lmeval.py --strategies, docs/evaluation.md): see "Speed and
parity with lm-evaluation-harness".
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from typing import Any, Iterator

NAME = "langtransfer_blocks"
BLOCK_SIZE = 32
"""Queries per block: 16, 32 and 64 ran within 2 % of each other on stories260K (32 best)."""

# Keyword arguments that change attention beyond a mask: a model passing one of these needs
# its own kernel (softcapping, sliding windows, attention sinks).
_UNSUPPORTED = ("softcap", "sliding_window", "s_aux")


@dataclass(frozen=True)
class Block:
    """Queries [q_start, q_end) attend keys [k_start, k_end) under `mask` (None: all)."""

    q_start: int
    q_end: int
    k_start: int
    k_end: int
    mask: Any


@dataclass(frozen=True)
class _Plan:
    blocks: list[Block]
    last_layer: int
    """The `layer_idx` of the model's last attention layer (-1: unknown, skip nothing)."""
    needed_from: int
    """The first query position whose output the caller reads after the last layer."""


_PLAN: contextvars.ContextVar[_Plan | None] = contextvars.ContextVar(
    "langtransfer_attention_blocks", default=None)


@dataclass(frozen=True)
class Spans:
    """Which keys each query may see: query q of row b sees the keys in
    [prefix_start, prefix_end) and in [local_start, q] (either may be empty). Causal rows,
    left padding and packed scoring rows (a shared context, then continuations that see the
    context and themselves: eval/packing.py) are all of this form, and it describes a batch
    in (batch, T) integers instead of a (batch, T, T) pattern. Tensors are (batch, T) long."""

    prefix_start: Any
    prefix_end: Any
    local_start: Any

    @classmethod
    def causal(cls, batch: int, width: int) -> "Spans":
        """Every query sees every key up to itself."""
        import torch

        zeros = torch.zeros((batch, width), dtype=torch.long)
        return cls(zeros, zeros, zeros)

    def allowed(self, q_start: int = 0, q_end: int | None = None, k_start: int = 0,
                k_end: int | None = None) -> Any:
        """The boolean (batch, queries, keys) pattern for queries [q_start, q_end) and keys
        [k_start, k_end) (default: all)."""
        import torch

        width = self.prefix_start.shape[1]
        q_end, k_end = width if q_end is None else q_end, width if k_end is None else k_end
        key = torch.arange(k_start, k_end)
        query = torch.arange(q_start, q_end)[:, None]
        lo1, hi1, lo2 = (t[:, q_start:q_end, None]
                         for t in (self.prefix_start, self.prefix_end, self.local_start))
        return ((key >= lo1) & (key < hi1)) | ((key >= lo2) & (key <= query))


def plan_blocks(spans: Spans, dtype: Any, block_size: int = BLOCK_SIZE) -> list[Block]:
    """Blocks for the pattern `spans` describes.

    Every query must see at least one key (padding queries: themselves), or its softmax
    would be empty. A block's key range runs from the first to the last key any of its
    queries sees, read from the spans; masks are built block by block. (Building the
    (batch, T, T) pattern first and cutting it up took 0.20-0.26 s for the 73 batches (8/7 cut) of
    benchmarks/eval_vs_lmeval.py's stories260K run, this 0.14-0.22 s.) Masks are additive in
    `dtype` (0 / dtype min), shaped (batch, 1, queries, keys) to broadcast over heads.
    """
    import torch

    width = spans.prefix_start.shape[1]
    position = torch.arange(width)
    has_prefix = spans.prefix_end > spans.prefix_start
    has_local = spans.local_start <= position
    if not bool((has_prefix | has_local).all()):
        raise ValueError("every query must see at least one key")
    big = torch.full_like(spans.prefix_start, width)
    first = torch.minimum(torch.where(has_prefix, spans.prefix_start, big),
                          torch.where(has_local, spans.local_start, big))
    last = torch.maximum(torch.where(has_prefix, spans.prefix_end, 0),
                         torch.where(has_local, position + 1, 0))
    zero, hidden = torch.zeros((), dtype=dtype), torch.tensor(torch.finfo(dtype).min, dtype=dtype)
    blocks = []
    for q_start in range(0, width, block_size):
        q_end = min(width, q_start + block_size)
        k_start = int(first[:, q_start:q_end].min())
        k_end = int(last[:, q_start:q_end].max())
        seen = spans.allowed(q_start, q_end, k_start, k_end)
        mask = None if bool(seen.all()) else torch.where(seen[:, None], zero, hidden)
        blocks.append(Block(q_start, q_end, k_start, k_end, mask))
    return blocks


def block_attention(module: Any, query: Any, key: Any, value: Any, attention_mask: Any,
                    dropout: float = 0.0, scaling: float | None = None,
                    **kwargs: Any) -> tuple[Any, None]:
    """transformers attention-interface function: (batch, heads, T, d) in, (batch, T,
    heads, d) out, computed block by block from the plan `blocked` installed."""
    import torch.nn.functional as F

    plan = _PLAN.get()
    if plan is None:
        raise RuntimeError(f"{NAME} attention used outside langtransfer.eval.attention.blocked")
    for name in _UNSUPPORTED:
        if kwargs.get(name) is not None:
            raise NotImplementedError(f"{NAME} attention does not support {name}")
    # grouped-query attention: each key/value head serves num_key_value_groups query heads
    gqa = {"enable_gqa": True} if key.shape[1] != query.shape[1] else {}
    batch, heads, width, _ = query.shape
    out = query.new_zeros((batch, width, heads, value.shape[-1]))
    last = getattr(module, "layer_idx", None) == plan.last_layer
    for b in plan.blocks:
        if last and b.q_end <= plan.needed_from:
            continue  # never read: see the module docstring
        out[:, b.q_start:b.q_end] = F.scaled_dot_product_attention(
            query[:, :, b.q_start:b.q_end], key[:, :, b.k_start:b.k_end],
            value[:, :, b.k_start:b.k_end], attn_mask=None if b.mask is None
            else b.mask.to(query.device, query.dtype), scale=scaling, **gqa).transpose(1, 2)
    return out, None


def _register() -> None:
    from transformers import AttentionInterface

    AttentionInterface.register(NAME, block_attention)


def eligible(model: Any) -> bool:
    """Whether block attention may be tried: CPU (where it was measured) and SDPA attention
    (eager may be a model's requirement, flash and flex have their own sparsity)."""
    config = getattr(model, "config", None)
    device = next(model.parameters()).device
    return device.type == "cpu" and getattr(config, "_attn_implementation", None) == "sdpa"


def _last_layer(model: Any) -> int:
    """The index of the last decoder layer (-1 where the configuration does not say)."""
    config = model.config
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    layers = getattr(text, "num_hidden_layers", None)
    return layers - 1 if isinstance(layers, int) else -1


def _last_mlp(model: Any) -> Any:
    """The feed-forward module (`.mlp`) of the model's last decoder layer, or None: the layer
    list is the module list with `num_hidden_layers` entries (LLaMA-likes, GPT-2, GPT-NeoX)."""
    import torch

    layers = _last_layer(model) + 1
    if layers <= 0:
        return None
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == layers:
            mlp = getattr(module[-1], "mlp", None)
            return mlp if isinstance(mlp, torch.nn.Module) else None
    return None


@contextlib.contextmanager
def _last_mlp_from(model: Any, needed_from: int) -> Iterator[None]:
    """Run the last layer's feed-forward only on positions >= `needed_from`.

    It is position-wise, and after the last layer only the final norm and the LM head read
    a position, so positions nobody reads need no feed-forward there (its output is zero
    for them). On stories260K that is most of one layer's matrix products in five: 0.25 s of
    6.3 s on benchmarks/eval_vs_lmeval.py. A module whose input is not one (batch, T,
    hidden) tensor is left alone; one whose output is not such a tensor (or a tuple led by
    one) raises, so the probe in eval/packing.py turns block attention off for its model.
    """
    mlp = _last_mlp(model) if needed_from > 0 else None
    if mlp is None:
        yield
        return
    width: list[int] = []

    def narrow(module: Any, args: tuple) -> tuple | None:
        width.clear()
        if args and getattr(args[0], "dim", lambda: 0)() == 3:
            width.append(args[0].shape[1])
            return (args[0][:, needed_from:],) + args[1:]
        return None

    def widen(module: Any, args: tuple, output: Any) -> Any:
        if not width:
            return None
        rest = ()
        if isinstance(output, tuple) and output:
            output, rest = output[0], output[1:]
        if getattr(output, "dim", lambda: 0)() != 3:
            raise TypeError(f"{type(module).__name__} returned {type(output).__name__}")
        full = output.new_zeros((output.shape[0], width[0], output.shape[2]))
        full[:, needed_from:] = output
        return (full, *rest) if rest else full

    hooks = [mlp.register_forward_pre_hook(narrow), mlp.register_forward_hook(widen)]
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


@contextlib.contextmanager
def blocked(model: Any, spans: Spans, needed_from: int = 0,
            block_size: int = BLOCK_SIZE) -> Iterator[None]:
    """Run `model` with block attention over the pattern `spans` describes inside the block; the
    caller reads outputs at query positions >= `needed_from` only (the last layer computes
    attention and feed-forward for those only)."""
    _register()
    config = model.config
    before = config._attn_implementation
    blocks = plan_blocks(spans, next(model.parameters()).dtype, block_size)
    token = _PLAN.set(_Plan(blocks, _last_layer(model), needed_from))
    config._attn_implementation = NAME
    try:
        with _last_mlp_from(model, needed_from):
            yield
    finally:
        config._attn_implementation = before
        _PLAN.reset(token)
