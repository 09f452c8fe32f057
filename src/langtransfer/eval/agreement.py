"""Judge agreement: how closely two score sets of the same answers agree, per dimension.

    langtransfer eval agreement A.jsonl B.jsonl [--json]
    langtransfer eval agreement ../shared/data/llmeval2/gpt-score ../shared/data/llmeval2/human-score

A score set is read from
- JSON lines `{"id", "scores": {dim: number}}` (what `eval quality` writes to judgments.jsonl;
  rows without scores are failed items and left out) or `{"id", dim: number, ...}`;
- LLMEval-2's score files (a JSON array of dialogs with `stars`, or a folder of them): id =
  dialog_uuid, dimensions = the star names lower-cased with `_` for spaces.

Per dimension present in both sets, over the ids in both: Spearman's rho (Pearson correlation of
average ranks), Kendall's tau-b (ties in either set corrected, as scipy's default) and exact
agreement (share of items with equal scores), plus within-one agreement and both means. Both
correlations are implemented in numpy (scipy is not a dependency); the tests check them against
scipy where it happens to be installed.

`llmeval1_model_means` reproduces LLMEval-1's published per-model averages
(results_itemized_gpt4.csv) from its itemized GPT-4 scores.

Exercised by tests/unit/eval/test_eval_judge_agreement.py.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from langtransfer.errors import DataError
from langtransfer.files import read_jsonl

_NON_SCORE_KEYS = {"id", "category", "lang", "response", "reason", "error", "cached", "avg",
                   "avg_no_h", "question", "reference", "prompt"}


def read_scores(path: str | Path) -> dict[str, dict[str, float]]:
    """id -> {dimension: score} from a JSONL score file or LLMEval-2 score file(s).

    Raises:
        DataError: missing path, unreadable rows, rows without an id, duplicate ids.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.json")) + sorted(path.glob("*.jsonl"))
        if not files:
            raise DataError(f"{path}: no *.json / *.jsonl score files")
        out: dict[str, dict[str, float]] = {}
        for file in files:
            for key, scores in read_scores(file).items():
                if key in out:
                    raise DataError(f"{file}: id '{key}' already read from another file")
                out[key] = scores
        return out
    if not path.is_file():
        raise DataError(f"{path}: score file not found")
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return _llmeval2_scores(path, text)
    return _jsonl_scores(path)


def _jsonl_scores(path: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for n, row in enumerate(read_jsonl(path), 1):
        if not isinstance(row, dict) or "id" not in row:
            raise DataError(f"{path}:{n}: expected a JSON object with an 'id'")
        scores = row["scores"] if "scores" in row else {
            k: v for k, v in row.items() if k not in _NON_SCORE_KEYS}
        if scores is None:
            continue  # a failed judgement: no scores to compare
        _add(out, str(row["id"]), _numeric(scores, f"{path}:{n}"), f"{path}:{n}")
    return out


def _llmeval2_scores(path: Path, text: str) -> dict[str, dict[str, float]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    out: dict[str, dict[str, float]] = {}
    for n, row in enumerate(data, 1):
        where = f"{path}: element {n}"
        if not isinstance(row, dict) or "dialog_uuid" not in row or "stars" not in row:
            raise DataError(f"{where}: expected an object with 'dialog_uuid' and 'stars'")
        stars = {k.lower().replace(" ", "_"): v for k, v in row["stars"].items()}
        _add(out, str(row["dialog_uuid"]), _numeric(stars, where), where)
    return out


def _numeric(scores: object, where: str) -> dict[str, float]:
    if not isinstance(scores, dict):
        raise DataError(f"{where}: scores must be an object of dimension -> number")
    out = {}
    for dim, value in scores.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataError(f"{where}: score '{dim}' is {value!r}, not a number")
        out[str(dim)] = float(value)
    return out


def _add(out: dict, key: str, scores: dict, where: str) -> None:
    if key in out:
        raise DataError(f"{where}: duplicate id '{key}'")
    out[key] = scores


# ------------------------------------------------------------------ statistics


def rankdata(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties given their average rank (scipy.stats.rankdata's 'average')."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    sorted_vals = values[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_vals)) + 1]
    ends = np.r_[starts[1:], values.size]
    ranks = np.empty(values.size, dtype=np.float64)
    for s, e in zip(starts, ends):
        ranks[order[s:e]] = (s + e + 1) / 2.0  # mean of ranks s+1 .. e
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho; NaN when either side is constant or there are fewer than 2 items."""
    rx, ry = rankdata(x), rankdata(y)
    if rx.size < 2 or rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b = (P - Q) / sqrt((n0 - n1)(n0 - n2)), from the contingency table of the
    two score sets (scores take few values, so this is O(levels^2) after counting; any input
    works). NaN when either side is constant."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    _, xi = np.unique(x, return_inverse=True)
    _, yi = np.unique(y, return_inverse=True)
    table = np.zeros((xi.max() + 1 if x.size else 0, yi.max() + 1 if y.size else 0))
    np.add.at(table, (xi, yi), 1.0)
    # above[i, j] = items with x-level > i and y-level > j; below: x-level > i, y-level < j.
    tail = table[::-1, ::-1].cumsum(0).cumsum(1)[::-1, ::-1]          # x >= i, y >= j
    above = np.zeros_like(table)
    above[:-1, :-1] = tail[1:, 1:]
    head_y = table[::-1, :].cumsum(0)[::-1, :].cumsum(1)               # x >= i, y <= j
    below = np.zeros_like(table)
    below[:-1, 1:] = head_y[1:, :-1]
    concordant, discordant = float((table * above).sum()), float((table * below).sum())
    n0 = x.size * (x.size - 1) / 2
    n1 = float((table.sum(1) * (table.sum(1) - 1) / 2).sum())
    n2 = float((table.sum(0) * (table.sum(0) - 1) / 2).sum())
    denom = math.sqrt((n0 - n1) * (n0 - n2)) if n0 > n1 and n0 > n2 else 0.0
    return (concordant - discordant) / denom if denom else math.nan


def agreement(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]]) -> dict:
    """Per-dimension agreement of two score sets over their common ids.

    Returns:
        {"common", "only_a", "only_b", "dims": {dim: {"n", "spearman", "kendall_tau_b",
        "exact", "within_one", "mean_a", "mean_b"}}} (NaN statistics become None).
    """
    common = sorted(set(a) & set(b))
    dims = sorted({d for k in common for d in a[k]} & {d for k in common for d in b[k]})
    out = {"common": len(common), "only_a": len(set(a) - set(b)),
           "only_b": len(set(b) - set(a)), "dims": {}}
    for dim in dims:
        keys = [k for k in common if dim in a[k] and dim in b[k]]
        x = np.array([a[k][dim] for k in keys])
        y = np.array([b[k][dim] for k in keys])
        out["dims"][dim] = {
            "n": len(keys), "spearman": _clean(spearman(x, y)),
            "kendall_tau_b": _clean(kendall_tau_b(x, y)),
            "exact": _clean(float(np.mean(x == y)) if keys else math.nan),
            "within_one": _clean(float(np.mean(np.abs(x - y) <= 1)) if keys else math.nan),
            "mean_a": _clean(float(x.mean()) if keys else math.nan),
            "mean_b": _clean(float(y.mean()) if keys else math.nan)}
    return out


def _clean(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


# ------------------------------------------------------------------ LLMEval-1


def llmeval1_model_means(itemized_csv: str | Path) -> dict[str, dict[str, float]]:
    """Per model: the mean of every metric over all its rows, and `overall`.

    LLMEval-1's results_itemized_gpt4.csv is reproduced this way: each metric is the mean over
    the model's rows (some questions carry two ratings; both count), and `overall` is the mean
    of the five metric means rounded to 3 decimals (as published; the unrounded mean differs by
    0.001 for one model).
    """
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with open(itemized_csv, newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), 2):
            try:
                sums[row["llm_name"]][row["metric"]].append(float(row["score"]))
            except (KeyError, TypeError, ValueError):
                raise DataError(f"{itemized_csv}:{n}: expected llm_name, metric and a numeric "
                                "score") from None
    out = {}
    for model, metrics in sums.items():
        means = {m: sum(v) / len(v) for m, v in metrics.items()}
        means["overall"] = sum(round(v, 3) for v in means.values()) / len(means)
        out[model] = means
    return out
