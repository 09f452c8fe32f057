"""`langtransfer eval …` commands beyond the MiniWorld stage (`eval run`, in cli.py).

    langtransfer eval benchmarks
    langtransfer eval knowledge --benchmark ceval --data ../shared/data/ceval --dry-run --json
    langtransfer eval knowledge --benchmark mmlu --data DIR --model M --out runs/mmlu --k 5
    langtransfer eval diff runs/a/predictions.jsonl runs/b/predictions.jsonl
    langtransfer eval ppl --model DIR --text heldout.txt --lang en [--seq-len N] [--stride N]
    langtransfer eval codeswitch --conllu ../shared/data/ud/qtd_sagt-ud-test.conllu --json
    langtransfer eval codeswitch --responses answers.jsonl --lang zh [--by-model] --json
    langtransfer eval quality --questions FILE --format NAME (--model DIR | --answers FILE)
        --judge NAME [--lang L] --out DIR [--limit N] [--config YAML] [--set k=v] [--dry-run]
    langtransfer eval agreement A.jsonl B.jsonl [--json]

Thin typer commands over eval.knowledge and eval.perplexity; `register(eval_app)` adds them
to the `eval` group (cli.py calls it once). Nothing heavy is imported here: `--dry-run` never loads torch, and a
UserError becomes one `error: …` line in `cli.main`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from langtransfer.errors import UserError


def eval_benchmarks() -> None:
    """List the knowledge benchmarks (eval/tasks/*.yaml) with their defaults."""
    from langtransfer.eval.benchmarks import benchmark_names, load_benchmark

    for name in benchmark_names():
        spec = load_benchmark(name)
        typer.echo(f"{name:<10} {spec.language}  splits {'/'.join(spec.splits):<24} "
                   f"k={spec.k}  {spec.default_protocol:<8} {spec.description}")


def eval_knowledge(
    benchmark: Annotated[str, typer.Option(help="Benchmark name (`langtransfer eval benchmarks`).")],
    data: Annotated[str, typer.Option(
        help="Release folder laid out as the official one, a single file of it, or 'hub'.")],
    split: Annotated[Optional[str], typer.Option(help="Split (default: the benchmark's).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Read the data and show counts and the first prompt; no model.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --dry-run: one JSON object.")] = False,
    model: Annotated[Optional[str], typer.Option(help="Model directory or hub name.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Run directory.")] = None,
    protocol: Annotated[Optional[str], typer.Option(
        help="letter | option | generate (default: the benchmark's).")] = None,
    norm: Annotated[str, typer.Option(help="Option protocol: none | token | char | byte.")] = "none",
    k: Annotated[Optional[int], typer.Option("--k", help="Shots (default: the benchmark's).")] = None,
    limit: Annotated[int, typer.Option(help="Items per subject (0 = all).")] = 0,
    subjects: Annotated[Optional[str], typer.Option(help="Comma-separated subjects.")] = None,
    batch_size: Annotated[int, typer.Option(help="Sequences per forward pass.")] = 32,
    max_new_tokens: Annotated[int, typer.Option(help="Generate protocol's cap.")] = 16,
    n_bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples for CIs.")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    threads: Annotated[int, typer.Option(help="torch threads.")] = 2,
) -> None:
    """Evaluate a model on a knowledge benchmark (C-Eval, MMLU, CMMLU, AGIEval, GAOKAO, …)."""
    from langtransfer.eval.knowledge import KnowledgeConfig

    fields = {"benchmark": benchmark, "data": data, "split": split, "model": model or "",
              "protocol": protocol, "norm": norm, "k": k, "limit": limit,
              "subjects": [s.strip() for s in subjects.split(",") if s.strip()] if subjects else [],
              "batch_size": batch_size, "max_new_tokens": max_new_tokens,
              "n_bootstrap": n_bootstrap, "seed": seed, "threads": threads}
    cfg = KnowledgeConfig.from_dict(fields, "command line")
    if dry_run:
        return _show_inspection(cfg, as_json)
    if out is None:
        raise UserError("--out: required (the run directory) unless --dry-run")
    from langtransfer.eval.knowledge import run

    result = run(cfg, out)
    overall = {r["metric"]: r for r in result.records if r["subset"] == "all"}
    if "acc" in overall:
        acc = overall["acc"]
        typer.echo(f"{benchmark} acc {acc['value']:.4f} [{acc['ci_low']:.4f}, "
                   f"{acc['ci_high']:.4f}] (n={acc['n']}, chance {acc['chance']:.3f}), "
                   f"macro {overall['acc_macro']['value']:.4f}")
    if (Path(out) / "submission.json").is_file():
        typer.echo(f"submission: {Path(out) / 'submission.json'}")
    typer.echo(f"{'skipped (already done)' if result.skipped else 'done'}: {out}")


def _show_inspection(cfg, as_json: bool) -> None:
    from langtransfer.eval.knowledge import inspect

    info = inspect(cfg)
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False))
        return
    typer.echo(f"{info['benchmark']} {info['split']}: {info['total']} items in "
               f"{len(info['per_subject'])} subjects (protocol {info['protocol']}, "
               f"k={info['k']}, template {info['template']})")
    for reason, n in info["skipped"].items():
        typer.echo(f"skipped {n} ({reason})")
    typer.echo("first prompt:\n" + info["first_prompt"])


def eval_diff(
    a: Annotated[Path, typer.Argument(help="predictions.jsonl of run A.")],
    b: Annotated[Path, typer.Argument(help="predictions.jsonl of run B.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    show: Annotated[int, typer.Option(help="Changed items to list.")] = 20,
) -> None:
    """Compare two runs item by item: agreement, who got what right, McNemar p."""
    from langtransfer.eval.knowledge import diff_predictions

    d = diff_predictions(a, b, show)
    if as_json:
        typer.echo(json.dumps(d, ensure_ascii=False))
        return
    typer.echo(f"{d['common']} items in both ({d['only_a']} only in A, {d['only_b']} only in B); "
               f"same prediction {d['same_pred']}, changed {d['n_changed']}")
    typer.echo(f"correct in both {d['both_correct']}, only A {d['a_only_correct']}, only B "
               f"{d['b_only_correct']}, neither {d['both_wrong']}; McNemar p = "
               f"{d['mcnemar_p']:.4g}")
    for c in d["changed"]:
        typer.echo(f"  {c['subject']}/{c['id']}: gold {c['gold']}; run A {c['pred_a']}, "
                   f"run B {c['pred_b']}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `eval` group (helpers add theirs here too)."""
    app.command("benchmarks")(eval_benchmarks)
    app.command("knowledge")(eval_knowledge)
    app.command("diff")(eval_diff)
    app.command("ppl")(eval_ppl)
    app.command("codeswitch")(eval_codeswitch)
    app.command("quality")(eval_quality)
    app.command("agreement")(eval_agreement)


def eval_ppl(
    model: Annotated[str, typer.Option(help="Model directory (or hub name).")],
    text: Annotated[Path, typer.Option(
        help="Held-out text: .txt (one document per line) or .jsonl ({\"text\", \"lang\"?}).")],
    lang: Annotated[Optional[str], typer.Option(
        help="Language of a .txt file; for .jsonl, keep only this language.")] = None,
    seq_len: Annotated[Optional[int], typer.Option(
        help="Window in tokens (default: the model's maximum length).")] = None,
    stride: Annotated[Optional[int], typer.Option(
        help="New tokens per window after the first (default: --seq-len, disjoint).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    batch_size: Annotated[int, typer.Option(help="Windows per forward pass.")] = 8,
    n_bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples for CIs.")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    threads: Annotated[int, typer.Option(help="torch threads.")] = 2,
) -> None:
    """Perplexity and bits per byte of held-out text, per language (corpus-level)."""
    from langtransfer.eval.perplexity import ppl_report

    report = ppl_report(model, text, lang, seq_len, stride, batch_size, n_boot=n_bootstrap,
                        seed=seed, threads=threads)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    typer.echo(f"{report['text']}: window {report['seq_len']} tokens, stride {report['stride']}")
    for name, r in report["langs"].items():
        typer.echo(f"{name}: ppl {r['ppl']:.4g} [{r['ppl_ci'][0]:.4g}, {r['ppl_ci'][1]:.4g}]  "
                   f"bpb {r['bpb']:.4f} [{r['bpb_ci'][0]:.4f}, {r['bpb_ci'][1]:.4f}]  "
                   f"nll/token {r['nll_token']:.4f}  ({r['docs']} docs, {r['tokens']} tokens, "
                   f"{r['bytes']} bytes)")
    typer.echo(f"aggregation: {report['aggregation']}")


def eval_quality(
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Run directory.")] = None,
    questions: Annotated[Optional[str], typer.Option(
        help="Question file (LLMEval-2: a data file or folder).")] = None,
    format: Annotated[Optional[str], typer.Option(
        "--format", help="miniworld | belle | llmeval2 | jsonl.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model directory to generate with.")] = None,
    answers: Annotated[Optional[str], typer.Option(
        help="Existing answers, JSONL {id, response}.")] = None,
    judge: Annotated[Optional[str], typer.Option(help="Judge: openai | miniworld.")] = None,
    lang: Annotated[Optional[str], typer.Option(
        help="Answer language (picks the rubric; filters mixed-language files).")] = None,
    limit: Annotated[Optional[int], typer.Option(help="First N questions (0 = all).")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config.")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="Override a field: key.sub=value.")] = [],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the resolved config.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Overall records as JSON.")] = False,
) -> None:
    """Judge response quality on an open-question set: five dimensions, AVG, AVG without H."""
    from langtransfer.eval.quality import QualityConfig

    flags = {"questions": questions, "format": format, "model": model, "answers": answers,
             "judge.name": judge, "lang": lang, "limit": limit}
    overrides = [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in flags.items()
                 if v is not None] + list(set_)
    cfg = QualityConfig.load(config, overrides)
    if dry_run:
        typer.echo(cfg.to_yaml(), nl=False)
        return
    if out is None:
        raise UserError("--out: required (the run directory) unless --dry-run")
    from langtransfer.eval.quality import run

    result = run(cfg, out)
    if result.skipped:
        typer.echo(f"skipped (already done): {out}")
        return
    overall = [r for r in result.records if r["subset"] == "all"]
    if as_json:
        typer.echo(json.dumps({"lang": result.lang, "records": overall,
                               "judge": result.judge_stats}, ensure_ascii=False))
        return
    for r in overall:
        ci = "" if r["ci_low"] is None else f" [{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
        value = "-" if r["value"] is None else f"{r['value']:.3f}"
        typer.echo(f"{r['metric']:<16} {value}{ci} (n={r['n']})")
    stats = result.judge_stats
    if "requests" in stats:
        typer.echo(f"judge {stats['model']}: {stats['requests']} requests, {stats['cache_hits']} "
                   f"cached, {stats['repairs']} repairs, {stats['failed']} failed, tokens "
                   f"{stats['prompt_tokens']}+{stats['completion_tokens']}, cost {stats['cost']}")
    typer.echo(f"done: {out}")


def eval_agreement(
    a: Annotated[Path, typer.Argument(help="Score set A (JSONL, judgments.jsonl, LLMEval-2).")],
    b: Annotated[Path, typer.Argument(help="Score set B.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Spearman, Kendall tau-b and exact agreement per dimension between two score sets."""
    from langtransfer.eval.agreement import agreement, read_scores

    result = agreement(read_scores(a), read_scores(b))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(f"{result['common']} items in both ({result['only_a']} only in A, "
               f"{result['only_b']} only in B)")
    typer.echo(f"{'dimension':<26}{'n':>6}{'spearman':>10}{'kendall':>10}{'exact':>8}"
               f"{'within1':>9}{'mean A':>8}{'mean B':>8}")
    for dim, d in result["dims"].items():
        cells = [_fmt(d[k]) for k in ("spearman", "kendall_tau_b", "exact", "within_one",
                                      "mean_a", "mean_b")]
        typer.echo(f"{dim:<26}{d['n']:>6}{cells[0]:>10}{cells[1]:>10}{cells[2]:>8}"
                   f"{cells[3]:>9}{cells[4]:>8}{cells[5]:>8}")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def eval_codeswitch(
    conllu: Annotated[Optional[Path], typer.Option(
        help="Treebank with gold CSID per token: tag every token and report accuracy.")] = None,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="With --conllu: one JSONL line per token (sent_id, index, form, "
                            "gold, pred).")] = None,
    responses: Annotated[Optional[Path], typer.Option(
        help="JSONL with 'response' (and 'id', 'model'), LLMEval-2 JSON, or a folder of them.")] = None,
    lang: Annotated[Optional[str], typer.Option(help="Expected language of the responses.")] = None,
    by_model: Annotated[bool, typer.Option("--by-model", help="One rate per model.")] = False,
    candidates: Annotated[Optional[str], typer.Option(
        help="Comma-separated languages a span may switch to (default: en).")] = None,
    min_letters: Annotated[int, typer.Option(help="Shortest switched span, in letters.")] = 10,
    examples: Annotated[int, typer.Option(help="Example spans to show.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Code-switching: the rate in responses (with a CI), or the tagger's treebank accuracy."""
    if (conllu is None) == (responses is None):
        raise UserError("eval codeswitch: give exactly one of --conllu FILE or --responses FILE")
    if conllu is not None:
        return _codeswitch_treebank(conllu, out, as_json)
    if not lang:
        raise UserError("--lang: required with --responses (the expected language, e.g. zh)")
    from langtransfer.eval.codeswitch import codeswitch_rate
    from langtransfer.eval.codeswitch_io import read_responses

    rows = read_responses(responses)
    cands = [c.strip() for c in candidates.split(",") if c.strip()] if candidates else None
    groups = {"all": rows}
    if by_model:
        groups = {}
        for row in rows:
            groups.setdefault(row["model"] or "?", []).append(row)
    results = {name: codeswitch_rate([r["response"] for r in g], lang, ids=[r["id"] for r in g],
                                     candidates=cands, min_letters=min_letters,
                                     max_examples=examples)
               for name, g in sorted(groups.items())}
    if as_json:
        typer.echo(json.dumps(results if by_model else results["all"], ensure_ascii=False))
        return
    typer.echo(f"| model | n | switched | rate | 95% CI | switched to |\n|---|---|---|---|---|---|")
    for name, r in results.items():
        to = ", ".join(f"{k} {v}" for k, v in r["switched_to"].items()) or "-"
        typer.echo(f"| {name} | {r['n']} | {r['n_switched']} | {r['rate']:.3f} | "
                   f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}] | {to} |")
    for name, r in results.items():
        for ex in r["examples"]:
            typer.echo(f"  {name} {ex['id']} -> {ex['lang']}: {ex['span'][:80]}")


def _codeswitch_treebank(conllu: Path, out: Optional[Path], as_json: bool) -> None:
    from langtransfer.eval.codeswitch_io import evaluate_treebank, read_conllu
    from langtransfer.files import write_jsonl

    report, rows = evaluate_treebank(read_conllu(conllu))
    if out is not None:
        write_jsonl(out, rows)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    typer.echo(f"{conllu}: {report['tokens']} tokens, accuracy {report['accuracy']:.4f} over "
               f"{report['scored']} tr/de tokens (excluded: {report['excluded']})")
    for name, r in report["per_lang"].items():
        typer.echo(f"  {name}: {r['accuracy']:.4f} (n={r['n']})")
