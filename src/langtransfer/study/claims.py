"""Claim verdicts: the paper's checkable claims (claims.yaml) judged from a study's results.

    langtransfer study report runs/miniworld-zh      (the "Claims" section and terminal table)

Each claim names arms by attribute selectors over arms.csv, a metric of results.csv and a rule.
A rule turns the data into checks, each `holds`, `fails`, `unclear` (CIs overlap) or `missing`
(an arm or metric the rule needs is absent); a claim holds when every check holds, does not
hold when any check fails (the data contradict it), and is inconclusive otherwise — the reason
names the first undecided check. "Significantly" means non-overlapping 95% CIs throughout;
rules that combine several arms (spreads, differences of gains) propagate each arm's CI by a
normal approximation (se = CI width / 3.92) and a seeded parametric bootstrap. A bootstrap CI
of zero width (all n items scored alike, common in small evaluations) is widened by the rule of
three before any comparison, so a handful of identical answers never looks decisive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from langtransfer.errors import ConfigError
from langtransfer.study.claim_stats import (
    Check, Measure, by_interval, interval, significance, widen_degenerate,
)

if TYPE_CHECKING:
    from langtransfer.study.report import StudyData

CLAIMS_FILE = Path(__file__).with_name("claims.yaml")
ARM_KEYS = ("lang", "cpt_tokens", "replay", "vocab", "init", "sft_examples")
HOLDS, DOES_NOT_HOLD, INCONCLUSIVE = "holds", "does not hold", "inconclusive"
METRIC_LABELS = {"accuracy": "ACC", "fluency": "F", "informativeness": "INFO",
                 "logicality": "LC", "harmlessness": "H", "avg": "AVG", "avg_no_h": "AVG−H"}


@dataclass
class Verdict:
    """A claim judged on a study: the report's row."""

    id: str
    claim: str
    paper: str
    verdict: str
    reason: str
    numbers: list[str]
    checks: list[Check] = field(default_factory=list)


def load_claims(path: str | Path | None = None) -> list[dict]:
    """The claim specs (default: the package's claims.yaml), validated.

    Raises:
        ConfigError: a claim lacks a field its rule needs, names an unknown rule or an unknown
            arm attribute (the message names the file, the claim and the field).
    """
    from langtransfer.config import read_yaml

    path = Path(path or CLAIMS_FILE)
    specs = read_yaml(path).get("claims")
    if not isinstance(specs, list):
        raise ConfigError(f"{path}: expected `claims:` followed by a list of claims")
    for i, spec in enumerate(specs, 1):
        _validate(spec, f"{path}: claim {spec.get('id', i) if isinstance(spec, dict) else i}")
    return specs


def _validate(spec: Any, where: str) -> None:
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a mapping")
    for key in ("id", "claim", "paper", "rule"):
        if key not in spec:
            raise ConfigError(f"{where}: missing field '{key}'")
    if spec["rule"] not in RULES:
        raise ConfigError(f"{where}: unknown rule '{spec['rule']}' (known: {', '.join(RULES)})")
    for key in REQUIRED[spec["rule"]]:
        if key not in spec:
            raise ConfigError(f"{where}: rule '{spec['rule']}' needs field '{key}'")
    for key in ("where", "arms", "reference", "at", "small", "large", "forgetting", "base"):
        for attr in (spec.get(key) or {}):
            if attr not in ARM_KEYS:
                raise ConfigError(f"{where}: field '{key}.{attr}': not an arm attribute "
                                  f"({', '.join(ARM_KEYS)})")


def evaluate_claims(data: StudyData, specs: list[dict] | None = None) -> list[Verdict]:
    """Judge every claim on a study's results (claims.yaml unless `specs` is given)."""
    ctx = _Context(data)
    specs = specs if specs is not None else load_claims()
    if data.claims is not None:
        known = {spec["id"] for spec in specs}
        unknown = sorted(set(data.claims) - known)
        if unknown:
            raise ConfigError(f"claims: unknown claim id(s) {unknown} (known: {sorted(known)})")
        specs = [spec for spec in specs if spec["id"] in data.claims]
    return [_judge(spec, ctx) for spec in specs]


def judge_claim(spec: dict, data: StudyData) -> Verdict:
    """One claim's verdict (spec: one entry of claims.yaml) on a study's results."""
    _validate(spec, f"claim {spec.get('id', '?')}")
    return _judge(spec, _Context(data))


def _judge(spec: dict, ctx: _Context) -> Verdict:
    checks = RULES[spec["rule"]](spec, ctx)
    verdict, reason = _aggregate(checks)
    numbers = list(dict.fromkeys(m.text() for c in checks for m in c.measures))
    return Verdict(spec["id"], " ".join(str(spec["claim"]).split()),
                   " ".join(str(spec["paper"]).split()), verdict, reason, numbers, checks)


def _aggregate(checks: list[Check]) -> tuple[str, str]:
    if not checks:
        return INCONCLUSIVE, "no arm of this study fits the claim"
    by = {s: [c for c in checks if c.status == s] for s in ("holds", "fails", "unclear", "missing")}
    more = lambda group: f" (+{len(group) - 1} more)" if len(group) > 1 else ""  # noqa: E731
    if by["fails"]:
        return DOES_NOT_HOLD, by["fails"][0].detail + more(by["fails"])
    if len(by["holds"]) == len(checks):
        head = f"all {len(checks)} checks hold, e.g. " if len(checks) > 1 else ""
        return HOLDS, head + checks[0].detail
    undecided = by["missing"] + by["unclear"]
    return INCONCLUSIVE, undecided[0].detail + more(undecided)


# ---- arm selection and measurements -------------------------------------------------------

class _Context:
    """The study's arms and results as the rules see them."""

    def __init__(self, data: StudyData):
        self.data = data
        self.target = data.target

    def select(self, arms: list[dict], selector: dict | None) -> list[dict]:
        """Arms matching a selector: plain keys first, then max / min in the order given."""
        out = list(arms)
        extremes = []
        for key, want in (selector or {}).items():
            if want in ("max", "min"):
                extremes.append((key, want))
            else:
                out = [a for a in out if self._matches(a.get(key), want)]
        for key, want in extremes:
            if out:
                pick = (max if want == "max" else min)(a[key] for a in out)
                out = [a for a in out if a[key] == pick]
        return out

    def _matches(self, value: Any, want: Any) -> bool:
        if want == "target":
            return value == self.target
        if want == "positive":
            return isinstance(value, (int, float)) and value > 0
        if isinstance(want, list):
            return any(self._matches(value, w) for w in want)
        return value == want

    def pool(self, spec: dict) -> list[dict]:
        return self.select(self.data.arms, spec.get("where"))

    def lang(self, metric: dict, arm: dict | None = None) -> str:
        """The language a metric spec means for an arm ('arm' → the arm's, 'target' → the
        study's target)."""
        if metric["lang"] == "arm" and arm is not None:
            return arm["lang"]
        return self.target if metric["lang"] == "target" else metric["lang"]

    def name(self, metric: dict, arm: dict | None = None) -> str:
        """'zh quality.avg' (for messages)."""
        return f"{self.lang(metric, arm)} {metric['task']}.{metric['metric']}"

    def measure(self, arm: dict, metric: dict) -> Measure | None:
        """The arm's value of `metric` ({lang, task, metric}); None when not measured."""
        lang = self.lang(metric, arm)
        row = self.data.get(arm["arm"], lang, metric["task"], metric["metric"])
        if row is None:
            return None
        label = f"{lang} {METRIC_LABELS.get(metric['metric'], metric['metric'])}"
        m = Measure(arm["arm"], label, float(row["value"]), _float(row.get("ci_low")),
                    _float(row.get("ci_high")), _int(row.get("n")))
        return widen_degenerate(m, metric["metric"])


def _int(x: Any) -> int | None:
    return None if x in (None, "") else int(x)


def _float(x: Any) -> float | None:
    return None if x in (None, "") else float(x)


def _groups(arms: list[dict], keys: list[str]) -> list[list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for arm in arms:
        groups.setdefault(tuple(arm[k] for k in keys), []).append(arm)
    return list(groups.values())


def _describe(selector: dict | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (selector or {}).items()) or "any"


def _missing(what: str) -> Check:
    return Check("missing", what)


def _no_arm(spec: dict, key: str) -> Check:
    return _missing(f"no arm with {_describe({**spec.get('where', {}), **spec.get(key, {})})}")


# ---- rules ----------------------------------------------------------------------------------

def _rule_compare(spec: dict, ctx: _Context) -> list[Check]:
    """Each arm matching `arms` against its `reference` (equal on `match`), for each check:
    holds when the arm's CI lies wholly on the `expect`ed side of the reference's."""
    pool = ctx.pool(spec)
    subjects = ctx.select(pool, spec["arms"])
    if not subjects:
        return [_no_arm(spec, "arms")]
    checks: list[Check] = []
    for subject in subjects:
        peers = [a for a in pool if all(a[k] == subject[k] for k in spec["match"])]
        refs = [r for r in ctx.select(peers, spec["reference"]) if r["arm"] != subject["arm"]]
        if not refs:
            checks.append(_missing(f"{subject['arm']}: no reference arm with "
                                   f"{_describe(spec['reference'])} and the same "
                                   f"{', '.join(spec['match'])}"))
        for ref in refs:
            checks += [_compare_pair(subject, ref, c["metric"], c["expect"], ctx)
                       for c in spec["checks"]]
    return checks


def _compare_pair(subject: dict, ref: dict, metric: dict, expect: str, ctx: _Context) -> Check:
    x, y = ctx.measure(subject, metric), ctx.measure(ref, metric)
    if x is None or y is None:
        absent = subject["arm"] if x is None else ref["arm"]
        return _missing(f"{absent}: {ctx.name(metric, subject)} not measured")
    return _compare_measures(x, y, expect)


def _sequences(spec: dict, ctx: _Context) -> list[list[dict]]:
    """Arms of each `group_by` group at `at`, sorted along `along` (one arm per value)."""
    out = []
    for group in _groups(ctx.pool(spec), spec.get("group_by", [])):
        arms = sorted(ctx.select(group, spec.get("at")), key=lambda a: a[spec["along"]])
        out.append(list({a[spec["along"]]: a for a in arms}.values()))
    return out


def _measured_sequences(spec: dict, ctx: _Context, metric: dict) -> tuple[list, list[Check]]:
    """(sequences of Measures with ≥ 2 points, missing-checks for the rest)."""
    seqs, missing = [], []
    for arms in _sequences(spec, ctx):
        measures = [ctx.measure(a, metric) for a in arms]
        absent = [a["arm"] for a, m in zip(arms, measures) if m is None]
        if absent:
            missing.append(_missing(f"{', '.join(absent)}: {ctx.name(metric, arms[0])} "
                                    "not measured"))
        points = [m for m in measures if m is not None]
        if len(points) < 2:
            missing.append(_missing(f"needs ≥ 2 {spec['along']} values with "
                                    f"{ctx.name(metric, (arms or [None])[0])}; "
                                    f"found {len(points)}"))
        else:
            seqs.append(points)
    if not seqs and not missing:
        missing.append(_no_arm(spec, "at"))
    return seqs, missing


def _rule_rises(spec: dict, ctx: _Context) -> list[Check]:
    """The largest `along` arm significantly above the smallest, and no significant drop
    between neighbours."""
    seqs, checks = _measured_sequences(spec, ctx, spec["metric"])
    for seq in seqs:
        checks.append(_compare_measures(seq[-1], seq[0], "higher"))
        for before, after in zip(seq, seq[1:]):
            if significance(after, before) == -1:
                checks.append(Check("fails", f"significant drop {before.arm} {before.value:.3f}"
                                    f" → {after.arm} {after.value:.3f}", [before, after]))
    return checks


def _compare_measures(x: Measure, y: Measure, expect: str) -> Check:
    sign = significance(x, y)
    want = 1 if expect == "higher" else -1
    rel = f"{x.arm} {x.value:.3f} vs {y.arm} {y.value:.3f} ({x.label})"
    if sign is None:
        return Check("unclear", f"{rel}: no CI", [x, y])
    status = "holds" if sign == want else "fails" if sign == -want else "unclear"
    tail = {"holds": f"{expect}, CIs apart", "fails": f"the opposite of {expect}, CIs apart",
            "unclear": "CIs overlap"}[status]
    return Check(status, f"{rel}: {tail}", [x, y])


def _rule_does_not_rise(spec: dict, ctx: _Context) -> list[Check]:
    """Every later arm vs the first along the sequence: fails on a significant rise; holds when
    the largest rise the CIs allow (later high − first low) is within `margin`."""
    seqs, checks = _measured_sequences(spec, ctx, spec["metric"])
    margin = float(spec["margin"])
    for seq in seqs:
        first = seq[0]
        for later in seq[1:]:
            rel = f"{later.arm} {later.value:.3f} vs {first.arm} {first.value:.3f} ({later.label})"
            sign = significance(later, first)
            most = later.high - first.low if sign is not None else 0.0  # the largest rise
            if sign is None:
                status, text = "unclear", "no CI"
            elif sign == 1:
                status, text = "fails", "rose, CIs apart"
            elif most <= margin:
                status, text = "holds", f"no significant rise (at most {most:+.3f} ≤ {margin})"
            else:
                status, text = "unclear", (f"CIs too wide to exclude a rise of {margin} "
                                           f"(up to {most:+.3f})")
            checks.append(Check(status, f"{rel}: {text}", [first, later]))
    return checks


def _rule_smaller_spread(spec: dict, ctx: _Context) -> list[Check]:
    """spread = max − min of the metric across `across` values at `small` and at `large` (the
    budgets both have); holds when spread(large) − spread(small) > 0 with its whole interval."""
    pool = ctx.pool(spec)
    small, large = ctx.select(pool, spec["small"]), ctx.select(pool, spec["large"])
    if not small or not large or {a["arm"] for a in small} == {a["arm"] for a in large}:
        return [_missing(f"needs two different arm sets {_describe(spec['small'])} and "
                         f"{_describe(spec['large'])}")]
    key = spec["across"]
    sm = {a[key]: ctx.measure(a, spec["metric"]) for a in small}
    lg = {a[key]: ctx.measure(a, spec["metric"]) for a in large}
    shared = sorted(v for v in sm if v in lg and sm[v] is not None and lg[v] is not None)
    if len(shared) < 2:
        return [_missing(f"needs ≥ 2 {key} values with {ctx.name(spec['metric'])} at both "
                         f"{_describe(spec['small'])} and {_describe(spec['large'])}; "
                         f"found {len(shared)}")]
    measures = [sm[v] for v in shared] + [lg[v] for v in shared]
    k = len(shared)

    def gap(d: np.ndarray) -> np.ndarray:
        return (d[k:].max(0) - d[k:].min(0)) - (d[:k].max(0) - d[:k].min(0))

    point = gap(np.array([[m.value] for m in measures]))[0]
    spread_s = max(m.value for m in measures[:k]) - min(m.value for m in measures[:k])
    spread_l = point + spread_s
    what = (f"spread across {k} {key} values {spread_s:.3f} at {_describe(spec['small'])} vs "
            f"{spread_l:.3f} at {_describe(spec['large'])}: difference")
    return [by_interval(interval(gap, measures), what, point, measures)]


def _rule_retains(spec: dict, ctx: _Context) -> list[Check]:
    """Each mixed arm: its metric significantly below the target-only arm's at the same budget,
    and its rise over the base at most `tolerance` × the target-only arm's rise."""
    pool = ctx.pool(spec)
    mixed = ctx.select(pool, spec["arms"])
    if not mixed:
        return [_no_arm(spec, "arms")]
    checks: list[Check] = []
    tol = float(spec["tolerance"])
    for arm in mixed:
        same_lang = [a for a in pool if a["lang"] == arm["lang"]]
        alone = ctx.select([a for a in same_lang if a["cpt_tokens"] == arm["cpt_tokens"]],
                           spec["forgetting"])
        base = ctx.select(same_lang, spec["base"])
        if not alone or not base:
            need = spec["forgetting"] if not alone else spec["base"]
            checks.append(_missing(f"{arm['arm']}: no arm with {_describe(need)} to compare"))
            continue
        m, t, b = (ctx.measure(a, spec["metric"]) for a in (arm, alone[0], base[0]))
        if m is None or t is None or b is None:
            absent = [a["arm"] for a, x in zip((arm, alone[0], base[0]), (m, t, b)) if x is None]
            checks.append(_missing(f"{', '.join(absent)}: {ctx.name(spec['metric'], arm)} "
                                   "not measured"))
            continue
        checks.append(_compare_measures(m, t, "lower"))
        excess = lambda d: tol * (d[1] - d[2]) - (d[0] - d[2])  # noqa: E731  > 0: near enough
        point = float(excess(np.array([[m.value], [t.value], [b.value]]))[0])
        what = (f"{m.arm} rise over {b.arm} {m.value - b.value:+.3f} vs {tol} × "
                f"{t.arm}'s {t.value - b.value:+.3f}: margin")
        checks.append(by_interval(interval(excess, [m, t, b]), what, point, [m, t, b]))
    return checks


def _rule_present(spec: dict, ctx: _Context) -> list[Check]:
    """Each arm at `at`: holds when the rate's CI low is > 0; fails when its CI high (the rule
    of three, 3/n, when nothing was seen: widen_degenerate) is below `min_rate`."""
    arms = ctx.select(ctx.pool(spec), spec.get("at"))
    if not arms:
        return [_no_arm(spec, "at")]
    checks = []
    min_rate = float(spec["min_rate"])
    for arm in arms:
        m = ctx.measure(arm, spec["metric"])
        if m is None:
            checks.append(_missing(f"{arm['arm']}: {ctx.name(spec['metric'], arm)} not measured"))
        elif m.se is None:
            checks.append(Check("unclear", f"{m.text()}: no CI", [m]))
        elif m.low > 0:
            checks.append(Check("holds", f"{m.text()}: CI above 0", [m]))
        else:
            fails = m.high < min_rate
            checks.append(Check("fails" if fails else "unclear", f"{m.text()}: upper bound "
                                f"{m.high:.3f} {'<' if fails else '≥'} {min_rate}", [m]))
    return checks


def _rule_gain_gap(spec: dict, ctx: _Context) -> list[Check]:
    """Between the smallest and largest `along` arm: gain in `more` − gain in `less` > 0 with
    its whole interval."""
    checks: list[Check] = []
    for arms in _sequences(spec, ctx):
        if len(arms) < 2:
            checks.append(_missing(f"needs ≥ 2 {spec['along']} values; found {len(arms)}"))
            continue
        first, last = arms[0], arms[-1]
        ms = [ctx.measure(a, spec[k]) for k in ("more", "less") for a in (last, first)]
        if any(m is None for m in ms):
            checks.append(_missing(f"{first['arm']} / {last['arm']}: "
                                   f"{ctx.name(spec['more'], first)} or "
                                   f"{ctx.name(spec['less'], first)} not measured"))
            continue
        gap = lambda d: (d[0] - d[1]) - (d[2] - d[3])  # noqa: E731
        point = float(gap(np.array([[m.value] for m in ms]))[0])
        what = (f"{last['arm']} vs {first['arm']}: {ms[0].label} gain "
                f"{ms[0].value - ms[1].value:+.3f} − {ms[2].label} gain "
                f"{ms[2].value - ms[3].value:+.3f} =")
        checks.append(by_interval(interval(gap, ms), what, point, ms))
    if not checks:
        checks.append(_no_arm(spec, "at"))
    return checks


RULES: dict[str, Callable[[dict, _Context], list[Check]]] = {
    "compare": _rule_compare, "rises": _rule_rises, "does_not_rise": _rule_does_not_rise,
    "smaller_spread": _rule_smaller_spread, "retains": _rule_retains, "present": _rule_present,
    "gain_gap": _rule_gain_gap,
}
REQUIRED = {
    "compare": ("arms", "reference", "match", "checks"),
    "rises": ("along", "metric"),
    "does_not_rise": ("along", "metric", "margin"),
    "smaller_spread": ("small", "large", "across", "metric"),
    "retains": ("arms", "forgetting", "base", "metric", "tolerance"),
    "present": ("metric", "min_rate"),
    "gain_gap": ("along", "more", "less"),
}

__all__ = ["DOES_NOT_HOLD", "HOLDS", "INCONCLUSIVE", "Check", "Measure", "Verdict",
           "evaluate_claims", "interval", "judge_claim", "load_claims", "significance",
           "widen_degenerate"]
