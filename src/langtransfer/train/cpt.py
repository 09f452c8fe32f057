"""Continued pretraining (CPT): next-token loss on packed blocks of target-language text.

Exercised by `langtransfer train cpt CONFIG` (Python: `langtransfer.train.cpt.run(cfg, out)`).

The budget is exact: `cfg.tokens` input tokens, split over the sources by their fractions
(largest remainder, so the parts sum to the budget); the realised tokens per source and per
language go to the manifest. Reads top to bottom: setup → data → train → save → finish.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from langtransfer.errors import ConfigError, UserError
from langtransfer.langs import get_lang
from langtransfer.modeling import load_model_and_tokenizer, save_model_and_tokenizer, set_threads
from langtransfer.runs import open_run, read_manifest
from langtransfer.train.config import CPTConfig


@dataclass
class CPTResult:
    """What `run` produced (also stored under "result" in the run's manifest.json)."""

    path: str
    """The run directory (a transformers model folder with its tokenizer)."""
    tokens: int
    """Input tokens trained on (equals cfg.tokens)."""
    steps: int
    """Optimizer steps."""
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
        UserError: the model folder or a data file is missing; the budget exceeds the data
            with repeat false; seq_len exceeds the model's positions.
    """
    from langtransfer.train.loop import train
    from langtransfer.train.packing import (allocate_budget, lm_batches, mix_documents,
                                            read_documents, split_blocks, steps_for,
                                            take_tokens, tokenize_lines)
    from langtransfer.vocab.train import copy_sp_model

    # setup: every input exists before anything is written
    out = Path(out)
    _check_inputs(cfg)
    inputs = {"model": cfg.model, **{f"data{i}": s.path for i, s in enumerate(cfg.data)}}
    run = open_run(out, cfg, "cpt", seed=cfg.seed, inputs=inputs)
    if run is None:
        return CPTResult(**{**read_manifest(out)["result"], "skipped": True})
    set_threads(cfg.threads)
    model, tok = load_model_and_tokenizer(cfg.model)
    _check_seq_len(cfg.seq_len, model)

    # data: each source gives its share of the budget; documents of all sources are mixed
    budgets = allocate_budget([s.fraction for s in cfg.data], cfg.tokens)
    parts = [
        take_tokens(tokenize_lines(tok, read_documents(src.path)), n, repeat=cfg.repeat,
                    seed=cfg.seed + i, name=src.path)
        for i, (src, n) in enumerate(zip(cfg.data, budgets))
    ]
    data = split_blocks(mix_documents(parts, cfg.seed), cfg.seq_len)
    by_source, by_lang = _realised_tokens(cfg, parts)
    run.update_manifest(tokens_by_source=by_source, tokens_by_lang=by_lang)
    batches = lm_batches(data, cfg.optim.batch_size)

    # train
    stats = train(model, batches, steps_for(len(batches), cfg.optim.grad_accum), cfg.optim, run,
                  desc="cpt", seed=cfg.seed)

    # save
    save_model_and_tokenizer(model, tok, out)
    copy_sp_model(Path(cfg.model), out)
    result = CPTResult(
        path=str(out), tokens=stats.tokens, steps=stats.steps,
        final_loss=round(stats.final_loss, 6), train_loss=round(stats.mean_last10_loss, 6),
        tokens_per_s=stats.tokens_per_s, tokens_by_source=by_source, tokens_by_lang=by_lang,
    )
    run.log(phase="cpt_final", tokens=result.tokens, steps=result.steps,
            final_loss=result.final_loss, train_loss=result.train_loss,
            tokens_per_s=result.tokens_per_s, tokens_by_lang=by_lang)
    run.finish(result=asdict(result), train=stats.to_dict())
    return result


def _check_inputs(cfg: CPTConfig) -> None:
    """One-line errors for a missing model folder, data file or unknown language."""
    if not (Path(cfg.model) / "config.json").is_file():
        raise UserError(f"{cfg.model}: model folder not found (no config.json)")
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


def _realised_tokens(cfg: CPTConfig,
                     parts: list[list[list[int]]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Tokens actually drawn per source and per language."""
    by_source = [
        {"path": src.path, "lang": src.lang, "fraction": src.fraction,
         "tokens": sum(len(d) for d in part)}
        for src, part in zip(cfg.data, parts)
    ]
    by_lang: Counter[str] = Counter()
    for row in by_source:
        by_lang[row["lang"]] += row["tokens"]
    return by_source, dict(by_lang)
