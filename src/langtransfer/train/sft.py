"""Instruction tuning (SFT) on Alpaca-format data with the loss on the response only.

Exercised by `langtransfer train sft CONFIG` (Python: `langtransfer.train.sft.run(cfg, out)`).

An example is [<s>] + enc(prompt) + enc(output) + [</s>], with labels -100 on <s> and the
prompt. Prompt and response are tokenised separately so that training sees exactly the prompt
ids that generation starts from (enc(prompt)). The first `cfg.examples` rows of a seeded
shuffle are used, so a 100-example run's data is inside the 500-example run's. Reads top to
bottom: setup → data → train → save → finish. `tokenizer`, `init` and `embed_lr_mult` work as in
CPT (docs/vocab.md, "Model side").
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from langtransfer.data.templates import render_prompt
from langtransfer.errors import ConfigError, DataError, UserError
from langtransfer.modeling import save_model_and_tokenizer, set_threads
from langtransfer.runs import open_run, read_manifest
from langtransfer.train.config import SFTConfig

IGNORE_INDEX = -100  # labels excluded from the loss (the same value as train.loop)
# Length buckets: sort by length within windows of this many batches, then shuffle the
# batches. Keeps the order random at batch level while cutting padding (the usual
# "mega-batch" trick; larger windows pad less but cluster lengths over longer stretches).
BUCKET_BATCHES = 8


@dataclass
class SFTResult:
    """What `run` produced (also stored under "result" in the run's manifest.json)."""

    path: str
    """The run directory (a transformers model folder with its tokenizer)."""
    examples: int
    """Examples trained on (cfg.examples minus those left with no response tokens)."""
    truncated: int
    """Examples cut at max_len."""
    dropped: int
    """Examples whose prompt alone filled max_len (no response tokens: nothing to learn)."""
    steps: int
    """Optimizer steps = ceil(examples * epochs / batch_size / grad_accum)."""
    tokens: int
    """Non-padding input tokens fed."""
    final_loss: float
    """Loss of the last optimizer step (response tokens only)."""
    train_loss: float
    """Mean loss of the last 10 optimizer steps."""
    tokens_per_s: float
    """Training throughput."""
    skipped: bool = False
    """True when the run was already DONE and nothing was trained."""


def load_alpaca(path: str | Path) -> list[dict[str, str]]:
    """Read an Alpaca JSON list of {instruction, input, output}.

    Raises:
        DataError: the file is missing or not a JSON list, or a row lacks a string
            `instruction` / `output` (names the file and the row index).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: instruction file not found")
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(rows, list):
        raise DataError(f"{path}: expected a JSON list of {{instruction, input, output}} rows")
    return [_check_row(path, i, row) for i, row in enumerate(rows)]


def _check_row(path: Path, index: int, row: Any) -> dict[str, str]:
    if not isinstance(row, dict):
        raise DataError(f"{path}: row {index}: expected an object, got {type(row).__name__}")
    for key in ("instruction", "output"):
        if not isinstance(row.get(key), str):
            raise DataError(f"{path}: row {index}: missing '{key}' (a string is required)")
    extra = row.get("input", "")
    if not isinstance(extra, str):
        raise DataError(f"{path}: row {index}: 'input' must be a string")
    return {"instruction": row["instruction"], "input": extra, "output": row["output"]}


def select_examples(rows: Sequence[dict], n: int, seed: int, *, source: str = "data") -> list:
    """The first `n` rows of a seeded shuffle (smaller n gives a prefix: nested subsets)."""
    if n > len(rows):
        raise DataError(f"{source}: has {len(rows)} examples, the config asks for {n}")
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    return [rows[i] for i in order[:n]]


def encode_examples(tok: Any, rows: Sequence[dict], template: str,
                    max_len: int) -> list[dict[str, list[int]]]:
    """Token ids and labels of each row: labels are -100 on <s> and the prompt.

    Args:
        tok: tokenizer with bos/eos.
        rows: Alpaca rows.
        template: prompt template name (data.templates).
        max_len: keep at most this many tokens (cut from the end).

    Returns:
        One {"input_ids", "labels", "truncated"} per row (id lists of equal length;
        truncated: whether max_len cut the example).
    """
    prompts = [render_prompt(r["instruction"], r["input"], template) for r in rows]
    prompt_ids = tok(prompts, add_special_tokens=False)["input_ids"]
    response_ids = tok([r["output"] for r in rows], add_special_tokens=False)["input_ids"]
    encoded = []
    for p, r in zip(prompt_ids, response_ids):
        ids = [tok.bos_token_id, *p, *r, tok.eos_token_id]
        labels = [IGNORE_INDEX] * (1 + len(p)) + [*r, tok.eos_token_id]
        encoded.append({"input_ids": ids[:max_len], "labels": labels[:max_len],
                        "truncated": len(ids) > max_len})
    return encoded


def example_order(n_examples: int, epochs: float, seed: int) -> list[int]:
    """Indices of ceil(n_examples * epochs) example slots: one seeded permutation per epoch,
    the last (partial) epoch cut short."""
    total = math.ceil(n_examples * epochs - 1e-9)  # 1e-9: 100 * 0.07 must not become 8
    rng = random.Random(seed)
    order: list[int] = []
    while len(order) < total:
        perm = list(range(n_examples))
        rng.shuffle(perm)
        order.extend(perm)
    return order[:total]


def bucket_batches(examples: Sequence[dict[str, list[int]]], order: Sequence[int],
                   batch_size: int, pad_id: int, seed: int) -> list[dict[str, Any]]:
    """Padded batches over `order`, length-bucketed within windows of BUCKET_BATCHES batches.

    Batches are padded on the right to their longest example: input_ids with `pad_id`,
    attention_mask 0 and labels -100 on padding.
    """
    rng = random.Random(seed)
    window = batch_size * BUCKET_BATCHES
    batches: list[dict[str, Any]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: len(examples[i]["input_ids"]))
        group = [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
        rng.shuffle(group)
        batches.extend(pad_batch([examples[i] for i in idx], pad_id) for idx in group)
    return batches


def pad_batch(rows: Sequence[dict[str, list[int]]], pad_id: int) -> dict[str, Any]:
    """Right-pad rows to the longest one: tensors input_ids, attention_mask, labels."""
    import torch

    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.tensor(r["input_ids"])
        labels[i, :n] = torch.tensor(r["labels"])
        mask[i, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def run(cfg: SFTConfig, out: Path) -> SFTResult:
    """Instruction-tune `cfg.model` on `cfg.examples` Alpaca rows; save into `out`.

    Args:
        cfg: SFT config.
        out: run directory; receives the model, tokenizer and run records.

    Returns:
        SFTResult; a second call with the same config returns the stored one at once.

    Raises:
        UserError: missing model folder, tokenizer folder or data file, a bad row, too few
            examples; a tokenizer that does not extend the model's own, or an inconsistent
            model vocabulary (vocab.check).
    """
    from langtransfer.train.loop import train
    from langtransfer.train.model import load_for_training
    from langtransfer.train.packing import steps_for
    from langtransfer.vocab.check import check_vocab
    from langtransfer.vocab.train import copy_sp_model

    # setup: every input exists and parses before anything is written
    out = Path(out)
    if not (Path(cfg.model) / "config.json").is_file():
        raise UserError(f"{cfg.model}: model folder not found (no config.json)")
    if cfg.tokenizer is not None and not Path(cfg.tokenizer).is_dir():
        raise UserError(f"{cfg.tokenizer}: tokenizer folder not found (tokenizer)")
    rows = select_examples(load_alpaca(cfg.data), cfg.examples, cfg.seed, source=cfg.data)
    inputs = {"model": cfg.model, "data": cfg.data,
              **({"tokenizer": cfg.tokenizer} if cfg.tokenizer else {})}
    run = open_run(out, cfg, "sft", seed=cfg.seed, inputs=inputs)
    if run is None:
        return SFTResult(**{**read_manifest(out)["result"], "skipped": True})
    set_threads(cfg.threads)
    model, tok, vocab_init = load_for_training(cfg.model, cfg.tokenizer, cfg.init, cfg.seed)
    if vocab_init is not None:
        run.update_manifest(vocab_init=vocab_init)
    check_vocab(model, tok, cfg.model)
    _check_max_len(cfg.max_len, model)

    # data: encode, drop examples with no response left, bucket into padded batches
    encoded = encode_examples(tok, rows, cfg.template, cfg.max_len)
    truncated = sum(e["truncated"] for e in encoded)
    examples = [e for e in encoded if any(x != IGNORE_INDEX for x in e["labels"])]
    if not examples:
        raise DataError(f"{cfg.data}: no example has response tokens within max_len "
                        f"({cfg.max_len})")
    order = example_order(len(examples), cfg.epochs, cfg.seed)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    batches = bucket_batches(examples, order, cfg.optim.batch_size, pad_id, cfg.seed)
    positions = sum(b["input_ids"].numel() for b in batches)
    real = sum(int(b["attention_mask"].sum()) for b in batches)
    run.update_manifest(examples={"selected": len(rows), "used": len(examples),
                                  "truncated": truncated, "slots": len(order),
                                  "padding_share": round(1 - real / positions, 4)})

    # train
    stats = train(model, batches, steps_for(len(batches), cfg.optim.grad_accum), cfg.optim, run,
                  desc="sft", seed=cfg.seed, embed_lr_mult=cfg.embed_lr_mult)

    # save
    save_model_and_tokenizer(model, tok, out)
    copy_sp_model(Path(cfg.tokenizer or cfg.model), out)
    result = SFTResult(
        path=str(out), examples=len(examples), truncated=truncated,
        dropped=len(rows) - len(examples), steps=stats.steps, tokens=stats.tokens,
        final_loss=round(stats.final_loss, 6), train_loss=round(stats.mean_last10_loss, 6),
        tokens_per_s=stats.tokens_per_s,
    )
    run.log(phase="sft_final", **{k: v for k, v in asdict(result).items() if k != "path"})
    run.finish(result=asdict(result), train=stats.to_dict())
    return result


def _check_max_len(max_len: int, model: Any) -> None:
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit is not None and max_len > limit:
        raise ConfigError(f"max_len ({max_len}) exceeds the model's max_position_embeddings "
                          f"({limit})")
