"""Collect every eval run's metrics into a tidy table and a markdown report.

    langtransfer study report runs/zh

`results.csv` has one row per (arm, lang, task, metric): value, ci_low, ci_high, n. The report
reads only run directories (config.yaml, manifest.json, metrics.jsonl), never live objects, so it
can be rebuilt at any time.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rich.console import Console
from rich.table import Table

from langtransfer.files import write_text
from langtransfer.runs import is_done, read_manifest, read_metrics
from langtransfer.study.config import StudyConfig
from langtransfer.study.grid import Stage, plan

COLUMNS = ("arm", "lang", "task", "metric", "value", "ci_low", "ci_high", "n")
QUALITY_DIMS = (
    ("accuracy", "ACC"), ("fluency", "F"), ("informativeness", "INFO"), ("logicality", "LC"),
    ("harmlessness", "H"), ("avg", "AVG"), ("avg_no_h", "AVG−H"),
)


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None or x == "":
        return ""
    return f"{float(x):.{digits}f}"


def collect(cfg: StudyConfig, out: Path) -> tuple[list[dict], list[str]]:
    """Tidy rows from every finished eval stage, and the arm order."""
    rows: list[dict] = []
    arms: list[str] = []
    for st in plan(cfg, out):
        if st.kind != "eval" or not is_done(st.path, st.cfg.config_hash()):
            continue
        arms.append(st.arm)
        for rec in read_metrics(st.path):
            if "metric" not in rec:
                continue
            subset = rec.get("subset", "all")
            task = rec["task"] if subset in (None, "all") else f"{rec['task']}[{subset}]"
            rows.append({
                "arm": st.arm, "lang": rec.get("lang", ""), "task": task, "metric": rec["metric"],
                "value": rec.get("value"), "ci_low": rec.get("ci_low"),
                "ci_high": rec.get("ci_high"), "n": rec.get("n"),
            })
    order = {a: i for i, a in enumerate(arms)}
    rows.sort(key=lambda r: (order[r["arm"]], r["lang"], r["task"], r["metric"]))
    return rows, arms


def results_csv(rows: list[dict]) -> str:
    """results.csv text (floats with 6 decimals so equal runs give equal bytes)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (f"{r[k]:.6f}" if isinstance(r[k], float) else r[k]) for k in COLUMNS})
    return buf.getvalue()


def _csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _lookup(rows: list[dict]) -> dict[tuple, dict]:
    return {(r["arm"], r["lang"], r["task"], r["metric"]): r for r in rows}


def _cell(idx: dict, arm: str, lang: str, task: str, metric: str, ci: bool = True) -> str:
    r = idx.get((arm, lang, task, metric))
    if r is None or r["value"] is None:
        return "–"
    text = _fmt(r["value"])
    if ci and r.get("ci_low") is not None:
        text += f" [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
    return text


def _table(title: str, note: str, arms: list[str], cols: list[tuple[str, tuple]], idx: dict) -> str:
    present = [a for a in arms if any((a, *c[1]) in idx for c in cols)]
    if not present:
        return ""
    lines = [f"## {title}", "", note, "", "| arm | " + " | ".join(c[0] for c in cols) + " |",
             "|---|" + "---|" * len(cols)]
    for arm in present:
        lines.append(f"| {arm} | " + " | ".join(_cell(idx, arm, *c[1]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def _subsets(rows: list[dict], lang: str, task: str, key: str) -> list[str]:
    prefix = f"{task}[{key}="
    return sorted({r["task"] for r in rows if r["lang"] == lang and r["task"].startswith(prefix)})


def render_markdown(cfg: StudyConfig, out: Path, rows: list[dict], arms: list[str]) -> str:
    """report.md: one table per metric family, arms as rows."""
    idx = _lookup(rows)
    langs, tgt = list(cfg.world.langs), cfg.target
    parts = [f"# Study `{cfg.name}`: English → {tgt}", "",
             "Every number below is computed from the run directories under this folder "
             "(see results.csv); 95% bootstrap confidence intervals in brackets.", ""]
    parts.append(_table(
        "Knowledge: facts stated only in English pretraining text",
        "Four-option cloze MC scored by option log-likelihood (chance 0.25). The target-language "
        "column asks about facts the model only ever read in English. `unseen` is the empirical "
        "chance control: people never described anywhere.",
        arms,
        [(f"{l} acc", (l, "knowledge", "acc")) for l in langs]
        + [(f"{l} unseen", (l, "knowledge_control[group=unseen]", "acc")) for l in langs],
        idx))
    attr_tasks = _subsets(rows, tgt, "knowledge", "attribute")
    form_tasks = _subsets(rows, tgt, "knowledge", "name_form")
    parts.append(_table(
        f"Knowledge in {tgt} by attribute and name form",
        "Pooled accuracy hides which facts transfer: shared tokens (digits) transfer, "
        "names in another script may not.",
        arms, [(t.split("=", 1)[1].rstrip("]"), (tgt, t, "acc")) for t in attr_tasks + form_tasks],
        idx))
    parts.append(_table(
        f"Knowledge of facts learned in {tgt} text",
        "People described only in target-language text (what continued pretraining can teach).",
        arms, [(f"{l} acc", (l, f"knowledge_control[group={g}]", "acc"))
               for l in langs for g in _target_only_groups(rows)],
        idx))
    parts.append(_top_budget_table(cfg, out, arms, idx))
    parts.append(_table(
        "Perplexity and bits per byte on held-out text",
        "Token perplexity compares models with the same tokenizer (the paper's Table 2); bits per "
        "byte compares across tokenizers.",
        arms,
        [(f"{l} ppl", (l, "ppl", "ppl")) for l in langs]
        + [(f"{l} bpb", (l, "ppl", "bpb")) for l in langs],
        idx))
    for lang in [tgt] + [l for l in langs if l != tgt]:
        parts.append(_table(
            f"Response quality in {lang} (MiniWorld judge, each 0–3)",
            "Greedy answers to open questions, scored by the deterministic judge "
            "(docs/miniworld.md). AVG−H leaves out harmlessness, which sits at its ceiling.",
            arms, [(label, (lang, "quality", m)) for m, label in QUALITY_DIMS], idx))
    parts.append(_stage_times(cfg, out))
    return "\n".join(p for p in parts if p)


def _top_budget_table(cfg: StudyConfig, out: Path, arms: list[str], idx: dict) -> str:
    """C1 / C9: at the largest CPT budget, the same text through the original vocabulary, each
    extended vocabulary and each English-replay mix, per SFT size."""
    from langtransfer.study.grid import arm_table

    tgt = cfg.target
    meta = [m for m in arm_table(cfg, out) if m["lang"] == tgt and m["cpt_tokens"]]
    if not meta:
        return ""
    top = max(m["cpt_tokens"] for m in meta)
    rows = [m for m in meta if m["cpt_tokens"] == top]
    if len({(m["vocab"], m["init"], m["replay"]) for m in rows}) < 2:
        return ""
    rows.sort(key=lambda m: (m["sft_examples"], m["vocab"] != "original", m["replay"], m["init"]))
    cols = [(f"{tgt} AVG", (tgt, "quality", "avg")), (f"{tgt} ACC", (tgt, "quality", "accuracy")),
            (f"{tgt} F", (tgt, "quality", "fluency")), (f"{tgt} know", (tgt, "knowledge", "acc")),
            (f"{tgt} bpb", (tgt, "ppl", "bpb")), ("en bpb", ("en", "ppl", "bpb")),
            ("en know", ("en", "knowledge", "acc"))]
    from langtransfer.study.grid import short_count

    return _table(
        f"Same text, different vocabulary or language mix (the paper's C1 and C9), CPT "
        f"{short_count(top)} tokens",
        "Extended-vocabulary arms (`ext-<init>`) train on exactly the text of the original arm "
        "(their budget is counted with the original tokenizer); `-en<N>` arms replace N% of the "
        "budget with English replay. Compare bits per byte, not token perplexity, across "
        "tokenizers.",
        [m["arm"] for m in rows if m["arm"] in arms], cols, idx)


def _target_only_groups(rows: list[dict]) -> list[str]:
    groups = {r["task"].split("=", 1)[1].rstrip("]") for r in rows
              if r["task"].startswith("knowledge_control[group=")}
    return sorted(g for g in groups if g not in ("unseen", "shared"))


def _stage_times(cfg: StudyConfig, out: Path) -> str:
    lines = ["## Stages", "", "| stage | wall s |", "|---|---|"]
    total = 0.0
    for st in plan(cfg, out):
        try:
            secs = read_manifest(st.path).get("wall_seconds")
        except FileNotFoundError:
            secs = None
        total += secs or 0
        lines.append(f"| {st.id} | {_fmt(secs, 1)} |")
    lines.append(f"| total | {total:.1f} |")
    return "\n".join(lines) + "\n"


def write_report(cfg: StudyConfig, out: str | Path) -> Path:
    """Write results.csv and report.md into `out`; returns the report path."""
    out = Path(out)
    from langtransfer.study.grid import arm_table

    rows, arms = collect(cfg, out)
    write_text(out / "results.csv", results_csv(rows))
    write_text(out / "arms.csv", _csv(arm_table(cfg, out)))
    write_text(out / "report.md", render_markdown(cfg, out, rows, arms))
    return out / "report.md"


def print_summary(cfg: StudyConfig, out: Path, console: Console) -> None:
    """A short terminal table: knowledge, bpb and quality AVG per arm."""
    rows, arms = collect(cfg, Path(out))
    idx = _lookup(rows)
    tgt = cfg.target
    table = Table(title=f"{cfg.name}: summary (full report in report.md)")
    cols = [("en know", ("en", "knowledge", "acc")), (f"{tgt} know", (tgt, "knowledge", "acc")),
            ("en bpb", ("en", "ppl", "bpb")), (f"{tgt} bpb", (tgt, "ppl", "bpb")),
            (f"{tgt} AVG", (tgt, "quality", "avg"))]
    table.add_column("arm")
    for label, _ in cols:
        table.add_column(label, justify="right")
    for arm in arms:
        table.add_row(arm, *[_cell(idx, arm, *key, ci=False) for _, key in cols])
    console.print(table)
