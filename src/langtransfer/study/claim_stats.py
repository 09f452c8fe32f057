"""The statistics behind claim verdicts (study/claims.py): a measured number with its 95% CI,
one rule's check, CI overlap, parametric-bootstrap intervals of derived quantities, and the
rule-of-three widening of degenerate CIs. Split out of claims.py; the rationale is in its
docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

Z95 = 1.959964  # a 95% interval spans ±1.96 standard errors under the normal approximation
DRAWS = 4000  # parametric-bootstrap draws: the 2.5% / 97.5% percentiles move < 0.01 se
# Ranges of bounded per-item metrics: a bootstrap CI collapses to a point when all n items
# score the same; such a CI is widened by the rule of three (3/n of the range; 95%).
METRIC_RANGES = {"acc": (0.0, 1.0), "rate": (0.0, 1.0), **{
    m: (0.0, 3.0) for m in ("accuracy", "fluency", "informativeness", "logicality",
                            "harmlessness", "avg", "avg_no_h")}}


@dataclass(frozen=True)
class Measure:
    """One number of results.csv with its 95% CI."""

    arm: str
    label: str
    value: float
    low: float | None
    high: float | None
    n: int | None = None
    note: str = ""

    @property
    def se(self) -> float | None:
        """Standard error implied by the CI (normal approximation); None without a CI."""
        if self.low is None or self.high is None:
            return None
        return max(self.high - self.low, 0.0) / (2 * Z95)

    def text(self) -> str:
        ci = f" [{self.low:.3f}, {self.high:.3f}]" if self.se is not None else " (no CI)"
        return f"{self.arm} {self.label} {self.value:.3f}{ci}{self.note}"


@dataclass
class Check:
    """One comparison a rule made: status `holds` | `fails` | `unclear` | `missing`."""

    status: str
    detail: str
    measures: list[Measure] = field(default_factory=list)


def widen_degenerate(m: Measure, metric: str) -> Measure:
    """A point CI (every item scored the same) of a bounded metric, widened by the rule of
    three: ±3/n of the metric's range, clipped to it (0 of 100 code-switched → [0, 0.03])."""
    if m.se is None or m.low != m.high or not m.n or metric not in METRIC_RANGES:
        return m
    lo, hi = METRIC_RANGES[metric]
    half = 3 / m.n * (hi - lo)
    return Measure(m.arm, m.label, m.value, max(lo, m.value - half), min(hi, m.value + half),
                   m.n, f" (all {m.n} items equal: CI by the rule of three)")


def significance(x: Measure, y: Measure) -> int | None:
    """+1 when x's CI lies wholly above y's, -1 wholly below, 0 when they overlap; None when
    either has no CI."""
    if x.se is None or y.se is None:
        return None
    if x.low > y.high:
        return 1
    if x.high < y.low:
        return -1
    return 0


def interval(fn: Callable[[np.ndarray], np.ndarray], measures: list[Measure],
             seed: int = 0) -> tuple[float, float] | None:
    """95% interval of fn(values) by a parametric bootstrap: each measure drawn from
    N(value, se) independently (conservative for positively correlated measures, e.g. two
    judge dimensions scored on the same answers). None when a measure has no CI."""
    if any(m.se is None for m in measures):
        return None
    rng = np.random.default_rng(seed)
    draws = np.stack([rng.normal(m.value, m.se, DRAWS) if m.se > 0 else np.full(DRAWS, m.value)
                      for m in measures])
    values = fn(draws)
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def by_interval(bounds: tuple[float, float] | None, what: str, point: float,
                 measures: list[Measure]) -> Check:
    """holds when the whole interval is > 0, fails when < 0, unclear otherwise."""
    if bounds is None:
        return Check("unclear", f"{what}: no CI to judge it", measures)
    low, high = bounds
    text = f"{what} {point:+.3f} (95% interval [{low:+.3f}, {high:+.3f}])"
    status = "holds" if low > 0 else "fails" if high < 0 else "unclear"
    return Check(status, text + {"unclear": ": interval spans 0"}.get(status, ""), measures)
