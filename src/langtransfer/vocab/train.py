"""Train a LLaMA-like SentencePiece tokenizer and turn it into a transformers tokenizer folder.

Used by `langtransfer miniworld base` (the English-centric base tokenizer) and by vocabulary
extension (a target-language tokenizer whose pieces are merged into the base one).

LLaMA's tokenizer is a SentencePiece BPE model with byte fallback, no text normalisation,
whitespace kept as is and digits split one per piece; ENVIRONMENT.md measured that these
options make transformers' tokenizer reproduce SentencePiece's ids exactly.
"""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any, Iterable

from langtransfer.errors import DataError, UserError
from langtransfer.files import atomic_open

SP_MODEL_NAME = "sp.model"
HF_MODEL_NAME = "tokenizer.model"  # the name transformers looks for in a folder

# LLaMA's trainer spec (the .model's trainer_spec), kept where it matters for behaviour.
LLAMA_LIKE_OPTIONS: dict[str, Any] = {
    "byte_fallback": True,  # unseen characters become <0xNN> byte pieces, never <unk>
    "normalization_rule_name": "identity",  # nmt_nfkc breaks HF id parity (~15% of lines)
    "remove_extra_whitespaces": False,
    "split_digits": True,  # one digit per piece: years share tokens across languages
    "allow_whitespace_only_pieces": True,
    # 0.9995: characters rarer than this share of the corpus fall back to bytes, as most
    # Chinese characters do in LLaMA's tokenizer (it used 0.99995 on a far larger corpus).
    "character_coverage": 0.9995,
    "unk_id": 0,
    "bos_id": 1,
    "eos_id": 2,
    "pad_id": -1,  # no pad piece; the HF tokenizer pads with <unk> (see hf_tokenizer_from_sp)
    "max_sentence_length": 1 << 16,  # bytes; documents are lines of a few sentences
    "minloglevel": 2,  # SentencePiece logs every step to stderr otherwise
}


def sample_lines(corpus: list[Path], sample_chars: int | None, seed: int = 0) -> list[str]:
    """Non-empty lines of the corpus files; a seeded random subset of about `sample_chars`.

    Args:
        corpus: text files, one document per line.
        sample_chars: stop adding (shuffled) lines once this many characters are taken;
            None takes every line in file order.
        seed: seed of the shuffle.

    Returns:
        The lines, without their newlines.
    """
    lines: list[str] = []
    for path in corpus:
        if not Path(path).is_file():
            raise DataError(f"{path}: tokenizer corpus file not found")
        text = Path(path).read_text(encoding="utf-8")
        lines.extend(line for line in text.splitlines() if line.strip())
    if sample_chars is None:
        return lines
    random.Random(seed).shuffle(lines)
    taken, chars = [], 0
    for line in lines:
        if chars >= sample_chars:
            break
        taken.append(line)
        chars += len(line)
    return taken


def train_sentencepiece(corpus: list[Path], vocab_size: int, out_dir: Path,
                        model_type: str = "bpe", sample_chars: int | None = None, seed: int = 0,
                        user_defined_symbols: Iterable[str] = ()) -> Path:
    """Train a LLaMA-like SentencePiece model in-process.

    Args:
        corpus: text files, one document per line.
        vocab_size: pieces in the model, including <unk>, <s>, </s> and the 256 byte pieces.
        out_dir: folder that receives `sp.model`.
        model_type: "bpe" (LLaMA) or "unigram".
        sample_chars: train on a seeded sample of about this many characters (None: all).
        seed: seed of the sample.
        user_defined_symbols: pieces always kept whole.

    Returns:
        Path of the written `.model` file.

    Raises:
        DataError: a corpus file is missing, empty, or too small for `vocab_size`.
    """
    import sentencepiece as spm

    lines = sample_lines(corpus, sample_chars, seed)
    if not lines:
        raise DataError(f"{', '.join(map(str, corpus))}: no text to train a tokenizer on")
    proto = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_writer=proto, vocab_size=vocab_size,
            model_type=model_type, user_defined_symbols=list(user_defined_symbols),
            num_threads=1,  # one thread: the same sample always gives the same model bytes
            **LLAMA_LIKE_OPTIONS,
        )
    except RuntimeError as exc:  # e.g. "Vocabulary size is smaller than required_chars"
        raise DataError(f"{corpus[0]}: SentencePiece training failed: {exc}") from None
    out = Path(out_dir) / SP_MODEL_NAME
    with atomic_open(out, "wb") as fh:
        fh.write(proto.getvalue())
    return out


def hf_tokenizer_from_sp(model_file: Path, out_dir: Path) -> Any:
    """Write a transformers tokenizer folder for a SentencePiece model and return the tokenizer.

    The `.model` is copied into `out_dir` as `tokenizer.model` (kept there for vocabulary
    extension) and loaded with `AutoTokenizer.from_pretrained(out_dir)`: in transformers 5.x
    that builds a tokenizers-backed tokenizer with SentencePiece's exact ids, whereas
    `LlamaTokenizer.from_pretrained` differs on text with leading spaces and
    `LlamaTokenizer(vocab_file=...)` silently builds an empty vocabulary (ENVIRONMENT.md).

    Padding uses `<unk>` (id 0), not `</s>`: with byte fallback `<unk>` never occurs in real
    text, so code that masks `pad_token_id` in labels can never mask a real end-of-sequence
    (pad = eos would teach a model never to stop). This is the FastChat/Vicuna convention.

    Args:
        model_file: a SentencePiece `.model`.
        out_dir: folder for tokenizer.model, tokenizer.json and tokenizer_config.json.

    Returns:
        The loaded tokenizer (adds <s> and not </s> when called with add_special_tokens).
    """
    from transformers import AutoTokenizer

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / HF_MODEL_NAME
    if Path(model_file).resolve() != target.resolve():
        with atomic_open(target, "wb") as fh:
            fh.write(Path(model_file).read_bytes())
    tok = AutoTokenizer.from_pretrained(out_dir, add_bos_token=True, add_eos_token=False)
    tok.pad_token = tok.unk_token
    check_id_parity(target, tok)
    tok.save_pretrained(out_dir)
    return AutoTokenizer.from_pretrained(out_dir)


# Probe texts for check_id_parity: a leading word (SentencePiece's dummy "▁" prefix), leading
# and doubled spaces, digits, newlines and a CJK sentence.
PARITY_PROBES = (
    "digits 1978", " leading space", "two  spaces\nand lines\n", "塔维出生于纳鲁。",
)


def check_id_parity(model_file: Path, tok: Any) -> None:
    """Raise when the transformers tokenizer's ids differ from SentencePiece's on the probes.

    transformers 5.17 drops SentencePiece's dummy-prefix "▁" when it converts a BPE model
    (seen on the GPU machine); 5.24 matches exactly. A mismatch would silently give every
    stage different ids from the .model that vocabulary extension edits.
    """
    import sentencepiece as spm
    import transformers

    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    for text in PARITY_PROBES:
        if tok(text, add_special_tokens=False)["input_ids"] != sp.encode(text):
            raise UserError(
                f"{model_file}: transformers {transformers.__version__} tokenizes {text!r} "
                "differently from SentencePiece (transformers 5.24 is known to match)")


def copy_sp_model(src_dir: Path, dst_dir: Path) -> None:
    """Copy `tokenizer.model` from one model folder to another when there is one.

    `save_pretrained` writes only tokenizer.json; vocabulary extension needs the .model.
    """
    src = Path(src_dir) / HF_MODEL_NAME
    if src.is_file() and Path(src_dir).resolve() != Path(dst_dir).resolve():
        with atomic_open(Path(dst_dir) / HF_MODEL_NAME, "wb") as fh:
            fh.write(src.read_bytes())
