"""Parity and speed against lm-evaluation-harness: the option protocol on MMLU and CMMLU.

    pip install -e ".[lmeval]"          # lm-eval 0.4.13 was measured; needs no network
    PYTHONPATH=src python benchmarks/eval_vs_lmeval.py                     # all items: long
    PYTHONPATH=src python benchmarks/eval_vs_lmeval.py --limit 3 --threads 1 --reference  # 7 min
    PYTHONPATH=src python benchmarks/eval_vs_lmeval.py --limit 0 --rounds 1 --reference   # all items
    PYTHONPATH=src python benchmarks/eval_vs_lmeval.py --limit 3 --rounds 1 --dtype float64
    PYTHONPATH=src python benchmarks/eval_vs_lmeval.py --strategies   # engine variants only
                                                      # (benchmarks/eval_strategies.py)

Two models, the same items, both tools in one process (same torch threads):
  stories  stories260K (llama2.c, 5 layers, dim 64, 512-piece SentencePiece) imported with
           langtransfer.convert.llama2c.import_llama2c;
  random   a random 2-layer LLaMA (hidden 64) over Chinese-LLaMA-2's extended 55,296-piece
           tokenizer (../shared/data/tokenizers/chinese_llama2): the large vocabulary that
           vocabulary extension produces, where the LM head dominates the cost.
Items: MMLU dev + val and CMMLU dev (CMMLU has no val) from ../shared/data, read by
langtransfer's own loaders (eval.benchmarks); prompts from eval.protocols' option protocol (k
shots from dev, default 0). lm-eval reads the very same requests: each item becomes a JSONL row
{"prompt": context, "choices": [continuation, ...], "gold": index} behind a generated task YAML
(dataset_path: json, output_type: multiple_choice, doc_to_text: prompt, doc_to_choice:
choices, target_delimiter: ""), so lm-eval scores log p(continuation | context) for each option
-- " " + option text for MMLU, the option text for CMMLU -- exactly what langtransfer scores;
the script checks that lm-eval's requests equal ours string for string.

Timing: langtransfer = eval.protocols.score_option (prompt building, batched encoding,
scoring, argmax); lm-eval = simple_evaluate(HFLM(pretrained=model, tokenizer=tok)) in process
(task building from the local JSONL, scoring, metrics; bootstrap_iters=0, log_samples=True
because the per-item comparison needs them) -- its CLI adds ~15 s of task indexing and is not
what is compared. A warm-up runs both on a few items; then `--rounds` timed rounds alternate
the order (A B, B A, ...) and the median is reported. "scoring" columns time only the
log-likelihood calls inside each (eval.lm.loglikelihood / HFLM.loglikelihood).

Differences the script counts rather than hides: a context/continuation merge at the boundary
(eval.lm.encode_pair then scores whole tokens where lm-eval slices mid-token) and items whose
prompt exceeds the model's window (both truncate from the left alike).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SETS = (("mmlu", "dev"), ("mmlu", "val"), ("cmmlu", "dev"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--models", default="stories,random", help="comma-separated")
    parser.add_argument("--k", type=int, default=0, help="shots from dev (0: zero-shot)")
    parser.add_argument("--limit", type=int, default=0, help="items per subject (0: all)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per tool")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--strategies", action="store_true",
                        help="time eval.lm's scoring strategies instead (no lm-eval)")
    parser.add_argument("--plain", action="store_true",
                        help="langtransfer without shared prefixes (eval.lm share_prefix=False)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="the model's precision, for both tools (float64: protocol "
                             "differences only, without float32 rounding)")
    parser.add_argument("--reference", action="store_true",
                        help="also score every option with a float64 copy of the model (the "
                             "plain path) and print each tool's distance to it")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="eval-vs-lmeval-"))
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
                      HF_DATASETS_CACHE=str(work / "hf-datasets"))
    import torch

    from langtransfer.modeling import quiet_transformers

    torch.set_num_threads(args.threads)
    quiet_transformers()
    sets = load_sets(args.data, args.k, args.limit)
    n_items = sum(len(s["items"]) for s in sets.values())
    counts = ", ".join(f"{name} {len(s['items'])}" for name, s in sets.items())
    print(f"items: {counts} ({n_items}), k={args.k}, threads {args.threads}, "
          f"batch {args.batch_size}")
    report: dict[str, Any] = {"k": args.k, "items": n_items, "threads": args.threads,
                              "batch_size": args.batch_size, "models": {}}
    for name in args.models.split(","):
        model, tok = build_model(name, args.data, work)
        if args.dtype == "float64":
            model = model.double()
        print(f"\n== {name}: {describe(model, tok)}")
        if args.strategies:
            from eval_strategies import time_strategies

            report["models"][name] = time_strategies(model, tok, sets, args)
        else:
            report["models"][name] = compare(model, tok, sets, args, work / name)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def load_sets(data: Path, k: int, limit: int) -> dict[str, dict]:
    """name -> {"spec", "items", "requests" (per item, per option)} for MMLU / CMMLU sets."""
    from langtransfer.eval.benchmarks import load_benchmark, load_items, load_shots
    from langtransfer.eval.protocols import option_requests_for, shots_for

    sets = {}
    for bench, split in SETS:
        spec = load_benchmark(bench)
        items = load_items(spec, data / bench, split, limit=limit).items
        shots = load_shots(spec, data / bench, sorted({i.subject for i in items}), k)
        requests = [option_requests_for(spec, item, shots_for(item, shots, k)) for item in items]
        sets[f"{bench}_{split}"] = {"spec": spec, "items": items, "shots": shots,
                                    "requests": requests}
    return sets


def build_model(name: str, data: Path, work: Path) -> tuple[Any, Any]:
    """`stories` (imported llama2.c checkpoint) or `random` (extended 55k vocabulary)."""
    import torch

    if name == "stories":
        from langtransfer.convert.llama2c import import_llama2c
        from langtransfer.modeling import load_model_and_tokenizer

        folder = data / "tinyllamas"
        import_llama2c(folder / "stories260K.bin", folder / "tok512.model", work / "stories")
        return load_model_and_tokenizer(work / "stories")
    if name == "random":
        from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

        tok = AutoTokenizer.from_pretrained(data / "tokenizers" / "chinese_llama2")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            config = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=172,
                                 num_hidden_layers=2, num_attention_heads=4,
                                 max_position_embeddings=2048, bos_token_id=tok.bos_token_id,
                                 eos_token_id=tok.eos_token_id)
            config.initializer_range = 0.2  # opinionated enough that options differ clearly
            return LlamaForCausalLM(config).eval(), tok
    raise SystemExit(f"--models: unknown model {name!r} (stories, random)")


def describe(model: Any, tok: Any) -> str:
    """Parameters, vocabulary and window, for the report."""
    from langtransfer.eval.lm import model_max_length

    n_params = sum(p.numel() for p in model.parameters())
    return (f"{n_params / 1e6:.2f} M parameters, vocabulary {len(tok)}, "
            f"window {model_max_length(model, tok)}")


# --- lm-eval side ------------------------------------------------------------------------

def write_tasks(sets: dict[str, dict], folder: Path) -> list[str]:
    """One lm-eval task per set over a local JSONL of pre-built requests; returns task names."""
    from langtransfer.files import write_jsonl, write_text

    names = []
    for name, s in sets.items():
        rows = []
        for item, reqs in zip(s["items"], s["requests"]):
            contexts = {ctx for ctx, _ in reqs}
            assert len(contexts) == 1, f"{name} {item.id}: options with different contexts"
            rows.append({"prompt": reqs[0][0], "choices": [cont for _, cont in reqs],
                         "gold": item.golds[0]})
        write_jsonl(folder / f"{name}.jsonl", rows)
        task = f"lt_{name}"
        write_text(folder / f"{task}.yaml", "\n".join([
            f"task: {task}",
            "dataset_path: json",
            "dataset_kwargs: {data_files: {test: %s}}" % json.dumps(str(folder / f"{name}.jsonl")),
            "test_split: test",
            "output_type: multiple_choice",
            "doc_to_text: prompt",
            "doc_to_choice: choices",
            "doc_to_target: gold",
            'target_delimiter: ""',
            "metric_list: [{metric: acc}]",
            "metadata: {version: 1.0}", ""]))
        names.append(task)
    return names


def run_lmeval(lm: Any, task_manager: Any, tasks: list[str], limit: int | None = None) -> dict:
    """simple_evaluate in process; returns {task: samples sorted by doc_id}."""
    from lm_eval import simple_evaluate

    out = simple_evaluate(model=lm, tasks=tasks, task_manager=task_manager, limit=limit,
                          bootstrap_iters=0, log_samples=True, verbosity="ERROR")
    return {t: sorted(out["samples"][t], key=lambda s: s["doc_id"]) for t in tasks}


# --- langtransfer side -------------------------------------------------------------------

def run_langtransfer(model: Any, tok: Any, sets: dict[str, dict], k: int, batch_size: int,
                     limit: int | None = None) -> dict:
    """eval.protocols.score_option per set: {set name: prediction rows}."""
    from langtransfer.eval.protocols import score_option

    return {name: score_option(model, tok, s["spec"], s["items"][:limit], s["shots"], k,
                               batch_size=batch_size) for name, s in sets.items()}


class ScoringClock:
    """Adds the wall time spent inside a wrapped log-likelihood function."""

    def __init__(self):
        self.seconds = 0.0

    def wrap(self, fn):
        """`fn`, timed into this clock."""
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
        return timed


def compare(model: Any, tok: Any, sets: dict[str, dict], args: argparse.Namespace,
            folder: Path) -> dict:
    """Warm-up, interleaved timed rounds, then item-level agreement of the last round."""
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    import langtransfer.eval.lm as lt_lm

    tasks = write_tasks(sets, folder)
    task_manager = TaskManager(include_path=str(folder), include_defaults=False)
    lm = HFLM(pretrained=model, tokenizer=tok, batch_size=args.batch_size, device="cpu",
              add_bos_token=True)
    lm_clock, lt_clock = ScoringClock(), ScoringClock()
    lm.loglikelihood = lm_clock.wrap(lm.loglikelihood)
    real_loglikelihood = lt_lm.loglikelihood
    lt_lm.loglikelihood = lt_clock.wrap(
        functools.partial(real_loglikelihood, share_prefix=False) if args.plain
        else real_loglikelihood)
    try:
        run_lmeval(lm, task_manager, tasks, limit=4)  # warm-up: task building, dataset cache
        run_langtransfer(model, tok, sets, args.k, args.batch_size, limit=4)
        times: dict[str, list[float]] = {"langtransfer": [], "lm-eval": []}
        scoring: dict[str, list[float]] = {"langtransfer": [], "lm-eval": []}
        for rnd in range(args.rounds):
            order = ("langtransfer", "lm-eval") if rnd % 2 == 0 else ("lm-eval", "langtransfer")
            for tool in order:
                clock = lt_clock if tool == "langtransfer" else lm_clock
                clock.seconds = 0.0
                start = time.perf_counter()
                if tool == "langtransfer":
                    ours = run_langtransfer(model, tok, sets, args.k, args.batch_size)
                else:
                    theirs = run_lmeval(lm, task_manager, tasks)
                times[tool].append(time.perf_counter() - start)
                scoring[tool].append(clock.seconds)
    finally:
        lt_lm.loglikelihood = real_loglikelihood
    result = agreement(tok, sets, ours, theirs, tasks)
    if args.reference:
        result.update(distance_to_reference(model, tok, sets, ours, theirs, tasks,
                                            args.batch_size))
    n_items = sum(len(s["items"]) for s in sets.values())
    for tool in times:
        result[f"{tool}_s"] = statistics.median(times[tool])
        result[f"{tool}_items_per_s"] = n_items / result[f"{tool}_s"]
        result[f"{tool}_scoring_s"] = statistics.median(scoring[tool])
    result["speedup"] = result["langtransfer_items_per_s"] / result["lm-eval_items_per_s"]
    result["scoring_speedup"] = result["lm-eval_scoring_s"] / result["langtransfer_scoring_s"]
    print_comparison(result, args.rounds)
    return result


def agreement(tok: Any, sets: dict[str, dict], ours: dict, theirs: dict,
              tasks: list[str]) -> dict:
    """Item-level agreement of predictions, log-likelihood differences, request equality."""
    import numpy as np

    from langtransfer.eval.lm import _move_trailing_space, encode

    same = n = 0
    diffs, rel, margins, ulps = [], [], [], []
    args_differ = merged_items = merged_disagree = 0
    per_set = {}
    for (name, s), task in zip(sets.items(), tasks):
        set_same = 0
        for item, reqs, row, sample in zip(s["items"], s["requests"], ours[name], theirs[task]):
            lm_ll = [float(r[0]) for r in sample["filtered_resps"]]
            lm_pred = max(range(len(lm_ll)), key=lambda j: (lm_ll[j], -j))  # np.argmax: first
            ours_pred = item.letters.index(row["pred"])
            agree = lm_pred == ours_pred
            set_same += agree
            if not agree:  # how close the two options are, in lm-eval's and in our numbers
                margins.append(max(abs(lm_ll[lm_pred] - lm_ll[ours_pred]),
                                   abs(row["logliks"][lm_pred] - row["logliks"][ours_pred])))
            requests = [tuple(a) for a in sample["arguments"]]
            args_differ += requests != [tuple(r) for r in reqs]
            merged = any(_boundary_merge(tok, encode, _move_trailing_space, c, x) for c, x in reqs)
            merged_items += merged
            merged_disagree += merged and not agree
            for a, b in zip(row["logliks"], lm_ll):
                if not merged:
                    diffs.append(abs(a - b))
                    rel.append(abs(a - b) / max(1.0, abs(b)))
                    # lm-eval returns a float32 sum: its spacing at |b| >= 1024 is 1.2e-4
                    ulps.append(abs(a - b) / float(np.spacing(np.float32(abs(b)))))
        per_set[name] = {"items": len(s["items"]), "agreement": set_same / len(s["items"])}
        same += set_same
        n += len(s["items"])
    diffs.sort()
    return {"agreement": same / n, "identical_predictions": same, "n_items": n,
            "max_abs_loglik_diff": diffs[-1], "max_rel_loglik_diff": max(rel),
            "p999_abs_loglik_diff": diffs[int(0.999 * (len(diffs) - 1))],
            "options_within_1e-4": sum(d < 1e-4 for d in diffs) / len(diffs),
            "max_diff_float32_spacings": max(ulps),
            "disagreement_margins": margins,
            "requests_differ": args_differ, "boundary_merge_items": merged_items,
            "boundary_merge_disagree": merged_disagree, "per_set": per_set}


def distance_to_reference(model: Any, tok: Any, sets: dict[str, dict], ours: dict,
                          theirs: dict, tasks: list[str], batch_size: int) -> dict:
    """Max |log-likelihood - float64 reference| of each tool over all options: the reference
    is langtransfer's plain path (lm-eval's batching) on a float64 copy of the model, where
    float rounding is ~1e-12, so it shows which tool's float32 number is nearer the exact one."""
    import copy

    from langtransfer.eval.lm import loglikelihood

    exact = copy.deepcopy(model).double()
    worst = {"langtransfer": 0.0, "lm-eval": 0.0}
    for (name, s), task in zip(sets.items(), tasks):
        flat = [r for reqs in s["requests"] for r in reqs]
        scores = iter(loglikelihood(exact, tok, flat, batch_size, share_prefix=False))
        for reqs, row, sample in zip(s["requests"], ours[name], theirs[task]):
            for a, (b, _) in zip(row["logliks"], sample["filtered_resps"]):
                ref = next(scores)[0]
                worst["langtransfer"] = max(worst["langtransfer"], abs(a - ref))
                worst["lm-eval"] = max(worst["lm-eval"], abs(float(b) - ref))
    return {"max_abs_diff_to_float64": worst}


def _boundary_merge(tok: Any, encode, move_space, context: str, continuation: str) -> bool:
    """True when encode(context) is not a prefix of encode(context + continuation)."""
    context, continuation = move_space(context, continuation)
    if not context:
        return False
    ctx = encode(tok, context)
    return encode(tok, context + continuation)[:len(ctx)] != ctx


def print_comparison(r: dict, rounds: int) -> None:
    """The agreement and speed figures of one model."""
    print(f"predictions identical: {r['identical_predictions']}/{r['n_items']} "
          f"({100 * r['agreement']:.2f}%)  "
          + "  ".join(f"{k} {100 * v['agreement']:.2f}%" for k, v in r["per_set"].items()))
    if r["disagreement_margins"]:
        print("disagreements are near-ties: top-two log-likelihoods within "
              f"{max(r['disagreement_margins']):.1e}")
    print(f"|d loglik|: max {r['max_abs_loglik_diff']:.2e} (relative "
          f"{r['max_rel_loglik_diff']:.1e}), 99.9th percentile {r['p999_abs_loglik_diff']:.1e}, "
          f"{100 * r['options_within_1e-4']:.2f}% of options below 1e-4; at most "
          f"{r['max_diff_float32_spacings']:.1f} float32 spacings of lm-eval's value")
    print(f"requests differing from lm-eval's: {r['requests_differ']}; items with a boundary "
          f"merge: {r['boundary_merge_items']} ({r['boundary_merge_disagree']} disagree; "
          f"excluded from the loglik difference)")
    if "max_abs_diff_to_float64" in r:
        print("max |loglik - float64 reference|: " + ", ".join(
            f"{tool} {d:.2e}" for tool, d in r["max_abs_diff_to_float64"].items()))
    print(f"{'':14}{'items/s':>10}{'wall s':>9}{'scoring s':>11}   (median of {rounds})")
    for tool in ("langtransfer", "lm-eval"):
        print(f"{tool:14}{r[f'{tool}_items_per_s']:>10.1f}{r[f'{tool}_s']:>9.2f}"
              f"{r[f'{tool}_scoring_s']:>11.2f}")
    print(f"speed-up: {r['speedup']:.2f}x end to end, {r['scoring_speedup']:.2f}x scoring")


if __name__ == "__main__":
    sys.exit(main())
