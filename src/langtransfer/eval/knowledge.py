"""Knowledge benchmarks end to end: inspect a download, evaluate a model, report, diff runs.

    langtransfer eval knowledge --benchmark ceval --data ../shared/data/ceval --dry-run --json
    langtransfer eval knowledge --benchmark ceval --data DIR --model M --out runs/ceval [--k 5]
    langtransfer eval diff runs/a/predictions.jsonl runs/b/predictions.jsonl

`inspect` reads a benchmark without a model (counts per subject and the first prompt); `run`
follows the run-directory contract (langtransfer.runs): config.yaml, manifest.json,
metrics.jsonl, predictions.jsonl (one line per item: id, subject, gold, pred, correct, scores),
submission.json for a split without answers (C-Eval test: {subject: {id: letter}}), DONE last.

Results (`aggregate`): accuracy micro (over items) and macro (mean over subjects) overall and per
category, accuracy per subject, each with its chance level, chance-centred form and a 95%
bootstrap interval (macro: items resampled within each subject). Every record carries
{benchmark, split, protocol, norm, k, template}: the numbers never travel without the protocol.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np
from pydantic import Field

from langtransfer.config import BaseConfig
from langtransfer.errors import UserError
from langtransfer.eval.benchmarks import BenchmarkSpec, load_benchmark, load_items, load_shots
from langtransfer.eval.metrics import accuracy_record, centre, make_record
from langtransfer.files import read_jsonl, write_json, write_jsonl


class KnowledgeConfig(BaseConfig):
    """`langtransfer eval knowledge`: one benchmark split, one model, one protocol."""

    benchmark: str = "ceval"
    """Benchmark name (eval/tasks/<name>.yaml)."""
    data: str = ""
    """Release directory laid out as the official one, a single file of it, or "hub"."""
    split: str | None = None
    """Split to evaluate (None: the benchmark's default)."""
    model: str = ""
    """Model directory (transformers format) or hub name."""
    protocol: Literal["letter", "option", "generate"] | None = None
    """Scoring protocol (None: the benchmark's default)."""
    norm: Literal["none", "token", "char", "byte"] = "none"
    """Length normalisation of the option protocol (others record "none")."""
    k: int | None = Field(None, ge=0)
    """Shots per prompt (None: the benchmark's default: 5 for C-Eval / MMLU / CMMLU)."""
    limit: int = Field(0, ge=0)
    """Items per subject (0 = all)."""
    subjects: list[str] = []
    """Subjects to evaluate ([] = all found)."""
    batch_size: int = Field(32, gt=0)
    max_new_tokens: int = Field(16, gt=0)
    """The generate protocol's cap on new tokens."""
    n_bootstrap: int = Field(1000, gt=0)
    seed: int = 0
    """Seed for bootstrap resampling."""
    threads: int = Field(2, gt=0)


@dataclass
class KnowledgeResult:
    """What a knowledge run produced."""

    path: Path
    records: list[dict] = field(default_factory=list)
    predictions: list[dict] = field(default_factory=list)
    skipped: bool = False
    """True when the run was already DONE for this config."""


def resolve(cfg: KnowledgeConfig, spec: BenchmarkSpec) -> KnowledgeConfig:
    """The config with the benchmark's defaults filled in (what config.yaml records)."""
    if not cfg.data:
        raise UserError("--data: required (the release folder, one file of it, or 'hub')")
    protocol = cfg.protocol or spec.default_protocol
    if protocol not in spec.protocols:
        raise UserError(f"--protocol {protocol}: {spec.name} offers {', '.join(spec.protocols)}")
    k = spec.k if cfg.k is None else cfg.k
    norm = cfg.norm if protocol == "option" else "none"
    return cfg.with_updates({"split": cfg.split or spec.default_split, "protocol": protocol,
                             "k": k, "norm": norm})


def labels(cfg: KnowledgeConfig, spec: BenchmarkSpec, split: str) -> dict[str, Any]:
    """The protocol labels every record carries."""
    return {"benchmark": spec.name, "split": split, "protocol": cfg.protocol, "norm": cfg.norm,
            "k": cfg.k, "template": spec.template_versions()}


def inspect(cfg: KnowledgeConfig) -> dict[str, Any]:
    """Read a benchmark split without a model (`--dry-run`).

    Returns:
        {"benchmark","split","total","per_subject","first_prompt"} plus the protocol, k,
        template version and skipped counts; k-shot files are checked for every subject.
    """
    from langtransfer.eval.protocols import prompt_text, shots_for

    spec = load_benchmark(cfg.benchmark)
    cfg = resolve(cfg, spec)
    loaded = load_items(spec, cfg.data, cfg.split, cfg.subjects or None, cfg.limit)
    per_subject = loaded.per_subject
    shots = load_shots(spec, cfg.data, list(per_subject), cfg.k)
    first = loaded.items[0] if loaded.items else None
    prompt = prompt_text(spec, first, cfg.protocol, shots_for(first, shots, cfg.k)) \
        if first else ""
    return {"benchmark": spec.name, "split": loaded.split, "total": len(loaded.items),
            "per_subject": per_subject, "first_prompt": prompt, "protocol": cfg.protocol,
            "k": cfg.k, "template": spec.template_versions(), "skipped": loaded.skipped}


def run(cfg: KnowledgeConfig, out: str | Path) -> KnowledgeResult:
    """Evaluate cfg.model on one benchmark split into a run directory.

    Raises:
        UserError / DataError: an unknown benchmark, split, subject or protocol, a missing
            k-shot file, a malformed row, or a missing model (before any directory is made).
    """
    from langtransfer.runs import open_run, read_metrics

    out = Path(out)
    spec = load_benchmark(cfg.benchmark)
    cfg = resolve(cfg, spec)
    loaded = load_items(spec, cfg.data, cfg.split, cfg.subjects or None, cfg.limit)
    if not loaded.items:
        raise UserError(f"{cfg.data}: no multiple-choice items in split '{loaded.split}'")
    shots = load_shots(spec, cfg.data, list(loaded.per_subject), cfg.k)
    _check_model(cfg.model)
    inputs = {name: p for name, p in (("model", cfg.model), ("data", cfg.data))
              if Path(p).exists()}
    handle = open_run(out, cfg, stage="knowledge", seed=cfg.seed, inputs=inputs)
    if handle is None:
        return KnowledgeResult(out, read_metrics(out), read_jsonl(out / "predictions.jsonl"),
                               skipped=True)
    preds = _score(cfg, spec, loaded.items, shots)
    write_jsonl(out / "predictions.jsonl", preds)
    unanswered = [p for p in preds if p["correct"] is None]
    if unanswered:
        write_json(out / "submission.json", submission(unanswered))
    records = aggregate(preds, spec, labels(cfg, spec, loaded.split), cfg.n_bootstrap, cfg.seed)
    for record in records:
        handle.log(**record)
    handle.finish(items=len(preds), unanswered=len(unanswered), skipped_items=loaded.skipped,
                  files=loaded.files, n_records=len(records))
    return KnowledgeResult(out, records, preds)


def _check_model(model: str) -> None:
    from langtransfer.modeling import is_hub_name

    if not model:
        raise UserError("--model: required (a model directory or hub name) unless --dry-run")
    if not is_hub_name(model) and not (Path(model) / "config.json").is_file():
        raise UserError(f"{model}: not a model directory (no config.json)")


def _score(cfg: KnowledgeConfig, spec: BenchmarkSpec, items: list, shots: dict) -> list[dict]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
        TimeElapsedColumn

    from langtransfer.eval.protocols import n_requests
    from langtransfer.modeling import load_model_and_tokenizer, set_threads
    from langtransfer.vocab.check import check_vocab

    set_threads(cfg.threads)
    model, tok = load_model_and_tokenizer(cfg.model)
    check_vocab(model, tok, cfg.model)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task(f"{spec.name} {cfg.split} ({cfg.protocol})",
                                 total=n_requests(items, cfg.protocol))
        return _score_items(model, tok, cfg, spec, items, shots,
                            lambda n: progress.advance(task, n))


def _score_items(model: Any, tok: Any, cfg: KnowledgeConfig, spec: BenchmarkSpec, items: list,
                 shots: dict, on_batch: Any = None) -> list[dict]:
    from langtransfer.eval.protocols import score

    return score(model, tok, spec, items, cfg.protocol, shots=shots, k=cfg.k, norm=cfg.norm,
                 batch_size=cfg.batch_size, max_new_tokens=cfg.max_new_tokens, on_batch=on_batch)


@dataclass
class Scored:
    """One benchmark split scored with an already loaded model (`score_benchmark`)."""

    name: str
    """<benchmark>-<split> (file names, manifest keys)."""
    predictions: list[dict]
    records: list[dict]
    meta: dict


def score_benchmark(model: Any, tok: Any, cfg: KnowledgeConfig, track: Any = None) -> Scored:
    """Score one benchmark split with a loaded model (the study's evaluation stage uses this to
    evaluate several benchmarks without reloading the model).

    Args:
        track: optional `track(description, total) -> advance(n)` progress callback factory.
    """
    from langtransfer.eval.protocols import n_requests

    spec = load_benchmark(cfg.benchmark)
    cfg = resolve(cfg, spec)
    loaded = load_items(spec, cfg.data, cfg.split, cfg.subjects or None, cfg.limit)
    if not loaded.items:
        raise UserError(f"{cfg.data}: no multiple-choice items in split '{loaded.split}'")
    shots = load_shots(spec, cfg.data, list(loaded.per_subject), cfg.k)
    name = f"{spec.name}-{loaded.split}"
    advance = track(name, n_requests(loaded.items, cfg.protocol)) if track else None
    preds = _score_items(model, tok, cfg, spec, loaded.items, shots, advance)
    records = aggregate(preds, spec, labels(cfg, spec, loaded.split), cfg.n_bootstrap, cfg.seed)
    meta = {"items": len(preds), "skipped_items": loaded.skipped, "files": loaded.files,
            **labels(cfg, spec, loaded.split)}
    return Scored(name, preds, records, meta)


def submission(preds: Sequence[dict]) -> dict[str, dict[str, str]]:
    """C-Eval's submission format: {subject: {id: predicted letter}}."""
    out: dict[str, dict[str, str]] = {}
    for p in preds:
        out.setdefault(p["subject"], {})[str(p["id"])] = p["pred"]
    return out


def macro_accuracy(correct_by_subject: Sequence[Sequence[bool]], n_boot: int = 1000,
                   seed: int = 0) -> tuple[float, tuple[float, float]]:
    """Mean of per-subject accuracies and its 95% interval, resampling items within each
    subject (a stratified bootstrap: every resample keeps every subject)."""
    groups = [np.asarray(c, dtype=np.float64) for c in correct_by_subject if len(c)]
    if not groups:
        return math.nan, (math.nan, math.nan)
    value = float(np.mean([g.mean() for g in groups]))
    rng = np.random.default_rng(seed)
    draws = np.mean([g[rng.integers(0, g.size, size=(n_boot, g.size))].mean(axis=1)
                     for g in groups], axis=0)
    low, high = np.percentile(draws, [2.5, 97.5])
    return value, (float(low), float(high))


def _group_records(preds: Sequence[dict], subset: str, chance: float, base: dict,
                   n_boot: int, seed: int, macro: bool) -> list[dict]:
    correct = [bool(p["correct"]) for p in preds]
    records = accuracy_record(correct, chance, task=base["benchmark"], lang=base["lang"],
                              subset=subset, n_boot=n_boot, seed=seed)
    if macro:
        by_subject: dict[str, list[bool]] = {}
        for p, c in zip(preds, correct):
            by_subject.setdefault(p["subject"], []).append(c)
        value, ci = macro_accuracy(list(by_subject.values()), n_boot, seed)
        records.append(make_record(base["benchmark"], subset, base["lang"], "acc_macro", value, ci,
                                   len(by_subject), chance))
        records.append(make_record(base["benchmark"], subset, base["lang"], "acc_macro_centred",
                                   centre(value, chance), (centre(ci[0], chance),
                                                           centre(ci[1], chance)),
                                   len(by_subject), chance))
    return [{**r, **{k: v for k, v in base.items() if k != "lang"}} for r in records]


def aggregate(preds: Sequence[dict], spec: BenchmarkSpec, base: dict[str, Any],
              n_boot: int = 1000, seed: int = 0) -> list[dict]:
    """Metrics records of scored predictions (those with a known answer).

    Records: subset "all" and "category=<c>" get acc, acc_centred (micro: over items) and
    acc_macro, acc_macro_centred (mean over subjects, n = subjects); "subject=<s>" gets acc
    and acc_centred. Chance is the benchmark's published level or the mean of 1/n_options.
    """
    scored = [p for p in preds if p["correct"] is not None]
    if not scored:
        return []
    base = {"lang": spec.language, **base}

    def chance_of(rows: Sequence[dict]) -> float:
        return spec.chance if spec.chance is not None else float(np.mean([r["chance"] for r in rows]))

    records = _group_records(scored, "all", chance_of(scored), base, n_boot, seed, macro=True)
    by_category: dict[str, list[dict]] = {c: [] for c in spec.categories}
    by_subject: dict[str, list[dict]] = {}
    for p in scored:
        by_subject.setdefault(p["subject"], []).append(p)
        for category in spec.categories_of(p["subject"]):
            by_category[category].append(p)
    for category, rows in by_category.items():
        if rows:
            records += _group_records(rows, f"category={category}", chance_of(rows), base,
                                      n_boot, seed, macro=True)
    for subject in sorted(by_subject):
        rows = by_subject[subject]
        records += _group_records(rows, f"subject={subject}", chance_of(rows), base, n_boot,
                                  seed, macro=False)
    return records


def diff_predictions(a: str | Path, b: str | Path, show: int = 20) -> dict[str, Any]:
    """Compare two predictions.jsonl item by item (joined on subject and id).

    Returns:
        Counts of items in both / only one, same prediction, correct in both, in a only, in b
        only, in neither; the exact two-sided McNemar p-value of the discordant pairs; and up
        to `show` items whose prediction changed.
    """
    rows_a, rows_b = _by_key(a), _by_key(b)
    common = [key for key in rows_a if key in rows_b]
    counts = {"both_correct": 0, "a_only_correct": 0, "b_only_correct": 0, "both_wrong": 0}
    changed = []
    for key in common:
        ra, rb = rows_a[key], rows_b[key]
        if ra["pred"] != rb["pred"]:
            changed.append({"subject": key[0], "id": key[1], "gold": ra.get("gold"),
                            "pred_a": ra["pred"], "pred_b": rb["pred"]})
        ca, cb = bool(ra.get("correct")), bool(rb.get("correct"))
        name = ("both_correct" if cb else "a_only_correct") if ca else \
            ("b_only_correct" if cb else "both_wrong")
        counts[name] += 1
    return {"a": str(a), "b": str(b), "common": len(common),
            "only_a": len(rows_a) - len(common), "only_b": len(rows_b) - len(common),
            "same_pred": len(common) - len(changed), **counts,
            "mcnemar_p": mcnemar_p(counts["a_only_correct"], counts["b_only_correct"]),
            "changed": changed[:show], "n_changed": len(changed)}


def _by_key(path: str | Path) -> dict[tuple[str, str], dict]:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: predictions file not found")
    rows = read_jsonl(path)
    out = {}
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict) or "id" not in row or "pred" not in row:
            raise UserError(f"{path}:{n}: expected a prediction with 'id' and 'pred'")
        out[(str(row.get("subject", "")), str(row["id"]))] = row
    return out


def mcnemar_p(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value for b and c discordant pairs (binomial, p = 1/2)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2 ** n
    return min(1.0, 2 * tail)
