"""The MiniWorld base model: an English-centric tokenizer and a tiny LLaMA trained from scratch.

Exercised by `langtransfer miniworld base` (Python: `langtransfer.miniworld.base.run(cfg, out)`).

It plays LLaMA's part in the paper: the corpus `<world>/base_pretrain.txt` is mostly English with
a small target-language share, so the tokenizer trained on it keeps few target-script pieces and
the target language is mostly byte pieces, as Chinese is in LLaMA's tokenizer.

Reads top to bottom: check the corpus → open the run → tokenizer → model → data (exact token
budget, ~1% of documents held out) → train → validation loss → save → finish.
"""

from __future__ import annotations

import random
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langtransfer.errors import UserError
from langtransfer.modeling import save_model_and_tokenizer, set_threads
from langtransfer.runs import open_run, read_manifest
from langtransfer.train.config import BaseModelConfig

CORPUS_NAME = "base_pretrain.txt"
VAL_SHARE = 0.01  # documents held out for the final validation loss
BYTE_PIECE = re.compile(r"^<0x[0-9A-F]{2}>$")  # SentencePiece byte-fallback pieces


@dataclass
class BaseResult:
    """What `run` produced (also stored under "result" in the run's manifest.json)."""

    path: str
    """The run directory (a transformers model folder with its tokenizer)."""
    params: int
    """Model parameters."""
    vocab_size: int
    """Tokenizer pieces."""
    tokens: int
    """Training tokens fed (equals the budget)."""
    steps: int
    """Optimizer steps."""
    train_loss: float
    """Mean training loss of the last 10 optimizer steps."""
    val_loss: float
    """Loss on the held-out ~1% of documents."""
    byte_token_share: float
    """Share of the corpus' tokens that are byte-fallback pieces (mostly target-language text)."""
    tokens_per_s: float
    """Training throughput."""
    skipped: bool = False
    """True when the run was already DONE and nothing was trained."""


def run(cfg: BaseModelConfig, out: Path) -> BaseResult:
    """Train the tokenizer and the base model of a MiniWorld into `out`.

    Args:
        cfg: base-model config; `cfg.world` must hold base_pretrain.txt.
        out: run directory; receives the model, tokenizer and run records.

    Returns:
        BaseResult; a second call with the same config returns the stored one at once.

    Raises:
        UserError: the corpus file is missing.
    """
    from langtransfer.train.loop import evaluate_loss, train
    from langtransfer.train.model import build_llama, count_parameters
    from langtransfer.train.packing import (lm_batches, read_documents, split_blocks, steps_for,
                                            take_tokens, tokenize_lines)

    # setup
    out = Path(out)
    corpus = Path(cfg.world) / CORPUS_NAME
    if not corpus.is_file():
        raise UserError(f"{corpus}: base corpus not found (run `langtransfer miniworld generate`)")
    run = open_run(out, cfg, "base", seed=cfg.seed, inputs={"corpus": corpus})
    if run is None:
        return BaseResult(**{**read_manifest(out)["result"], "skipped": True})
    set_threads(cfg.threads)

    # tokenizer
    tok = _train_tokenizer(cfg, corpus, out)

    # model
    model = build_llama(cfg.arch, len(tok), tok.bos_token_id, tok.eos_token_id,
                        tok.pad_token_id, seed=cfg.seed)

    # data: exact budget from the training documents; the base cycles its corpus (epochs)
    train_docs, val_docs = _hold_out(read_documents(corpus), cfg.seed)
    docs = tokenize_lines(tok, train_docs)
    data = split_blocks(take_tokens(docs, cfg.tokens, repeat=True, seed=cfg.seed,
                                    name=str(corpus)), cfg.seq_len)
    batches = lm_batches(data, cfg.optim.batch_size)

    # train
    stats = train(model, batches, steps_for(len(batches), cfg.optim.grad_accum), cfg.optim, run,
                  desc="base", seed=cfg.seed)
    val_batches = lm_batches(split_blocks(tokenize_lines(tok, val_docs), cfg.seq_len),
                             cfg.optim.batch_size)
    val_loss = evaluate_loss(model, val_batches)

    # save
    save_model_and_tokenizer(model, tok, out)
    result = BaseResult(
        path=str(out), params=count_parameters(model), vocab_size=len(tok), tokens=stats.tokens,
        steps=stats.steps, train_loss=round(stats.mean_last10_loss, 6),
        val_loss=round(val_loss, 6), byte_token_share=round(_byte_share(tok, docs), 6),
        tokens_per_s=stats.tokens_per_s,
    )
    run.log(phase="base_final", **{k: v for k, v in asdict(result).items() if k != "path"})
    run.finish(result=asdict(result), train=stats.to_dict(),
               documents={"train": len(train_docs), "val": len(val_docs)})
    return result


def _train_tokenizer(cfg: BaseModelConfig, corpus: Path, out: Path) -> Any:
    """SentencePiece BPE on a seeded sample of the corpus, written as an HF tokenizer in out."""
    from langtransfer.vocab.train import hf_tokenizer_from_sp, train_sentencepiece

    with tempfile.TemporaryDirectory(dir=out) as tmp:
        sp_model = train_sentencepiece([corpus], cfg.vocab_size, Path(tmp),
                                       sample_chars=cfg.tokenizer_sample_chars, seed=cfg.seed)
        return hf_tokenizer_from_sp(sp_model, out)


def _hold_out(docs: list[str], seed: int) -> tuple[list[str], list[str]]:
    """Split documents into training and ~1% validation (at least one when there are two)."""
    n_val = max(1, round(VAL_SHARE * len(docs))) if len(docs) >= 2 else 0
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    val = set(order[:n_val])
    return ([d for i, d in enumerate(docs) if i not in val],
            [d for i, d in enumerate(docs) if i in val])


def _byte_share(tok: Any, docs: list[list[int]]) -> float:
    """Share of tokens that are byte pieces (how much text the vocabulary does not cover)."""
    byte_ids = {i for i, piece in enumerate(tok.convert_ids_to_tokens(list(range(len(tok)))))
                if piece and BYTE_PIECE.match(piece)}
    total = sum(len(d) for d in docs)
    n_bytes = sum(1 for d in docs for t in d if t in byte_ids)
    return n_bytes / total if total else 0.0
