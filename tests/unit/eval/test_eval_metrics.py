"""eval.metrics: deterministic bootstrap intervals, centred accuracy, record layout."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from langtransfer.eval.metrics import (
    accuracy_record, bootstrap_ci, bootstrap_ratio_ci, make_record, mean_record, subsets,
)

VALUES = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.5, 2.0, 3.0, 0.0, 1.0]


def test_bootstrap_is_deterministic_and_contains_the_mean():
    low, high = bootstrap_ci(VALUES, n_boot=500, seed=3)
    assert (low, high) == bootstrap_ci(VALUES, n_boot=500, seed=3)
    assert low < np.mean(VALUES) < high
    assert min(VALUES) <= low and high <= max(VALUES)
    assert bootstrap_ci(VALUES, n_boot=500, seed=4) != (low, high)


def test_bootstrap_narrows_with_more_data_and_widens_with_confidence():
    rng = np.random.default_rng(0)
    small, large = rng.random(20), rng.random(2000)
    width = lambda ci: ci[1] - ci[0]  # noqa: E731
    assert width(bootstrap_ci(large)) < width(bootstrap_ci(small))
    assert width(bootstrap_ci(small, alpha=0.01)) > width(bootstrap_ci(small, alpha=0.2))


def test_bootstrap_edge_cases():
    assert all(math.isnan(x) for x in bootstrap_ci([]))
    assert bootstrap_ci([0.7]) == (0.7, 0.7)
    assert bootstrap_ci([2.0] * 9) == (2.0, 2.0)


def test_blockwise_resampling_of_large_inputs_is_deterministic():
    values = np.random.default_rng(1).random(6000)  # 6000 x 1000 draws span two blocks
    ci = bootstrap_ci(values, n_boot=1000, seed=0)
    assert ci == bootstrap_ci(values, n_boot=1000, seed=0)
    assert ci[0] < values.mean() < ci[1] and ci[1] - ci[0] < 0.03


def test_ratio_interval_resamples_items():
    num, den = [10.0, 20.0, 30.0, 5.0], [1.0, 2.0, 3.0, 1.0]
    low, high = bootstrap_ratio_ci(num, den, n_boot=300)
    assert low <= sum(num) / sum(den) <= high and low >= 5.0 and high <= 10.0
    assert bootstrap_ratio_ci([3.0, 6.0], [1.0, 2.0]) == pytest.approx((3.0, 3.0))


def test_accuracy_record_has_centred_accuracy_and_chance():
    correct = [True] * 7 + [False] * 3
    acc, centred = accuracy_record(correct, 0.25, task="knowledge", lang="zh",
                                   subset="group=unseen")
    assert acc["metric"] == "acc" and acc["value"] == pytest.approx(0.7) and acc["n"] == 10
    assert centred["metric"] == "acc_centred" and centred["value"] == pytest.approx(0.6)
    assert centred["ci_low"] == pytest.approx((acc["ci_low"] - 0.25) / 0.75)
    assert acc["chance"] == centred["chance"] == 0.25
    assert acc["ci_low"] < 0.7 < acc["ci_high"]
    assert {k: acc[k] for k in ("task", "subset", "lang")} == {
        "task": "knowledge", "subset": "group=unseen", "lang": "zh"}
    at_chance = accuracy_record([True, False, False, False], 0.25, task="t", lang="en")[1]
    assert at_chance["value"] == pytest.approx(0.0)


def test_records_are_json_with_nan_as_null():
    record = mean_record([], task="quality", lang="en", metric="avg")
    assert record["value"] is None and record["ci_low"] is None and record["n"] == 0
    assert "chance" not in record
    json.dumps(record, allow_nan=False)
    assert make_record("ppl", "all", "en", "bpb", 1.5, (1.4, 1.6), 3)["ci_high"] == 1.6


def test_mean_record_value_and_interval():
    record = mean_record([1, 2, 3, 3], task="quality", lang="zh", metric="fluency",
                         subset="category=fact")
    assert record["value"] == 2.25 and record["ci_low"] <= 2.25 <= record["ci_high"]


def test_subsets_group_rows_by_label():
    rows = [{"attribute": "city", "group": "en_only"}, {"attribute": "year"},
            {"attribute": "city", "group": None}]
    assert subsets(rows, ["attribute", "group"]) == [
        ("all", [0, 1, 2]), ("attribute=city", [0, 2]), ("attribute=year", [1]),
        ("group=en_only", [0]),
    ]
