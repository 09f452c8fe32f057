"""Report tables: a study's numbers in the paper's table shapes, as data for markdown and HTML.

    langtransfer study report runs/miniworld-zh       (report.md and report.html)

A `Section` holds a title, a note and a `Table` of strings and/or a plot name; report.md
(`to_markdown`) and report.html (study.html) render the same sections, so both say the same
thing. The paper's published numbers (study/paper/*.csv) get their own reference tables with
the citation, never a column among ours: the paper measures LLaMA-7B with a GPT-4 judge, a
MiniWorld study a tiny model with a deterministic judge.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from langtransfer.study.grid import short_count

if TYPE_CHECKING:
    from langtransfer.study.claims import Verdict
    from langtransfer.study.report import StudyData

PAPER_DIR = Path(__file__).with_name("paper")
CITATION = ("Zhao et al. 2024, *LLaMA Beyond English: An Empirical Study on Language Capability "
            "Transfer*, arXiv:2401.01055")
QUALITY_DIMS = (
    ("accuracy", "ACC"), ("fluency", "F"), ("informativeness", "INFO"), ("logicality", "LC"),
    ("harmlessness", "H"), ("avg", "AVG"), ("avg_no_h", "AVG−H"),
)


@dataclass
class Table:
    """Column headers and rows of cell strings (the first column names the row)."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Section:
    """One part of the report: a heading, a note, then a table and/or a plot."""

    title: str
    note: str = ""
    table: Table | None = None
    plot: str | None = None
    """Name of a plot (study.plots); rendered only when the plot was made."""
    level: int = 2
    keep: bool = False
    """Show the section even without a table or plot (its note says what is missing)."""


def fmt(x: float | str | None, digits: int = 3) -> str:
    """A number with `digits` decimals; '' for None / ''."""
    if x is None or x == "":
        return ""
    return f"{float(x):.{digits}f}"


def cell(data: StudyData, arm: str, lang: str, task: str, metric: str, ci: bool = True) -> str:
    """'value [low, high]' of one result; '–' when not measured."""
    r = data.get(arm, lang, task, metric)
    if r is None:
        return "–"
    text = fmt(r["value"])
    if ci and r.get("ci_low") not in (None, ""):
        text += f" [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"
    return text


def variant(meta: dict) -> str:
    """How an arm's CPT differs from the plain one: 'original', 'extended (mean)', '+20% en'."""
    text = "original" if meta["vocab"] == "original" else f"extended ({meta['init']})"
    if meta.get("replay"):
        text += f" +{round(meta['replay'] * 100)}% en"
    return text


def arm_order(meta: dict) -> tuple:
    """Paper order: plain CPT by budget, then extended vocabularies, then replay mixes."""
    return (meta["vocab"] != "original", meta["replay"], meta["init"], meta["cpt_tokens"])


def arms_table(data: StudyData, columns: list[tuple[str, tuple]],
               arms: list[str] | None = None) -> Table | None:
    """Arms as rows, one column per (label, (lang, task, metric)); None when nothing is there."""
    arms = data.done if arms is None else arms
    present = [a for a in arms if any(data.get(a, *key) for _, key in columns)]
    if not present:
        return None
    return Table(["arm"] + [label for label, _ in columns],
                 [[a] + [cell(data, a, *key) for _, key in columns] for a in present])


# ---- the paper's shapes -----------------------------------------------------------------------

def quality_table(data: StudyData, lang: str) -> Table | None:
    """Table 1's shape: quality dimensions by SFT size (blocks) × CPT arm, in `lang`."""
    metas = [m for m in data.arms if m["sft_examples"] > 0 and m["arm"] in data.done
             and data.get(m["arm"], lang, "quality", "avg")]
    if not metas:
        return None
    metas.sort(key=lambda m: (m["sft_examples"], m["lang"], *arm_order(m)))
    rows = [[m["arm"], short_count(m["sft_examples"]), short_count(m["cpt_tokens"]), variant(m)]
            + [cell(data, m["arm"], lang, "quality", dim) for dim, _ in QUALITY_DIMS]
            for m in metas]
    return Table(["arm", "SFT", "CPT tokens", "CPT"] + [label for _, label in QUALITY_DIMS], rows)


def perplexity_table(data: StudyData) -> Table | None:
    """Table 2's shape: test set (target, English) × CPT model before SFT, ppl and bpb."""
    metas = sorted((m for m in data.arms if m["sft_examples"] == 0 and m["arm"] in data.done),
                   key=lambda m: (m["lang"], *arm_order(m)))
    langs = list(dict.fromkeys([m["lang"] for m in metas] + ["en"]))
    rows = [[f"{lang} {metric}"] + [cell(data, m["arm"], lang, "ppl", metric) for m in metas]
            for metric in ("ppl", "bpb") for lang in langs]
    rows = [r for r in rows if any(c != "–" for c in r[1:])]
    if not rows:
        return None
    return Table(["test set"] + [m["arm"] for m in metas], rows)


def language_table(data: StudyData) -> Table | None:
    """Table 3's shape: per target language and SFT size (no CPT, original vocabulary), the
    five quality dimensions and AVG in that language, then the mean over languages."""
    metas = [m for m in data.arms if m["cpt_tokens"] == 0 and m["sft_examples"] > 0
             and m["vocab"] == "original" and m["arm"] in data.done
             and data.get(m["arm"], m["lang"], "quality", "avg")]
    langs = sorted({m["lang"] for m in metas})
    if len(langs) < 2:
        return None
    dims = [d for d in QUALITY_DIMS if d[0] != "avg_no_h"]
    metas.sort(key=lambda m: (m["lang"], m["sft_examples"]))
    rows = [[m["lang"], short_count(m["sft_examples"])]
            + [cell(data, m["arm"], m["lang"], "quality", dim) for dim, _ in dims]
            for m in metas]
    for n in sorted({m["sft_examples"] for m in metas}):
        at = [m for m in metas if m["sft_examples"] == n]
        means = []
        for dim, _ in dims:
            values = [data.get(m["arm"], m["lang"], "quality", dim) for m in at]
            values = [float(v["value"]) for v in values if v and v.get("value") not in (None, "")]
            means.append(fmt(sum(values) / len(values)) if values else "–")
        rows.append([f"mean of {len(at)}", short_count(n), *means])
    return Table(["language", "SFT"] + [label for _, label in dims], rows)


def same_text_table(data: StudyData) -> tuple[Table | None, int]:
    """C1 / C9: at the largest CPT budget, the same text through each vocabulary and mix."""
    metas = [m for m in data.arms if m["lang"] == data.target and m["cpt_tokens"]]
    if not metas:
        return None, 0
    top = max(m["cpt_tokens"] for m in metas)
    metas = [m for m in metas if m["cpt_tokens"] == top]
    if len({(m["vocab"], m["init"], m["replay"]) for m in metas}) < 2:
        return None, top
    metas.sort(key=lambda m: (m["sft_examples"], *arm_order(m)))
    tgt = data.target
    cols = [(f"{tgt} AVG", (tgt, "quality", "avg")), (f"{tgt} ACC", (tgt, "quality", "accuracy")),
            (f"{tgt} F", (tgt, "quality", "fluency")), (f"{tgt} know", (tgt, "knowledge", "acc")),
            (f"{tgt} bpb", (tgt, "ppl", "bpb")), ("en bpb", ("en", "ppl", "bpb")),
            ("en know", ("en", "knowledge", "acc"))]
    return arms_table(data, cols, [m["arm"] for m in metas if m["arm"] in data.done]), top


def codeswitch_table(data: StudyData) -> Table | None:
    """Code-switching rate per arm and response language (task codeswitch, metric rate)."""
    langs = sorted({r["lang"] for r in data.rows
                    if r["task"] == "codeswitch" and r["metric"] == "rate"})
    return arms_table(data, [(f"{lang} rate", (lang, "codeswitch", "rate")) for lang in langs])


MAX_NUMBERS = 8  # per claim in the table; the full list is in the tables below it


def claims_table(verdicts: list[Verdict]) -> Table:
    """One row per claim: id, verdict, claim, paper's evidence, our numbers (one per line),
    reason."""
    def numbers(v: Verdict) -> str:
        shown = v.numbers[:MAX_NUMBERS]
        more = len(v.numbers) - len(shown)
        return "\n".join(shown + ([f"… and {more} more"] if more else [])) or "–"

    return Table(["claim", "verdict", "statement", "paper's evidence", "our numbers (95% CI)",
                  "reason"], [[v.id, v.verdict, v.claim, v.paper, numbers(v), v.reason]
                              for v in verdicts])


def stage_table(data: StudyData) -> Table | None:
    """Wall seconds per stage (manifest.json) and their total."""
    if not data.stages:
        return None
    rows = [[s["id"], fmt(s.get("wall_seconds"), 1)] for s in data.stages]
    total = sum(s.get("wall_seconds") or 0 for s in data.stages)
    return Table(["stage", "wall s"], rows + [["total", f"{total:.1f}"]])


# ---- the paper's own numbers ------------------------------------------------------------------

def read_paper_table(name: str) -> list[dict]:
    """One of the paper's tables (study/paper/<name>.csv) as rows of strings."""
    with open(PAPER_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def paper_table(name: str, keep: dict | None = None) -> Table:
    """A paper table as published (rows filtered by `keep`: column -> allowed values)."""
    rows = read_paper_table(name)
    if keep:
        rows = [r for r in rows if all(r[k] in v for k, v in keep.items())]
    columns = list(rows[0]) if rows else []
    return Table(columns, [[_paper_cell(r[c]) for c in columns] for r in rows])


def _paper_cell(text: str) -> str:
    """Budgets in scientific notation ('5e8', '3e10') read as counts ('500M', '30B'); the rest
    as published."""
    if "e" in text and text.replace("e", "").isdigit():
        n = int(float(text))
        return f"{n // 10**9}B" if n >= 10**9 and n % 10**9 == 0 else short_count(n)
    return text


def paper_sections(data: StudyData) -> dict[str, Section]:
    """Reference sections holding the paper's Tables 1–3 (3 only for its languages here)."""
    langs = {m["lang"] for m in data.arms}
    table3_langs = {r["iso"] for r in read_paper_table("table3_quality_13lang")}
    out = {
        "table1": Section(
            "Paper reference: Table 1 (Chinese response quality, LLaMA-7B)",
            f"As published in {CITATION}: GPT-4 judge, each dimension 0–3, BELLE SFT 1K / 5K / "
            "950K; CPT budgets 10K / 100K / 1M Chinese samples ≈ 5M / 50M / 500M tokens. A "
            "different scale from ours — compare directions, not values. In the 5K block the "
            "paper's AVG is not the mean of its five columns (every other row is); kept as "
            "published.", paper_table("table1_quality_zh"), level=3),
        "table2": Section(
            "Paper reference: Table 2 (perplexity, LLaMA-7B)",
            f"As published in {CITATION}: Chinese-only further pretraining on 0 / 10K / 100K / 1M "
            "samples (L(n)) and Open Chinese LLaMA (≈100B tokens of mixed Chinese + English + "
            "code), on 200K Chinese and 200K English samples; one 32K tokenizer throughout.",
            paper_table("table2_perplexity"), level=3),
    }
    if langs & table3_langs:
        out["table3"] = Section(
            "Paper reference: Table 3 (13 languages, Bactrian-X SFT)",
            f"As published in {CITATION}, for this study's languages: machine-translated "
            "LLM-Eval, SFT on 1K examples and on the full per-language set.",
            paper_table("table3_quality_13lang", {"iso": langs & table3_langs}), level=3)
    return out


# ---- markdown ----------------------------------------------------------------------------------

def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def table_markdown(table: Table) -> str:
    """A GitHub-flavoured markdown table."""
    lines = ["| " + " | ".join(_md_cell(c) for c in table.columns) + " |",
             "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def to_markdown(title: str, intro: str, sections: list[Section], plots: dict[str, str]) -> str:
    """report.md: `plots` maps plot names to image paths relative to the report."""
    parts = [f"# {title}", "", intro, ""]
    for sec in sections:
        parts += ["#" * sec.level + " " + sec.title, ""]
        if sec.note:
            parts += [sec.note, ""]
        if sec.table is not None:
            parts += [table_markdown(sec.table), ""]
        if sec.plot in plots:
            parts += [f"![{sec.title}]({plots[sec.plot]})", ""]
    return "\n".join(parts)


__all__ = ["CITATION", "QUALITY_DIMS", "Section", "Table", "arms_table", "cell", "claims_table",
           "codeswitch_table", "fmt", "language_table", "paper_sections", "paper_table",
           "perplexity_table", "quality_table", "read_paper_table", "same_text_table",
           "stage_table", "table_markdown", "to_markdown", "variant"]
