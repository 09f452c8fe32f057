"""Resize a model's embeddings for an extended tokenizer and initialise the new rows by name.

Used by `langtransfer train cpt|sft --set tokenizer=EXTENDED_DIR --set init=NAME` (the stage
resizes before training and records the returned dict as `vocab_init` in its manifest);
Python: `resize_and_init(model, len(new_tok), "subword_mean", old_tokenizer=..., ...)`.

Strategies (`INIT_STRATEGIES`, pick by name):
- `random`: N(0, initializer_range), the model's own init (what a fresh row would get).
- `mean`: every new row = the mean of the old rows (input embedding and LM head each).
- `subword_mean`: FVT (Gee et al. 2022, "Fast Vocabulary Transfer"): a new token's row = the
  mean of the rows of the old-tokenizer pieces that spell it, for the input embedding and the
  LM head separately; tokens the old tokenizer cannot spell fall back to `mean` and are counted.
- `subword_mean_norm`: `subword_mean` with input rows rescaled to the old rows' mean norm (an
  average of k rows is shorter than its parts unless they point the same way; this puts every
  new input row on the usual scale). Untied head rows stay the plain subword mean (below).

Old rows are never touched: `resize_token_embeddings(..., mean_resizing=False)` copies them
bit-exactly (ENVIRONMENT.md), tied or untied, and only rows >= the old size are written here.

English-unchanged property: the LM-head row of a new token under `mean` and `subword_mean` is
a convex combination of old head rows, so for any hidden state its logit is at most the best
old token's logit (h·Σ w_i e_i = Σ w_i (h·e_i) <= max_i h·e_i): greedy decoding of text the
old tokenizer covers cannot switch to a new token. `subword_mean_norm` therefore rescales only
input rows (and, when the embeddings are tied, loses the guarantee); `random` has none
(docs/vocab.md, "Model side", gives the measurements on stories260K).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from langtransfer.errors import ConfigError

BYTE_PIECE = re.compile(r"<0x[0-9A-F]{2}>")  # SentencePiece byte-fallback pieces
SUBWORD_STRATEGIES = ("subword_mean", "subword_mean_norm")  # these need both tokenizers
CONVEX_HEAD_STRATEGIES = ("mean", "subword_mean")  # head rows are averages of old head rows
LISTED_UNDECOMPOSED = 50  # pieces named in the record (the count covers all of them)


@dataclass
class InitContext:
    """What a strategy sees: copies of the old rows and the ids to fill."""

    old_input: Any
    """Old input-embedding rows [old_rows, hidden] (a detached copy)."""
    old_output: Any | None
    """Old LM-head rows [old_rows, hidden]; None when tied to the input embedding."""
    new_ids: range
    """Ids of the rows to initialise (old_rows .. new_rows - 1)."""
    std: float
    """The model's initializer_range."""
    generator: Any
    """A seeded torch.Generator (the only randomness a strategy may use)."""
    old_tokenizer: Any | None = None
    """The tokenizer the old rows belong to."""
    new_tokenizer: Any | None = None
    """The extended tokenizer (ids >= its length are padding rows)."""


@dataclass
class NewRows:
    """A strategy's output."""

    input: Any
    """Rows for the input embedding [n_new, hidden]."""
    output: Any | None
    """Rows for the LM head [n_new, hidden]; None when tied."""
    undecomposed: list[str] = field(default_factory=list)
    """Pieces the old tokenizer cannot spell (initialised by `mean` instead)."""


Strategy = Callable[[InitContext], NewRows]
INIT_STRATEGIES: dict[str, Strategy] = {}
"""Registered init strategies by name."""


def register_init(name: str) -> Callable[[Strategy], Strategy]:
    """Decorator: register an init strategy under `name` (names are never reused)."""
    def add(fn: Strategy) -> Strategy:
        if name in INIT_STRATEGIES:
            raise ValueError(f"init strategy '{name}' is already registered")
        INIT_STRATEGIES[name] = fn
        return fn
    return add


def get_init(name: str) -> Strategy:
    """The strategy registered as `name`; an unknown name is a one-line ConfigError."""
    if name not in INIT_STRATEGIES:
        raise ConfigError(f"init: unknown strategy '{name}' (choose from: "
                          f"{', '.join(sorted(INIT_STRATEGIES))})")
    return INIT_STRATEGIES[name]


@register_init("random")
def init_random(ctx: InitContext) -> NewRows:
    """N(0, initializer_range) for every new row, input and head drawn independently."""
    import torch

    shape = (len(ctx.new_ids), ctx.old_input.shape[1])
    rows = torch.randn(shape, generator=ctx.generator) * ctx.std
    head = None if ctx.old_output is None else torch.randn(shape, generator=ctx.generator) * ctx.std
    return NewRows(rows.to(ctx.old_input.dtype), _cast(head, ctx.old_input))


@register_init("mean")
def init_mean(ctx: InitContext) -> NewRows:
    """Every new row = the mean of all old rows (input embedding and LM head each)."""
    n = len(ctx.new_ids)
    head = None if ctx.old_output is None else _mean_row(ctx.old_output).expand(n, -1).clone()
    return NewRows(_mean_row(ctx.old_input).expand(n, -1).clone(), head)


@register_init("subword_mean")
def init_subword_mean(ctx: InitContext) -> NewRows:
    """FVT: the mean of the old rows of the pieces that spell the new token (see module doc)."""
    import torch

    pieces = ctx.new_tokenizer.convert_ids_to_tokens(
        [i for i in ctx.new_ids if i < len(ctx.new_tokenizer)])
    fallback_in = _mean_row(ctx.old_input)[0]
    fallback_out = None if ctx.old_output is None else _mean_row(ctx.old_output)[0]
    inputs, outputs, undecomposed = [], [], []
    for i in range(len(ctx.new_ids)):
        parts = subword_ids(pieces[i], ctx.old_tokenizer) if i < len(pieces) else []
        if i < len(pieces) and not parts:
            undecomposed.append(pieces[i])
        inputs.append(ctx.old_input[parts].mean(0) if parts else fallback_in)
        if fallback_out is not None:
            outputs.append(ctx.old_output[parts].mean(0) if parts else fallback_out)
    head = torch.stack(outputs) if outputs else None
    return NewRows(torch.stack(inputs), head, undecomposed)


@register_init("subword_mean_norm")
def init_subword_mean_norm(ctx: InitContext) -> NewRows:
    """`subword_mean` with each input row rescaled to the mean L2 norm of the old input rows.

    Untied LM-head rows keep the plain subword mean: a rescaled head row leaves the convex
    hull of the old rows and can outscore every old token (measured on stories260K: greedy
    English output changed). With tied embeddings the one shared row is rescaled, and that
    guarantee is lost (the record's `head_rows_convex` is then false).
    """
    rows = init_subword_mean(ctx)
    rows.input = _rescale(rows.input, ctx.old_input)
    return rows


def subword_ids(piece: str, old_tok: Any) -> list[int]:
    """Old-tokenizer ids that spell `piece` ([] when it cannot be spelled).

    The piece is segmented by the old tokenizer's own model (its BPE merges / unigram
    pieces, with byte fallback), in the shared alphabet: a word-initial piece keeps its "▁"
    (SentencePiece) or "Ġ" (byte-level BPE) and maps to word-initial old pieces ("▁中国" ->
    "▁" + the six UTF-8 byte pieces in a 512-piece English model), and a word-internal piece
    maps to word-internal ones. Encoding the decoded text with the full tokenizer instead
    would add a second dummy "▁" (SentencePiece prefixes every text with one). A byte piece
    "<0xNN>" is its own old piece; pieces that need <unk>, or whose characters the old
    model cannot cover, count as unspellable.

    Args:
        piece: a token string of the extended tokenizer.
        old_tok: the base tokenizer (a tokenizers-backed transformers tokenizer).

    Returns:
        Old ids (possibly one: a piece already in the old vocabulary maps to itself).
    """
    vocab = old_tok.get_vocab()
    if piece in vocab:
        return [vocab[piece]]
    if BYTE_PIECE.fullmatch(piece) or piece in old_tok.all_special_tokens:
        return []  # a byte the old model has no piece for; a control token has no spelling
    tokens = old_tok.backend_tokenizer.model.tokenize(piece)
    unk = old_tok.unk_token_id
    if not _covers(tokens, piece) or any(t.id == unk for t in tokens):
        return []
    return [t.id for t in tokens]


def _covers(tokens: list[Any], piece: str) -> bool:
    """True when the tokens' byte offsets tile the whole piece (a byte-level BPE without
    <unk> silently drops characters outside its alphabet instead of failing)."""
    end = 0
    for token in tokens:
        start, stop = token.offsets
        if start != end:
            return False
        end = stop
    return bool(tokens) and end == len(piece.encode("utf-8"))


def resize_and_init(model: Any, new_vocab_size: int, strategy: str, *,
                    old_tokenizer: Any | None = None, new_tokenizer: Any | None = None,
                    seed: int = 0, pad_to_multiple_of: int | None = None) -> dict[str, Any]:
    """Grow the input embedding and LM head to `new_vocab_size` rows; initialise the new rows.

    Args:
        model: a transformers causal LM (tied or untied embeddings); changed in place.
        new_vocab_size: rows wanted (usually len(new_tokenizer)); must be >= the current rows.
        strategy: a name in INIT_STRATEGIES.
        old_tokenizer: the tokenizer of the current rows (needed by the subword strategies).
        new_tokenizer: the extended tokenizer (needed by the subword strategies).
        seed: seed of `random` (the only strategy that draws numbers).
        pad_to_multiple_of: round the rows up to a multiple of this (padding rows are
            initialised like the others; subword strategies give them the `mean`).

    Returns:
        The manifest record: strategy, old_rows, new_rows, n_new, padding_rows, tied, seed,
        head_rows_convex (the English-unchanged guarantee, `head_rows_convex`), mean / std
        of the new rows' L2 norms (input, and head when untied) next to the old
        rows' mean norm, and the pieces without a subword decomposition (count + first 50).

    Raises:
        ConfigError: unknown strategy, a subword strategy without both tokenizers, or fewer
            rows than the model has.
    """
    import torch

    init = get_init(strategy)
    if strategy in SUBWORD_STRATEGIES and (old_tokenizer is None or new_tokenizer is None):
        raise ConfigError(f"init: '{strategy}' needs the old and the new tokenizer")
    old_rows = model.get_input_embeddings().weight.shape[0]
    if new_vocab_size < old_rows:
        raise ConfigError(f"cannot resize to {new_vocab_size} rows: the model already has "
                          f"{old_rows} (an extension only adds rows)")
    tied = embeddings_tied(model)
    ctx = InitContext(
        old_input=model.get_input_embeddings().weight.detach().clone(),
        old_output=None if tied else model.get_output_embeddings().weight.detach().clone(),
        new_ids=range(0), std=float(getattr(model.config, "initializer_range", 0.02)),
        generator=torch.Generator().manual_seed(seed),
        old_tokenizer=old_tokenizer, new_tokenizer=new_tokenizer,
    )
    model.resize_token_embeddings(new_vocab_size, pad_to_multiple_of=pad_to_multiple_of,
                                  mean_resizing=False)
    new_rows = model.get_input_embeddings().weight.shape[0]
    ctx.new_ids = range(old_rows, new_rows)
    rows = init(ctx) if new_rows > old_rows else None
    if rows is not None:
        _write_rows(model, old_rows, rows, tied)
    return _record(strategy, ctx, rows, new_rows, tied, seed, new_tokenizer)


def head_rows_convex(strategy: str, tied: bool) -> bool:
    """Whether `strategy` makes every new LM-head row a convex combination of old head rows.

    When true, no new token can outscore the best old token on any hidden state, so greedy
    output on text the old tokenizer covers is unchanged by the resize (module docstring).
    """
    return strategy in CONVEX_HEAD_STRATEGIES or (strategy == "subword_mean_norm" and not tied)


def embeddings_tied(model: Any) -> bool:
    """True when the LM head and the input embedding share one weight tensor."""
    head = model.get_output_embeddings()
    return head is None or head.weight is model.get_input_embeddings().weight


def _write_rows(model: Any, old_rows: int, rows: NewRows, tied: bool) -> None:
    import torch

    with torch.no_grad():
        model.get_input_embeddings().weight[old_rows:] = rows.input
        if not tied:
            model.get_output_embeddings().weight[old_rows:] = rows.output


def _record(strategy: str, ctx: InitContext, rows: NewRows | None, new_rows: int, tied: bool,
            seed: int, new_tok: Any | None) -> dict[str, Any]:
    old_rows = ctx.old_input.shape[0]
    real = len(new_tok) if new_tok is not None else new_rows
    record: dict[str, Any] = {
        "strategy": strategy, "old_rows": old_rows, "new_rows": new_rows,
        "n_new": new_rows - old_rows, "padding_rows": max(new_rows - max(real, old_rows), 0),
        "tied": tied, "seed": seed, "head_rows_convex": head_rows_convex(strategy, tied),
        "old_input_norm_mean": _norm_stats(ctx.old_input)[0],
    }
    if rows is not None:
        record["new_input_norm_mean"], record["new_input_norm_std"] = _norm_stats(rows.input)
        if rows.output is not None:
            record["old_head_norm_mean"] = _norm_stats(ctx.old_output)[0]
            record["new_head_norm_mean"], record["new_head_norm_std"] = _norm_stats(rows.output)
    undecomposed = rows.undecomposed if rows is not None else []
    record["no_decomposition"] = len(undecomposed)
    record["no_decomposition_tokens"] = undecomposed[:LISTED_UNDECOMPOSED]
    return record


def _norm_stats(matrix: Any) -> tuple[float, float]:
    norms = matrix.float().norm(dim=1)
    std = float(norms.std()) if norms.numel() > 1 else 0.0
    return round(float(norms.mean()), 6), round(std, 6)


def _mean_row(matrix: Any) -> Any:
    return matrix.mean(0, keepdim=True)


def _rescale(rows: Any, old: Any) -> Any:
    target = old.float().norm(dim=1).mean()
    norms = rows.float().norm(dim=1, keepdim=True).clamp_min(1e-12)
    return (rows * (target / norms)).to(rows.dtype)


def _cast(rows: Any | None, like: Any) -> Any | None:
    return None if rows is None else rows.to(like.dtype)
