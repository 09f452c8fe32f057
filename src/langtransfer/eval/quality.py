"""The `eval quality` stage: answers to an open-question set, judged on five dimensions.

    langtransfer eval quality --questions ../shared/data/belle/eval_set.json --format belle \\
        --answers answers.jsonl --judge openai --out runs/q-belle [--limit 10]
    langtransfer eval quality --questions runs/world/zh/open_eval.jsonl --format miniworld \\
        --model runs/sft --judge miniworld --out runs/q-mw

Reads top to bottom: load the questions (eval.questions) -> build the judge (eval.judge; a
missing API key or unknown judge fails here, before any generation) -> get the answers (an
existing `{id, response}` file, or generation with the template the model was tuned with) ->
judge every item -> per item and per category: the five dimensions, AVG, AVG without
harmlessness (the paper's H sits at ceiling and inflates AVG), each with a bootstrap CI.

Run directory: config.yaml, manifest.json (+ `judge`: requests, cache hits, repairs, failed
items, retries by cause, tokens, cost; + `generation`), responses.jsonl (id, prompt, response,
tokens, seconds, finish; when generated), judgments.jsonl (one row per item), metrics.jsonl,
DONE. An interrupted run resumes: its responses are reused and the judge's verdict cache
answers every item judged before the interruption.

Exercised by tests/unit/eval/test_eval_quality_*.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from langtransfer.config import BaseConfig
from langtransfer.eval.judge import DIMENSIONS, JudgeConfig, Verdict, make_judge
from langtransfer.eval.metrics import make_record, mean_record, subsets
from langtransfer.eval.questions import load_questions, read_answers, read_question_file
from langtransfer.files import read_jsonl, write_jsonl
from langtransfer.runs import Run, open_run

QUALITY_METRICS = (*DIMENSIONS, "avg", "avg_no_h")


class QualityConfig(BaseConfig):
    """`langtransfer eval quality`: judged response quality on an open-question set."""

    questions: str = ""
    """Question file (or LLMEval-2 data folder)."""
    format: str = "jsonl"
    """Question layout: miniworld | belle | llmeval2 | jsonl (eval/questions.py)."""
    lang: str | None = None
    """Language of the answers (picks the rubric); None: the questions' own language."""
    limit: int = Field(0, ge=0)
    """First N questions (0 = all)."""
    model: str | None = None
    """Model directory to generate answers with (exclusive with `answers`)."""
    answers: str | None = None
    """Existing answers, JSONL {id, response} (exclusive with `model`)."""
    template: Literal["alpaca", "alpaca_short", "chat"] = "alpaca_short"
    """Prompt template the model was tuned with (chat = the tokenizer's chat template)."""
    backend: Literal["hf", "vllm"] = "hf"
    """Generation backend (vllm: GPU users, optional extra)."""
    max_new_tokens: int = Field(64, gt=0)
    """Generation length cap."""
    batch_size: int = Field(16, gt=0)
    """Prompts decoded together."""
    temperature: float = Field(0.0, ge=0)
    """0 = greedy; above 0 samples."""
    top_p: float = Field(1.0, gt=0, le=1)
    """Nucleus sampling mass (sampling only)."""
    gen_seed: int = 0
    """Sampling seed."""
    judge: JudgeConfig = JudgeConfig()
    """Which judge, and its settings."""
    n_bootstrap: int = Field(1000, gt=0)
    """Bootstrap resamples for 95% intervals."""
    seed: int = 0
    """Bootstrap seed."""
    threads: int = Field(2, gt=0)
    """torch threads (generation)."""

    @model_validator(mode="after")
    def _one_answer_source(self) -> "QualityConfig":
        if not self.questions:
            raise ValueError("questions: the question file is required")
        if (self.model is None) == (self.answers is None):
            raise ValueError("give exactly one of model (generate answers) or answers (judge "
                             "an existing {id, response} file)")
        return self


@dataclass
class QualityResult:
    """What a quality run produced."""

    path: Path
    lang: str
    records: list[dict] = field(default_factory=list)
    judge_stats: dict = field(default_factory=dict)
    skipped: bool = False


def run(cfg: QualityConfig, out: str | Path) -> QualityResult:
    """Answer (or read answers to) the questions, judge them, write the run directory."""
    questions = load_questions(cfg.questions, cfg.format, cfg.lang, cfg.limit)
    lang = questions[0]["lang"]
    judge = make_judge(cfg.judge, lang, {"questions": cfg.questions})
    answers = None
    if cfg.answers is not None:  # may cover the whole file (all languages, beyond --limit)
        every_id = {q["id"] for q in read_question_file(cfg.questions, cfg.format)}
        answers = read_answers(cfg.answers, questions, every_id)
    inputs = {"questions": cfg.questions, **({"answers": cfg.answers} if cfg.answers else {})}
    handle = open_run(out, cfg, "quality", seed=cfg.seed, inputs=inputs, resume=True)
    if handle is None:
        return QualityResult(Path(out), lang, skipped=True)
    if answers is None:
        answers = _generated_answers(cfg, handle, questions)
    rows = [judged_row(q, answers[q["id"]], judge.judge(q, answers[q["id"]]))
            for q in questions]
    write_jsonl(handle.path / "judgments.jsonl", rows)
    records = aggregate(rows, lang, cfg.n_bootstrap, cfg.seed)
    for record in records:
        handle.log(**record)
    stats = judge.stats()
    handle.finish(judge=stats, lang=lang)
    return QualityResult(handle.path, lang, records, stats)


def judged_row(question: dict, response: str, verdict: Verdict) -> dict:
    """One judgments.jsonl row: the question's id / category / lang, the answer, the verdict."""
    return {"id": question["id"], "category": question["category"], "lang": question["lang"],
            "response": response, **verdict.to_dict()}


def aggregate(rows: list[dict], lang: str, n_boot: int = 1000, seed: int = 0) -> list[dict]:
    """Per subset (all, category=…): mean and CI of the five dimensions, avg and avg_no_h over
    the judged items, plus `failed_items` (items without scores) so a mean over few items is
    never mistaken for one over all.

    Args:
        rows: judgments.jsonl rows ({category, scores | None, avg, avg_no_h, ...}).
        lang: the record label.
        n_boot, seed: bootstrap settings.
    """
    judged = [r for r in rows if r.get("scores")]
    records = []
    for subset, idx in subsets(judged, ("category",)):
        for metric in QUALITY_METRICS:
            values = [float(judged[i]["scores"][metric] if metric in DIMENSIONS
                            else judged[i][metric]) for i in idx]
            records.append(mean_record(values, task="quality", lang=lang, metric=metric,
                                       subset=subset, n_boot=n_boot, seed=seed))
    failed = sum(1 for r in rows if not r.get("scores"))
    records.append(make_record("quality", "all", lang, "failed_items", failed, n=len(rows)))
    return records


def _generated_answers(cfg: QualityConfig, handle: Run, questions: list[dict]) -> dict[str, str]:
    """Generate (or, on resume, reread) the model's answers; writes responses.jsonl."""
    path = handle.path / "responses.jsonl"
    if path.is_file():  # an interrupted run of this same config: generation is done
        done = {row["id"]: row["response"] for row in read_jsonl(path)}
        if all(q["id"] in done for q in questions):
            return done
    from langtransfer.data.templates import render_prompt
    from langtransfer.eval.generate import Sampling, generate_responses
    from langtransfer.modeling import load_model_and_tokenizer, set_threads

    set_threads(cfg.threads)
    model, tok = (None, None)
    if cfg.backend == "hf":
        model, tok = load_model_and_tokenizer(cfg.model)
    elif cfg.template == "chat":
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(cfg.model)
    prompts = [render_prompt(q["question"], template=cfg.template, tokenizer=tok)
               for q in questions]
    sampling = Sampling(cfg.temperature, cfg.top_p, cfg.gen_seed)
    outs = generate_responses(cfg.model, prompts, backend=cfg.backend,
                              max_new_tokens=cfg.max_new_tokens, batch_size=cfg.batch_size,
                              sampling=sampling, model=model, tok=tok)
    rows = [{"id": q["id"], "prompt": p, "response": o.text.strip(), "tokens": o.n_tokens,
             "seconds": round(o.seconds, 4), "finish": o.finish}
            for q, p, o in zip(questions, prompts, outs)]
    write_jsonl(path, rows)
    handle.update_manifest(generation={
        "backend": cfg.backend, "items": len(rows), "new_tokens": sum(o.n_tokens for o in outs),
        "seconds": round(sum(o.seconds for o in outs), 3)})
    return {row["id"]: row["response"] for row in rows}
