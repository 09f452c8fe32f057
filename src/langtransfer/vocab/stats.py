"""Fertility statistics of tokenizers on a text, and whether extending a vocabulary pays off.

`langtransfer vocab stats --tokenizer A [--tokenizer B …] --text FILE [--lang L] [--base A]`

For each tokenizer: tokens per character, per whitespace word and per 1,000 UTF-8 bytes (the
comparable unit for scripts written without spaces, where "words" are whole sentences),
byte-fallback rate, <unk> rate, and the share of characters covered by pieces new relative to
the base (ids >= the base's size). Against the base, a verdict: the sequence-length reduction,
the per-token cost increase from the larger LM head, the resulting throughput gain on this
text, and "worth it" / "marginal" / "not worth it" by the thresholds below.

A tokenizer is a folder `AutoTokenizer` loads, a raw SentencePiece `.model`, or a
`tokenizer.json` file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from langtransfer.errors import UserError

# The LM head's share of per-token compute. LLaMA-7B: 4096 x 32,000 head MACs of ~6.7 G per
# token, about 2%. Tiny models are head-dominated (ENVIRONMENT.md: 2 layers x hidden 64 with
# a 2,000 vocabulary spends a third of its compute there): pass --head-share for those.
HEAD_SHARE = 0.02
# Verdict thresholds on the throughput gain. New rows start untrained and must be learned in
# continued pretraining, and Zhao et al. (2024) found extension did not pay at small training
# budgets: under 5% is within what that costs; 20% or more is a clear saving.
WORTH_IT, MARGINAL = 0.20, 0.05
BYTE_PIECE = re.compile(r"<0x[0-9A-Fa-f]{2}>")
# Scripts written without spaces between words (CJK, Thai …): a whitespace "word" is a phrase.
_NO_SPACE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0e7f]")


@dataclass
class LoadedTokenizer:
    """A tokenizer seen through the few operations the statistics need."""

    name: str
    kind: str
    """"sentencepiece" (byte pieces <0xNN>), "byte-level" (GPT-2 byte alphabet) or "other"."""
    size: int
    """Number of ids (vocabulary plus added tokens)."""
    encode: Callable[[list[str]], list[tuple[list[int], list[tuple[int, int]]]]]
    """texts -> per text (ids, character span of each token); no special tokens added."""
    piece: Callable[[int], str]
    """id -> piece string."""
    fallback_ids: frozenset[int]
    """Ids that are byte fallbacks (a <0xNN> piece, or one non-ASCII byte of byte-level BPE)."""
    unk_id: int | None


def load_tokenizer(path: str | Path) -> LoadedTokenizer:
    """Load a tokenizer folder, a SentencePiece `.model` or a `tokenizer.json` for statistics."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: tokenizer not found")
    if path.is_file() and path.suffix == ".model":
        return _load_sentencepiece(path)
    if path.is_file() and path.suffix == ".json":
        from tokenizers import Tokenizer

        try:
            backend = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
            raise UserError(f"{path}: not a tokenizer.json ({exc})") from None
        return _from_backend(str(path), backend)
    if path.is_dir():
        from transformers import AutoTokenizer

        try:
            tok = AutoTokenizer.from_pretrained(path)
        except (OSError, ValueError) as exc:
            raise UserError(f"{path}: AutoTokenizer cannot load this folder ({exc})") from None
        if not getattr(tok, "is_fast", False):
            raise UserError(f"{path}: {type(tok).__name__} is not tokenizers-backed")
        return _from_backend(str(path), tok.backend_tokenizer)
    raise UserError(f"{path}: expected a tokenizer folder, a .model or a tokenizer.json")


def _load_sentencepiece(path: Path) -> LoadedTokenizer:
    import sentencepiece as spm

    from langtransfer.vocab.extend import load_sp_proto

    load_sp_proto(path, role="tokenizer")  # one-line error for a corrupt file
    sp = spm.SentencePieceProcessor(model_file=str(path))

    def encode(texts: list[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        out = []
        for text in texts:
            char_at = _byte_to_char(text)
            pieces = sp.encode(text, return_type="proto").pieces
            out.append(([p.id for p in pieces],
                         [(char_at[p.begin], char_at[p.end]) for p in pieces]))
        return out

    n = sp.get_piece_size()
    return LoadedTokenizer(
        name=str(path), kind="sentencepiece", size=n, encode=encode, piece=sp.id_to_piece,
        fallback_ids=frozenset(i for i in range(n) if sp.is_byte(i)),
        unk_id=sp.unk_id() if sp.unk_id() >= 0 else None)


def _byte_to_char(text: str) -> list[int]:
    """UTF-8 byte offset -> character offset (a byte inside a character maps to that char)."""
    index = []
    for i, ch in enumerate(text):
        index.extend([i] * len(ch.encode("utf-8")))
    index.append(len(text))
    return index


def _from_backend(name: str, backend: Any) -> LoadedTokenizer:
    """Wrap a `tokenizers.Tokenizer` (what every fast transformers tokenizer holds)."""
    from langtransfer.vocab.byte_level import bytes_to_unicode

    backend.no_padding()  # a tokenizer.json saved with padding would count pad tokens
    backend.no_truncation()
    spec = json.loads(backend.to_str())
    vocab = backend.get_vocab(with_added_tokens=True)
    byte_level = '"ByteLevel"' in json.dumps(spec.get("pre_tokenizer"))
    if byte_level:  # one byte-alphabet character of a byte >= 0x80: part of a character
        high = {bytes_to_unicode()[b] for b in range(0x80, 0x100)}
        fallback = frozenset(i for piece, i in vocab.items() if piece in high)
    else:
        fallback = frozenset(i for piece, i in vocab.items() if BYTE_PIECE.fullmatch(piece))
    kind = "byte-level" if byte_level else "sentencepiece" if fallback else "other"
    unk = (spec.get("model") or {}).get("unk_token")

    def encode(texts: list[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        encs = backend.encode_batch(texts, add_special_tokens=False)
        return [(e.ids, e.offsets) for e in encs]

    id_to_piece = {i: piece for piece, i in vocab.items()}
    return LoadedTokenizer(
        name=name, kind=kind, size=1 + max(vocab.values()), encode=encode,
        piece=lambda i: id_to_piece.get(i, ""), fallback_ids=fallback,
        unk_id=vocab.get(unk) if unk else None)


@dataclass
class _Counts:
    tokens: int = 0
    fallback: int = 0
    unk: int = 0
    new_chars: int = 0


def _measure(tok: LoadedTokenizer, texts: list[str], new_from: int | None) -> _Counts:
    """Token, fallback and <unk> counts; characters covered by ids >= `new_from`."""
    counts = _Counts()
    for text, (ids, spans) in zip(texts, tok.encode(texts)):
        counts.tokens += len(ids)
        counts.fallback += sum(i in tok.fallback_ids for i in ids)
        counts.unk += sum(i == tok.unk_id for i in ids)
        if new_from is not None:
            covered = bytearray(len(text))
            for i, (start, end) in zip(ids, spans):
                if i >= new_from:
                    covered[start:end] = b"\x01" * (end - start)
            counts.new_chars += sum(covered)
    return counts


def extends(tok: LoadedTokenizer, base: LoadedTokenizer) -> bool:
    """True when `tok` keeps every id of `base` (same piece at each id below the base size)."""
    return tok.size >= base.size and all(
        tok.piece(i) == base.piece(i) for i in range(base.size))


def is_no_space_script(texts: list[str], lang: str | None) -> bool:
    """Whether words are not separated by spaces: from --lang, else from the text itself."""
    if lang is not None:
        from langtransfer.langs import get_lang

        return get_lang(lang).is_cjk
    chars = sum(len(t) for t in texts)
    return chars > 0 and sum(len(_NO_SPACE.findall(t)) for t in texts) / chars > 0.3


def verdict(tokens: int, base_tokens: int, size: int, base_size: int,
            head_share: float = HEAD_SHARE) -> dict[str, Any]:
    """Throughput verdict of a tokenizer against the base on the same text.

    Tokens are the cost unit: processing the text takes `tokens` steps instead of
    `base_tokens`, and each step costs more by `head_share * (size - base_size) / base_size`
    because the LM head grows by the added rows (embedding lookups cost nothing by comparison).

    Returns:
        seq_len_reduction (1 - tokens/base_tokens), per_token_cost_increase, throughput_gain
        (text per unit of compute, relative to the base), head_share, label.
    """
    reduction = 1 - tokens / base_tokens
    cost = head_share * (size - base_size) / base_size
    gain = base_tokens / (tokens * (1 + cost)) - 1
    label = ("worth it" if gain >= WORTH_IT else "marginal" if gain >= MARGINAL
             else "not worth it")
    return {"seq_len_reduction": reduction, "per_token_cost_increase": cost,
            "throughput_gain": gain, "head_share": head_share, "label": label}


def short_name(name: str) -> str:
    """The last two parts of a tokenizer path ("llama/tokenizer.model"), for display."""
    return "/".join(Path(name).parts[-2:])


def verdict_text(name: str, base: str, v: dict[str, Any], added: int) -> str:
    """One plain-language sentence for a verdict."""
    name, base = short_name(name), short_name(base)
    return (f"{name}: {v['seq_len_reduction']:.1%} fewer tokens than {base} on this text; "
            f"{added:+,} rows in the LM head (assumed {v['head_share']:.0%} of per-token "
            f"compute) cost {v['per_token_cost_increase']:+.2%} per token, so throughput on this "
            f"text changes by {v['throughput_gain']:+.1%}: {v['label']} (rule: >= "
            f"{WORTH_IT:.0%} worth it, >= {MARGINAL:.0%} marginal, else not worth it).")


def compare_tokenizers(paths: list[str | Path], texts: list[str], lang: str | None = None,
                       base: str | Path | None = None,
                       head_share: float = HEAD_SHARE) -> list[dict[str, Any]]:
    """`tokenizer_stats` for several tokenizers, loading and measuring the base once."""
    texts = [t for t in texts if t]
    if not texts:
        raise UserError("no text to measure (all lines empty)")
    base_tok = load_tokenizer(base) if base is not None else None
    base_counts = _measure(base_tok, texts, None) if base_tok else None
    return [_stats(load_tokenizer(p), texts, lang, base_tok, base_counts, head_share)
            for p in paths]


def tokenizer_stats(tokenizer_path: str | Path, texts: list[str], lang: str | None = None,
                    base: str | Path | None = None,
                    head_share: float = HEAD_SHARE) -> dict[str, Any]:
    """Fertility of one tokenizer on `texts`, and its verdict against `base` when given.

    Args:
        tokenizer_path: a folder AutoTokenizer loads, a SentencePiece `.model` or a
            tokenizer.json.
        texts: documents (no special tokens are added).
        lang: ISO code; decides whether tokens per 1,000 bytes or per word is the
            comparable unit (detected from the text when None).
        base: the tokenizer this one extends (ids >= its size count as new pieces).
        head_share: the LM head's share of per-token compute (for the verdict).

    Returns:
        chars, bytes, words, tokens, tokens_per_char, tokens_per_word, tokens_per_kbyte,
        unit, byte_fallback_rate, unk_rate, new_piece_char_share (None without a base or
        when ids are not preserved), and verdict (None without a base).
    """
    return compare_tokenizers([tokenizer_path], texts, lang, base, head_share)[0]


def _stats(tok: LoadedTokenizer, texts: list[str], lang: str | None,
           base: LoadedTokenizer | None, base_counts: _Counts | None,
           head_share: float) -> dict[str, Any]:
    keeps_ids = base is not None and extends(tok, base)
    counts = _measure(tok, texts, base.size if keeps_ids else None)
    chars = sum(map(len, texts))
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    words = sum(len(t.split()) for t in texts)
    no_space = is_no_space_script(texts, lang)
    out: dict[str, Any] = {
        "tokenizer": tok.name, "kind": tok.kind, "vocab_size": tok.size, "lang": lang,
        "chars": chars, "bytes": n_bytes, "words": words, "tokens": counts.tokens,
        "tokens_per_char": counts.tokens / chars,
        "tokens_per_word": counts.tokens / words if words else None,
        "tokens_per_kbyte": 1000 * counts.tokens / n_bytes,
        "unit": "tokens_per_kbyte" if no_space else "tokens_per_word",
        "byte_fallback_rate": counts.fallback / counts.tokens if counts.tokens else 0.0,
        "unk_rate": counts.unk / counts.tokens if counts.tokens else 0.0,
        "base": base.name if base else None, "base_size": base.size if base else None,
        "extends_base": keeps_ids if base else None,
        "new_piece_char_share": counts.new_chars / chars if keeps_ids else None,
        "verdict": None,
    }
    if base is None or base_counts is None or Path(tok.name).resolve() == Path(base.name).resolve():
        return out  # no base, or the base itself: nothing to compare
    if counts.tokens:
        v = verdict(counts.tokens, base_counts.tokens, tok.size, base.size, head_share)
        v["text"] = verdict_text(tok.name, base.name, v, tok.size - base.size)
        out["verdict"] = v
    return out


def stats_table(rows: list[dict[str, Any]], title: str = "Tokenizer statistics") -> Any:
    """A rich Table of `compare_tokenizers` rows, for people."""
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD,
                  caption="len = sequence length relative to the base; gain = throughput "
                          "change on this text after the larger LM head's cost")
    for col in ("tokenizer", "vocab", "tok/char", "tok/word", "tok/kB", "fallback", "new",
                "len", "gain", "verdict"):
        text_col = col in ("tokenizer", "verdict")
        table.add_column(col, justify="left" if text_col else "right", no_wrap=not text_col)
    for r in rows:
        v = r["verdict"] or {}
        table.add_row(
            short_name(r["tokenizer"]), f"{r['vocab_size']:,}", f"{r['tokens_per_char']:.3f}",
            "-" if r["tokens_per_word"] is None else f"{r['tokens_per_word']:.2f}",
            f"{r['tokens_per_kbyte']:.1f}", f"{r['byte_fallback_rate']:.1%}",
            "-" if r["new_piece_char_share"] is None else f"{r['new_piece_char_share']:.1%}",
            f"{1 - v['seq_len_reduction']:.3f}" if v else "-",
            f"{v['throughput_gain']:+.1%}" if v else "-", v.get("label", "-"))
    return table
