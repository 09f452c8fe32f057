"""The study report: results.csv, arms.csv, report.md, report.html, plots and claim verdicts.

    langtransfer study report runs/miniworld-zh     (also run at the end of `study run`)

`results.csv` has one row per (arm, lang, task, metric): value, ci_low, ci_high, n; `arms.csv`
one row per arm with its attributes. The report reads only run directories (config.yaml,
manifest.json, metrics.jsonl), never live objects, so it can be rebuilt at any time; everything
after `load_study_data` works on a `StudyData`, which tests build from synthetic rows.
"""

from __future__ import annotations

import base64
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from langtransfer.files import atomic_open, write_text
from langtransfer.runs import is_done, read_manifest, read_metrics
from langtransfer.study.config import StudyConfig
from langtransfer.study.grid import Stage, arm_table, plan, short_count
from langtransfer.study.tables import (CITATION, QUALITY_DIMS, Section, arms_table, cell,
                                       claims_table, codeswitch_table, language_table,
                                       paper_sections, perplexity_table, quality_table,
                                       same_text_table, stage_table, to_markdown)

COLUMNS = ("arm", "lang", "task", "metric", "value", "ci_low", "ci_high", "n")
PLOTS_DIR = "plots"
VERDICT_STYLE = {"holds": "green", "does not hold": "red", "inconclusive": "yellow"}


@dataclass
class StudyData:
    """Everything the report shows, read from a study's run directories."""

    name: str
    target: str
    """The first target language."""
    langs: list[str]
    """Languages of the world (English first)."""
    arms: list[dict]
    """arms.csv rows (every planned arm): arm, lang, cpt_tokens, replay, vocab, init,
    sft_examples (0 = the CPT model before SFT)."""
    rows: list[dict]
    """results.csv rows of finished eval stages."""
    done: list[str]
    """Arms with a finished evaluation, in plan order."""
    retention: list[dict] = field(default_factory=list)
    """CPT retention records: {cpt (the CPT arm), lang, step, tokens, ppl, bpb}."""
    stages: list[dict] = field(default_factory=list)
    """{id, wall_seconds} per planned stage."""
    claims: list[str] | None = None
    """Claim ids to check (None: every claim in claims.yaml)."""

    def __post_init__(self) -> None:
        self._index = {(r["arm"], r["lang"], r["task"], r["metric"]): r for r in self.rows}

    def get(self, arm: str, lang: str, task: str, metric: str) -> dict | None:
        """The results row, or None when not measured (or its value is missing)."""
        row = self._index.get((arm, lang, task, metric))
        return row if row is not None and row.get("value") not in (None, "") else None


def collect(cfg: StudyConfig, out: Path) -> tuple[list[dict], list[str]]:
    """Tidy rows from every finished eval stage, and the arm order."""
    return _collect(plan(cfg, out))


def _collect(stages: list[Stage]) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    arms: list[str] = []
    for st in stages:
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


def _retention(stages: list[Stage]) -> list[dict]:
    """Retention records of finished CPT stages (the last record per language and step)."""
    out: dict[tuple, dict] = {}
    for st in stages:
        if st.kind != "cpt" or not is_done(st.path, st.cfg.config_hash()):
            continue
        for rec in read_metrics(st.path):
            if rec.get("phase") == "retention" and rec.get("bpb") is not None:
                out[(st.slug, rec["lang"], rec["step"])] = {
                    "cpt": st.slug, "lang": rec["lang"], "step": rec["step"],
                    "tokens": rec.get("tokens", 0), "ppl": rec.get("ppl"), "bpb": rec["bpb"]}
    return list(out.values())


def _stage_times(stages: list[Stage]) -> list[dict]:
    rows = []
    for st in stages:
        try:
            secs = read_manifest(st.path).get("wall_seconds")
        except FileNotFoundError:
            secs = None
        rows.append({"id": st.id, "wall_seconds": secs})
    return rows


def load_study_data(cfg: StudyConfig, out: str | Path) -> StudyData:
    """Read a study's finished run directories under `out`."""
    out = Path(out)
    stages = plan(cfg, out)
    rows, done = _collect(stages)
    langs = list(cfg.world.langs) if cfg.pretrained is None else list(dict.fromkeys(cfg.langs))
    return StudyData(cfg.name, cfg.target, langs, arm_table(cfg, out), rows, done,
                     _retention(stages), _stage_times(stages), cfg.claims)


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


# ---- sections ---------------------------------------------------------------------------------

def _subsets(data: StudyData, lang: str, task: str, key: str) -> list[str]:
    prefix = f"{task}[{key}="
    return sorted({r["task"] for r in data.rows
                   if r["lang"] == lang and r["task"].startswith(prefix)})


def _target_only_groups(data: StudyData) -> list[str]:
    groups = {r["task"].split("=", 1)[1].rstrip("]") for r in data.rows
              if r["task"].startswith("knowledge_control[group=")}
    return sorted(g for g in groups if g not in ("unseen", "shared"))


def knowledge_sections(data: StudyData) -> list[Section]:
    """Knowledge MC: pooled, by attribute and name form, and facts learned in the target."""
    langs, tgt = data.langs, data.target
    by_attr = _subsets(data, tgt, "knowledge", "attribute") + _subsets(data, tgt, "knowledge",
                                                                        "name_form")
    return [
        Section("Knowledge: facts stated only in English pretraining text",
                "Four-option cloze MC scored by option log-likelihood (chance 0.25). The target-"
                "language column asks about facts the model only ever read in English. `unseen` "
                "is the empirical chance control: people never described anywhere.",
                arms_table(data, [(f"{l} acc", (l, "knowledge", "acc")) for l in langs]
                           + [(f"{l} unseen", (l, "knowledge_control[group=unseen]", "acc"))
                              for l in langs])),
        Section(f"Knowledge in {tgt} by attribute and name form",
                "Pooled accuracy hides which facts transfer: shared tokens (digits) transfer, "
                "names in another script may not.",
                arms_table(data, [(t.split("=", 1)[1].rstrip("]"), (tgt, t, "acc"))
                                  for t in by_attr])),
        Section(f"Knowledge of facts learned in {tgt} text",
                "People described only in target-language text (what continued pretraining can "
                "teach).",
                arms_table(data, [(f"{l} acc", (l, f"knowledge_control[group={g}]", "acc"))
                                  for l in langs for g in _target_only_groups(data)])),
    ]


def build_sections(data: StudyData, verdicts: list, made: set[str]) -> list[Section]:
    """Every section of report.md / report.html, in order (`made`: plots that exist)."""
    tgt = data.target
    paper = paper_sections(data)
    same, top = same_text_table(data)
    switch = codeswitch_table(data)
    sections = [
        Section("Claims: the paper's findings checked on this study",
                "Each verdict is computed from the numbers below by the rule in claims.yaml "
                "(docs/study.md, \"Claims\"): `holds` — every comparison goes the claimed way "
                "with 95% CIs apart; `does not hold` — one goes the other way with CIs apart; "
                "`inconclusive` — CIs overlap, or an arm or metric the claim needs is missing.",
                claims_table(verdicts) if verdicts else None),
        Section(f"Response quality in {tgt} by CPT budget and SFT size (the paper's Table 1)",
                "Greedy answers to open questions, scored by the deterministic MiniWorld judge "
                "(docs/miniworld.md), each dimension 0–3; AVG−H leaves out harmlessness, which "
                "sits at its ceiling. Blocks by SFT size, as in the paper.",
                quality_table(data, tgt), plot="quality_vs_cpt"),
        paper["table1"],
        Section("Perplexity by CPT scale, before SFT (the paper's Table 2)",
                "Token perplexity compares models with the same tokenizer (the paper's Table 2); "
                "bits per byte compares across tokenizers (extended-vocabulary arms). The plot "
                "shows each arm's change against the base model: target gain against English "
                "loss.", perplexity_table(data), plot="forgetting"),
        paper["table2"],
        Section("Retention curves over CPT steps",
                "Held-out bits per byte of English and the target language recorded during "
                "continued pretraining (retention_every steps).", plot="retention", level=3),
        *knowledge_sections(data),
        Section(f"Same text, different vocabulary or language mix (the paper's C1 and C9), CPT "
                f"{short_count(top)} tokens",
                "Extended-vocabulary arms (`ext-<init>`) train on exactly the text of the "
                "original arm (their budget is counted with the original tokenizer); `-en<N>` "
                "arms replace N% of the budget with English replay. Compare bits per byte, not "
                "token perplexity, across tokenizers.", same),
        Section("Code-switching",
                "Share of responses that switch language mid-answer, per arm (task "
                "`codeswitch`)." if switch else "Not measured: no `codeswitch` records in "
                "this study's evaluations.", switch, plot="codeswitch", keep=True),
    ]
    for lang in [l for l in data.langs if l != tgt]:
        sections.append(Section(f"Response quality in {lang}",
                                "The same open questions asked in this language.",
                                quality_table(data, lang)))
    sections.append(Section("Quality by language (the paper's Table 3)",
                            "The base model (no CPT) after each SFT size, judged in each "
                            "language; the paper's numbers follow in their own table (GPT-4 "
                            "judge on LLaMA-7B: compare directions, not values).",
                            language_table(data)))
    sections.append(Section("Code-switching by language (the paper's Figure 4)",
                            "Share of each language's answers that switch language, after each "
                            "SFT size.", plot="codeswitch_by_language", level=3))
    if "table3" in paper:
        sections.append(paper["table3"])
    sections.append(Section("Perplexity and bits per byte, every arm", "",
                            arms_table(data, [(f"{l} {m}", (l, "ppl", m)) for m in ("ppl", "bpb")
                                              for l in data.langs])))
    sections.append(Section("Stages", "Wall time per stage (manifest.json).", stage_table(data)))
    return [s for s in sections if s.table is not None or s.plot in made or s.keep]


def intro(data: StudyData) -> str:
    """The paragraph under the report's title."""
    return ("Every number below is computed from the run directories under this folder (see "
            "results.csv); 95% bootstrap confidence intervals in brackets. The paper's published "
            f"numbers ({CITATION}) appear only in the tables marked \"Paper reference\" — a "
            "different model, judge and scale, shown for direction, never mixed into ours.")


# ---- writing ----------------------------------------------------------------------------------

def write_report_files(data: StudyData, out: str | Path) -> Path:
    """results.csv, arms.csv, plots/*.png, report.md and report.html under `out`; returns the
    report.md path."""
    from langtransfer.study.claims import evaluate_claims
    from langtransfer.study.html import render_html
    from langtransfer.study.plots import PLOT_NAMES, make_plots

    out = Path(out)
    write_text(out / "results.csv", results_csv(data.rows))
    write_text(out / "arms.csv", _csv(data.arms))
    verdicts = evaluate_claims(data)
    plots = make_plots(data)
    for name in PLOT_NAMES:
        path = out / PLOTS_DIR / f"{name}.png"
        if name in plots:
            with atomic_open(path, "wb") as fh:
                fh.write(plots[name].png)
        else:
            path.unlink(missing_ok=True)  # a plot of an earlier report the data no longer give
    sections = build_sections(data, verdicts, set(plots))
    title = f"Study `{data.name}`: English → {data.target}"
    write_text(out / "report.md", to_markdown(
        title, intro(data), sections, {n: f"{PLOTS_DIR}/{n}.png" for n in plots}))
    images = {n: "data:image/png;base64," + base64.b64encode(p.png).decode()
              for n, p in plots.items()}
    write_text(out / "report.html", render_html(title, intro(data), sections, images))
    return out / "report.md"


def write_report(cfg: StudyConfig, out: str | Path) -> Path:
    """Read the study under `out` and write every report file; returns the report.md path."""
    return write_report_files(load_study_data(cfg, out), out)


# ---- terminal ---------------------------------------------------------------------------------

def print_claims(verdicts: list, console: Console) -> None:
    """The claim table: id, verdict (coloured), claim and the one-line reason."""
    table = RichTable(title="The paper's claims on this study (details in report.md)")
    for name, kw in (("claim", {}), ("verdict", {}), ("statement", {"ratio": 2}),
                     ("reason", {"ratio": 3})):
        table.add_column(name, **kw)
    for v in verdicts:
        table.add_row(v.id, f"[{VERDICT_STYLE[v.verdict]}]{v.verdict}[/]", v.claim, v.reason)
    console.print(table)


def print_summary(cfg: StudyConfig, out: Path, console: Console) -> None:
    """A short terminal table (knowledge, bpb, quality AVG per arm), then the claim table."""
    from langtransfer.study.claims import evaluate_claims

    data = load_study_data(cfg, Path(out))
    table = RichTable(title=f"{data.name}: summary (full report in report.md / report.html)")
    cols = [("en know", ("en", "knowledge", "acc")), ("know", ("arm", "knowledge", "acc")),
            ("en bpb", ("en", "ppl", "bpb")), ("bpb", ("arm", "ppl", "bpb")),
            ("AVG", ("arm", "quality", "avg")), ("switched", ("arm", "codeswitch", "rate"))]
    table.add_column("arm")
    table.add_column("lang")
    for label, _ in cols:
        table.add_column(label, justify="right")
    for meta in [m for m in data.arms if m["arm"] in data.done]:
        lang = meta["lang"]
        table.add_row(meta["arm"], lang, *[
            cell(data, meta["arm"], lang if key[0] == "arm" else key[0], *key[1:], ci=False)
            for _, key in cols])
    console.print(table)
    print_claims(evaluate_claims(data), console)


__all__ = ["COLUMNS", "QUALITY_DIMS", "StudyData", "build_sections", "collect",
           "knowledge_sections", "load_study_data", "print_claims", "print_summary",
           "results_csv", "write_report", "write_report_files"]
