"""Claim verdicts: every rule of claims.yaml on synthetic results whose answer is known —
holds, does not hold, inconclusive (CIs overlap or an arm / metric missing)."""

from __future__ import annotations

import csv
import math

import pytest
from study_synth import arm, grid_study, rec, study

from langtransfer.errors import ConfigError
from langtransfer.study.claims import (DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Measure,
                                       evaluate_claims, interval, judge_claim, load_claims,
                                       significance)
from langtransfer.study.tables import PAPER_DIR

SPECS = {spec["id"]: spec for spec in load_claims()}


def verdict(claim_id: str, arms: list[dict], rows: list[dict]):
    return judge_claim(SPECS[claim_id], study(arms, rows))


def q(name: str, value: float, half: float = 0.05, metric: str = "avg", lang: str = "zh"):
    return rec(name, lang, "quality", metric, value, half)


# ---- the claims file -----------------------------------------------------------------------------

def test_claims_file_has_the_required_claims_and_valid_rules():
    assert {"C1", "C4", "C5", "C6", "C8", "C9", "C11", "C13", "C14"} <= set(SPECS)


def test_paper_numbers_are_the_published_ones():
    published = set()
    for path in PAPER_DIR.glob("*.csv"):
        with open(path, encoding="utf-8") as fh:
            for row in csv.reader(fh):
                published |= {round(float(c), 3) for c in row if _is_number(c)}
    for spec in SPECS.values():
        for n in spec.get("paper_numbers", []):
            assert round(n, 3) in published, f"{spec['id']}: {n} not in the paper's tables"
            assert f"{n:.3f}".rstrip("0").rstrip(".") in spec["paper"].replace("198.840", "198.84")


def test_paper_spreads_and_gains_quoted_in_c5_and_c14_follow_from_table1():
    rows = list(csv.DictReader(open(PAPER_DIR / "table1_quality_zh.csv", encoding="utf-8")))
    # the paper's spread: the LLaMA-7B family (LLaMA-EXT and the LLaMA2 rows left out)
    avg = lambda n: [float(r["AVG"]) for r in rows if r["sft_examples"] == n  # noqa: E731
                     and "EXT" not in r["model"] and "LLaMA2" not in r["model"]]
    assert round(max(avg("950000")) - min(avg("950000")), 3) == 0.085
    assert round(max(avg("1000")) - min(avg("1000")), 3) == 0.884
    base, top = rows[0], rows[3]
    gains = {d: round(float(top[d]) - float(base[d]), 3) for d in ("F", "LC", "ACC")}
    assert gains == {"F": 0.877, "LC": 0.432, "ACC": 0.253}


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


@pytest.mark.parametrize("bad, message", [
    ("claims: [{id: X, claim: c, paper: p, rule: nope}]", "claim X: unknown rule 'nope'"),
    ("claims: [{id: X, claim: c, paper: p, rule: rises, along: cpt_tokens}]",
     "claim X: rule 'rises' needs field 'metric'"),
    ("claims: [{id: X, claim: c, paper: p, rule: present, metric: {}, min_rate: 0.1, "
     "where: {budget: 3}}]", "claim X: field 'where.budget': not an arm attribute"),
    ("claims: [{claim: c}]", "claim 1: missing field 'id'"),
    ("claims: {C1: 2}", "expected `claims:` followed by a list"),
])
def test_bad_claims_file_is_a_one_line_error(tmp_path, bad, message):
    path = tmp_path / "claims.yaml"
    path.write_text(bad)
    with pytest.raises(ConfigError, match=message) as err:
        load_claims(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


# ---- statistics ----------------------------------------------------------------------------------

def test_significance_needs_cis_apart():
    a, b = Measure("a", "x", 1.0, 0.9, 1.1), Measure("b", "x", 0.5, 0.4, 0.6)
    assert significance(a, b) == 1 and significance(b, a) == -1
    assert significance(a, Measure("c", "x", 0.95, 0.85, 1.05)) == 0
    assert significance(a, Measure("d", "x", 0.5, None, None)) is None


def test_parametric_interval_of_a_difference_matches_the_normal_formula():
    a, b = Measure("a", "x", 1.0, 0.804, 1.196), Measure("b", "x", 0.5, 0.402, 0.598)  # se .1, .05
    low, high = interval(lambda d: d[0] - d[1], [a, b])
    half = 1.96 * math.hypot(0.1, 0.05)
    assert low == pytest.approx(0.5 - half, abs=0.01)
    assert high == pytest.approx(0.5 + half, abs=0.01)
    assert interval(lambda d: d[0] - d[1], [a, b]) == (low, high)  # seeded: reproducible


def test_a_point_ci_of_identical_items_is_widened_by_the_rule_of_three():
    from langtransfer.study.claims import widen_degenerate

    m = widen_degenerate(Measure("a", "zh AVG", 1.4, 1.4, 1.4, n=8), "avg")
    assert (m.low, m.high) == pytest.approx((1.4 - 1.125, 1.4 + 1.125))
    assert "rule of three" in m.text()
    m = widen_degenerate(Measure("a", "zh acc", 1.0, 1.0, 1.0, n=300), "acc")
    assert (m.low, m.high) == pytest.approx((0.99, 1.0))
    kept = Measure("a", "zh bpb", 2.0, 2.0, 2.0, n=8)  # unbounded metric: no range to scale
    assert widen_degenerate(kept, "bpb") is kept
    # 8 identical answers per arm: the 0.2 gap is not decisive
    rows = [q("o", 1.2, 0.0), q("e-mean", 1.4, 0.0), q("o2", 1.2, 0.0), q("e-mean2", 1.4, 0.0)]
    for row in rows:
        row["n"] = 8
    assert verdict("C1", C1_ARMS, rows).verdict == INCONCLUSIVE
    for row in rows:
        row["n"] = 1000
    assert verdict("C1", C1_ARMS, rows).verdict == DOES_NOT_HOLD


# ---- C1: original vs extended at equal data ------------------------------------------------------

C1_ARMS = [arm("o", 2000, 100), arm("e-mean", 2000, 100, "extended", "mean"),
           arm("o2", 2000, 500), arm("e-mean2", 2000, 500, "extended", "mean")]


@pytest.mark.parametrize("ext, expected", [(1.0, HOLDS), (1.6, DOES_NOT_HOLD),
                                           (1.25, INCONCLUSIVE)])
def test_c1(ext, expected):
    rows = [q("o", 1.3), q("e-mean", ext), q("o2", 1.5), q("e-mean2", 1.2)]
    v = verdict("C1", C1_ARMS, rows)
    assert v.verdict == expected, v.reason
    assert any("e-mean zh AVG" in n for n in v.numbers)


def test_c1_without_extended_arm_or_metric_is_inconclusive_and_says_which():
    v = verdict("C1", C1_ARMS[:1], [q("o", 1.3)])
    assert v.verdict == INCONCLUSIVE and "no arm with lang=target" in v.reason
    v = verdict("C1", C1_ARMS, [q("o", 1.3), q("o2", 1.5), q("e-mean2", 1.2)])
    assert v.verdict == INCONCLUSIVE and "e-mean: zh quality.avg not measured" in v.reason


# ---- C4: quality rises with CPT at the smallest SFT ----------------------------------------------

C4_ARMS = [arm(f"c{c}", c, 100) for c in (0, 10, 100, 1000)] + [arm("big-sft", 0, 900)]


@pytest.mark.parametrize("values, expected, why", [
    ((1.0, 1.1, 1.3, 1.6), HOLDS, "higher, CIs apart"),
    ((1.0, 1.5, 1.2, 1.6), DOES_NOT_HOLD, "significant drop c10"),  # rises overall, dips
    ((1.0, 1.1, 1.0, 1.05), INCONCLUSIVE, "CIs overlap"),
    ((1.6, 1.4, 1.2, 1.0), DOES_NOT_HOLD, "the opposite of higher"),
])
def test_c4(values, expected, why):
    rows = [q(f"c{c}", v) for c, v in zip((0, 10, 100, 1000), values)] + [q("big-sft", 0.1)]
    v = verdict("C4", C4_ARMS, rows)
    assert v.verdict == expected and why in v.reason


def test_c4_needs_two_budgets():
    v = verdict("C4", C4_ARMS[:1], [q("c0", 1.0)])
    assert v.verdict == INCONCLUSIVE and "needs ≥ 2 cpt_tokens values" in v.reason


# ---- C5: CPT matters less at the largest SFT -----------------------------------------------------

C5_ARMS = [arm(f"c{c}-s{s}", c, s) for c in (0, 100, 1000) for s in (10, 1000)]


def _c5_rows(small_sft: list[float], large_sft: list[float], half: float = 0.03) -> list[dict]:
    return ([q(f"c{c}-s10", v, half) for c, v in zip((0, 100, 1000), small_sft)]
            + [q(f"c{c}-s1000", v, half) for c, v in zip((0, 100, 1000), large_sft)])


@pytest.mark.parametrize("small, large, half, expected", [
    ([1.0, 1.4, 1.8], [2.3, 2.35, 2.4], 0.03, HOLDS),        # spread 0.8 vs 0.1
    ([1.0, 1.05, 1.1], [1.5, 2.0, 2.6], 0.03, DOES_NOT_HOLD),  # spread 0.1 vs 1.1
    ([1.0, 1.2, 1.3], [2.0, 2.1, 2.15], 0.4, INCONCLUSIVE),   # wide CIs
])
def test_c5(small, large, half, expected):
    v = verdict("C5", C5_ARMS, _c5_rows(small, large, half))
    assert v.verdict == expected, v.reason
    assert "95% interval" in v.reason


def test_c5_needs_two_sft_sizes():
    arms = [a for a in C5_ARMS if a["sft_examples"] == 10]
    v = verdict("C5", arms, _c5_rows([1.0, 1.4, 1.8], [0, 0, 0])[:3])
    assert v.verdict == INCONCLUSIVE and "two different arm sets" in v.reason


# ---- C6: knowledge does not rise with CPT --------------------------------------------------------

C6_ARMS = [arm(f"c{c}", c, 0) for c in (0, 100, 1000)]


@pytest.mark.parametrize("values, half, expected, why", [
    ((0.30, 0.32, 0.29), 0.04, HOLDS, "no significant rise"),
    ((0.30, 0.32, 0.60), 0.04, DOES_NOT_HOLD, "rose, CIs apart"),
    ((0.30, 0.35, 0.33), 0.15, INCONCLUSIVE, "CIs too wide"),
    ((0.60, 0.40, 0.30), 0.04, HOLDS, "no significant rise"),  # a drop is not a rise
])
def test_c6(values, half, expected, why):
    rows = [rec(f"c{c}", "zh", "knowledge", "acc", v, half) for c, v in zip((0, 100, 1000), values)]
    v = verdict("C6", C6_ARMS, rows)
    assert v.verdict == expected and why in v.reason


# ---- C8 / C9: perplexity after target-only and mixed CPT -----------------------------------------

PPL_ARMS = [arm("base", 0, 0), arm("cpt", 1000, 0), arm("mix", 1000, 0, replay=0.2)]


def ppl(name: str, zh: float, en: float, half: float = 0.03) -> list[dict]:
    return [rec(name, "zh", "ppl", "bpb", zh, half), rec(name, "en", "ppl", "bpb", en, half)]


@pytest.mark.parametrize("cpt, expected", [((1.0, 1.5), HOLDS), ((1.0, 0.3), DOES_NOT_HOLD),
                                           ((1.98, 1.5), INCONCLUSIVE)])
def test_c8(cpt, expected):
    v = verdict("C8", PPL_ARMS[:2], ppl("base", 2.0, 0.5) + ppl("cpt", *cpt))
    assert v.verdict == expected, v.reason


def test_c8_without_the_pre_sft_base_is_inconclusive():
    v = verdict("C8", PPL_ARMS[1:2], ppl("cpt", 1.0, 1.5))
    assert v.verdict == INCONCLUSIVE and "cpt: no reference arm with cpt_tokens=0" in v.reason


@pytest.mark.parametrize("mix_en, expected, why", [
    (0.55, HOLDS, "all 2 checks hold"),
    (1.45, DOES_NOT_HOLD, "rise over base +0.950 vs 0.25 × cpt's +1.000"),  # barely better
    (0.75, INCONCLUSIVE, "interval spans 0"),  # rise 0.25 of target-only's: on the line
])
def test_c9(mix_en, expected, why):
    rows = ppl("base", 2.0, 0.5) + ppl("cpt", 1.0, 1.5) + ppl("mix", 1.1, mix_en)
    v = verdict("C9", PPL_ARMS, rows)
    assert v.verdict == expected and why in v.reason, v.reason


def test_c9_without_a_mixed_arm_is_inconclusive():
    v = verdict("C9", PPL_ARMS[:2], ppl("base", 2.0, 0.5) + ppl("cpt", 1.0, 1.5))
    assert v.verdict == INCONCLUSIVE and "replay=positive" in v.reason


# ---- C11: full SFT beats small SFT in every language ---------------------------------------------

C11_ARMS = [arm(f"{l}-s{s}", 0, s, lang=l) for l in ("zh", "sw") for s in (100, 2000)]


@pytest.mark.parametrize("sw_full, expected", [(1.9, HOLDS), (0.5, DOES_NOT_HOLD),
                                               (1.05, INCONCLUSIVE)])
def test_c11_every_language(sw_full, expected):
    rows = [q("zh-s100", 1.0), q("zh-s2000", 2.0), q("sw-s100", 1.0, lang="sw"),
            q("sw-s2000", sw_full, lang="sw")]
    v = verdict("C11", C11_ARMS, rows)
    assert v.verdict == expected, v.reason
    assert any(n.startswith("sw-s2000 sw AVG") for n in v.numbers)


def test_c11_with_one_sft_size_is_inconclusive():
    v = verdict("C11", C11_ARMS[:1], [q("zh-s100", 1.0)])
    assert v.verdict == INCONCLUSIVE and "no reference arm" in v.reason


# ---- C13: code-switching after small SFT ---------------------------------------------------------

C13_ARMS = [arm("s100", 0, 100), arm("s2k", 0, 2000)]


@pytest.mark.parametrize("row, expected, why", [
    (rec("s100", "zh", "codeswitch", "rate", 0.04, 0.02, 100), HOLDS, "CI above 0"),
    ({**rec("s100", "zh", "codeswitch", "rate", 0.0, 0.0, 500)}, DOES_NOT_HOLD, "0.006 < 0.02"),
    ({**rec("s100", "zh", "codeswitch", "rate", 0.0, 0.0, 50)}, INCONCLUSIVE, "0.060 ≥ 0.02"),
    (rec("s100", "zh", "codeswitch", "rate", 0.02, 0.02, 100), INCONCLUSIVE, "0.040 ≥ 0.02"),
])
def test_c13(row, expected, why):
    # the 2k arm switching a lot must not matter: the claim is about the smallest SFT
    other = rec("s2k", "zh", "codeswitch", "rate", 0.3, 0.02, 100)
    v = verdict("C13", C13_ARMS, [row, other])
    assert v.verdict == expected and why in v.reason, v.reason


def test_c13_not_measured_says_so():
    v = verdict("C13", C13_ARMS, [q("s100", 1.0)])
    assert v.verdict == INCONCLUSIVE and "s100: zh codeswitch.rate not measured" in v.reason


# ---- C14: gains in fluency more than accuracy ----------------------------------------------------

C14_ARMS = [arm("c0", 0, 100), arm("c1", 1000, 100)]


@pytest.mark.parametrize("f, acc, half, expected", [
    ((1.2, 2.1), (0.5, 0.7), 0.05, HOLDS),
    ((1.2, 1.3), (0.5, 1.2), 0.05, DOES_NOT_HOLD),
    ((1.2, 1.5), (0.5, 0.7), 0.3, INCONCLUSIVE),
])
def test_c14(f, acc, half, expected):
    rows = [q("c0", f[0], half, "fluency"), q("c1", f[1], half, "fluency"),
            q("c0", acc[0], half, "accuracy"), q("c1", acc[1], half, "accuracy")]
    v = verdict("C14", C14_ARMS, rows)
    assert v.verdict == expected, v.reason


# ---- all claims at once --------------------------------------------------------------------------

def test_paper_shaped_grid_makes_every_claim_hold():
    verdicts = evaluate_claims(grid_study())
    assert [v.id for v in verdicts] == list(SPECS)
    assert {v.id: v.verdict for v in verdicts} == {cid: HOLDS for cid in SPECS}


def test_empty_study_is_inconclusive_everywhere():
    verdicts = evaluate_claims(study([], []))
    assert all(v.verdict == INCONCLUSIVE and v.reason for v in verdicts)
