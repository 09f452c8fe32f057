"""The evaluation stage: knowledge MC, perplexity / bits per byte and judged response quality.

    langtransfer eval run [CONFIG.yaml] --out DIR [--set key=value]   (Python: run(cfg, out))

Reads a model directory and a MiniWorld directory; for each language in cfg.langs and each task
in cfg.tasks:
- knowledge: <world>/<lang>/knowledge.csv (task "knowledge") and knowledge_control.csv (task
  "knowledge_control", when present), scored by the benchmark engine (benchmark "miniworld",
  option protocol, cloze; eval.protocols) -> acc and acc_centred with 95% CIs, for all items
  and per attribute / name_form / answer_form / group from knowledge_meta.jsonl, each record
  labelled with its protocol; per-item predictions to out/predictions/knowledge-<lang>.jsonl.
- ppl: <world>/<lang>/heldout.txt -> ppl, bpb, nll_token (task "ppl"), CIs over documents.
- quality: <world>/<lang>/open_eval.jsonl -> greedy responses to the SFT prompt template, scored
  by the MiniWorld judge on five dimensions -> mean per dimension, avg and avg_no_h with CIs,
  for all items and per category / group; responses and scores to
  out/generations/quality-<lang>.jsonl; the same responses' code-switching rate (task
  "codeswitch", metric "rate", eval.codeswitch) with its CI.
With `world: null` (real-scale studies) the same tasks read real data instead: knowledge = each
of cfg.benchmarks (C-Eval, MMLU, ... through eval.knowledge: records per benchmark, category and
subject, predictions to out/predictions/<benchmark>-<split>.jsonl), ppl = cfg.heldout[lang].
Every record goes to out/metrics.jsonl as it is made; DONE is written last (langtransfer.runs).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from langtransfer.data.templates import render_prompt
from langtransfer.errors import DataError, UserError
from langtransfer.eval.config import EvalConfig
from langtransfer.eval.metrics import accuracy_record, make_record, mean_record, subsets
from langtransfer.files import read_jsonl, write_jsonl
from langtransfer.langs import get_lang
from langtransfer.runs import Run, open_run, read_metrics

KNOWLEDGE_FILES = (("knowledge", "knowledge.csv", True),
                   ("knowledge_control", "knowledge_control.csv", False))
"""(task, file, required): the control file holds the other groups and may be absent."""
KNOWLEDGE_SUBSETS = ("attribute", "name_form", "answer_form", "group")
"""knowledge_meta.jsonl labels that split the records (answer_form: the name form of a city /
company answer, "none" for other attributes; a label absent from the meta file adds nothing)."""
QUALITY_DIMS = ("accuracy", "fluency", "informativeness", "logicality", "harmlessness",
                "avg", "avg_no_h")
QUALITY_SUBSETS = ("category", "group")
OPEN_EVAL_FIELDS = ("id", "question")


@dataclass
class EvalResult:
    """What an evaluation run produced."""

    path: Path
    """The run directory."""
    records: list[dict] = field(default_factory=list)
    """Every metrics record (also in path/metrics.jsonl)."""
    skipped: bool = False
    """True when the run was already DONE for this config and nothing was recomputed."""


def run(cfg: EvalConfig, out: str | Path) -> EvalResult:
    """Evaluate cfg.model on cfg.world for every language and task of the config.

    Args:
        cfg: the evaluation config.
        out: the run directory.

    Returns:
        The records; an already finished run returns its stored records with skipped=True.

    Raises:
        DataError / UserError: a missing model or world file, or a malformed data row.
    """
    out = Path(out)
    for lang in cfg.langs:
        get_lang(lang)
    _check_inputs(cfg)
    inputs = {"model": cfg.model, "world": cfg.world, **cfg.heldout}
    handle = open_run(out, cfg, stage="eval", seed=cfg.seed,
                      inputs={k: v for k, v in inputs.items() if v and Path(v).exists()})
    if handle is None:
        return EvalResult(out, read_metrics(out), skipped=True)

    from langtransfer.modeling import load_model_and_tokenizer, set_threads
    from langtransfer.vocab.check import check_vocab

    set_threads(cfg.threads)
    model, tok = load_model_and_tokenizer(cfg.model)
    check_vocab(model, tok, cfg.model)
    records: list[dict] = []
    with _progress() as track:
        if cfg.world is None and "knowledge" in cfg.tasks:
            records += _benchmarks(cfg, handle, model, tok, track)
        for lang in cfg.langs:
            if "knowledge" in cfg.tasks and cfg.world is not None:
                records += _knowledge(cfg, handle, model, tok, lang, track)
            if _runs(cfg, "ppl", lang):
                records += _ppl(cfg, handle, model, tok, lang, track)
            if _runs(cfg, "quality", lang):
                quality = _quality if cfg.world is not None else _judged_quality
                records += quality(cfg, handle, model, tok, lang, track)
    handle.finish(n_records=len(records))
    return EvalResult(out, records)


def _check_inputs(cfg: EvalConfig) -> None:
    """Fail before creating the run directory when the model or an input file is missing."""
    from langtransfer.modeling import is_hub_name

    if not is_hub_name(cfg.model) and not (Path(cfg.model) / "config.json").is_file():
        raise UserError(f"{cfg.model}: not a model directory (no config.json)")
    if cfg.world is None:
        for task, given in (("ppl", cfg.heldout), ("quality", cfg.questions)):
            if task in cfg.tasks and not set(given) & set(cfg.langs):
                raise UserError(f"tasks: '{task}' with world: null needs "
                                f"{'heldout' if task == 'ppl' else 'questions'}.<lang> for one "
                                f"of {cfg.langs}")
    for lang in cfg.langs:
        for task in cfg.tasks:
            for path in _inputs_of(cfg, task, lang):
                if not path.is_file():
                    raise DataError(f"{path}: not found (needed by eval task '{task}' for "
                                    f"language '{lang}')")


def _inputs_of(cfg: EvalConfig, task: str, lang: str) -> list[Path]:
    """The files a task reads for one language. Real data (world: null): ppl reads
    heldout[lang] and quality questions[lang] where given (a language without one skips that
    task); knowledge benchmarks are checked when they load."""
    if cfg.world is not None:
        name = {"knowledge": "knowledge.csv", "ppl": "heldout.txt",
                "quality": "open_eval.jsonl"}[task]
        return [Path(cfg.world) / lang / name]
    if task == "ppl" and lang in cfg.heldout:
        return [Path(cfg.heldout[lang])]
    if task == "quality" and lang in cfg.questions:
        path = Path(cfg.questions[lang].path)
        return [path] if not path.is_dir() else []  # LLMEval-2: a folder
    return []


def _runs(cfg: EvalConfig, task: str, lang: str) -> bool:
    """Whether `task` runs for `lang` (real data: only where its input is configured)."""
    if task not in cfg.tasks:
        return False
    if cfg.world is not None:
        return task != "knowledge"  # MiniWorld knowledge is per language, handled apart
    return (task == "ppl" and lang in cfg.heldout) or (task == "quality" and lang in cfg.questions)


def _log(handle: Run, records: list[dict]) -> list[dict]:
    for record in records:
        handle.log(**record)
    return records


Track = Callable[[str, int], Callable[[int], None]]


@contextlib.contextmanager
def _progress() -> Iterator[Track]:
    """A rich progress display; `track(description, total)` returns an advance callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress:
        def track(description: str, total: int) -> Callable[[int], None]:
            task_id = progress.add_task(description, total=total)
            return lambda n: progress.advance(task_id, n)

        yield track


def _knowledge(cfg: EvalConfig, handle: Run, model: Any, tok: Any, lang: str,
               track: Track) -> list[dict]:
    """MiniWorld knowledge through the benchmark engine: benchmark `miniworld`, option
    protocol, cloze formulation (eval/tasks/miniworld.yaml), zero-shot."""
    from langtransfer.eval.benchmarks import load_benchmark, load_items
    from langtransfer.eval.protocols import n_requests, score

    spec = load_benchmark("miniworld")
    folder = Path(cfg.world) / lang
    records, predictions, evaluated = [], [], []
    for task, name, required in KNOWLEDGE_FILES:
        if not required and not (folder / name).is_file():
            continue
        items = load_items(spec, folder, split=task).items
        advance = track(f"{task} ({lang})", n_requests(items, "option"))
        preds = score(model, tok, spec, items, "option", norm=cfg.mc_norm,
                      batch_size=cfg.batch_size, on_batch=advance)
        predictions += [{"task": task, **p} for p in preds]
        evaluated.append(name)
        protocol = {"benchmark": spec.name, "split": task, "protocol": "option",
                    "norm": cfg.mc_norm, "k": 0, "template": spec.template_for(lang).version}
        for subset, idx in subsets(preds, KNOWLEDGE_SUBSETS):
            chance = sum(preds[i]["chance"] for i in idx) / len(idx)
            records += [{**r, **protocol} for r in accuracy_record(
                [preds[i]["correct"] for i in idx], chance, task=task, lang=lang, subset=subset,
                n_boot=cfg.n_bootstrap, seed=cfg.seed)]
    write_jsonl(handle.path / "predictions" / f"knowledge-{lang}.jsonl", predictions)
    handle.update_manifest(**{f"knowledge_files_{lang}": evaluated})
    return _log(handle, records)


def _ppl(cfg: EvalConfig, handle: Run, model: Any, tok: Any, lang: str,
         track: Track) -> list[dict]:
    from langtransfer.eval.lm import model_max_length
    from langtransfer.eval.perplexity import perplexity

    from langtransfer.eval.perplexity import read_documents

    path = _inputs_of(cfg, "ppl", lang)[0]
    texts = [t for docs in read_documents(path, lang).values() for t in docs]
    if not texts:
        raise DataError(f"{path}: no documents (expected one per line)")
    seq_len = min(cfg.ppl_seq_len, model_max_length(model, tok))
    stride = min(cfg.ppl_stride or seq_len, seq_len)
    windows = sum(_n_windows(len(tok.encode(t, add_special_tokens=False)), seq_len, stride)
                  for t in texts)
    res = perplexity(model, tok, texts, seq_len, stride, cfg.batch_size, n_boot=cfg.n_bootstrap,
                     seed=cfg.seed, on_batch=track(f"ppl ({lang})", windows))
    counts = {k: res[k] for k in ("docs", "tokens", "bytes", "nll")}
    handle.update_manifest(**{f"ppl_{lang}": counts})
    records = [make_record("ppl", "all", lang, metric, res[metric], res[f"{metric}_ci"],
                           res["docs"])
               for metric in ("ppl", "bpb", "nll_token")]
    return _log(handle, records)


def _benchmarks(cfg: EvalConfig, handle: Run, model: Any, tok: Any, track: Track) -> list[dict]:
    """Real knowledge benchmarks (world: null): each of cfg.benchmarks through eval.knowledge."""
    from langtransfer.eval.knowledge import KnowledgeConfig, score_benchmark

    records: list[dict] = []
    for ref in cfg.benchmarks:
        kcfg = KnowledgeConfig(**ref.to_dict(), model=cfg.model, batch_size=cfg.batch_size,
                               n_bootstrap=cfg.n_bootstrap, seed=cfg.seed, threads=cfg.threads)
        scored = score_benchmark(model, tok, kcfg, track)
        write_jsonl(handle.path / "predictions" / f"{scored.name}.jsonl", scored.predictions)
        handle.update_manifest(**{f"benchmark_{scored.name}": scored.meta})
        records += _log(handle, scored.records)
    return records


def _n_windows(n_tokens: int, max_len: int, stride: int) -> int:
    """Windows eval.lm.rolling_windows makes for a document (for the progress total)."""
    if n_tokens <= 0:
        return 0
    rest = max(0, n_tokens - max_len)
    return 1 + -(-rest // stride)


def _read_open_eval(path: Path, limit: int) -> list[dict]:
    rows = read_jsonl(path)
    for n, row in enumerate(rows, 1):
        missing = [k for k in OPEN_EVAL_FIELDS if not isinstance(row, dict) or k not in row]
        if missing:
            raise DataError(f"{path}: item {n}: missing field '{missing[0]}'")
    if not rows:
        raise DataError(f"{path}: no open questions")
    return rows[:limit] if limit else rows


def _answer(cfg: EvalConfig, model: Any, tok: Any, items: list[dict], lang: str,
            track: Track) -> list:
    """Greedy answers to the items' questions, each prompt in the eval's chat template."""
    from langtransfer.eval.generate import generate

    prompts = [render_prompt(item["question"], template=cfg.template, tokenizer=tok)
               for item in items]
    return generate(model, tok, prompts, cfg.max_new_tokens, cfg.batch_size,
                    on_batch=track(f"quality ({lang})", len(prompts)))


def _quality(cfg: EvalConfig, handle: Run, model: Any, tok: Any, lang: str,
             track: Track) -> list[dict]:
    from langtransfer.miniworld.judge import MiniWorldJudge  # lazy: a separate component

    path = Path(cfg.world) / lang / "open_eval.jsonl"
    items = _read_open_eval(path, cfg.quality_limit)
    judge = MiniWorldJudge(Path(cfg.world), lang)
    outs = _answer(cfg, model, tok, items, lang, track)
    rows = []
    for item, out in zip(items, outs):
        response = out.text.strip()
        scores = judge.score(item, response)
        rows.append({**item, "response": response, "n_tokens": out.n_tokens,
                     "seconds": round(out.seconds, 4), "finish": out.finish, "scores": scores})
    write_jsonl(handle.path / "generations" / f"quality-{lang}.jsonl", rows)
    seconds = sum(out.seconds for out in outs)
    handle.update_manifest(**{f"generation_{lang}": {
        "items": len(outs), "new_tokens": sum(out.n_tokens for out in outs),
        "seconds": round(seconds, 3)}})
    records = [_codeswitch(cfg, handle, rows, lang)]
    for subset, idx in subsets(rows, QUALITY_SUBSETS):
        for dim in QUALITY_DIMS:
            records.append(mean_record([float(rows[i]["scores"][dim]) for i in idx], task="quality",
                                       lang=lang, metric=dim, subset=subset,
                                       n_boot=cfg.n_bootstrap, seed=cfg.seed))
    return _log(handle, records)


def _judged_quality(cfg: EvalConfig, handle: Run, model: Any, tok: Any, lang: str,
                    track: Track) -> list[dict]:
    """Real data: cfg.questions[lang] answered greedily and scored by cfg.judge (eval.judge:
    rubric in `lang`, cached verdicts), aggregated as `langtransfer eval quality` does."""
    from langtransfer.eval.judge import make_judge
    from langtransfer.eval.quality import aggregate, judged_row
    from langtransfer.eval.questions import load_questions

    ref = cfg.questions[lang]
    items = load_questions(ref.path, ref.format, lang, ref.limit)
    judge = make_judge(cfg.judge, lang, {"questions": ref.path})
    outs = _answer(cfg, model, tok, items, lang, track)
    rows = []
    for item, out in zip(items, outs):
        response = out.text.strip()
        rows.append({**judged_row(item, response, judge.judge(item, response)),
                     "n_tokens": out.n_tokens, "seconds": round(out.seconds, 4)})
    write_jsonl(handle.path / "generations" / f"quality-{lang}.jsonl", rows)
    handle.update_manifest(**{f"judge_{lang}": judge.stats()})
    records = aggregate(rows, lang, cfg.n_bootstrap, cfg.seed)
    return _log(handle, [_codeswitch(cfg, handle, rows, lang), *records])


def _codeswitch(cfg: EvalConfig, handle: Run, rows: list[dict], lang: str) -> dict:
    """Share of responses that switch away from `lang` (eval.codeswitch: script runs + langid
    spans of >= min_letters letters; docs/evaluation.md, "Code-switching") as task
    "codeswitch", metric "rate", with a bootstrap 95% CI; switched-to languages and example
    spans go to the manifest."""
    from langtransfer.eval.codeswitch import codeswitch_rate

    res = codeswitch_rate([row["response"] for row in rows], lang,
                          ids=[str(row["id"]) for row in rows], n_boot=cfg.n_bootstrap,
                          seed=cfg.seed)
    handle.update_manifest(**{f"codeswitch_{lang}": {
        k: res[k] for k in ("n_switched", "switched_to", "examples", "settings") if k in res}})
    return make_record("codeswitch", "all", lang, "rate", res["rate"],
                       (res["ci_low"], res["ci_high"]), res["n"])
