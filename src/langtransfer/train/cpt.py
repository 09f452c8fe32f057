"""Continued pretraining (CPT): next-token loss on packed blocks of target-language text.

Exercised by `langtransfer train cpt CONFIG` (Python: `langtransfer.train.cpt.run(cfg, out)`).

The budget is exact: `cfg.tokens` input tokens, split over the sources by their fractions
(largest remainder, so the parts sum to the budget); the realised tokens per source and per
language go to the manifest. Reads top to bottom: setup → data → train → save → finish.

Extended vocabularies (docs/vocab.md, "Model side"): `tokenizer` trains with an extended
tokenizer (the model is resized and its new rows initialised by `init`); `budget_tokenizer`
counts the budget in another tokenizer's tokens, so arms with different vocabularies see the
same text; `embed_warmup_tokens` trains only the embeddings and LM head first; and
`embed_lr_mult` gives those two their own learning rate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from langtransfer.errors import ConfigError, UserError
from langtransfer.langs import get_lang
from langtransfer.modeling import save_model_and_tokenizer, set_threads
from langtransfer.runs import open_run, read_manifest
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
    from langtransfer.train.loop import train
    from langtransfer.train.model import embeddings_only, load_for_training
    from langtransfer.train.packing import (allocate_budget, lm_batches, mix_documents,
                                            split_blocks, steps_for)
    from langtransfer.vocab.check import check_vocab
    from langtransfer.vocab.train import copy_sp_model

    # setup: every input exists before anything is written
    out = Path(out)
    _check_inputs(cfg)
    run = open_run(out, cfg, "cpt", seed=cfg.seed, inputs=_inputs(cfg))
    if run is None:
        return CPTResult(**{**read_manifest(out)["result"], "skipped": True})
    set_threads(cfg.threads)
    model, tok, vocab_init = load_for_training(cfg.model, cfg.tokenizer, cfg.init, cfg.seed)
    if vocab_init is not None:
        run.update_manifest(vocab_init=vocab_init)
    check_vocab(model, tok, cfg.model)
    _check_seq_len(cfg.seq_len, model)

    # data: each source gives its share of the budget; documents of all sources are mixed
    budgets = allocate_budget([s.fraction for s in cfg.data], cfg.tokens)
    parts, reference = _draw_sources(cfg, tok, budgets)
    by_source, by_lang = _realised_tokens(cfg, parts, reference)
    run.update_manifest(tokens_by_source=by_source, tokens_by_lang=by_lang,
                        **_budget_record(cfg, parts, reference))
    warmup_docs, main_docs = split_documents(mix_documents(parts, cfg.seed),
                                             cfg.embed_warmup_tokens)

    # train: embeddings and LM head alone first (when asked), then everything
    phases = []
    if warmup_docs:
        with embeddings_only(model):
            batches = lm_batches(split_blocks(warmup_docs, cfg.seq_len), cfg.optim.batch_size)
            phases.append(train(model, batches, steps_for(len(batches), cfg.optim.grad_accum),
                                cfg.optim, run, desc="cpt_embed_warmup", seed=cfg.seed,
                                embed_lr_mult=cfg.embed_lr_mult))
    batches = lm_batches(split_blocks(main_docs, cfg.seq_len), cfg.optim.batch_size)
    stats = train(model, batches, steps_for(len(batches), cfg.optim.grad_accum), cfg.optim, run,
                  desc="cpt", seed=cfg.seed, embed_lr_mult=cfg.embed_lr_mult)
    phases.append(stats)

    # save
    save_model_and_tokenizer(model, tok, out)
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
    return result


def _check_inputs(cfg: CPTConfig) -> None:
    """One-line errors for a missing model, tokenizer or data file or an unknown language."""
    if not (Path(cfg.model) / "config.json").is_file():
        raise UserError(f"{cfg.model}: model folder not found (no config.json)")
    for name in ("tokenizer", "budget_tokenizer"):
        folder = getattr(cfg, name)
        if folder is not None and not Path(folder).is_dir():
            raise UserError(f"{folder}: tokenizer folder not found ({name})")
    for i, src in enumerate(cfg.data):
        if not Path(src.path).is_file():
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
    inputs = {"model": cfg.model, **{f"data{i}": s.path for i, s in enumerate(cfg.data)}}
    for name in ("tokenizer", "budget_tokenizer"):
        if getattr(cfg, name) is not None:
            inputs[name] = getattr(cfg, name)
    return inputs


def _draw_sources(cfg: CPTConfig, tok: Any,
                  budgets: list[int]) -> tuple[list[list[list[int]]], list[int] | None]:
    """Each source's documents for its share of the budget, as training-tokenizer ids.

    Returns:
        (documents per source, the reference-tokenizer count per source or None without
        budget_tokenizer).
    """
    from langtransfer.train.packing import read_documents, take_tokens, tokenize_lines

    if cfg.budget_tokenizer is None:
        return [take_tokens(tokenize_lines(tok, read_documents(src.path)), n,
                            repeat=cfg.repeat, seed=cfg.seed + i, name=src.path)
                for i, (src, n) in enumerate(zip(cfg.data, budgets))], None
    from transformers import AutoTokenizer

    ref = AutoTokenizer.from_pretrained(cfg.budget_tokenizer)
    parts, reference = [], []
    for i, (src, n) in enumerate(zip(cfg.data, budgets)):
        selected = select_text(ref, read_documents(src.path), n, repeat=cfg.repeat,
                               seed=cfg.seed + i, name=src.path)
        parts.append(encode_selected(tok, selected))
        reference.append(sum(len(d) for d in encode_selected(ref, selected)))
    return parts, reference


def select_text(ref_tok: Any, lines: Sequence[str], n_tokens: int, *, repeat: bool, seed: int,
                name: str = "data") -> list[tuple[str, bool]]:
    """The text whose `ref_tok` tokens (with <s>/</s> per document) fill `n_tokens`.

    Documents are chosen by `packing.take_tokens` itself, fed each document as its range of
    positions in the reference token stream, so the seeded order and the cycling are the
    plain CPT path's by construction. The last document is cut at a reference token
    boundary: its text up to the first token left out (by the tokenizer's character offsets;
    a cut inside one character's byte-fallback pieces moves to that character's start).

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
    from langtransfer.train.packing import take_tokens, tokenize_lines

    lengths = [len(d) for d in tokenize_lines(ref_tok, lines)]
    starts = [0]
    for n in lengths:
        starts.append(starts[-1] + n)
    doc_at = {start: i for i, start in enumerate(starts[:-1])}
    spans = take_tokens([range(starts[i], starts[i + 1]) for i in range(len(lines))], n_tokens,
                        repeat=repeat, seed=seed, name=name)
    selected = []
    for span in spans:
        i = doc_at[span[0]]
        if len(span) == lengths[i]:
            selected.append((lines[i], True))
        else:  # <s> + (len(span) - 1) pieces of the text
            selected.append((_text_prefix(ref_tok, lines[i], len(span) - 1), False))
    return selected


def _text_prefix(tok: Any, text: str, n_pieces: int) -> str:
    """The text covered by its first `n_pieces` tokens (no special tokens counted)."""
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    return text if n_pieces >= len(offsets) else text[:offsets[n_pieces][0]]


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


def _realised_tokens(cfg: CPTConfig, parts: list[list[list[int]]], reference: list[int] | None
                     ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Tokens actually drawn per source and per language."""
    by_source = [
        {"path": src.path, "lang": src.lang, "fraction": src.fraction,
         "tokens": sum(len(d) for d in part)}
        for src, part in zip(cfg.data, parts)
    ]
    for row, ref_tokens in zip(by_source, reference or []):
        row["reference_tokens"] = ref_tokens
    by_lang: Counter[str] = Counter()
    for row in by_source:
        by_lang[row["lang"]] += row["tokens"]
    return by_source, dict(by_lang)
