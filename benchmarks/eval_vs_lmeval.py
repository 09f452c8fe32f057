"""Parity and speed against lm-evaluation-harness: the option protocol on MMLU and CMMLU.

    pip install -e ".[lmeval]"          # lm-eval 0.4.13 was measured; needs no network
    PYTHONPATH=src python benchmarks/eval_vs_lmeval.py                     # all items: long
    PYTHONPATH=src python benchmarks/eval_vs_lmeval.py --limit 3 --threads 1  # recorded: 22 min
    PYTHONPATH=src python benchmarks/eval_vs_lmeval.py --models stories --limit 3 --rounds 1
    PYTHONPATH=src python benchmarks/eval_vs_lmeval.py --strategies        # engine variants only

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
        print(f"\n== {name}: {describe(model, tok)}")
        if args.strategies:
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
    print(f"{'':14}{'items/s':>10}{'wall s':>9}{'scoring s':>11}   (median of {rounds})")
    for tool in ("langtransfer", "lm-eval"):
        print(f"{tool:14}{r[f'{tool}_items_per_s']:>10.1f}{r[f'{tool}_s']:>9.2f}"
              f"{r[f'{tool}_scoring_s']:>11.2f}")
    print(f"speed-up: {r['speedup']:.2f}x end to end, {r['scoring_speedup']:.2f}x scoring")


# --- engine strategies -------------------------------------------------------------------

def time_strategies(model: Any, tok: Any, sets: dict[str, dict], args: argparse.Namespace) -> dict:
    """items/s of eval.lm's plain path, its shared-prefix path, and a KV-cache variant."""
    from langtransfer.eval.lm import encode_pairs, loglikelihood_tokens, model_max_length

    flat = [r for s in sets.values() for reqs in s["requests"] for r in reqs]
    n_items = sum(len(s["items"]) for s in sets.values())
    pairs = encode_pairs(tok, flat)
    max_length = model_max_length(model, tok)
    ways = {
        "plain": lambda: loglikelihood_tokens(model, pairs, args.batch_size, max_length,
                                              share_prefix=False),
        "packed": lambda: loglikelihood_tokens(model, pairs, args.batch_size, max_length,
                                               share_prefix=True),
        "kv-cache": lambda: kv_cache_loglikelihood(model, pairs, args.batch_size, max_length),
    }
    ways["packed"]()  # warm-up (and the one-time probe)
    times: dict[str, list[float]] = {w: [] for w in ways}
    results = {}
    for rnd in range(args.rounds):
        for way in (list(ways) if rnd % 2 == 0 else list(ways)[::-1]):
            start = time.perf_counter()
            results[way] = ways[way]()
            times[way].append(time.perf_counter() - start)
    out = {}
    for way in ways:
        diff = max(abs(a[0] - b[0]) for a, b in zip(results[way], results["plain"]))
        out[way] = {"s": statistics.median(times[way]),
                    "items_per_s": n_items / statistics.median(times[way]),
                    "max_abs_diff_vs_plain": diff}
        print(f"{way:9} {out[way]['items_per_s']:8.1f} items/s  {out[way]['s']:7.2f} s  "
              f"max |d| vs plain {diff:.1e}")
    return out


def kv_cache_loglikelihood(model: Any, pairs: list, batch_size: int,
                           max_length: int) -> list[tuple[float, bool, int]]:
    """The alternative measured against eval.lm's packed rows: each batch's distinct contexts
    (all but their last token) run once, right-padded with no mask (plain causal attention),
    with use_cache=True; the cache is expanded over the options (reorder_cache with repeated
    indices) and each option runs [last context token] + continuation[:-1] on top of it,
    masked to its own context. Same batches as the packed path."""
    import torch

    from langtransfer.eval.packing import _fit_context, _packed_batches

    contexts = [_fit_context(ctx, cont, max_length) for ctx, cont in pairs]
    conts = [cont for _, cont in pairs]
    results: list = [None] * len(pairs)
    with torch.inference_mode():
        for rows in _packed_batches(contexts, conts, batch_size):
            order = [i for _, ids in rows for i in ids]
            for i, res in zip(order, _kv_rows(model, rows, conts)):
                results[i] = res
    return results


def _kv_rows(model: Any, rows: list, conts: list) -> list[tuple[float, bool, int]]:
    import torch

    dtype = next(model.parameters()).dtype
    heads = [ctx[:-1] for ctx, _ in rows]
    width = max(len(h) for h in heads)
    owner = [r for r, (_, ids) in enumerate(rows) for _ in ids]
    reqs = [i for _, ids in rows for i in ids]
    extra: dict = {"use_cache": False}
    if width:
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        for r, head in enumerate(heads):
            ids[r, :len(head)] = torch.tensor(head)
        cache = model(input_ids=ids, use_cache=True, logits_to_keep=1).past_key_values
        cache.reorder_cache(torch.tensor(owner))
        extra = {"past_key_values": cache, "use_cache": True}
    tail = max(len(conts[i]) for i in reqs)
    inputs = torch.zeros((len(reqs), tail), dtype=torch.long)
    positions = torch.zeros((len(reqs), tail), dtype=torch.long)
    allowed = torch.zeros((len(reqs), tail, width + tail), dtype=torch.bool)
    allowed[:, :, width:] = torch.ones((tail, tail), dtype=torch.bool).tril()
    for j, (r, i) in enumerate(zip(owner, reqs)):
        ctx, seq = rows[r][0], [rows[r][0][-1]] + conts[i][:-1]
        inputs[j, :len(seq)] = torch.tensor(seq)
        positions[j] = torch.arange(len(ctx) - 1, len(ctx) - 1 + tail)
        allowed[j, :, :len(ctx) - 1] = True
    if width:
        mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed,
                                                                    torch.finfo(dtype).min)
        extra["attention_mask"] = mask[:, None]
    logits = model(input_ids=inputs, position_ids=positions, **extra).logits
    out = []
    for j, i in enumerate(reqs):
        target = torch.tensor(conts[i])
        logp = torch.log_softmax(logits[j, :len(target)].float(), -1)
        out.append((float(logp.gather(1, target[:, None]).double().sum()),
                    bool((logp.argmax(-1) == target).all()), len(target)))
    return out


if __name__ == "__main__":
    sys.exit(main())
