"""Aggregation of per-item scores into metric records, with bootstrap confidence intervals.

Every number the evaluation stage reports is a record
`{"task","subset","lang","metric","value","ci_low","ci_high","n"[,"chance"]}` appended to the
run's metrics.jsonl: accuracy always travels with its chance level and centred form
(nanochat's convention), and every mean with a 95% percentile-bootstrap interval.

Exercised by `langtransfer eval run` (eval.run) and tests/unit/eval/test_eval_metrics.py.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

# Resample in blocks of at most this many drawn indices (~32 MB of int64) so a bootstrap over
# tens of thousands of items does not allocate n_boot x n at once.
_MAX_DRAWS_PER_BLOCK = 4_000_000


def _resampled_indices(n: int, n_boot: int, seed: int):
    """Yield index blocks of shape (k, n) whose rows are bootstrap resamples (deterministic)."""
    rng = np.random.default_rng(seed)
    rows_per_block = max(1, _MAX_DRAWS_PER_BLOCK // max(n, 1))
    done = 0
    while done < n_boot:
        k = min(rows_per_block, n_boot - done)
        yield rng.integers(0, n, size=(k, n))
        done += k


def _percentile_interval(stats: np.ndarray, alpha: float) -> tuple[float, float]:
    low, high = np.percentile(stats, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)


def bootstrap_ci(values: Sequence[float], n_boot: int = 1000, seed: int = 0,
                 alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean.

    Args:
        values: per-item values (e.g. 0/1 correctness, judge scores).
        n_boot: number of resamples.
        seed: resampling seed; the same inputs and seed give the same interval.
        alpha: 0.05 gives a 95% interval.

    Returns:
        (low, high); (nan, nan) for no values, (v, v) for a single value.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return (math.nan, math.nan)
    blocks = _resampled_indices(arr.size, n_boot, seed)
    means = np.concatenate([arr[idx].mean(axis=1) for idx in blocks])
    return _percentile_interval(means, alpha)


def bootstrap_ratio_ci(numerators: Sequence[float], denominators: Sequence[float],
                       n_boot: int = 1000, seed: int = 0,
                       alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval of sum(numerators) / sum(denominators), resampling items.

    This is the interval of a corpus-level ratio such as bits per byte (nll summed over
    documents / bytes summed over documents) where documents are the resampled unit.
    """
    num = np.asarray(numerators, dtype=np.float64)
    den = np.asarray(denominators, dtype=np.float64)
    if num.shape != den.shape:
        raise ValueError(f"numerators ({num.size}) and denominators ({den.size}) differ in length")
    if num.size == 0:
        return (math.nan, math.nan)
    ratios = np.concatenate([
        num[idx].sum(axis=1) / den[idx].sum(axis=1)
        for idx in _resampled_indices(num.size, n_boot, seed)
    ])
    return _percentile_interval(ratios, alpha)


def make_record(task: str, subset: str, lang: str, metric: str, value: float,
                ci: tuple[float, float] = (math.nan, math.nan), n: int = 0,
                chance: float | None = None) -> dict:
    """One metrics record (NaN becomes None so metrics.jsonl stays valid JSON)."""
    record = {
        "task": task, "subset": subset, "lang": lang, "metric": metric,
        "value": _clean(value), "ci_low": _clean(ci[0]), "ci_high": _clean(ci[1]), "n": int(n),
    }
    if chance is not None:
        record["chance"] = float(chance)
    return record


def _clean(x: float) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def centre(acc: float, chance: float) -> float:
    """Chance-corrected accuracy: 0 = chance level, 1 = perfect (nanochat's centring)."""
    return (acc - chance) / (1.0 - chance)


def accuracy_record(correct: Sequence[bool], chance: float, *, task: str, lang: str,
                    subset: str = "all", n_boot: int = 1000, seed: int = 0,
                    alpha: float = 0.05) -> list[dict]:
    """Records for `acc` and `acc_centred` of a list of per-item correctness flags.

    Args:
        correct: one bool per item.
        chance: expected accuracy of random guessing (1 / n_options; the mean over items when
            items differ in option count).
        task, lang, subset: record labels.
        n_boot, seed, alpha: bootstrap settings (see `bootstrap_ci`).

    Returns:
        [acc record, acc_centred record]; the centred interval is the accuracy interval
        mapped through the same linear transform.
    """
    values = [1.0 if c else 0.0 for c in correct]
    n = len(values)
    acc = float(np.mean(values)) if n else math.nan
    low, high = bootstrap_ci(values, n_boot, seed, alpha)
    return [
        make_record(task, subset, lang, "acc", acc, (low, high), n, chance),
        make_record(task, subset, lang, "acc_centred", centre(acc, chance),
                    (centre(low, chance), centre(high, chance)), n, chance),
    ]


def mean_record(values: Sequence[float], *, task: str, lang: str, metric: str,
                subset: str = "all", n_boot: int = 1000, seed: int = 0,
                alpha: float = 0.05) -> dict:
    """Record of the mean of per-item values with its bootstrap interval."""
    n = len(values)
    value = float(np.mean(np.asarray(values, dtype=np.float64))) if n else math.nan
    ci = bootstrap_ci(values, n_boot, seed, alpha)
    return make_record(task, subset, lang, metric, value, ci, n)


def subsets(rows: Sequence[dict], keys: Sequence[str]) -> list[tuple[str, list[int]]]:
    """("all", every index) followed by ("key=value", indices) for each label value present.

    Rows without a key (or with None) are left out of that key's subsets. Values are sorted so
    record order is stable across runs.
    """
    out = [("all", list(range(len(rows))))]
    for key in keys:
        groups: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            if row.get(key) is not None:
                groups.setdefault(str(row[key]), []).append(i)
        out.extend((f"{key}={value}", groups[value]) for value in sorted(groups))
    return out
