"""Report plots (matplotlib, Agg, no pyplot state): PNG bytes for report.md and report.html.

    langtransfer study report runs/miniworld-zh      (writes runs/miniworld-zh/plots/*.png)

- quality_vs_cpt: target-language quality AVG against CPT tokens (log x), one line per SFT size
  (plain CPT), other vocabularies / mixes as markers — the paper's C4 / C5 in one picture;
- forgetting: each CPT model's change in English bpb (x, loss) and target bpb (y, gain)
  against the base model — the paper's C8 / C9;
- retention: held-out bpb per language over CPT tokens, one line per CPT arm;
- codeswitch: code-switching rate per arm with its CI (only when measured; up to 3 languages);
- codeswitch_by_language: the paper's Figure 4 — each target language's rate in its own
  answers, one bar per SFT size, with CIs (studies with several target languages).
A plot whose data are absent is not made (make_plots leaves it out).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langtransfer.study.grid import short_count
from langtransfer.study.tables import variant

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from langtransfer.study.report import StudyData

PLOT_NAMES = ("quality_vs_cpt", "forgetting", "retention", "codeswitch",
              "codeswitch_by_language")
DPI = 100
MARKERS = "sD^vP*X"  # one per non-plain CPT variant (extended inits, replay mixes)


@dataclass
class Plot:
    """One rendered figure."""

    name: str
    title: str
    png: bytes


def _figure(width: float = 7.0, height: float = 4.2) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})  # no version: stable bytes
    return buf.getvalue()


def _err(row: dict) -> tuple[float, float]:
    """(below, above) error-bar lengths from a results row's CI (0 without one)."""
    value = float(row["value"])
    if row.get("ci_low") in (None, ""):
        return 0.0, 0.0
    return max(value - float(row["ci_low"]), 0.0), max(float(row["ci_high"]) - value, 0.0)


def _log_budget_axis(ax: Axes, budgets: list[int]) -> float:
    """Log x axis over CPT budgets; returns where budget 0 is drawn (a decade below the
    smallest positive budget, labelled '0')."""
    positive = sorted(b for b in budgets if b > 0)
    zero_at = positive[0] / 10 if positive else 1.0
    ticks = ([zero_at] if 0 in budgets else []) + positive
    ax.set_xscale("log")
    ax.set_xticks(ticks, ["0" if t == zero_at and 0 in budgets else short_count(int(t))
                          for t in ticks])
    ax.minorticks_off()
    return zero_at


def quality_vs_cpt(data: StudyData) -> Plot | None:
    """Target quality AVG vs CPT tokens per SFT size (with 95% CI bars)."""
    tgt = data.target
    metas = [m for m in data.arms if m["lang"] == tgt and m["sft_examples"] > 0
             and data.get(m["arm"], tgt, "quality", "avg")]
    if not metas:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    zero_at = _log_budget_axis(ax, sorted({m["cpt_tokens"] for m in metas}))
    x_of = lambda m: m["cpt_tokens"] or zero_at  # noqa: E731
    variants = sorted({variant(m) for m in metas} - {"original"})
    for i, size in enumerate(sorted({m["sft_examples"] for m in metas})):
        color = f"C{i}"
        plain = sorted((m for m in metas if m["sft_examples"] == size and variant(m) == "original"),
                       key=lambda m: m["cpt_tokens"])
        rows = [data.get(m["arm"], tgt, "quality", "avg") for m in plain]
        ax.errorbar([x_of(m) for m in plain], [float(r["value"]) for r in rows],
                    yerr=list(zip(*[_err(r) for r in rows])) or None, color=color, marker="o",
                    capsize=3, label=f"SFT {short_count(size)}")
        for j, name in enumerate(variants):
            for m in (m for m in metas if m["sft_examples"] == size and variant(m) == name):
                r = data.get(m["arm"], tgt, "quality", "avg")
                ax.errorbar([x_of(m) * 1.15 ** (j + 1)], [float(r["value"])],
                            yerr=[[e] for e in _err(r)], color=color,
                            marker=MARKERS[j % len(MARKERS)], linestyle="none", capsize=2)
    for j, name in enumerate(variants):  # legend entries for the variant markers
        ax.plot([], [], color="grey", marker=MARKERS[j % len(MARKERS)], linestyle="none",
                label=name)
    ax.set_xlabel("continued-pretraining tokens (log scale)")
    ax.set_ylabel(f"{tgt} quality AVG (0–3)")
    ax.set_title(f"Response quality in {tgt} vs CPT budget, per SFT size")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return Plot("quality_vs_cpt", "Quality vs CPT tokens", _png(fig))


def forgetting(data: StudyData) -> Plot | None:
    """Δ English bpb (x) vs Δ target bpb (y) of each arm against the no-CPT arm of its
    language at the same SFT size; the pre-SFT models when evaluated (else the smallest SFT)."""
    points, size = _forgetting_points(data)
    if not points:
        return None
    fig = _figure(6.5, 5.0)
    ax = fig.add_subplot()
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    for i, (arm, dx, dy, ex, ey) in enumerate(points):
        ax.errorbar([dx], [dy], xerr=[[e] for e in ex], yerr=[[e] for e in ey], marker="o",
                    color=f"C{i % 10}", capsize=2)
        stack = _neighbours(points[:i], dx, dy, points)  # labels of nearby points go below
        ax.annotate(arm, (dx, dy), textcoords="offset points", xytext=(5, 4 - 11 * stack),
                    fontsize=8)
    ax.set_xlabel("Δ English bits per byte vs the base (→ forgetting)")
    ax.set_ylabel(f"Δ {data.target} bits per byte vs the base (↓ gain)")
    ax.set_title("Target gain against English loss, "
                 + ("before SFT" if size == 0 else f"after SFT {short_count(size)}"))
    ax.grid(alpha=0.3)
    return Plot("forgetting", "Target gain vs English loss", _png(fig))


def _neighbours(before: list[tuple], x: float, y: float, every: list[tuple]) -> int:
    """How many earlier points lie within 8% of the x span and 4% of the y span of (x, y)."""
    span_x = (max(p[1] for p in every) - min(p[1] for p in every)) or 1.0
    span_y = (max(p[2] for p in every) - min(p[2] for p in every)) or 1.0
    return sum(abs(p[1] - x) < 0.08 * span_x and abs(p[2] - y) < 0.04 * span_y for p in before)


def _forgetting_points(data: StudyData) -> tuple[list[tuple], int]:
    """(arm, Δen, Δtarget, en CI bars, target CI bars) per arm with both bpb values, and the
    SFT size they share (0 = before SFT)."""
    tgt = data.target
    bpb = lambda arm, lang: data.get(arm, lang, "ppl", "bpb")  # noqa: E731
    metas = [m for m in data.arms
             if m["lang"] == tgt and bpb(m["arm"], "en") and bpb(m["arm"], tgt)]
    bases = {m["sft_examples"]: m for m in metas
             if m["cpt_tokens"] == 0 and m["vocab"] == "original"}
    if not bases:
        return [], 0
    size = min(bases)
    base = bases[size]
    points = []
    for m in metas:
        if m["sft_examples"] != size or m is base:
            continue
        en, tg = bpb(m["arm"], "en"), bpb(m["arm"], tgt)
        points.append((m["arm"], float(en["value"]) - float(bpb(base["arm"], "en")["value"]),
                       float(tg["value"]) - float(bpb(base["arm"], tgt)["value"]), _err(en),
                       _err(tg)))
    return points, size


def retention(data: StudyData) -> Plot | None:
    """Held-out bpb over CPT tokens, one panel per language, one line per CPT arm."""
    if not data.retention:
        return None
    langs = sorted({r["lang"] for r in data.retention}, key=lambda l: (l != "en", l))
    fig = _figure(4.0 * len(langs) + 1, 4.0)
    axes = fig.subplots(1, len(langs), squeeze=False)[0]
    arms = list(dict.fromkeys(r["cpt"] for r in data.retention))
    smallest = min((r["tokens"] for r in data.retention if r["tokens"] > 0), default=1)
    for ax, lang in zip(axes, langs):
        for i, arm in enumerate(arms):
            recs = sorted((r for r in data.retention if r["cpt"] == arm and r["lang"] == lang),
                          key=lambda r: r["step"])
            ax.plot([r["tokens"] for r in recs], [r["bpb"] for r in recs], marker=".",
                    color=f"C{i % 10}", label=arm)
        ax.set_xscale("symlog", linthresh=smallest)  # step 0 sits at 0 tokens
        ax.set_xlabel("CPT tokens seen")
        ax.set_ylabel(f"{lang} held-out bits per byte")
        ax.set_title(f"{lang}")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return Plot("retention", "Retention curves", _png(fig))


def codeswitch(data: StudyData) -> Plot | None:
    """Code-switching rate (%) per arm with 95% CI, one panel per response language."""
    rows = [r for r in data.rows if r["task"] == "codeswitch" and r["metric"] == "rate"
            and r.get("value") not in (None, "")]
    if not rows:
        return None
    langs = sorted({r["lang"] for r in rows}, key=lambda l: (l != data.target, l))
    if len(langs) > 3:  # many languages: codeswitch_by_language draws them
        return None
    arms = [a for a in data.done if any(r["arm"] == a for r in rows)]
    fig = _figure(4.5 * len(langs) + 1, 0.28 * len(arms) + 1.6)
    axes = fig.subplots(1, len(langs), squeeze=False, sharey=True)[0]
    for ax, lang in zip(axes, langs):
        found = {r["arm"]: r for r in rows if r["lang"] == lang}
        ys = [i for i, a in enumerate(arms) if a in found]
        vals = [100 * float(found[arms[i]]["value"]) for i in ys]
        errs = [[100 * e for e in _err(found[arms[i]])] for i in ys]
        ax.barh(ys, vals, xerr=list(zip(*errs)) or None, color="C1", capsize=2)
        ax.set_yticks(range(len(arms)), arms, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f"responses code-switched in {lang} (%)")
        ax.set_title(f"Code-switching in {lang} answers (95% CI)")
        ax.grid(axis="x", alpha=0.3)
    return Plot("codeswitch", "Code-switching rate", _png(fig))


def codeswitch_by_language(data: StudyData) -> Plot | None:
    """Figure 4's shape: code-switching rate (%) of each target language's answers after each
    SFT size (no CPT, original vocabulary), with 95% CIs."""
    metas = [m for m in data.arms if m["cpt_tokens"] == 0 and m["sft_examples"] > 0
             and m["vocab"] == "original" and m["arm"] in data.done
             and data.get(m["arm"], m["lang"], "codeswitch", "rate")]
    langs = sorted({m["lang"] for m in metas})
    if len(langs) < 2:
        return None
    sizes = sorted({m["sft_examples"] for m in metas})
    width = 0.8 / len(sizes)
    fig = _figure(max(6.0, 0.6 * len(langs) + 2), 4.0)
    ax = fig.subplots()
    for k, n in enumerate(sizes):
        found = {m["lang"]: data.get(m["arm"], m["lang"], "codeswitch", "rate")
                 for m in metas if m["sft_examples"] == n}
        xs = [i + (k - (len(sizes) - 1) / 2) * width for i, l in enumerate(langs) if l in found]
        rows = [found[l] for l in langs if l in found]
        errs = [[100 * e for e in _err(r)] for r in rows]
        ax.bar(xs, [100 * float(r["value"]) for r in rows], width, yerr=list(zip(*errs)),
               capsize=2, label=f"SFT {short_count(n)}", color=f"C{k}")
    ax.set_xticks(range(len(langs)), langs)
    ax.set_ylabel("responses code-switched (%)")
    ax.set_title("Code-switching per language (the paper's Figure 4), 95% CI")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return Plot("codeswitch_by_language", "Code-switching per language", _png(fig))


def make_plots(data: StudyData) -> dict[str, Plot]:
    """Every plot the data allow, by name (PLOT_NAMES order)."""
    makers = {"quality_vs_cpt": quality_vs_cpt, "forgetting": forgetting,
              "retention": retention, "codeswitch": codeswitch,
              "codeswitch_by_language": codeswitch_by_language}
    out = {}
    for name in PLOT_NAMES:
        plot = makers[name](data)
        if plot is not None:
            out[name] = plot
    return out


__all__ = ["PLOT_NAMES", "Plot", "codeswitch", "codeswitch_by_language", "forgetting", "make_plots", "quality_vs_cpt",
           "retention"]
