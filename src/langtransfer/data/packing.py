"""Tokenise documents, draw an exact token budget, and pack it into blocks and batches; pack
SFT examples several to a sequence.

Exercised by `langtransfer train cpt`, `langtransfer train sft` (`pack: true`) and
`langtransfer miniworld base`. (This module was train/packing.py, which re-exports it.)

The budget is exact: a budget of B tokens feeds the model exactly B input tokens — full
`seq_len` blocks, then one shorter final block. Documents are concatenated (<s> doc </s> <s> ...)
with no padding, so every position is a real token. When the budget exceeds the data, the
documents are cycled, each pass in a fresh seeded order (`repeat`); otherwise that is an error.
Documents may be id lists or numpy views of a cached token array (data.cache): both pack the
same, and views are concatenated in numpy without a Python loop over tokens.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langtransfer.data.transforms import TOKENIZE_BATCH, clm_v1
from langtransfer.errors import DataError

__all__ = ["TOKENIZE_BATCH", "IGNORE_INDEX", "read_documents", "tokenize_lines", "pack_blocks",
           "allocate_budget", "take_tokens", "mix_documents", "PackedData", "split_blocks",
           "lm_batches", "steps_for", "pack_examples"]

IGNORE_INDEX = -100  # labels excluded from the loss (PyTorch / transformers convention)


def read_documents(path: str | Path) -> list[str]:
    """Non-empty lines of a text file (one document per line); a missing file is a DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: text file not found")
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def tokenize_lines(tok: Any, lines: Sequence[str]) -> list[list[int]]:
    """Token ids of each line as a document: [<s>] + ids + [</s>] (transform clm_v1).

    Args:
        tok: a transformers tokenizer with bos/eos tokens.
        lines: documents (no newlines inside).

    Returns:
        One id list per line.
    """
    return [doc for batch in clm_v1(tok, lines) for doc in batch]


def _is_array(doc: Any) -> bool:
    return hasattr(doc, "dtype")


def _stream(docs: Sequence[Sequence[int]]) -> Any:
    """All documents end to end as one LongTensor."""
    import numpy as np
    import torch

    if not docs:
        return torch.zeros(0, dtype=torch.long)
    arrays = [d if _is_array(d) else np.asarray(d, dtype=np.int64) for d in docs]
    return torch.from_numpy(np.concatenate(arrays).astype(np.int64, copy=False))


def pack_blocks(docs: Sequence[Sequence[int]], seq_len: int) -> Any:
    """Concatenate documents and cut them into full blocks (the tail shorter than seq_len is
    dropped; use `split_blocks` to keep it).

    Returns:
        LongTensor [n_blocks, seq_len]; every entry is a real token (no padding).
    """
    stream = _stream(docs)
    n_blocks = stream.numel() // seq_len
    return stream[: n_blocks * seq_len].view(n_blocks, seq_len)


def allocate_budget(fractions: Sequence[float], budget: int) -> list[int]:
    """Split `budget` tokens by fractions so the parts sum exactly to the budget.

    Each part is round(fraction * budget) up to one token: the largest-remainder method
    (plain rounding can miss the total, e.g. 0.5/0.5 of 301 gives 150 + 150).
    """
    exact = [f * budget for f in fractions]
    parts = [int(x) for x in exact]
    short = budget - sum(parts)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:short]:
        parts[i] += 1
    return parts


def take_tokens(docs: Sequence[Sequence[int]], n_tokens: int, *, repeat: bool, seed: int,
                name: str = "data") -> list[Any]:
    """Exactly `n_tokens` tokens of documents in seeded order (the last document is cut).

    Args:
        docs: tokenised documents (id lists, ranges or numpy arrays).
        n_tokens: tokens to take.
        repeat: cycle through the documents (a new seeded order per pass) when n_tokens
            exceeds them; when False that is a DataError.
        seed: seed of the document order.
        name: what the documents are (for error messages).

    Returns:
        Documents whose lengths sum to n_tokens (lists for list/range input, numpy views for
        arrays).
    """
    available = sum(len(d) for d in docs)
    if n_tokens > 0 and available == 0:
        raise DataError(f"{name}: no tokens to train on")
    if n_tokens > available and not repeat:
        raise DataError(f"{name}: budget of {n_tokens} tokens exceeds the data's {available} "
                        "tokens and repeat is false (set repeat: true or lower the budget)")
    rng = random.Random(seed)
    taken: list[Any] = []
    left = n_tokens
    while left > 0:
        order = list(range(len(docs)))
        rng.shuffle(order)  # a fresh order each pass over the data
        for i in order:
            if left == 0:
                break
            piece = docs[i][:left]
            if len(piece):
                taken.append(piece if _is_array(piece) else list(piece))
                left -= len(piece)
    return taken


def mix_documents(parts: Sequence[Sequence[Sequence[int]]], seed: int) -> list[Sequence[int]]:
    """Interleave the documents of several sources in one seeded order (mixing inside blocks)."""
    mixed = [doc for part in parts for doc in part]
    random.Random(seed).shuffle(mixed)
    return mixed


@dataclass
class PackedData:
    """An exact budget cut into blocks: full blocks plus at most one shorter final block."""

    blocks: Any
    """LongTensor [n_blocks, seq_len]."""
    tail: Any | None
    """LongTensor [1, r] with 0 < r < seq_len, or None when the budget divides evenly."""

    @property
    def n_tokens(self) -> int:
        """Input tokens in all blocks."""
        return self.blocks.numel() + (self.tail.numel() if self.tail is not None else 0)


def split_blocks(docs: Sequence[Sequence[int]], seq_len: int) -> PackedData:
    """Concatenate documents into full blocks plus the shorter remainder (nothing dropped)."""
    stream = _stream(docs)
    n_full = stream.numel() // seq_len
    blocks = stream[: n_full * seq_len].view(n_full, seq_len)
    rest = stream[n_full * seq_len:]
    return PackedData(blocks=blocks, tail=rest.view(1, -1) if rest.numel() else None)


def lm_batches(data: PackedData, batch_size: int) -> list[dict[str, Any]]:
    """Micro-batches for next-token training: `batch_size` full blocks each, a smaller final
    batch of the leftover full blocks, and the shorter tail block as a batch of its own.

    Labels equal the inputs (the loss shifts them); there is no padding, so no attention mask.
    """
    batches = [{"input_ids": b, "labels": b} for b in data.blocks.split(batch_size)]
    if data.tail is not None:
        batches.append({"input_ids": data.tail, "labels": data.tail})
    return batches


def steps_for(n_batches: int, grad_accum: int) -> int:
    """Optimizer steps for `n_batches` micro-batches (the last step may accumulate fewer)."""
    return -(-n_batches // grad_accum)


def pack_examples(examples: Sequence[dict[str, list[int]]], order: Sequence[int],
                  batch_size: int, max_len: int, pad_id: int) -> list[dict[str, Any]]:
    """SFT packing: examples in `order` laid end to end, several to a sequence of at most
    `max_len` tokens (an example is never split), `batch_size` sequences per batch.

    Each batch holds input_ids, labels and position_ids that restart at 0 for every example.
    There is no attention_mask: given position_ids and no mask, transformers 5.x
    (masking_utils.find_packed_sequence_indices) builds a block-diagonal causal mask, so an
    example attends only to itself (train.loop passes position_ids to the model).
    A sequence shorter than the batch's longest is padded with `pad_id`, labels -100 and
    positions of its own (a separate block nothing real attends to). Across an example
    boundary the label is the next example's <s>, which is always -100: no loss crosses.

    Args:
        examples: {"input_ids", "labels"} lists, each at most max_len long.
        order: indices into examples (epochs already laid out, as example_order gives).
        batch_size: packed sequences per batch.
        max_len: the sequence length limit.
        pad_id: padding token id.

    Returns:
        Batches in order.
    """
    rows: list[list[int]] = []  # example indices per packed sequence (first-fit in order)
    used = max_len + 1
    for i in order:
        n = len(examples[i]["input_ids"])
        if used + n > max_len:
            rows.append([])
            used = 0
        rows[-1].append(i)
        used += n
    return [_packed_batch(examples, rows[s:s + batch_size], pad_id)
            for s in range(0, len(rows), batch_size)]


def _packed_batch(examples: Sequence[dict[str, list[int]]], rows: list[list[int]],
                  pad_id: int) -> dict[str, Any]:
    import torch

    seqs = []
    for row in rows:
        ids = [t for i in row for t in examples[i]["input_ids"]]
        labels = [t for i in row for t in examples[i]["labels"]]
        positions = [p for i in row for p in range(len(examples[i]["input_ids"]))]
        seqs.append((ids, labels, positions))
    width = max(len(s[0]) for s in seqs)
    out = {name: torch.full((len(seqs), width), fill, dtype=torch.long)
           for name, fill in (("input_ids", pad_id), ("labels", IGNORE_INDEX),
                              ("position_ids", 0))}
    for r, (ids, labels, positions) in enumerate(seqs):
        n = len(ids)
        out["input_ids"][r, :n] = torch.tensor(ids)
        out["labels"][r, :n] = torch.tensor(labels)
        out["position_ids"][r, :n] = torch.tensor(positions)
        out["position_ids"][r, n:] = torch.arange(width - n)
    return out
