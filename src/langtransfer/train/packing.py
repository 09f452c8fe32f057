"""Tokenise documents, draw an exact token budget, and pack it into blocks and batches.

Exercised by `langtransfer train cpt` and `langtransfer miniworld base`.

The budget is exact: a budget of B tokens feeds the model exactly B input tokens — full
`seq_len` blocks, then one shorter final block. Documents are concatenated (<s> doc </s> <s> ...)
with no padding, so every position is a real token. When the budget exceeds the data, the
documents are cycled, each pass in a fresh seeded order (`repeat`); otherwise that is an error.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langtransfer.errors import DataError

TOKENIZE_BATCH = 1000  # lines per fast-tokenizer call (batched calls run in Rust, ~10x per-line)


def read_documents(path: str | Path) -> list[str]:
    """Non-empty lines of a text file (one document per line); a missing file is a DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: text file not found")
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def tokenize_lines(tok: Any, lines: Sequence[str]) -> list[list[int]]:
    """Token ids of each line as a document: [<s>] + ids + [</s>].

    Args:
        tok: a transformers tokenizer with bos/eos tokens.
        lines: documents (no newlines inside).

    Returns:
        One id list per line.
    """
    bos, eos = tok.bos_token_id, tok.eos_token_id
    if bos is None or eos is None:
        raise DataError("tokenizer has no <s>/</s> tokens: documents need both for packing")
    docs: list[list[int]] = []
    for start in range(0, len(lines), TOKENIZE_BATCH):
        chunk = list(lines[start:start + TOKENIZE_BATCH])
        ids = tok(chunk, add_special_tokens=False)["input_ids"]
        docs.extend([bos, *row, eos] for row in ids)
    return docs


def pack_blocks(docs: Sequence[Sequence[int]], seq_len: int) -> Any:
    """Concatenate documents and cut them into full blocks (the tail shorter than seq_len is
    dropped; use `split_blocks` to keep it).

    Returns:
        LongTensor [n_blocks, seq_len]; every entry is a real token (no padding).
    """
    import torch

    stream = torch.tensor([t for doc in docs for t in doc], dtype=torch.long)
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
                name: str = "data") -> list[list[int]]:
    """Exactly `n_tokens` tokens of documents in seeded order (the last document is cut).

    Args:
        docs: tokenised documents.
        n_tokens: tokens to take.
        repeat: cycle through the documents (a new seeded order per pass) when n_tokens
            exceeds them; when False that is a DataError.
        seed: seed of the document order.
        name: what the documents are (for error messages).

    Returns:
        Documents whose lengths sum to n_tokens.
    """
    available = sum(len(d) for d in docs)
    if n_tokens > 0 and available == 0:
        raise DataError(f"{name}: no tokens to train on")
    if n_tokens > available and not repeat:
        raise DataError(f"{name}: budget of {n_tokens} tokens exceeds the data's {available} "
                        "tokens and repeat is false (set repeat: true or lower the budget)")
    rng = random.Random(seed)
    taken: list[list[int]] = []
    left = n_tokens
    while left > 0:
        order = list(range(len(docs)))
        rng.shuffle(order)  # a fresh order each pass over the data
        for i in order:
            if left == 0:
                break
            doc = list(docs[i][:left])
            if doc:
                taken.append(doc)
                left -= len(doc)
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
    import torch

    stream = torch.tensor([t for doc in docs for t in doc], dtype=torch.long)
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
