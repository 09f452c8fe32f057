"""Expand a study into a DAG of stages with stable, content-addressed directories.

Stage kinds: world → base → cpt → sft → eval. Each stage's directory is `<kind>/<slug>-<hash>`
where the hash is that stage's resolved config hash; a downstream config holds its upstream's
directory, so any upstream change changes every downstream hash (nothing stale is reused).
A CPT model is trained once and shared by all SFT arms that start from it.

    langtransfer study run studies/miniworld-zh.yaml --out runs/zh --dry-run
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from langtransfer.config import BaseConfig
from langtransfer.study.config import StudyConfig
from langtransfer.train.config import DataSourceConfig


@dataclass
class Stage:
    """One unit of work: a stage config and the run directory it writes."""

    kind: str
    """world | base | cpt | sft | eval"""
    slug: str
    """Readable name (e.g. cpt200k, cpt200k-sft2000)."""
    cfg: BaseConfig
    path: Path
    deps: list[str] = field(default_factory=list)
    arm: str | None = None
    """For eval stages: the arm label shown in the report."""
    tokens: int = 0
    """Training tokens (cpt) or examples × epochs (sft) — for the plan table."""

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.path.name}"


def short_count(n: int) -> str:
    """200000 -> '200k', 2000000 -> '2M', 500 -> '500'."""
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % (div // 10) == 0:
            value = n / div
            return f"{value:g}{suffix}"
    return str(n)


def _stage(kind: str, slug: str, cfg: BaseConfig, out: Path, deps: list[str], **kw) -> Stage:
    return Stage(kind, slug, cfg, out / kind / f"{slug}-{cfg.config_hash(8)}", deps, **kw)


def plan(cfg: StudyConfig, out: Path) -> list[Stage]:
    """All stages of the study in dependency order."""
    out = Path(out)
    stages: list[Stage] = []
    world = _stage("world", "world", cfg.world, out, [])
    base_cfg = cfg.base.with_updates({"world": str(world.path)})
    base = _stage("base", "base", base_cfg, out, [world.id], tokens=base_cfg.tokens)
    stages += [world, base]
    eval_langs = list(cfg.world.langs)
    target = cfg.target

    def eval_stage(model: Stage, arm: str, tasks: list[str]) -> Stage:
        ecfg = cfg.eval.with_updates(
            {"model": str(model.path), "world": str(world.path), "langs": eval_langs, "tasks": tasks}
        )
        return _stage("eval", arm, ecfg, out, [model.id], arm=arm)

    for cpt_tokens in cfg.axes.cpt_tokens:
        if cpt_tokens == 0:
            start, cpt_slug = base, "cpt0"
        else:
            cpt_slug = f"cpt{short_count(cpt_tokens)}"
            data = [DataSourceConfig(path=str(world.path / target / "pretrain.txt"), lang=target)]
            ccfg = cfg.cpt.with_updates(
                {"model": str(base.path), "data": [d.to_dict() for d in data], "tokens": cpt_tokens}
            )
            start = _stage("cpt", cpt_slug, ccfg, out, [base.id], tokens=cpt_tokens)
            stages.append(start)
        if cfg.sft_zero_cpt_only:
            arm = "base" if cpt_tokens == 0 else cpt_slug
            stages.append(eval_stage(start, arm, ["knowledge", "ppl"]))
        for n in cfg.axes.sft_examples:
            if n == 0:
                continue
            scfg = cfg.sft.with_updates(
                {"model": str(start.path), "data": str(world.path / target / "instructions.json"),
                 "examples": n}
            )
            slug = f"{cpt_slug}-sft{short_count(n)}"
            sft = _stage("sft", slug, scfg, out, [start.id], tokens=int(n * scfg.epochs))
            stages += [sft, eval_stage(sft, slug, list(cfg.eval.tasks))]
    return stages


def plan_table(cfg: StudyConfig, out: Path) -> str:
    """A plain-text table of the planned stages (for --dry-run)."""
    rows = [f"{'stage':<34} {'depends on':<34} {'budget':>10}"]
    for st in plan(cfg, out):
        budget = f"{short_count(st.tokens)}" if st.tokens else ""
        rows.append(f"{st.id:<34} {', '.join(st.deps)[:34]:<34} {budget:>10}")
    return "\n".join(rows)
