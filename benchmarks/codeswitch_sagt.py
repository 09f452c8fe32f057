"""Treebank check of the code-switching tagger: tune on half the sentences, report the other half.

    PYTHONPATH=src .venv/bin/python benchmarks/codeswitch_sagt.py [--conllu FILE]

Reads the Turkish-German code-switching treebank (UD SAGT test: gold CSID per token), grid-searches
the tagger's switch penalty, evidence cap and Turkish prior on the even-numbered sentences only,
and prints accuracy on the odd-numbered (untouched) sentences and overall for the best setting and
for the shipped defaults (eval/codeswitch.py constants). Tuning on the whole treebank would
overfit the number docs/evaluation.md reports.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

from langtransfer.eval.codeswitch import MAX_EVIDENCE, SWITCH_PENALTY
from langtransfer.eval.codeswitch_io import TREEBANK_BIAS, evaluate_treebank, read_conllu

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ud" / "qtd_sagt-ud-test.conllu"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conllu", type=Path, default=DEFAULT)
    args = ap.parse_args()
    sents = read_conllu(args.conllu)
    tune, held = sents[0::2], sents[1::2]
    t0 = time.perf_counter()
    grid = []
    for pen, cap, tr in itertools.product([0.8, 1.2, 1.6, 2.4, 3.2], [2.0, 3.0, 4.0, 6.0],
                                          [-0.5, 0.0, 0.5, 1.0]):
        settings = {"switch_penalty": pen, "max_evidence": cap, "bias": {"tr": tr, "de": 0.0}}
        grid.append((evaluate_treebank(tune, **settings)[0]["accuracy"], settings))
    best_acc, best = max(grid, key=lambda g: g[0])
    print(f"grid of {len(grid)} settings on {len(tune)} tuning sentences: "
          f"{time.perf_counter() - t0:.1f} s")
    shipped = {"switch_penalty": SWITCH_PENALTY, "max_evidence": MAX_EVIDENCE, "bias": TREEBANK_BIAS}
    print("| setting | tuning half | held-out half | all | tr | de |")
    print("|---|---|---|---|---|---|")
    for name, s in [("best on tuning half", best), ("shipped defaults", shipped),
                    ("no smoothing (per word)", {**shipped, "switch_penalty": 0.0})]:
        a_t, a_h, a_all = (evaluate_treebank(x, **s)[0] for x in (tune, held, sents))
        print(f"| {name}: {s} | {a_t['accuracy']:.4f} | {a_h['accuracy']:.4f} | "
              f"{a_all['accuracy']:.4f} | {a_all['per_lang']['tr']['accuracy']:.4f} | "
              f"{a_all['per_lang']['de']['accuracy']:.4f} |")


if __name__ == "__main__":
    main()
