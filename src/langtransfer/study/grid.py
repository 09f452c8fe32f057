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
    """world | base | vocab | cpt | sft | eval"""
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


class _Planner:
    """Builds the stage list of one study (helpers share the world/base stages and the out dir)."""

    def __init__(self, cfg: StudyConfig, out: Path):
        self.cfg, self.out = cfg, Path(out)
        self.stages: list[Stage] = []
        self.world = self.add("world", "world", cfg.world, [])
        base_cfg = cfg.base.with_updates({"world": str(self.world.path)})
        self.base = self.add("base", "base", base_cfg, [self.world.id], tokens=base_cfg.tokens)
        target_text = self.world.path / cfg.target / "pretrain.txt"
        self.cpt_data = [DataSourceConfig(path=str(target_text), lang=cfg.target).to_dict()]

    def add(self, kind: str, slug: str, cfg: BaseConfig, deps: list[str], **kw) -> Stage:
        stage = _stage(kind, slug, cfg, self.out, deps, **kw)
        self.stages.append(stage)
        return stage

    def evaluate(self, model: Stage, arm: str, tasks: list[str]) -> None:
        ecfg = self.cfg.eval.with_updates({
            "model": str(model.path), "world": str(self.world.path),
            "langs": list(self.cfg.world.langs), "tasks": tasks})
        self.add("eval", arm, ecfg, [model.id], arm=arm)

    def cpt(self, slug: str, tokens: int, deps: list[Stage], **extra) -> Stage:
        # Retention curves (held-out perplexity per language during CPT) when eval_every > 0;
        # tokenised data shared by every arm through one cache under the study folder.
        heldout = {lang: str(self.world.path / lang / "heldout.txt") for lang in self.cfg.world.langs}
        ccfg = self.cfg.cpt.with_updates(
            {"model": str(self.base.path), "data": self.cpt_data, "tokens": tokens,
             "cache_dir": str(self.out / "cache"),
             "eval_every": self.cfg.retention_every,
             "eval_texts": heldout if self.cfg.retention_every else {}, **extra})
        return self.add("cpt", slug, ccfg, [d.id for d in deps], tokens=tokens)

    def arm_chain(self, start: Stage, cpt_slug: str, cpt_only_arm: str) -> None:
        """Eval of the CPT model itself (knowledge, ppl), then each SFT size + its eval."""
        if self.cfg.sft_zero_cpt_only:
            self.evaluate(start, cpt_only_arm, ["knowledge", "ppl"])
        data = str(self.world.path / self.cfg.target / "instructions.json")
        for n in self.cfg.axes.sft_examples:
            if n == 0:
                continue
            scfg = self.cfg.sft.with_updates({"model": str(start.path), "data": data, "examples": n,
                                              "cache_dir": str(self.out / "cache")})
            slug = f"{cpt_slug}-sft{short_count(n)}"
            sft = self.add("sft", slug, scfg, [start.id], tokens=int(n * scfg.epochs))
            self.evaluate(sft, slug, list(self.cfg.eval.tasks))

    def extension_arms(self) -> None:
        """The vocab stage, then one CPT chain per init strategy at equal data (C1)."""
        ext, cfg = self.cfg.extension, self.cfg
        tokens = ext.cpt_tokens or max(cfg.axes.cpt_tokens)
        vcfg = ext.vocab.with_updates(
            {"base": str(self.base.path), "corpus": [self.cpt_data[0]["path"]]})
        vocab = self.add("vocab", "vocab", vcfg, [self.base.id, self.world.id])
        for init in ext.inits:
            slug = f"ext-{init}-cpt{short_count(tokens)}"
            start = self.cpt(slug, tokens, [self.base, vocab], tokenizer=str(vocab.path),
                             init=init, budget_tokenizer=str(self.base.path),
                             embed_warmup_tokens=ext.embed_warmup_tokens,
                             embed_lr_mult=ext.embed_lr_mult)
            self.arm_chain(start, slug, slug)


def plan(cfg: StudyConfig, out: Path) -> list[Stage]:
    """All stages of the study in dependency order."""
    p = _Planner(cfg, out)
    for tokens in cfg.axes.cpt_tokens:
        if tokens == 0:
            p.arm_chain(p.base, "cpt0", "base")
        else:
            slug = f"cpt{short_count(tokens)}"
            p.arm_chain(p.cpt(slug, tokens, [p.base]), slug, slug)
    if cfg.extension.enabled:
        p.extension_arms()
    return p.stages


def plan_table(cfg: StudyConfig, out: Path) -> str:
    """A plain-text table of the planned stages (for --dry-run)."""
    rows = [f"{'stage':<34} {'depends on':<34} {'budget':>10}"]
    for st in plan(cfg, out):
        budget = f"{short_count(st.tokens)}" if st.tokens else ""
        rows.append(f"{st.id:<34} {', '.join(st.deps)[:34]:<34} {budget:>10}")
    return "\n".join(rows)
