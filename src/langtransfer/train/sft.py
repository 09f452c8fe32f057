"""Instruction tuning (SFT) with the loss on the responses only.

Exercised by `langtransfer train sft CONFIG` (Python: `langtransfer.train.sft.run(cfg, out)`).

Data (docs/data.md): an Alpaca JSON file, or instruction sources in any registered format
(alpaca, belle, bactrian_x, sharegpt, messages) mixed by fraction or samples. A single-turn
example is [<s>] + enc(prompt) + enc(output) + [</s>], with labels -100 on <s> and the prompt;
multi-turn conversations are trained on every assistant turn (transform sft_v1). Prompt and
response are tokenised separately so that training sees exactly the prompt ids that
generation starts from (enc(prompt)). The first `cfg.examples` rows of a seeded shuffle are
used, so a 100-example run's data is inside the 500-example run's; the encoding is cached per
tokenizer and template (data.cache). Reads top to bottom: setup → data → train → save →
finish. `tokenizer`, `init` and `embed_lr_mult` work as in CPT (docs/vocab.md, "Model side");
so do LoRA, checkpoints and resume, retention curves and `accelerate launch`
(docs/training.md).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from langtransfer.data.mix import take_items
from langtransfer.errors import ConfigError, DataError, UserError
from langtransfer.modeling import check_model_ref, set_threads
from langtransfer.runs import read_manifest
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
    """Read an Alpaca JSON list of {instruction, input, output} as plain dicts (the stage
    itself reads any format through langtransfer.data.sources).

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
    return take_items(rows, n, repeat=False, seed=seed, name=source, unit="examples")


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
    from langtransfer.data.formats import to_messages

    conversations = [{"messages": to_messages("alpaca", r)} for r in rows]
    return encode_conversations(tok, conversations, template, max_len)[0]


def encode_conversations(tok: Any, rows: Sequence[dict], template: str, max_len: int,
                         cache: Any = None, fingerprint: str | None = None
                         ) -> tuple[list[dict[str, Any]], Any]:
    """Token ids and labels of each conversation (transform sft_v1): labels are -100 except
    on assistant turns (and the </s> the alpaca templates put after each answer).

    Args:
        tok: tokenizer with bos/eos.
        rows: rows with "messages" (data.sources).
        template: prompt template name (data.templates: alpaca, alpaca_short, chat).
        max_len: keep at most this many tokens (cut from the end).
        cache: a data.cache.TokenCache to read/store the encoding in, or None.
        fingerprint: the tokenizer's data.cache.tokenizer_fingerprint (with cache).

    Returns:
        (one {"input_ids", "labels", "truncated"} per row, the cache lookup or None).
    """
    from langtransfer.data.cache import TokenizedDocs, cached_conversations
    from langtransfer.data.transforms import sft_v1

    entry = None
    if cache is None:
        pairs = sft_v1(tok, rows, template)
        docs = TokenizedDocs.from_batches([[p[0] for p in pairs]], [[p[1] for p in pairs]])
    else:
        docs, entry = cached_conversations(rows, tok, template, cache, fingerprint,
                                           what=f"{len(rows)} examples")
    ids_all, mask_all = docs.ids.tolist(), docs.mask.tolist()
    encoded = []
    for start, end in zip(docs.offsets[:-1].tolist(), docs.offsets[1:].tolist()):
        ids = ids_all[start:end]
        labels = [t if m else IGNORE_INDEX for t, m in zip(ids, mask_all[start:end])]
        encoded.append({"input_ids": ids[:max_len], "labels": labels[:max_len],
                        "truncated": len(ids) > max_len})
    return encoded, entry


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
    from langtransfer.train.checkpoint import open_resumable_run, save_trained
    from langtransfer.train.lora import prepare_model
    from langtransfer.train.loop import start_session, steps_per_phase, train
    from langtransfer.data.cache import (TokenCache, cache_record, resolve_cache_dir,
                                         tokenizer_fingerprint)
    from langtransfer.data.mix import draw_examples
    from langtransfer.data.packing import pack_examples
    from langtransfer.data.sources import load_instruction_rows
    from langtransfer.data.templates import require_chat_template
    from langtransfer.train.model import load_for_training
    from langtransfer.vocab.check import check_vocab
    from langtransfer.vocab.train import copy_sp_model

    # setup: every input exists and parses before anything is written
    out = Path(out)
    check_model_ref(cfg.model)
    if cfg.tokenizer is not None and not Path(cfg.tokenizer).is_dir():
        raise UserError(f"{cfg.tokenizer}: tokenizer folder not found (tokenizer)")
    sources = instruction_sources(cfg)
    selected = draw_examples([load_instruction_rows(s) for s in sources], sources,
                             cfg.examples, cfg.seed)
    rows = [row for part in selected for row in part]
    inputs = {"model": cfg.model, **_data_inputs(cfg),
              **({"tokenizer": cfg.tokenizer} if cfg.tokenizer else {})}
    # resumable: an unfinished run with the same config continues from its last checkpoint
    run = open_resumable_run(out, cfg, "sft", seed=cfg.seed, inputs=inputs)
    if run is None:
        return SFTResult(**{**read_manifest(out)["result"], "skipped": True})
    set_threads(cfg.threads)
    model, tok, vocab_init = load_for_training(cfg.model, cfg.tokenizer, cfg.init, cfg.seed)
    if vocab_init is not None:
        run.update_manifest(vocab_init=vocab_init)
    check_vocab(model, tok, cfg.model)
    _check_max_len(cfg.max_len, model)

    # data: encode once per tokenizer and template (data.cache), drop examples with no
    # response left, then bucket into padded batches or pack several per sequence
    if cfg.template == "chat":
        require_chat_template(tok)
    cache = TokenCache(resolve_cache_dir(cfg.cache_dir))
    encoded, entry = encode_conversations(tok, rows, cfg.template, cfg.max_len, cache,
                                          tokenizer_fingerprint(tok))
    truncated = sum(e["truncated"] for e in encoded)
    by_source, by_lang = _realised_examples(sources, selected, encoded)
    examples = [e for e in encoded if any(x != IGNORE_INDEX for x in e["labels"])]
    if not examples:
        raise DataError(f"{_data_name(cfg)}: no example has response tokens within max_len "
                        f"({cfg.max_len})")
    order = example_order(len(examples), cfg.epochs, cfg.seed)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    if cfg.pack:
        batches = pack_examples(examples, order, cfg.optim.batch_size, cfg.max_len, pad_id)
    else:
        batches = bucket_batches(examples, order, cfg.optim.batch_size, pad_id, cfg.seed)
    positions = sum(b["input_ids"].numel() for b in batches)
    real = sum(len(examples[i]["input_ids"]) for i in order)
    run.update_manifest(examples={"selected": len(rows), "used": len(examples),
                                  "truncated": truncated, "slots": len(order),
                                  "sequences": sum(b["input_ids"].shape[0] for b in batches),
                                  "packed": cfg.pack,
                                  "padding_share": round(1 - real / positions, 4)},
                        examples_by_source=by_source, examples_by_lang=by_lang,
                        cache=cache_record(cache, [entry]))

    # train: checkpoints, resume, retention curves and several processes come with the
    # session (train.loop)
    session = start_session(run, cfg, tok, eval_seq_len=cfg.max_len)
    model = prepare_model(model, cfg, vocab_grew=vocab_init is not None)
    stats = train(model, batches, steps_per_phase(len(batches), cfg.optim, session), cfg.optim,
                  run, desc="sft", seed=cfg.seed, embed_lr_mult=cfg.embed_lr_mult,
                  log_every=cfg.log_every, session=session)

    # save: LoRA merged into the weights; one process writes
    save_trained(session, model, tok, out)
    if session.is_main:
        copy_sp_model(Path(cfg.tokenizer or cfg.model), out)
    result = SFTResult(
        path=str(out), examples=len(examples), truncated=truncated,
        dropped=len(rows) - len(examples), steps=stats.steps, tokens=stats.tokens,
        final_loss=round(stats.final_loss, 6), train_loss=round(stats.mean_last10_loss, 6),
        tokens_per_s=stats.tokens_per_s,
    )
    run.log(phase="sft_final", **{k: v for k, v in asdict(result).items() if k != "path"})
    run.finish(result=asdict(result), train=stats.to_dict())
    session.close()  # after DONE: the checkpoints are superseded by the saved model
    return result


def _check_max_len(max_len: int, model: Any) -> None:
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit is not None and max_len > limit:
        raise ConfigError(f"max_len ({max_len}) exceeds the model's max_position_embeddings "
                          f"({limit})")


def instruction_sources(cfg: SFTConfig) -> list[Any]:
    """The config's instruction sources (a plain path is one Alpaca source, format by suffix).

    Raises:
        UserError: a path source that does not exist; ConfigError: an unknown language.
    """
    from langtransfer.data.config import InstructionSourceConfig
    from langtransfer.langs import get_lang

    if isinstance(cfg.data, str):
        sources = [InstructionSourceConfig(path=cfg.data)]
    else:
        sources = list(cfg.data)
    for i, src in enumerate(sources):
        where = "data" if isinstance(cfg.data, str) else f"data[{i}]"
        if src.path is not None and not Path(src.path).exists():
            raise UserError(f"{src.path}: instruction data not found ({where})")
        try:
            get_lang(src.lang)
        except ConfigError as exc:
            raise ConfigError(f"{where}.lang: {exc}") from None
    return sources


def _data_inputs(cfg: SFTConfig) -> dict[str, str]:
    """Data files whose content hashes go into the manifest."""
    if isinstance(cfg.data, str):
        return {"data": cfg.data}
    return {f"data{i}": s.path for i, s in enumerate(cfg.data) if s.path is not None}


def _data_name(cfg: SFTConfig) -> str:
    if isinstance(cfg.data, str):
        return cfg.data
    return ", ".join(s.describe() for s in cfg.data)


def _realised_examples(sources: Sequence[Any], selected: Sequence[Sequence[dict]],
                       encoded: Sequence[dict[str, Any]]) -> tuple[list[dict], dict]:
    """Examples with response tokens, their input tokens and response tokens, per source and
    per language (after truncation at max_len)."""
    from langtransfer.data.mix import realised_examples

    counts, start = [], 0
    for part in selected:
        mine = encoded[start:start + len(part)]
        start += len(part)
        used = [e for e in mine if any(x != IGNORE_INDEX for x in e["labels"])]
        counts.append({"examples": len(used), "tokens": sum(len(e["input_ids"]) for e in used),
                       "response_tokens": sum(sum(x != IGNORE_INDEX for x in e["labels"])
                                              for e in used)})
    return realised_examples(sources, counts)
