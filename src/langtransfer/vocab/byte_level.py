"""Byte-level BPE (GPT-2 / Llama-3 style tokenizer.json) pieces of vocabulary extension.

Split out of vocab/extend.py, which calls `merge_byte_level` and `pin_added_tokens` for
byte-level bases; `bytes_to_unicode` is also how vocab/stats.py reads byte-level pieces.
"""

from __future__ import annotations

import json
from pathlib import Path

from langtransfer.errors import UserError


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character map that byte-level BPE vocabularies are written in."""
    printable = {*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)}
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


def _bpe(symbols: list[str], ranks: dict[tuple[str, str], int]) -> list[str]:
    """Apply BPE merges to one word as `tokenizers` does: lowest rank first, then leftmost."""
    parts = list(symbols)
    while len(parts) > 1:
        rank, i = min((ranks.get((a, b), len(ranks) + 1), i)
                      for i, (a, b) in enumerate(zip(parts, parts[1:])))
        if rank > len(ranks):
            break
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return parts


def merge_byte_level(spec: dict, tokens: list[str]) -> tuple[dict, list[str]]:
    """Add `tokens` (Unicode strings) to a byte-level BPE tokenizer.json with their merges.

    Each token, in the byte-level alphabet, is split by the current merges (those added for
    earlier tokens included); while it is more than one piece, the merge of its first two
    pieces is appended (t1+t2, then (t1t2)+t3, …) and a missing result gets the next id.
    Appended merges rank after every existing one, so text without the new tokens encodes
    as before. New ids start after the highest vocabulary or added-token id, so they never
    collide with added special tokens.

    Returns:
        (the new tokenizer.json dict, the new vocabulary entries in id order).
    """
    spec = json.loads(json.dumps(spec))  # deep copy: the caller's dict stays the base
    model = spec["model"]
    vocab: dict[str, int] = model["vocab"]
    as_strings = bool(model["merges"]) and isinstance(model["merges"][0], str)
    merges = [tuple(m.split(" ", 1)) if as_strings else tuple(m) for m in model["merges"]]
    ranks = {pair: i for i, pair in enumerate(merges)}
    next_id = 1 + max([*vocab.values(), *(t["id"] for t in spec.get("added_tokens", []))])
    new: list[str] = []

    def append(piece: str) -> None:
        nonlocal next_id
        if piece not in vocab:
            vocab[piece], next_id = next_id, next_id + 1
            new.append(piece)

    byte_char = bytes_to_unicode()
    for token in tokens:
        symbols = [byte_char[b] for b in token.encode("utf-8")]
        for sym in symbols:  # a base trained without the full byte alphabet lacks some
            append(sym)
        while len(parts := _bpe(symbols, ranks)) > 1:
            ranks[(parts[0], parts[1])] = len(merges)
            merges.append((parts[0], parts[1]))
            append(parts[0] + parts[1])
    model["merges"] = [" ".join(m) if as_strings else list(m) for m in merges]
    return spec, new


def pin_added_tokens(spec: dict, path: Path) -> dict:
    """Put added tokens missing from the BPE vocabulary into it, at the ids they have now.

    `tokenizers` ignores the stored ids of added tokens that are not in the model's
    vocabulary and numbers them from the vocabulary's length on load (Llama-3's 256 special
    tokens after its 128,000 pieces). Appending pieces would shift them; in the vocabulary
    (as GPT-2 keeps <|endoftext|>) they keep their ids.
    """
    from tokenizers import Tokenizer

    try:
        loaded = Tokenizer.from_str(json.dumps(spec))
    except Exception as exc:  # tokenizers raises bare Exceptions for invalid specs
        raise UserError(f"{path}: tokenizers cannot load this tokenizer.json ({exc})") from None
    spec = json.loads(json.dumps(spec))
    for added in spec.get("added_tokens", []):
        added["id"] = loaded.token_to_id(added["content"])
        spec["model"]["vocab"].setdefault(added["content"], added["id"])
    return spec
