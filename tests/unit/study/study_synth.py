"""Synthetic study results for the report, plot, claim and browser tests (no training).

`grid_study()` gives the arms of studies/miniworld-zh.yaml with numbers shaped like the paper's
findings (every claim holds); `arm()` / `rec()` / `study()` build small hand-made cases.
"""

from __future__ import annotations

import math
from pathlib import Path

from langtransfer.study.config import StudyConfig
from langtransfer.study.grid import arm_table
from langtransfer.study.report import StudyData

REPO = Path(__file__).resolve().parents[3]
DIMS = ("accuracy", "fluency", "informativeness", "logicality", "harmlessness")


def arm(name: str, cpt: int = 0, sft: int = 0, vocab: str = "original", init: str = "",
        replay: float = 0.0, lang: str = "zh") -> dict:
    """One arms.csv row."""
    return {"arm": name, "lang": lang, "cpt_tokens": cpt, "replay": replay, "vocab": vocab,
            "init": init, "sft_examples": sft}


def rec(arm_name: str, lang: str, task: str, metric: str, value: float, half: float = 0.05,
        n: int = 200) -> dict:
    """One results.csv row with a symmetric CI of half-width `half`."""
    return {"arm": arm_name, "lang": lang, "task": task, "metric": metric, "value": value,
            "ci_low": value - half, "ci_high": value + half, "n": n}


def study(arms: list[dict], rows: list[dict], **kw) -> StudyData:
    """A StudyData (target zh) whose finished arms are those with rows."""
    done = [a["arm"] for a in arms if any(r["arm"] == a["arm"] for r in rows)]
    return StudyData("synthetic", "zh", ["en", "zh"], arms, rows, done, **kw)


def _scale(meta: dict) -> float:
    """0 (no CPT) .. 1 (the largest budget, 2M tokens), log-spaced like the paper's steps."""
    return math.log10(1 + meta["cpt_tokens"] / 2e4) / math.log10(101)


def _quality(meta: dict) -> dict[str, float]:
    r = _scale(meta)
    f = {100: 0.0, 500: 0.5, 2000: 1.0}[meta["sft_examples"]]
    cpt_effect = r * (1 - 0.85 * f)  # CPT matters at small SFT, little at large (C4, C5)
    penalty = 0.25 if meta["vocab"] == "extended" else 0.05 * (meta["replay"] > 0)  # C1
    q = {"accuracy": 0.4 + 0.25 * cpt_effect + 1.0 * f,  # gains in fluency > accuracy (C14)
         "fluency": 1.1 + 1.0 * cpt_effect + 1.0 * f,
         "informativeness": 0.8 + 0.3 * cpt_effect + 0.9 * f,
         "logicality": 0.6 + 0.5 * cpt_effect + 1.0 * f, "harmlessness": 2.97}
    q = {k: v - (penalty if k != "harmlessness" else 0) for k, v in q.items()}
    q["avg"] = sum(q.values()) / 5
    q["avg_no_h"] = (q["avg"] * 5 - q["harmlessness"]) / 4
    return q


def grid_rows(meta: dict) -> list[dict]:
    """Plausible results rows of one arm of the MiniWorld grid."""
    a, r = meta["arm"], _scale(meta)
    rows = [rec(a, "en", "knowledge", "acc", 0.9 - 0.15 * r, 0.04, 300),
            rec(a, "zh", "knowledge", "acc", 0.3, 0.05, 300),  # flat (C6)
            rec(a, "en", "knowledge_control[group=unseen]", "acc", 0.25, 0.05, 100),
            rec(a, "zh", "knowledge_control[group=unseen]", "acc", 0.26, 0.05, 100),
            rec(a, "zh", "knowledge_control[group=target_only]", "acc", 0.3 + 0.5 * r, 0.05),
            rec(a, "zh", "knowledge[attribute=birth_year]", "acc", 0.8, 0.06, 60),
            rec(a, "zh", "knowledge[name_form=latin]", "acc", 0.4, 0.06, 150)]
    en_rise = 0.1 if meta["replay"] else 1.2  # mixed CPT keeps English (C9)
    sft_shift = 0.3 * (meta["sft_examples"] > 0)
    for lang, bpb in (("zh", 2.0 - 1.1 * r + sft_shift), ("en", 0.5 + en_rise * r + sft_shift)):
        rows += [rec(a, lang, "ppl", "bpb", bpb, 0.04, 50),
                 rec(a, lang, "ppl", "ppl", 2 ** (bpb * 3), 0.3, 50)]
    if meta["sft_examples"]:
        for lang, shift in (("zh", 0.0), ("en", 0.4)):
            rows += [rec(a, lang, "quality", dim, v + shift * (dim != "harmlessness"), 0.06, 60)
                     for dim, v in _quality(meta).items()]
        rows.append(rec(a, "zh", "codeswitch", "rate", 0.04, 0.025, 60))  # present (C13)
    return rows


def retention_records(arms: list[dict], steps: int = 5) -> list[dict]:
    """Retention curves of each CPT model (target bpb falls, English bpb rises)."""
    out = []
    for meta in arms:
        if meta["sft_examples"] or not meta["cpt_tokens"]:
            continue
        for step in range(steps + 1):
            frac = step / steps
            done = {**meta, "cpt_tokens": int(meta["cpt_tokens"] * frac)}
            rise = 0.1 if meta["replay"] else 1.2
            out += [{"cpt": meta["arm"], "lang": "zh", "step": step * 10,
                     "tokens": done["cpt_tokens"], "ppl": 5.0, "bpb": 2.0 - 1.1 * _scale(done)},
                    {"cpt": meta["arm"], "lang": "en", "step": step * 10,
                     "tokens": done["cpt_tokens"], "ppl": 3.0, "bpb": 0.5 + rise * _scale(done)}]
    return out


def grid_study(codeswitch: bool = True) -> StudyData:
    """The MiniWorld grid's arms with numbers that make every claim hold."""
    cfg = StudyConfig.load(REPO / "studies" / "miniworld-zh.yaml")
    arms = arm_table(cfg, Path("/nonexistent"))
    rows = [r for meta in arms for r in grid_rows(meta)
            if codeswitch or r["task"] != "codeswitch"]
    stages = [{"id": "world/world-0", "wall_seconds": 1.5}, {"id": "base/base-0",
                                                             "wall_seconds": 150.0}]
    return study(arms, rows, retention=retention_records(arms), stages=stages)
