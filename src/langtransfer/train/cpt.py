"""Continued pretraining (CPT): next-token loss on packed blocks of target-language text.

Exercised by `langtransfer train cpt CONFIG` (Python: `langtransfer.train.cpt.run(cfg, out)`).

The budget is exact: `cfg.tokens` input tokens, or `cfg.samples` whole documents, split over
the sources by their fractions (largest remainder, so the parts sum to the budget) after the
sources that give a fixed number of samples; the realised documents and tokens per source and
per language go to the manifest. Sources are text, JSON(L), Parquet files, folders of them or
hf datasets, tokenised once and cached (docs/data.md). Reads top to bottom: setup → data →
train → save → finish.

Extended vocabularies (docs/vocab.md, "Model side"): `tokenizer` trains with an extended
tokenizer (the model is resized and its new rows initialised by `init`); `budget_tokenizer`
counts the budget in another tokenizer's tokens, so arms with different vocabularies see the
same text; `embed_warmup_tokens` trains only the embeddings and LM head first; and
`embed_lr_mult` gives those two their own learning rate.

Trainer (docs/training.md): full fine-tuning or `lora`, `gradient_checkpointing`, checkpoints
every `checkpoint_every` steps (rerunning the same command after a crash resumes with the
uninterrupted run's result), retention curves (`eval_every`, `eval_texts`), TensorBoard, and
the same command under `accelerate launch` (DDP / FSDP / DeepSpeed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from langtransfer.data.mix import text_prefix as _text_prefix  # noqa: F401 (tests import it here)
from langtransfer.errors import ConfigError, UserError
from langtransfer.langs import get_lang
from langtransfer.modeling import check_model_ref, set_threads
from langtransfer.runs import read_manifest
from langtransfer.train.config import CPTConfig


@dataclass
class CPTResult:
    """What `run` produced (also stored under "result" in the run's manifest.json)."""

    path: str
    """The run directory (a transformers model folder with its tokenizer)."""
    tokens: int
    """Input tokens trained on, warm-up included (equals cfg.tokens unless budget_tokenizer
    is set: then it is the training tokenizer's count of the selected text)."""
    steps: int
    """Optimizer steps (warm-up included)."""
    final_loss: float
    """Loss of the last optimizer step."""
    train_loss: float
    """Mean loss of the last 10 optimizer steps."""
    tokens_per_s: float
    """Training throughput."""
    tokens_by_source: list[dict[str, Any]] = field(default_factory=list)
    """One row per source: path, lang, fraction, tokens (realised)."""
    tokens_by_lang: dict[str, int] = field(default_factory=dict)
    """Realised tokens per language code."""
    reference_tokens: int | None = None
    """With budget_tokenizer: the selected text's length in its tokens (= cfg.tokens, up to
    one character's bytes where a cut falls inside a character)."""
    embed_warmup_tokens: int = 0
    """Tokens of the embeddings-only warm-up (part of `tokens`)."""
    skipped: bool = False
    """True when the run was already DONE and nothing was trained."""


def run(cfg: CPTConfig, out: Path) -> CPTResult:
    """Continue pretraining `cfg.model` on the configured text mixture; save into `out`.

    Args:
        cfg: CPT config.
        out: run directory; receives the model, tokenizer and run records.

    Returns:
        CPTResult; a second call with the same config returns the stored one at once.

    Raises:
        UserError: the model folder, a tokenizer folder or a data file is missing; the budget
            exceeds the data with repeat false; seq_len exceeds the model's positions; the
            tokenizer is not an extension of the model's own, or the model's vocabulary is
            inconsistent (vocab.check).
    """
    from langtransfer.train.checkpoint import open_resumable_run, save_trained
    from langtransfer.train.lora import prepare_model
    from langtransfer.train.loop import start_session, steps_per_phase, train
    from langtransfer.train.model import embeddings_only, load_for_training
    from langtransfer.train.packing import lm_batches, mix_documents, split_blocks
    from langtransfer.vocab.check import check_vocab
    from langtransfer.vocab.train import copy_sp_model

    # setup: every input exists before anything is written
    out = Path(out)
    _check_inputs(cfg)
    # resumable: an unfinished run with the same config continues from its last checkpoint
    run = open_resumable_run(out, cfg, "cpt", seed=cfg.seed, inputs=_inputs(cfg))
    if run is None:
        return CPTResult(**{**read_manifest(out)["result"], "skipped": True})
    set_threads(cfg.threads)
    model, tok, vocab_init = load_for_training(cfg.model, cfg.tokenizer, cfg.init, cfg.seed)
    if vocab_init is not None:
        run.update_manifest(vocab_init=vocab_init)
    check_vocab(model, tok, cfg.model)
    _check_seq_len(cfg.seq_len, model)

    # data: each source tokenised once (data.cache: reused by every arm and run with the same
    # data and tokenizer), then its share of the budget (tokens or documents) drawn; the
    # documents of all sources are mixed
    parts, reference, cache = _draw_sources(cfg, tok)
    by_source, by_lang = _realised_tokens(cfg, parts, reference)
    run.update_manifest(tokens_by_source=by_source, tokens_by_lang=by_lang, cache=cache,
                        **_budget_record(cfg, parts, reference))
    warmup_docs, main_docs = split_documents(mix_documents(parts, cfg.seed),
                                             cfg.embed_warmup_tokens)

    # train: embeddings and LM head alone first (when asked), then everything; checkpoints,
    # resume, retention curves and several processes come with the session (train.loop)
    session = start_session(run, cfg, tok, eval_seq_len=cfg.seq_len)
    model = prepare_model(model, cfg, vocab_grew=vocab_init is not None)
    loop_args = {"seed": cfg.seed, "embed_lr_mult": cfg.embed_lr_mult,
                 "log_every": cfg.log_every, "session": session}
    phases = []
    if warmup_docs:
        with embeddings_only(model):
            batches = lm_batches(split_blocks(warmup_docs, cfg.seq_len), cfg.optim.batch_size)
            phases.append(train(model, batches, steps_per_phase(len(batches), cfg.optim, session),
                                cfg.optim, run, desc="cpt_embed_warmup", checkpoint_at_end=True,
                                **loop_args))
    batches = lm_batches(split_blocks(main_docs, cfg.seq_len), cfg.optim.batch_size)
    stats = train(model, batches, steps_per_phase(len(batches), cfg.optim, session), cfg.optim,
                  run, desc="cpt", **loop_args)
    phases.append(stats)

    # save: LoRA merged into the weights; one process writes
    save_trained(session, model, tok, out)
    if session.is_main:
        copy_sp_model(Path(cfg.tokenizer or cfg.model), out)
    tokens, seconds = sum(p.tokens for p in phases), sum(p.seconds for p in phases)
    result = CPTResult(
        path=str(out), tokens=tokens, steps=sum(p.steps for p in phases),
        final_loss=round(stats.final_loss, 6), train_loss=round(stats.mean_last10_loss, 6),
        tokens_per_s=round(tokens / max(seconds, 1e-9), 1), tokens_by_source=by_source,
        tokens_by_lang=by_lang, reference_tokens=None if reference is None else sum(reference),
        embed_warmup_tokens=phases[0].tokens if warmup_docs else 0,
    )
    run.log(phase="cpt_final", tokens=result.tokens, steps=result.steps,
            final_loss=result.final_loss, train_loss=result.train_loss,
            tokens_per_s=result.tokens_per_s, tokens_by_lang=by_lang)
    warmup = {"embed_warmup": phases[0].to_dict()} if warmup_docs else {}
    run.finish(result=asdict(result), train=stats.to_dict(), **warmup)
    session.close()  # after DONE: the checkpoints are superseded by the saved model
    return result


def _check_inputs(cfg: CPTConfig) -> None:
    """One-line errors for a missing model, tokenizer or data file or an unknown language."""
    check_model_ref(cfg.model)
    for name in ("tokenizer", "budget_tokenizer"):
        folder = getattr(cfg, name)
        if folder is not None and not Path(folder).is_dir():
            raise UserError(f"{folder}: tokenizer folder not found ({name})")
    for i, src in enumerate(cfg.data):
        if src.path is not None and not Path(src.path).exists():
            raise UserError(f"{src.path}: CPT data file not found (data[{i}].path)")
        try:
            get_lang(src.lang)
        except ConfigError as exc:
            raise ConfigError(f"data[{i}].lang: {exc}") from None


def _check_seq_len(seq_len: int, model: Any) -> None:
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit is not None and seq_len > limit:
        raise ConfigError(f"seq_len ({seq_len}) exceeds the model's max_position_embeddings "
                          f"({limit})")


def _inputs(cfg: CPTConfig) -> dict[str, str]:
    """Files whose content hashes go into the manifest."""
    inputs = {"model": cfg.model,
              **{f"data{i}": s.path for i, s in enumerate(cfg.data) if s.path is not None}}
    for name in ("tokenizer", "budget_tokenizer"):
        if getattr(cfg, name) is not None:
            inputs[name] = getattr(cfg, name)
    return inputs


def _draw_sources(cfg: CPTConfig, tok: Any
                  ) -> tuple[list[list[Any]], list[int] | None, dict[str, Any]]:
    """Each source's documents for its share of the budget, as training-tokenizer ids, read
    from the tokenised-data cache (data.cache) when an arm already tokenised the source.

    Returns:
        (documents per source, the reference-tokenizer count per source or None without
        budget_tokenizer, the manifest's cache record).
    """
    from langtransfer.data.cache import (TokenCache, cache_record, cached_documents,
                                         resolve_cache_dir, tokenizer_fingerprint)
    from langtransfer.data.mix import draw_by_reference, draw_documents
    from langtransfer.data.packing import allocate_budget
    from langtransfer.data.sources import iter_texts

    cache = TokenCache(resolve_cache_dir(cfg.cache_dir))
    fingerprint = tokenizer_fingerprint(tok)
    looked_up = [cached_documents(src, tok, cache, fingerprint) for src in cfg.data]
    tokenized, entries = [t for t, _ in looked_up], [e for _, e in looked_up]
    if cfg.budget_tokenizer is None:
        parts = draw_documents([t.docs() for t in tokenized], cfg.data, tokens=cfg.tokens,
                               samples=cfg.samples, repeat=cfg.repeat, seed=cfg.seed)
        return parts, None, cache_record(cache, entries)
    from transformers import AutoTokenizer

    ref = AutoTokenizer.from_pretrained(cfg.budget_tokenizer)
    ref_fingerprint = tokenizer_fingerprint(ref)
    budgets = allocate_budget([s.fraction for s in cfg.data], cfg.tokens)
    parts, reference = [], []
    for i, (src, n) in enumerate(zip(cfg.data, budgets)):
        ref_docs, entry = cached_documents(src, ref, cache, ref_fingerprint)
        entries.append(entry)
        docs, count = draw_by_reference(
            lambda src=src: iter_texts(src), ref_docs, tokenized[i], n, tok, ref,
            repeat=cfg.repeat if src.repeat is None else src.repeat, seed=cfg.seed + i,
            name=src.describe())
        parts.append(docs)
        reference.append(count)
    return parts, reference, cache_record(cache, entries)


def select_text(ref_tok: Any, lines: Sequence[str], n_tokens: int, *, repeat: bool, seed: int,
                name: str = "data") -> list[tuple[str, bool]]:
    """The text whose `ref_tok` tokens (with <s>/</s> per document) fill `n_tokens`.

    Documents are chosen by `packing.take_tokens` itself (data.mix.select_spans), so the
    seeded order and the cycling are the plain CPT path's by construction. The last document
    is cut at a reference token boundary: its text up to the first token left out (by the
    tokenizer's character offsets; a cut inside one character's byte-fallback pieces moves to
    that character's start). The stage itself draws through data.mix.draw_by_reference,
    which selects the same documents from cached ids.

    Args:
        ref_tok: the tokenizer that counts the budget.
        lines: the documents.
        n_tokens: the budget in reference tokens.
        repeat: cycle through the documents when the budget exceeds them.
        seed: seed of the document order.
        name: the source (for error messages).

    Returns:
        (text, complete) per selected document; complete is False for a cut document (it
        gets no </s>, as a cut document does in the plain path).
    """
    from langtransfer.data.mix import select_spans
    from langtransfer.train.packing import tokenize_lines

    lengths = [len(d) for d in tokenize_lines(ref_tok, lines)]
    selected = []
    for i, taken in select_spans(lengths, n_tokens, repeat=repeat, seed=seed, name=name):
        if taken == lengths[i]:
            selected.append((lines[i], True))
        else:  # <s> + (taken - 1) pieces of the text
            selected.append((_text_prefix(ref_tok, lines[i], taken - 1), False))
    return selected


def encode_selected(tok: Any, selected: Sequence[tuple[str, bool]]) -> list[list[int]]:
    """Documents as training ids: [<s>] + ids + [</s>], without </s> for a cut document."""
    from langtransfer.train.packing import tokenize_lines

    docs = tokenize_lines(tok, [text for text, _ in selected])
    return [doc if complete else doc[:-1] for doc, (_, complete) in zip(docs, selected)]


def split_documents(docs: Sequence[Sequence[int]],
                    n_tokens: int) -> tuple[list[Sequence[int]], list[Sequence[int]]]:
    """Split a document stream after its first `n_tokens` tokens (one document may be cut).

    Raises:
        ConfigError: the stream has no tokens left after `n_tokens` (the warm-up would take
            the whole budget).
    """
    total = sum(len(d) for d in docs)
    if n_tokens and n_tokens >= total:
        raise ConfigError(f"embed_warmup_tokens ({n_tokens}) leaves nothing of the "
                          f"{total} training tokens for full training")
    first: list[Sequence[int]] = []
    left = n_tokens
    for i, doc in enumerate(docs):
        if left <= 0:
            return first, list(docs[i:])
        if len(doc) > left:
            return first + [doc[:left]], [doc[left:], *docs[i + 1:]]
        first.append(doc)
        left -= len(doc)
    return first, []


def _budget_record(cfg: CPTConfig, parts: list[list[list[int]]],
                   reference: list[int] | None) -> dict[str, Any]:
    """With budget_tokenizer: both counts of the selected text, for the manifest."""
    if reference is None:
        return {}
    return {"budget": {"tokenizer": cfg.budget_tokenizer, "budget_tokens": cfg.tokens,
                       "reference_tokens": sum(reference),
                       "training_tokens": sum(len(d) for part in parts for d in part)}}


def _realised_tokens(cfg: CPTConfig, parts: list[list[Any]], reference: list[int] | None
                     ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Documents and tokens actually drawn per source, tokens per language."""
    from langtransfer.data.mix import realised_documents

    by_source, by_lang = realised_documents(cfg.data, parts)
    for row, ref_tokens in zip(by_source, reference or []):
        row["reference_tokens"] = ref_tokens
    return by_source, by_lang
