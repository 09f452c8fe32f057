"""The vocabulary-extension stage: target SentencePiece → merged into the base tokenizer.

A study's extended-vocabulary arms start here (`kind: vocab`); the CPT stage then resizes the
model to the new tokenizer and initialises the new rows (`vocab.init`). Python:
`langtransfer.vocab.stage.run(VocabExtendConfig(...), out)`; CLI: `langtransfer vocab train` +
`langtransfer vocab extend` do the same in two steps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from langtransfer.errors import UserError
from langtransfer.runs import open_run, read_manifest
from langtransfer.vocab.config import VocabExtendConfig


@dataclass
class VocabStageResult:
    """What the stage produced (also under "result" in manifest.json)."""

    path: str
    base_size: int
    added: int
    new_size: int
    skipped: bool = False


def run(cfg: VocabExtendConfig, out: Path) -> VocabStageResult:
    """Train the target pieces and write the extended tokenizer into `out` (a tokenizer dir)."""
    from langtransfer.vocab.extend import extend_tokenizer
    from langtransfer.vocab.train import train_sentencepiece

    # setup: every input must exist before a run directory is created
    out = Path(out)
    from langtransfer.modeling import is_hub_name

    inputs = {"base": cfg.base, **{f"corpus{i}": c for i, c in enumerate(cfg.corpus)}}
    if cfg.target:
        inputs = {"base": cfg.base, "target": cfg.target}
    elif not cfg.corpus:
        raise UserError("vocab stage: corpus is empty and no target model is given")
    for name, path in inputs.items():
        if not Path(path).exists() and not (name == "base" and is_hub_name(path)):
            raise UserError(f"{path}: not found (vocab stage input '{name}')")
    run_ = open_run(out, cfg, "vocab", seed=cfg.seed,
                    inputs={k: v for k, v in inputs.items() if Path(v).exists()})
    if run_ is None:
        return VocabStageResult(**{**read_manifest(out)["result"], "skipped": True})

    # work: target model in a sub-folder, merged tokenizer at the top of the run directory
    if cfg.target:
        target = Path(cfg.target)
    else:
        target = train_sentencepiece([Path(c) for c in cfg.corpus], cfg.pieces, out / "target",
                                     model_type=cfg.model_type, sample_chars=cfg.sample_chars,
                                     seed=cfg.seed)
    merged = extend_tokenizer(_local_base(cfg.base), target, out, score=cfg.score)

    # save
    result = VocabStageResult(path=str(out), base_size=merged.base_size, added=merged.added,
                              new_size=merged.new_size)
    run_.log(metric="added_pieces", value=merged.added, base_size=merged.base_size,
             new_size=merged.new_size)
    run_.finish(result=asdict(result))
    return result


def _local_base(base: str) -> str:
    """A hub model's tokenizer.model fetched into the hub cache (real-scale studies); local
    paths as they are."""
    from langtransfer.modeling import is_hub_name

    if not is_hub_name(base):
        return base
    from huggingface_hub import hf_hub_download

    return hf_hub_download(base, "tokenizer.model")
