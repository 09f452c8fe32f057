"""Versioned row transforms: rows -> token ids. Never change what a `_vN` does — cached data
(data.cache keys hold the name) and old studies refer to it; add `_vN+1` instead.

Exercised by `langtransfer train cpt` (clm_v1) and `langtransfer train sft` (sft_v1), and
tests/unit/data/test_data_cache.py.

- clm_v1: a document -> [<s>] + ids + [</s>] (no special tokens from the tokenizer itself).
- sft_v1: a conversation -> ids and a 0/1 loss mask. alpaca templates: [<s>] + prompt + answer
  + [</s>] per turn, the loss on the answers and their </s>; chat: the tokenizer's template
  text, <s> first when the template does not start with it, the loss on the text each
  assistant turn adds. Pieces are tokenised separately so the prompt ids are exactly those
  generation starts from (data.templates).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Sequence

from langtransfer.errors import DataError

TOKENIZE_BATCH = 1000  # texts per fast-tokenizer call (batched calls run in Rust, ~10x per-line)
TRANSFORMS: dict[str, Callable[..., Any]] = {}


def register_transform(name: str) -> Callable[[Callable], Callable]:
    """Decorator: add a transform under a versioned name (e.g. "clm_v1")."""
    def add(fn: Callable) -> Callable:
        TRANSFORMS[name] = fn
        return fn
    return add


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _direct_backend(tok: Any) -> Any:
    """The Rust tokenizer when `tok(texts, add_special_tokens=False)` is nothing but its
    encode_batch (transformers 5's TokenizersBackend with the base classes' call path), else
    None."""
    try:
        from transformers.tokenization_utils_base import PreTrainedTokenizerBase
        from transformers.tokenization_utils_tokenizers import TokenizersBackend
    except ImportError:
        return None
    cls = type(tok)
    plain = (isinstance(tok, TokenizersBackend)
             and cls.__call__ is PreTrainedTokenizerBase.__call__
             and cls._encode_plus is TokenizersBackend._encode_plus
             and cls.set_truncation_and_padding is TokenizersBackend.set_truncation_and_padding)
    return tok._tokenizer if plain else None


def encode_plain(tok: Any, texts: list[str]) -> list[list[int]]:
    """`tok(texts, add_special_tokens=False)["input_ids"]`, read straight from the Rust backend
    where that is all the call does: the same ids without a BatchEncoding per text (measured
    ~15-20% faster on the MiniWorld zh corpus; tests/unit/data/test_data_cache.py checks the
    ids are equal)."""
    backend = _direct_backend(tok)
    if backend is None:
        return tok(texts, add_special_tokens=False)["input_ids"]
    from transformers.tokenization_utils_base import PaddingStrategy, TruncationStrategy

    # what the call does before encoding: no truncation/padding, the special-token split flag
    tok.set_truncation_and_padding(PaddingStrategy.DO_NOT_PAD, TruncationStrategy.DO_NOT_TRUNCATE,
                                   None, 0, None, None)
    if backend.encode_special_tokens != tok.split_special_tokens:
        backend.encode_special_tokens = tok.split_special_tokens
    return [enc.ids for enc in backend.encode_batch(texts, add_special_tokens=False)]


def _special_ids(tok: Any) -> tuple[int, int]:
    bos, eos = tok.bos_token_id, tok.eos_token_id
    if bos is None or eos is None:
        raise DataError("tokenizer has no <s>/</s> tokens: documents need both for packing")
    return bos, eos


@register_transform("clm_v1")
def clm_v1(tok: Any, texts: Iterable[str]) -> Iterator[list[list[int]]]:
    """Documents as [<s>] + ids + [</s>], one list per text, yielded a batch at a time.

    Args:
        tok: a transformers tokenizer with bos/eos tokens.
        texts: documents (streamed; tokenised TOKENIZE_BATCH at a time).

    Yields:
        Lists of id lists, in input order.
    """
    bos, eos = _special_ids(tok)
    for chunk in _batches(texts, TOKENIZE_BATCH):
        yield [[bos, *row, eos] for row in encode_plain(tok, chunk)]


@register_transform("sft_v1")
def sft_v1(tok: Any, rows: Sequence[dict], template: str) -> list[tuple[list[int], list[int]]]:
    """Token ids and loss mask (1 = trained) of each conversation.

    Args:
        tok: tokenizer with bos/eos.
        rows: rows with "messages" (data.formats).
        template: alpaca, alpaca_short or chat (data.templates).

    Returns:
        One (ids, mask) per row, untruncated.
    """
    from langtransfer.data.templates import CHAT, conversation_segments

    bos, eos = _special_ids(tok)
    per_row = [conversation_segments(r["messages"], template, tok) for r in rows]
    flat = [text for segs in per_row for text, _ in segs]
    encoded: list[list[int]] = []
    for chunk in _batches(flat, TOKENIZE_BATCH):
        encoded.extend(encode_plain(tok, chunk))
    out, k = [], 0
    for segs in per_row:
        ids, mask = [bos], [0]
        for _, train in segs:
            piece = encoded[k]
            k += 1
            ids += piece
            mask += [int(train)] * len(piece)
            if train and template != CHAT:
                ids.append(eos)
                mask.append(1)
        if template == CHAT and len(ids) > 1 and ids[1] == bos:
            ids, mask = ids[1:], mask[1:]  # the template wrote <s> itself
        out.append((ids, mask))
    return out
